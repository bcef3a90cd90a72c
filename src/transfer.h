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

/* Called by the setopt hook: the process's libcurl calls reach tokenshim,
   so every option of every handle is seen. A host that dlopen'ed us sees
   only what it passes through tokenshim_easy_setopt, and its own write,
   header and pre-request callbacks must then be left alone. */
void ts_transfer_hooked(void);

#endif
