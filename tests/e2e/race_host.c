/*
 * race_host: one request per URL, each on a thread of its own, all sent
 * at the same moment. Usage:
 *
 *   race_host URL...
 *
 * Prints one line per URL, in order: its HTTP status, or "error: ..."
 * when the transfer failed. Exits 0 when every request got a 200.
 * With HOST_STACK_KB set, each thread gets a stack of that size (musl's
 * default is 128 KiB), so that the request path is run on a small one.
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
	{
		pthread_attr_t attr;
		const char *kb = getenv("HOST_STACK_KB");

		pthread_attr_init(&attr);
		if(kb && pthread_attr_setstacksize(&attr, (size_t)atol(kb) * 1024)) {
			fprintf(stderr, "race_host: bad HOST_STACK_KB %s\n", kb);
			return 2;
		}
		for(i = 0; i < n; i++) {
			r[i].url = argv[i + 1];
			if(pthread_create(&r[i].tid, &attr, run, &r[i])) {
				fprintf(stderr, "race_host: cannot start a thread\n");
				return 2;
			}
		}
		pthread_attr_destroy(&attr);
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
