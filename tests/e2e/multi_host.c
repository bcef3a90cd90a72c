/*
 * multi_host: the multi interface as careful programs use it, and as
 * careless ones do. Usage:
 *
 *   multi_host URL1 URL2 URL3 OTHER_URL EXPIRE_URL
 *
 * URL1..3 belong to a profile, OTHER_URL to none; a POST to EXPIRE_URL
 * makes the server forget every token, so that the cases marked (*) run
 * through a replay. Each case prints "<case>: ok" or what went wrong:
 *
 *   late-read*  perform until nothing runs, and only then read the
 *               messages (libcurl's own multi-app example does this),
 *               keeping every message pointer until all are read
 *   dup         a copy made with curl_easy_duphandle while the original
 *               is in the multi handle works on its own
 *   abandon     a handle removed before it ran works with easy perform
 *   cleanup*    a handle cleaned up while its message waits unread
 */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

#include "host.h"

#define N 4

static long code_of(CURL *h)
{
	long code = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static void expire(const char *url)
{
	CURL *h = host_handle(url);

	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	curl_easy_perform(h);
	curl_easy_cleanup(h);
}

static void run_all(CURLM *m)
{
	int running = 1;

	while(running) {
		curl_multi_perform(m, &running);
		if(running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
}

int main(int argc, char **argv)
{
	CURLMsg *msgs[N + 1];
	CURL *h[N], *dup;
	CURLM *m;
	int i, j, left, n = 0, bad = 0;

	if(argc != N + 2) {
		fprintf(stderr, "usage: multi_host URL1 URL2 URL3 OTHER_URL EXPIRE_URL\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();

	/* late-read */
	expire(argv[N + 1]);
	for(i = 0; i < N; i++) {
		h[i] = host_handle(argv[i + 1]);
		curl_multi_add_handle(m, h[i]);
	}
	run_all(m);
	while(n <= N && (msgs[n] = curl_multi_info_read(m, &left)))
		n++;
	if(n != N) {
		printf("late-read: %d messages for %d transfers\n", n, N);
		bad = 1;
	}
	for(i = 0; i < n && i < N; i++) {
		for(j = 0; j < i; j++)
			if(msgs[j]->easy_handle == msgs[i]->easy_handle)
				break;
		if(msgs[i]->msg != CURLMSG_DONE || j < i ||
		   msgs[i]->data.result != CURLE_OK ||
		   code_of(msgs[i]->easy_handle) != 200) {
			printf("late-read: message %d: result %d, HTTP %ld%s\n", i,
			       (int)msgs[i]->data.result,
			       code_of(msgs[i]->easy_handle),
			       j < i ? ", a second time" : "");
			bad = 1;
		}
	}
	if(!bad)
		printf("late-read: ok\n");
	for(i = 0; i < N; i++)
		curl_multi_remove_handle(m, h[i]);

	/* dup: the copy must not share the token's header list, which goes
	   away when the original's transfer ends */
	curl_multi_add_handle(m, h[0]);
	dup = curl_easy_duphandle(h[0]);
	run_all(m);
	while(curl_multi_info_read(m, &left))
		;
	curl_multi_remove_handle(m, h[0]);
	if(curl_easy_perform(dup) == CURLE_OK && code_of(dup) == 200)
		printf("dup: ok\n");
	else {
		printf("dup: HTTP %ld\n", code_of(dup));
		bad = 1;
	}
	curl_easy_cleanup(dup);

	/* abandon */
	curl_multi_add_handle(m, h[1]);
	curl_multi_remove_handle(m, h[1]);
	if(curl_easy_perform(h[1]) == CURLE_OK && code_of(h[1]) == 200)
		printf("abandon: ok\n");
	else {
		printf("abandon: HTTP %ld\n", code_of(h[1]));
		bad = 1;
	}

	/* cleanup: h[2]'s message waits while it is cleaned up */
	expire(argv[N + 1]);
	curl_multi_add_handle(m, h[2]);
	curl_multi_add_handle(m, h[3]);
	run_all(m);
	curl_easy_cleanup(h[2]);
	n = 0;
	while((msgs[0] = curl_multi_info_read(m, &left))) {
		if(msgs[0]->easy_handle != h[3]) {
			printf("cleanup: a message for a handle cleaned up\n");
			bad = 1;
		}
		n++;
	}
	if(n == 1)
		printf("cleanup: ok\n");
	else {
		printf("cleanup: %d messages\n", n);
		bad = 1;
	}
	curl_multi_remove_handle(m, h[3]);

	curl_easy_cleanup(h[0]);
	curl_easy_cleanup(h[1]);
	curl_easy_cleanup(h[3]);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return bad;
}
