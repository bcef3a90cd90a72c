/*
 * guard: the re-entry state. It lives here, under every caller, so that
 * no path into the engine (a hooked transfer, the C API, the CLI) can
 * skip it.
 */
#include "curl/guard.h"

__thread struct ts_guard ts_guard_tl;

CURLcode ts_guard_perform(const struct ts_curl *c, CURL *h)
{
	CURLcode rc;

	ts_guard_tl.own++;
	rc = c->real_curl_easy_perform(h);
	ts_guard_tl.own--;
	return rc;
}
