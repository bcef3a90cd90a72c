/*
 * The hook layer: where a request is intercepted. The interposed libcurl
 * symbols (this file), the C API for hosts that dlopen the library
 * (api.c), and the dlopen hook that keeps PHP's curl.so within reach
 * (elfdeps.c). A hook notes what the transfer layer needs and passes the
 * call on; it decides nothing about profiles or tokens itself.
 *
 * preload: the interposed libcurl functions. This is the only file that
 * defines curl_* symbols. Each hook notes what injection needs, then calls
 * the real function found by real.c. Hooks never exit or abort: when the
 * real libcurl cannot be found they return CURLE_FAILED_INIT.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "curl/guard.h"
#include "curl/real.h"
#include "hook/elfdeps.h"
#include "hook/hook.h"
#include "hook/vforward.h"
#include "util/log.h"
#include "xfer/handle.h"
#include "xfer/multi.h"
#include "xfer/transfer.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT CURL *curl_easy_init(void);
EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...);
EXPORT CURLcode curl_easy_perform(CURL *h);
EXPORT void curl_easy_reset(CURL *h);
EXPORT CURL *curl_easy_duphandle(CURL *h);
EXPORT void curl_easy_cleanup(CURL *h);
EXPORT CURLMcode curl_multi_add_handle(CURLM *m, CURL *h);
EXPORT CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h);
EXPORT CURLMcode curl_multi_perform(CURLM *m, int *running);
EXPORT CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s,
					  int ev, int *running);
EXPORT CURLMcode curl_multi_socket_all(CURLM *m, int *running);
EXPORT CURLMsg *curl_multi_info_read(CURLM *m, int *left);
EXPORT CURLMcode curl_multi_cleanup(CURLM *m);
EXPORT void *dlopen(const char *file, int mode);

static void *const hooks[] = {
	(void *)curl_easy_init, (void *)curl_easy_setopt, (void *)curl_easy_perform,
	(void *)curl_easy_reset, (void *)curl_easy_duphandle,
	(void *)curl_easy_cleanup, (void *)curl_multi_add_handle,
	(void *)curl_multi_remove_handle, (void *)curl_multi_perform,
	(void *)curl_multi_socket_action, (void *)curl_multi_socket_all,
	(void *)curl_multi_info_read, (void *)curl_multi_cleanup,
};

/* Every hook starts here, libcurl's own calls into its multi interface
   included, so the table found once is kept at hand. */
const struct ts_curl *ts_hook_real(void)
{
	static const struct ts_curl *found;
	const struct ts_curl *c = __atomic_load_n(&found, __ATOMIC_ACQUIRE);

	if(c)
		return c;
	ts_real_set_hooks(hooks, (int)(sizeof(hooks) / sizeof(hooks[0])));
	c = ts_real();
	if(c)
		__atomic_store_n(&found, c, __ATOMIC_RELEASE);
	return c;
}

/* libcurl makes handles of its own (DNS over HTTPS) and sets their
   options through the exported setopt, so they get notes; it frees them
   without curl_easy_cleanup. A handle born at such an address starts
   with no notes. */
EXPORT CURL *curl_easy_init(void)
{
	const struct ts_curl *c = ts_hook_real();
	CURL *h;

	if(!c)
		return NULL;
	h = c->real_curl_easy_init();
	if(h)
		ts_handle_forget(h);
	return h;
}

CURLcode ts_hook_setopt(CURL *h, CURLoption opt, va_list ap)
{
	const struct ts_curl *c = ts_hook_real();
	CURLcode rc;

	if(!c)
		return CURLE_FAILED_INIT;
	rc = ts_setopt_forward(c->real_curl_easy_setopt, h, opt, ap);
	if(rc == CURLE_OK)
		ts_xfer_setopt_done(h, opt);
	return rc;
}

EXPORT CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	CURLcode rc;
	va_list ap;

	ts_transfer_hooked();
	va_start(ap, opt);
	rc = ts_hook_setopt(h, opt, ap);
	va_end(ap);
	return rc;
}

EXPORT CURLcode curl_easy_perform(CURL *h)
{
	const struct ts_curl *c = ts_hook_real();
	CURLcode rc;
	CURL *was;

	if(!c)
		return CURLE_FAILED_INIT;
	if(ts_guard_own())
		return c->real_curl_easy_perform(h);
	/* libcurl's easy perform drives a multi handle of its own, through
	   the same exported multi calls: those are not the app's */
	was = ts_guard_easy(h);
	rc = ts_transfer(h);
	ts_guard_end(was);
	return rc;
}

EXPORT void curl_easy_reset(CURL *h)
{
	const struct ts_curl *c = ts_hook_real();

	if(!c || !c->real_curl_easy_reset)
		return;
	c->real_curl_easy_reset(h);
	ts_handle_reset(h);
}

EXPORT CURL *curl_easy_duphandle(CURL *h)
{
	const struct ts_curl *c = ts_hook_real();
	CURL *dup;

	if(!c || !c->real_curl_easy_duphandle)
		return NULL;
	dup = c->real_curl_easy_duphandle(h);
	if(dup) {
		ts_handle_forget(dup);	/* as for curl_easy_init */
		ts_handle_dup(h, dup);
		ts_xfer_dup(h, dup);
	}
	return dup;
}

EXPORT void curl_easy_cleanup(CURL *h)
{
	const struct ts_curl *c = ts_hook_real();

	if(!c)
		return;
	ts_multi_forget(h);
	ts_handle_forget(h);
	c->real_curl_easy_cleanup(h);
}

/* The multi interface. Calls libcurl makes of itself (its easy perform
   drives a multi handle, DNS-over-HTTPS adds handles) pass straight on. */
#define MULTI_REAL(fn)                                                  \
	const struct ts_curl *c = ts_hook_real();                       \
	if(!c || !c->real_##fn)                                         \
		return CURLM_INTERNAL_ERROR

EXPORT CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	MULTI_REAL(curl_multi_add_handle);
	if(ts_guard_own_add(h))
		return c->real_curl_multi_add_handle(m, h);
	return ts_multi_add(c, m, h);
}

EXPORT CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
	MULTI_REAL(curl_multi_remove_handle);
	if(ts_guard_passthrough())
		return c->real_curl_multi_remove_handle(m, h);
	return ts_multi_remove(c, m, h);
}

EXPORT CURLMcode curl_multi_perform(CURLM *m, int *running)
{
	CURLMcode rc;

	MULTI_REAL(curl_multi_perform);
	if(ts_guard_passthrough())
		return c->real_curl_multi_perform(m, running);
	ts_guard_enter();
	rc = c->real_curl_multi_perform(m, running);
	ts_guard_leave();
	ts_multi_after(c, m, rc, running);
	return rc;
}

EXPORT CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s,
					  int ev, int *running)
{
	CURLMcode rc;

	MULTI_REAL(curl_multi_socket_action);
	if(ts_guard_passthrough())
		return c->real_curl_multi_socket_action(m, s, ev, running);
	ts_guard_enter();
	rc = c->real_curl_multi_socket_action(m, s, ev, running);
	ts_guard_leave();
	ts_multi_after(c, m, rc, running);
	return rc;
}

EXPORT CURLMcode curl_multi_socket_all(CURLM *m, int *running)
{
	CURLMcode rc;

	MULTI_REAL(curl_multi_socket_all);
	if(ts_guard_passthrough())
		return c->real_curl_multi_socket_all(m, running);
	ts_guard_enter();
	rc = c->real_curl_multi_socket_all(m, running);
	ts_guard_leave();
	ts_multi_after(c, m, rc, running);
	return rc;
}

EXPORT CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
	const struct ts_curl *c = ts_hook_real();

	if(!c || !c->real_curl_multi_info_read)
		return NULL;
	if(ts_guard_passthrough())
		return c->real_curl_multi_info_read(m, left);
	return ts_multi_info_read(c, m, left);
}

EXPORT CURLMcode curl_multi_cleanup(CURLM *m)
{
	MULTI_REAL(curl_multi_cleanup);
	if(ts_guard_passthrough())
		return c->real_curl_multi_cleanup(m);
	return ts_multi_cleanup(c, m);
}

/* PHP loads curl.so with RTLD_DEEPBIND, so curl.so would call its own
   libcurl directly and never reach the hooks above. A module that links
   libcurl is therefore loaded without DEEPBIND; any other keeps it. */
EXPORT void *dlopen(const char *file, int mode)
{
	if((mode & RTLD_DEEPBIND) && file && strchr(file, '/') &&
	   ts_elf_needs(file, "libcurl")) {
		ts_debug("loading %s without RTLD_DEEPBIND: it links libcurl",
			 file);
		mode &= ~RTLD_DEEPBIND;
	}
	return ts_real_dlopen(file, mode);
}
