/*
 * thread_host: many threads, one engine. Usage:
 *
 *   thread_host URL THREADS REQUESTS
 *
 * Each thread makes REQUESTS requests to URL on handles of its own, kept
 * alive between requests: even threads reuse one easy handle, odd threads
 * one easy handle in a multi handle of their own. All threads start
 * together, so their first requests all want the profile's token at once.
 * Prints "ok N" when every request got a 200 with a body, else what went
 * wrong; built with -fsanitize=thread in CI.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "host.h"

static const char *url;
static int nreq;
static pthread_barrier_t go;

struct worker {
	pthread_t tid;
	int index;
	int ok;
	char why[200];
};

static size_t count(char *b, size_t size, size_t n, void *up)
{
	*(size_t *)up += size * n;
	return size * n;
}

/* One request on h, by curl_easy_perform or through m. */
static CURLcode run(CURL *h, CURLM *m)
{
	return m ? host_multi_once(m, h) : curl_easy_perform(h);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	CURLM *m = w->index % 2 ? curl_multi_init() : NULL;
	CURL *h = curl_easy_init();
	size_t body;
	long code;
	int i;

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, count);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	pthread_barrier_wait(&go);
	for(i = 0; i < nreq; i++) {
		CURLcode rc;

		body = 0;
		code = 0;
		rc = run(h, m);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if(rc != CURLE_OK || code != 200 || !body) {
			snprintf(w->why, sizeof(w->why),
				 "thread %d request %d: %s, HTTP %ld, %zu bytes",
				 w->index, i, curl_easy_strerror(rc), code, body);
			break;
		}
		w->ok++;
	}
	curl_easy_cleanup(h);
	if(m)
		curl_multi_cleanup(m);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *w;
	int n, i, total = 0, bad = 0;

	if(argc != 4) {
		fprintf(stderr, "usage: thread_host URL THREADS REQUESTS\n");
		return 2;
	}
	url = argv[1];
	n = atoi(argv[2]);
	nreq = atoi(argv[3]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	w = calloc(n, sizeof(*w));
	pthread_barrier_init(&go, NULL, n);
	for(i = 0; i < n; i++) {
		w[i].index = i;
		pthread_create(&w[i].tid, NULL, work, &w[i]);
	}
	for(i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		total += w[i].ok;
		if(w[i].why[0]) {
			printf("%s\n", w[i].why);
			bad = 1;
		}
	}
	pthread_barrier_destroy(&go);
	free(w);
	curl_global_cleanup();
	printf("ok %d\n", total);
	return bad;
}
