/*
 * off: why the shared cache is off in this process. The backend, the key
 * and the store itself can each find a reason; the first one is said once
 * on stderr and kept for tokenshim status.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "store/store.h"
#include "util/log.h"

static char off_why[512];
static pthread_mutex_t off_lock = PTHREAD_MUTEX_INITIALIZER;

void ts_store_off(const char *fmt, ...)
{
	char why[512];
	va_list ap;
	int first;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&off_lock);
	first = !off_why[0];
	if(first)
		snprintf(off_why, sizeof(off_why), "%s", why);
	pthread_mutex_unlock(&off_lock);
	if(first)
		ts_log("%s; keeping tokens in memory only", why);
}

const char *ts_store_why(void)
{
	const char *w;

	pthread_mutex_lock(&off_lock);
	w = off_why[0] ? off_why : NULL;
	pthread_mutex_unlock(&off_lock);
	return w;
}

