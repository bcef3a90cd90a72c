/*
 * hook: what the C API (api.c) shares with the interposed functions
 * (preload.c), so that both pass calls on the same way.
 */
#ifndef TS_HOOK_H
#define TS_HOOK_H

#include <stdarg.h>
#include <curl/curl.h>

#include "curl/real.h"

/* The real libcurl, found once and kept at hand; NULL when the process
   has none. */
const struct ts_curl *ts_hook_real(void);

/* curl_easy_setopt's work: passes the option on to the real libcurl and
   notes what the transfer layer merges with and restores. */
CURLcode ts_hook_setopt(CURL *h, CURLoption opt, va_list ap);

#endif
