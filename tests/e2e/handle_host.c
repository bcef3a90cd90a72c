/*
 * handle_host: one easy handle reused across matched and unmatched URLs,
 * with curl_easy_duphandle and curl_easy_reset, run under tokenshim exec.
 * The shell test asserts on what the server received for each step
 * (?h=1 ... ?h=5): the token only where the URL matches, the app's own
 * header wherever the app set it.
 *
 * Usage: handle_host MATCHED_URL UNMATCHED_URL
 */
#include <stdio.h>
#include <curl/curl.h>

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

static int run(CURL *h, const char *base, int step)
{
	char url[1024];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s?h=%d", base, step);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	rc = curl_easy_perform(h);
	if(rc != CURLE_OK)
		fprintf(stderr, "step %d: %s\n", step, curl_easy_strerror(rc));
	return rc != CURLE_OK;
}

int main(int argc, char **argv)
{
	struct curl_slist *app;
	CURL *h, *dup;
	int bad = 0;

	if(argc != 3) {
		fprintf(stderr, "usage: handle_host MATCHED_URL UNMATCHED_URL\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	app = curl_slist_append(NULL, "X-App: 1");
	h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, app);
	bad += run(h, argv[1], 1);	/* matched: token + X-App */
	bad += run(h, argv[2], 2);	/* unmatched: X-App only */
	curl_easy_setopt(h, CURLOPT_URL, argv[1]);
	dup = curl_easy_duphandle(h);
	bad += run(dup, argv[1], 3);	/* duplicate, matched: token + X-App */
	curl_easy_reset(h);
	bad += run(h, argv[2], 4);	/* after reset, unmatched: nothing */
	bad += run(h, argv[1], 5);	/* after reset, matched: token only */
	curl_easy_cleanup(dup);
	curl_easy_cleanup(h);
	curl_slist_free_all(app);
	curl_global_cleanup();
	return bad ? 1 : 0;
}
