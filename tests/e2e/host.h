/*
 * host.h: what the C test hosts share: a handle that throws its body
 * away, and one request driven through a multi handle the plain way
 * (add, perform and poll until nothing runs, read, remove).
 */
#ifndef TS_TEST_HOST_H
#define TS_TEST_HOST_H

#include <curl/curl.h>

static inline size_t host_discard(char *b, size_t size, size_t n, void *up)
{
	return size * n;
}

static inline CURL *host_handle(const char *url)
{
	CURL *h = curl_easy_init();

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, host_discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	return h;
}

/* h's result as curl_multi_info_read reported it. */
static inline CURLcode host_multi_once(CURLM *m, CURL *h)
{
	CURLcode result = CURLE_FAILED_INIT;
	CURLMsg *msg;
	int running = 1, left;

	if(curl_multi_add_handle(m, h) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while(running && curl_multi_perform(m, &running) == CURLM_OK)
		if(running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	while((msg = curl_multi_info_read(m, &left)))
		if(msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			result = msg->data.result;
	curl_multi_remove_handle(m, h);
	return result;
}

#endif
