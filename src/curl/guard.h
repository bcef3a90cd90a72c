/*
 * guard: what this thread is doing with libcurl, so that the hooks know
 * which calls are the application's. Two reasons to pass a call straight
 * on:
 *  - own: tokenshim's own request (a login, a renewal, a logout) is being
 *    performed; libcurl's easy perform then calls its exported multi
 *    functions, and any of them reaching a hook must not be taken for
 *    the app's (it would wait for the very login it is part of);
 *  - inside: a real libcurl call that drives the app's transfers is under
 *    way (easy perform, multi perform, socket action), and the multi calls
 *    libcurl makes of itself meanwhile are not the app's.
 * Every hook reads this, so it is one thread-local block, read inline.
 */
#ifndef TS_GUARD_H
#define TS_GUARD_H

#include "curl/real.h"

struct ts_guard {
	int own;	/* depth of tokenshim's own performs */
	int inside;	/* depth of real calls driving the app's transfers */
	CURL *easy;	/* the handle a real easy perform drives, or NULL */
};

/* initial-exec: every hook reads it, and the block is 16 bytes, which
   glibc's static TLS surplus holds even when the library is dlopen'ed */
extern __thread struct ts_guard ts_guard_tl
	__attribute__((visibility("hidden"), tls_model("initial-exec")));

/* Non-zero while this thread performs one of tokenshim's own requests. */
static inline int ts_guard_own(void)
{
	return ts_guard_tl.own;
}

/* Non-zero when a hook must pass the call straight on. */
static inline int ts_guard_passthrough(void)
{
	return ts_guard_tl.inside | ts_guard_tl.own;
}

/* Non-zero when curl_multi_add_handle(h) is libcurl's own: tokenshim's
   request, or the easy perform of h adding h to its internal multi
   handle. A handle the app adds from inside a callback is the app's. */
static inline int ts_guard_own_add(CURL *h)
{
	return ts_guard_tl.own || (ts_guard_tl.inside && h == ts_guard_tl.easy);
}

/* Around a real call that drives the app's transfers. */
static inline void ts_guard_enter(void)
{
	ts_guard_tl.inside++;
}

static inline void ts_guard_leave(void)
{
	ts_guard_tl.inside--;
}

/* Around a real easy perform of h; returns what to give ts_guard_end. */
static inline CURL *ts_guard_easy(CURL *h)
{
	CURL *was = ts_guard_tl.easy;

	ts_guard_tl.inside++;
	ts_guard_tl.easy = h;
	return was;
}

static inline void ts_guard_end(CURL *was)
{
	ts_guard_tl.easy = was;
	ts_guard_tl.inside--;
}

/* Performs one of tokenshim's own requests on h: the real easy perform,
   with the hooks out of its way for the length of the call. */
CURLcode ts_guard_perform(const struct ts_curl *c, CURL *h);

#endif
