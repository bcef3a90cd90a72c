/*
 * preload: the interposed libcurl functions. This is the only file that
 * defines curl_* symbols. Each hook notes what injection needs, then calls
 * the real function found by real.c. Hooks never exit or abort: when the
 * real libcurl cannot be found they return CURLE_FAILED_INIT.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "elfdeps.h"
#include "handle.h"
#include "log.h"
#include "real.h"
#include "transfer.h"
#include "vforward.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...);
EXPORT CURLcode curl_easy_perform(CURL *h);
EXPORT void curl_easy_reset(CURL *h);
EXPORT CURL *curl_easy_duphandle(CURL *h);
EXPORT void curl_easy_cleanup(CURL *h);
EXPORT void *dlopen(const char *file, int mode);

static void *const hooks[] = {
	(void *)curl_easy_setopt, (void *)curl_easy_perform,
	(void *)curl_easy_reset, (void *)curl_easy_duphandle,
	(void *)curl_easy_cleanup,
};

static const struct ts_curl *real(void)
{
	static int registered;

	if(!__atomic_load_n(&registered, __ATOMIC_ACQUIRE)) {
		ts_real_set_hooks(hooks, (int)(sizeof(hooks) / sizeof(hooks[0])));
		__atomic_store_n(&registered, 1, __ATOMIC_RELEASE);
	}
	return ts_real();
}

EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	const struct ts_curl *c = real();
	CURLcode rc;
	va_list ap;

	if(!c)
		return CURLE_FAILED_INIT;
	ts_transfer_hooked();
	va_start(ap, opt);
	rc = ts_setopt_forward(c->curl_easy_setopt, h, opt, ap);
	va_end(ap);
	return rc;
}

EXPORT CURLcode curl_easy_perform(CURL *h)
{
	const struct ts_curl *c = real();

	if(!c)
		return CURLE_FAILED_INIT;
	if(ts_in_engine())
		return c->curl_easy_perform(h);
	return ts_transfer(h);
}

EXPORT void curl_easy_reset(CURL *h)
{
	const struct ts_curl *c = real();

	if(!c || !c->curl_easy_reset)
		return;
	c->curl_easy_reset(h);
	ts_handle_reset(h);
}

EXPORT CURL *curl_easy_duphandle(CURL *h)
{
	const struct ts_curl *c = real();
	CURL *dup;

	if(!c || !c->curl_easy_duphandle)
		return NULL;
	dup = c->curl_easy_duphandle(h);
	if(dup)
		ts_handle_dup(h, dup);
	return dup;
}

EXPORT void curl_easy_cleanup(CURL *h)
{
	const struct ts_curl *c = real();

	if(!c)
		return;
	ts_handle_forget(h);
	c->curl_easy_cleanup(h);
}

/* PHP loads curl.so with RTLD_DEEPBIND, so curl.so would call its own
   libcurl directly and never reach the hooks above. A module that links
   libcurl is therefore loaded without DEEPBIND; any other keeps it. */
EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real_dlopen)(const char *, int);
	void *(*fn)(const char *, int) = __atomic_load_n(&real_dlopen,
							 __ATOMIC_ACQUIRE);

	if(!fn) {
		*(void **)&fn = dlsym(RTLD_NEXT, "dlopen");
		if(!fn)
			return NULL;
		__atomic_store_n(&real_dlopen, fn, __ATOMIC_RELEASE);
	}
	if((mode & RTLD_DEEPBIND) && file && strchr(file, '/') &&
	   ts_elf_needs(file, "libcurl")) {
		ts_debug("loading %s without RTLD_DEEPBIND: it links libcurl",
			 file);
		mode &= ~RTLD_DEEPBIND;
	}
	return fn(file, mode);
}
