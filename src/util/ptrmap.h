/*
 * ptrmap: a table of records keyed by a pointer (a CURL or CURLM handle),
 * behind one lock held only while the table's shape is read or changed.
 * A record starts with a struct ts_pnode; what follows is its owner's.
 */
#ifndef TS_PTRMAP_H
#define TS_PTRMAP_H

#include <pthread.h>
#include <stddef.h>

struct ts_pnode {
	const void *key;
	struct ts_pnode *next;		/* hash chain */
};

struct ts_ptrmap {
	pthread_mutex_t lock;
	size_t nbuckets;
	struct ts_pnode **buckets;	/* nbuckets entries */
};

/* A map over a static array of buckets. */
#define TS_PTRMAP_INIT(array) \
	{ PTHREAD_MUTEX_INITIALIZER, sizeof(array) / sizeof((array)[0]), (array) }

/* The record of key; when there is none and size is not 0, a new zeroed
   record of size bytes (NULL when out of memory). */
void *ts_ptrmap_get(struct ts_ptrmap *m, const void *key, size_t size);
/* Takes key's record out of the map and returns it (the caller frees
   it), or NULL. */
void *ts_ptrmap_take(struct ts_ptrmap *m, const void *key);
/* Takes out the record rec, when it is still in the map. */
void ts_ptrmap_unlink(struct ts_ptrmap *m, const void *rec);

/* For the owner's fork handlers: hold the lock across fork, and give it
   back after, in the parent and in the child alike. */
void ts_ptrmap_lock(struct ts_ptrmap *m);
void ts_ptrmap_unlock(struct ts_ptrmap *m);

#endif
