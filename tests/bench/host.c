/*
 * host: the benchmark client. Sends N GETs to URL over one easy handle
 * (one keep-alive connection) and prints the nanoseconds per request. With
 * TOKEN it sets "token: TOKEN" itself, as an app would without tokenshim.
 * With RSS_EVERY it prints its resident size every that many requests.
 *
 * Usage: host URL N [TOKEN [RSS_EVERY]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if(f) {
		if(fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
	struct curl_slist *hdr = NULL;
	struct timespec t0, t1;
	long i, n, every = 0;
	char line[512];
	CURL *h;

	if(argc < 3)
		return 2;
	n = atol(argv[2]);
	if(argc > 3 && *argv[3]) {
		snprintf(line, sizeof(line), "token: %s", argv[3]);
		hdr = curl_slist_append(NULL, line);
	}
	if(argc > 4)
		every = atol(argv[4]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	if(hdr)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for(i = 1; i <= n; i++) {
		if(curl_easy_perform(h) != CURLE_OK) {
			fprintf(stderr, "host: request %ld failed\n", i);
			return 1;
		}
		if(every && i % every == 0)
			printf("rss %ld %ld\n", i, rss_kb());
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns_per_request %.0f\n",
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)n);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	curl_global_cleanup();
	return 0;
}
