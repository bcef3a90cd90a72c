/*
 * The curl layer: the host's libcurl, and the re-entry state around it.
 * Every layer above reaches libcurl only through here: the real
 * functions (real_curl_*), the real dlopen, and the guard (curl/guard.h)
 * that keeps tokenshim's own requests out of its hooks.
 *
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
	CURL *(*real_curl_easy_init)(void);
	CURLcode (*real_curl_easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*real_curl_easy_perform)(CURL *);
	void (*real_curl_easy_cleanup)(CURL *);
	void (*real_curl_easy_reset)(CURL *);
	CURL *(*real_curl_easy_duphandle)(CURL *);
	CURLcode (*real_curl_easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*real_curl_easy_strerror)(CURLcode);
	struct curl_slist *(*real_curl_slist_append)(struct curl_slist *,
						const char *);
	void (*real_curl_slist_free_all)(struct curl_slist *);
	/* the multi interface, for the hooks that pass it on */
	CURLMcode (*real_curl_multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*real_curl_multi_remove_handle)(CURLM *, CURL *);
	CURLMsg *(*real_curl_multi_info_read)(CURLM *, int *);
	CURLMcode (*real_curl_multi_cleanup)(CURLM *);
	CURLMcode (*real_curl_multi_perform)(CURLM *, int *);
	CURLMcode (*real_curl_multi_socket_action)(CURLM *, curl_socket_t, int,
					      int *);
	CURLMcode (*real_curl_multi_socket_all)(CURLM *, int *);
	/* the URL API (libcurl 7.62 and later; NULL before): request URLs
	   are read as the transport reads them */
	CURLU *(*real_curl_url)(void);
	void (*real_curl_url_cleanup)(CURLU *);
	CURLUcode (*real_curl_url_set)(CURLU *, CURLUPart, const char *,
				       unsigned int);
	CURLUcode (*real_curl_url_get)(const CURLU *, CURLUPart, char **,
				       unsigned int);
	void (*real_curl_free)(void *);
	/* raw connections (CURLOPT_CONNECT_ONLY), for the fleet store */
	CURLcode (*real_curl_easy_send)(CURL *, const void *, size_t, size_t *);
	CURLcode (*real_curl_easy_recv)(CURL *, void *, size_t, size_t *);
};

/* The real functions, or NULL when no libcurl can be found in the
   process (then libcurl.so.4 is dlopen'ed as a last resort). Resolution is
   retried until it succeeds, and then never again. */
const struct ts_curl *ts_real(void);

/* The hooks register their own addresses here so that a lookup that comes
   back to a hook (tokenshim loaded twice, or RTLD_NEXT landing on itself)
   is refused instead of recursing forever. */
void ts_real_set_hooks(void *const *hooks, int n);

/* The process's real dlopen (RTLD_NEXT), never the library's own hook.
   NULL, as dlopen, when it cannot be found. */
void *ts_real_dlopen(const char *file, int mode);

#endif
