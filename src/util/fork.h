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

#endif
