/*
 * transfer: one request through tokenshim. Match the URL against the
 * profiles, get a token, inject it into copies of the app's settings,
 * perform, then put the app's own settings back.
 */
#ifndef TS_TRANSFER_H
#define TS_TRANSFER_H

#include <curl/curl.h>

/* Performs h as curl_easy_perform would, with a token when its URL belongs
   to a profile. */
CURLcode ts_transfer(CURL *h);

/* Non-zero while this thread runs tokenshim's own code that calls
   libcurl; the hooks then pass calls straight through. */
int ts_in_engine(void);

#endif
