/*
 * ptrmap: chained hashing on the pointer's bits; the multiplier spreads
 * allocator-aligned addresses over the buckets.
 */
#include <stdint.h>
#include <stdlib.h>

#include "util/ptrmap.h"

static struct ts_pnode **bucket(struct ts_ptrmap *m, const void *key)
{
	uintptr_t v = (uintptr_t)key;

	v ^= v >> 17;
	v *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	return &m->buckets[(size_t)(v >> 7) % m->nbuckets];
}

void *ts_ptrmap_get(struct ts_ptrmap *m, const void *key, size_t size)
{
	struct ts_pnode **b, *n;

	pthread_mutex_lock(&m->lock);
	b = bucket(m, key);
	for(n = *b; n; n = n->next)
		if(n->key == key)
			break;
	if(!n && size && (n = calloc(1, size))) {
		n->key = key;
		n->next = *b;
		*b = n;
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

void *ts_ptrmap_take(struct ts_ptrmap *m, const void *key)
{
	struct ts_pnode **pp, *n = NULL;

	pthread_mutex_lock(&m->lock);
	for(pp = bucket(m, key); *pp; pp = &(*pp)->next)
		if((*pp)->key == key) {
			n = *pp;
			*pp = n->next;
			break;
		}
	pthread_mutex_unlock(&m->lock);
	return n;
}

void ts_ptrmap_unlink(struct ts_ptrmap *m, const void *rec)
{
	const struct ts_pnode *r = rec;
	struct ts_pnode **pp;

	pthread_mutex_lock(&m->lock);
	for(pp = bucket(m, r->key); *pp; pp = &(*pp)->next)
		if(*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_unlock(&m->lock);
}

void ts_ptrmap_lock(struct ts_ptrmap *m)
{
	pthread_mutex_lock(&m->lock);
}

void ts_ptrmap_unlock(struct ts_ptrmap *m)
{
	pthread_mutex_unlock(&m->lock);
}
