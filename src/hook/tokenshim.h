/*
 * tokenshim.h: the C API of libtokenshim.so for hosts that load it with
 * dlopen instead of LD_PRELOAD (a plugin inside a daemon, a language
 * runtime binding libcurl through its FFI). See libtokenshim(3).
 */
#ifndef TOKENSHIM_H
#define TOKENSHIM_H

#include <stddef.h>
#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this API; tokenshim_api_version() returns the library's. */
#define TOKENSHIM_API_VERSION 1

/* Size of the errbuf tokenshim_token fills, as CURL_ERROR_SIZE. */
#define TOKENSHIM_ERROR_SIZE 256

/* The API version the loaded library implements. */
int tokenshim_api_version(void);

/* Drop-in for curl_easy_perform: matches the handle's URL against the
   profiles, injects the token, performs, and restores the handle's own
   settings, exactly as the preloaded library does. */
CURLcode tokenshim_easy_perform(CURL *curl);

/* Drop-in for curl_easy_setopt. libcurl cannot report an option back, so a
   host that sets its own URL, header list or cookie should set them through
   this function for tokenshim_easy_perform to merge with and restore them. */
CURLcode tokenshim_easy_setopt(CURL *curl, CURLoption option, ...);

/* Writes a fresh token for the named profile into buf (len bytes, NUL
   included). Returns 0 on success; otherwise non-zero, with a one-line
   reason in errbuf (TOKENSHIM_ERROR_SIZE bytes). */
int tokenshim_token(const char *profile, char *buf, size_t len, char *errbuf);

#ifdef __cplusplus
}
#endif
#endif
