/*
 * abuse_host: what programs do to handles in the middle of a transfer.
 * Usage:
 *
 *   abuse_host seturl URL NEWURL   adds a handle for URL to a multi
 *                                  handle, sets CURLOPT_URL = NEWURL while
 *                                  it is there, runs it, then runs the
 *                                  handle once more on its own
 *   abuse_host add URL OTHER       adds a new handle for OTHER to a multi
 *                                  handle of its own from inside the write
 *                                  callback of an easy transfer of URL,
 *                                  then runs that multi handle
 *   abuse_host forkload URL -      forks while another thread makes the
 *                                  process's first request (and so loads
 *                                  its config and providers); the child
 *                                  then makes its own request of URL
 *   abuse_host dup URL OTHER       copies the handle with
 *                                  curl_easy_duphandle from inside its
 *                                  write callback, during the transfer of
 *                                  URL; then runs the copy on OTHER and
 *                                  on URL
 *
 * Prints one HTTP status per transfer, or "error: ..."; exits 0 when each
 * transfer completed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "host.h"

static CURL *copy;
static CURLM *later;
static CURL *added;
static const char *other;

static size_t add_inside(char *b, size_t size, size_t n, void *up)
{
	if(!added) {
		added = host_handle(other);
		later = curl_multi_init();
		if(curl_multi_add_handle(later, added) != CURLM_OK)
			printf("error: add from a callback refused\n");
	}
	return size * n;
}

static size_t dup_inside(char *b, size_t size, size_t n, void *up)
{
	if(!copy)
		copy = curl_easy_duphandle((CURL *)up);
	return size * n;
}

static int report(CURL *h, CURLcode rc);

/* Runs the transfers of m, which holds h, to their end. */
static CURLcode run_multi(CURLM *m, CURL *h)
{
	CURLcode rc = CURLE_FAILED_INIT;
	int running = 1, left;
	CURLMsg *msg;

	while(running && curl_multi_perform(m, &running) == CURLM_OK)
		if(running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	while((msg = curl_multi_info_read(m, &left)))
		if(msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			rc = msg->data.result;
	return rc;
}

static void *first_request(void *url)
{
	CURL *h = host_handle(url);
	int *bad = malloc(sizeof(int));

	*bad = report(h, curl_easy_perform(h));
	curl_easy_cleanup(h);
	return bad;
}

static int report(CURL *h, CURLcode rc)
{
	long code = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if(rc != CURLE_OK) {
		printf("error: %s\n", curl_easy_strerror(rc));
		return 1;
	}
	printf("%ld\n", code);
	return 0;
}

int main(int argc, char **argv)
{
	struct curl_slist *hdrs = NULL;
	char url[1024];
	CURLM *m;
	CURL *h;
	int bad = 0;

	if(argc != 4 || (strcmp(argv[1], "seturl") && strcmp(argv[1], "dup") &&
			 strcmp(argv[1], "add") && strcmp(argv[1], "forkload"))) {
		fprintf(stderr, "usage: abuse_host seturl|add|forkload|dup URL OTHER\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	hdrs = curl_slist_append(hdrs, "X-App: 1");
	/* the URL lives in a buffer the app reuses, as programs do */
	snprintf(url, sizeof(url), "%s", argv[2]);
	h = host_handle(url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if(!strcmp(argv[1], "seturl")) {
		m = curl_multi_init();
		if(curl_multi_add_handle(m, h) != CURLM_OK)
			return 2;
		curl_easy_setopt(h, CURLOPT_URL, argv[3]);
		memset(url, 'x', strlen(url));
		bad += report(h, run_multi(m, h));
		curl_multi_remove_handle(m, h);
		curl_multi_cleanup(m);
		bad += report(h, curl_easy_perform(h));
	}
	else if(!strcmp(argv[1], "forkload")) {
		pthread_t t;
		void *res;
		int status = -1;
		pid_t pid;

		curl_easy_cleanup(h);
		h = NULL;
		pthread_create(&t, NULL, first_request, argv[2]);
		usleep(500 * 1000);
		pid = fork();
		if(pid == 0) {
			CURL *c = host_handle(argv[2]);
			int r = report(c, curl_easy_perform(c));

			fflush(stdout);
			_exit(r);
		}
		pthread_join(t, &res);
		bad += *(int *)res;
		free(res);
		waitpid(pid, &status, 0);
		bad += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	else if(!strcmp(argv[1], "add")) {
		other = argv[3];
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, add_inside);
		bad += report(h, curl_easy_perform(h));
		if(!added) {
			printf("error: no handle was added\n");
			return 1;
		}
		bad += report(added, run_multi(later, added));
		curl_multi_remove_handle(later, added);
		curl_multi_cleanup(later);
		curl_easy_cleanup(added);
	}
	else {
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dup_inside);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, h);
		bad += report(h, curl_easy_perform(h));
		if(!copy) {
			printf("error: no copy was made\n");
			return 1;
		}
		curl_easy_cleanup(h);
		h = NULL;
		curl_easy_setopt(copy, CURLOPT_WRITEFUNCTION, host_discard);
		curl_easy_setopt(copy, CURLOPT_URL, argv[3]);
		bad += report(copy, curl_easy_perform(copy));
		curl_easy_setopt(copy, CURLOPT_URL, argv[2]);
		bad += report(copy, curl_easy_perform(copy));
		curl_easy_cleanup(copy);
	}
	if(h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_global_cleanup();
	return bad ? 1 : 0;
}
