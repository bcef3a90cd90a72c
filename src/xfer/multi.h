/*
 * multi: tokens for transfers driven through a multi handle. The hooks in
 * preload.c call these with the real libcurl functions.
 */
#ifndef TS_MULTI_H
#define TS_MULTI_H

#include <curl/curl.h>

#include "curl/real.h"

/* curl_multi_add_handle: the token is obtained and injected here. */
CURLMcode ts_multi_add(const struct ts_curl *c, CURLM *m, CURL *h);
/* curl_multi_remove_handle: a transfer removed early gets the app's
   settings back. */
CURLMcode ts_multi_remove(const struct ts_curl *c, CURLM *m, CURL *h);
/* After curl_multi_perform or a socket action returned rc: refused
   attempts go back into the multi handle, counted in *running. */
void ts_multi_after(const struct ts_curl *c, CURLM *m, CURLMcode rc,
		    int *running);
/* curl_multi_info_read: each transfer's final result, once. */
CURLMsg *ts_multi_info_read(const struct ts_curl *c, CURLM *m, int *left);
/* curl_multi_cleanup: every handle still in it gets its settings back. */
CURLMcode ts_multi_cleanup(const struct ts_curl *c, CURLM *m);
/* curl_easy_cleanup of a handle still in a multi handle. */
void ts_multi_forget(CURL *h);

#endif
