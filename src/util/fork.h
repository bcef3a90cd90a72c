/*
 * fork: each module that keeps locks registers its own fork handlers
 * here, once, as the library loads: registered on first use, they would
 * miss a fork that another thread makes meanwhile. A module that holds a lock only
 * briefly takes it in prepare and gives it back in parent, so the child
 * starts with consistent state; a module whose locks may be held for long
 * (a login) only starts the child with fresh ones.
 */
#ifndef TS_FORK_H
#define TS_FORK_H

#include <pthread.h>

struct ts_fork_hooks {
	void (*prepare)(void);	/* before fork, in the forking thread; or NULL */
	void (*parent)(void);	/* after fork, in the parent; or NULL */
	void (*child)(void);	/* after fork, in the child; or NULL */
	int registered;		/* set once registered; start at 0 */
};

/* Registers h with pthread_atfork unless that was done already. */
void ts_fork_register(struct ts_fork_hooks *h);

/* Registers a module's hooks when the library loads (before any thread
   of the program can be inside the module). glibc drops them again if
   the library is unloaded. */
#define TS_FORK_AT_LOAD(hooks) \
	__attribute__((constructor)) static void fork_at_load(void) \
	{ \
		ts_fork_register(&(hooks)); \
	}

/* The hooks of a module whose one mutex is held only briefly: taken before
   the fork, and given back after it, in the parent and in the child (whose
   one thread is the one that took it, so it may; made afresh instead, the
   mutex would stay held in ThreadSanitizer's eyes for the child's life). */
#define TS_FORK_HOLDS(mutex) \
	static void fork_prepare(void) { pthread_mutex_lock(&(mutex)); } \
	static void fork_parent(void) { pthread_mutex_unlock(&(mutex)); } \
	static void fork_child(void) { pthread_mutex_unlock(&(mutex)); } \
	static struct ts_fork_hooks fork_hooks = { fork_prepare, fork_parent, \
						   fork_child, 0 }; \
	TS_FORK_AT_LOAD(fork_hooks)

#endif
