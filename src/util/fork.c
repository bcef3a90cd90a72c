/*
 * fork: one registration per module, however many threads race to it.
 */
#include <pthread.h>

#include "util/fork.h"

void ts_fork_register(struct ts_fork_hooks *h)
{
	if(__atomic_load_n(&h->registered, __ATOMIC_ACQUIRE))
		return;
	if(!__atomic_exchange_n(&h->registered, 1, __ATOMIC_ACQ_REL))
		pthread_atfork(h->prepare, h->parent, h->child);
}
