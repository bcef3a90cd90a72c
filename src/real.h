/*
 * real: the host process's own libcurl functions, found lazily with
 * dlsym(RTLD_NEXT) because libcurl may be dlopen'ed after tokenshim. These
 * pointers are how tokenshim calls libcurl, both to pass the application's
 * calls on and to make its own login requests, which therefore never pass
 * through the hooks and use whatever TLS flavour the host loaded.
 */
#ifndef TS_REAL_H
#define TS_REAL_H

#include <curl/curl.h>

struct ts_curl {
	CURL *(*curl_easy_init)(void);
	CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*curl_easy_perform)(CURL *);
	void (*curl_easy_cleanup)(CURL *);
	void (*curl_easy_reset)(CURL *);
	CURL *(*curl_easy_duphandle)(CURL *);
	CURLcode (*curl_easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*curl_easy_strerror)(CURLcode);
	struct curl_slist *(*curl_slist_append)(struct curl_slist *,
						const char *);
	void (*curl_slist_free_all)(struct curl_slist *);
	/* the multi interface, for the hooks that pass it on */
	CURLMcode (*curl_multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*curl_multi_remove_handle)(CURLM *, CURL *);
	CURLMsg *(*curl_multi_info_read)(CURLM *, int *);
	CURLMcode (*curl_multi_cleanup)(CURLM *);
	CURLMcode (*curl_multi_perform)(CURLM *, int *);
	CURLMcode (*curl_multi_socket_action)(CURLM *, curl_socket_t, int,
					      int *);
	CURLMcode (*curl_multi_socket_all)(CURLM *, int *);
};

/* The real functions, or NULL when no libcurl can be found in the
   process (then libcurl.so.4 is dlopen'ed as a last resort). Resolution is
   retried until it succeeds, and then never again. */
const struct ts_curl *ts_real(void);

/* The hooks register their own addresses here so that a lookup that comes
   back to a hook (tokenshim loaded twice, or RTLD_NEXT landing on itself)
   is refused instead of recursing forever. */
void ts_real_set_hooks(void *const *hooks, int n);

#endif
