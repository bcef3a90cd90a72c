/*
 * reuse_host: a handle that had a transfer of tokenshim's, then copied
 * and reused by the app. Usage:
 *
 *   reuse_host MATCHED_URL OTHER_URL REDIRECTING_URL
 *
 * After a matched transfer on h, the app copies h, points h's write data
 * elsewhere, then performs the copy: its body must reach the data the
 * copy was made with. Then it frees h and performs the copy again, which
 * must not reach anything of h's. Last, on a new handle, a header
 * callback points the handle's write data elsewhere in the middle of a
 * transfer that a redirect takes to another host: the body must reach the
 * new data (and the redirect must still be checked, which the test
 * script sees at the server). Prints "copy ok", "after cleanup ok" and
 * "midway ok", or what went wrong.
 */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

struct sink {
	size_t n;
};

static size_t to_sink(char *b, size_t size, size_t n, void *userp)
{
	((struct sink *)userp)->n += size * n;
	return size * n;
}

struct midway {
	CURL *h;
	struct sink *then;
};

/* the first header line of the transfer: from now on, write to then */
static size_t repoint(char *b, size_t size, size_t n, void *userp)
{
	struct midway *m = userp;

	if(m->then) {
		curl_easy_setopt(m->h, CURLOPT_WRITEDATA, m->then);
		m->then = NULL;
	}
	return size * n;
}

int main(int argc, char **argv)
{
	struct sink a = {0}, b = {0};
	CURL *h, *d;
	CURLcode rc;
	struct midway m;

	if(argc != 4) {
		fprintf(stderr, "usage: reuse_host MATCHED_URL OTHER_URL "
			"REDIRECTING_URL\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	rc = curl_easy_perform(h);
	if(rc != CURLE_OK || !a.n) {
		printf("matched transfer failed: %s\n", curl_easy_strerror(rc));
		return 1;
	}
	d = curl_easy_duphandle(h);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(d, CURLOPT_URL, argv[2]);
	a.n = b.n = 0;
	rc = curl_easy_perform(d);
	if(rc == CURLE_OK && a.n && !b.n)
		printf("copy ok\n");
	else
		printf("copy wrote to the wrong place: %zu, %zu (%s)\n", a.n, b.n,
		       curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	a.n = 0;
	rc = curl_easy_perform(d);
	if(rc == CURLE_OK && a.n)
		printf("after cleanup ok\n");
	else
		printf("after cleanup: %s\n", curl_easy_strerror(rc));
	curl_easy_cleanup(d);

	h = curl_easy_init();
	a.n = b.n = 0;
	m.h = h;
	m.then = &b;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, repoint);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &m);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_URL, argv[3]);
	rc = curl_easy_perform(h);
	if(rc == CURLE_OK && b.n && !a.n)
		printf("midway ok\n");
	else
		printf("midway: %zu, %zu (%s)\n", a.n, b.n, curl_easy_strerror(rc));
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
