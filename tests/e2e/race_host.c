/*
 * race_host: one request per URL, each on a thread of its own, all sent
 * at the same moment. Usage:
 *
 *   race_host URL...
 *
 * Prints one line per URL, in order: its HTTP status, or "error: ..."
 * when the transfer failed. Exits 0 when every request got a 200.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <curl/curl.h>

#include "host.h"

static pthread_barrier_t go;

struct racer {
	pthread_t tid;
	const char *url;
	CURLcode rc;
	long code;
};

static void *run(void *arg)
{
	struct racer *r = arg;
	CURL *h = host_handle(r->url);

	pthread_barrier_wait(&go);
	r->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(h);
	return NULL;
}

int main(int argc, char **argv)
{
	struct racer *r;
	int i, n = argc - 1, bad = 0;

	if(n < 1) {
		fprintf(stderr, "usage: race_host URL...\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = calloc((size_t)n, sizeof(*r));
	if(!r)
		return 2;
	pthread_barrier_init(&go, NULL, (unsigned)n);
	for(i = 0; i < n; i++) {
		r[i].url = argv[i + 1];
		pthread_create(&r[i].tid, NULL, run, &r[i]);
	}
	for(i = 0; i < n; i++)
		pthread_join(r[i].tid, NULL);
	for(i = 0; i < n; i++) {
		if(r[i].rc != CURLE_OK)
			printf("error: %s\n", curl_easy_strerror(r[i].rc));
		else
			printf("%ld\n", r[i].code);
		bad += r[i].rc != CURLE_OK || r[i].code != 200;
	}
	pthread_barrier_destroy(&go);
	free(r);
	curl_global_cleanup();
	return bad ? 1 : 0;
}
