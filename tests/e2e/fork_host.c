/*
 * fork_host: fork() after handles exist. Usage:
 *
 *   fork_host URL_A URL_B
 *
 * URL_A's profile has a token already when the process forks; URL_B's
 * login is under way in another thread at that moment (its server answers
 * logins slowly), so the child starts with a profile whose login it does
 * not own. Parent and child then each make requests on the handles they
 * share from before the fork (on fresh connections, since the sockets are
 * shared too) and on new ones. Each prints "parent ok" or "child ok", or
 * what failed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "host.h"

/* One request on h through m. 0 when it got a 200. */
static int via_multi(CURLM *m, CURL *h)
{
	long code = 0;

	if(host_multi_once(m, h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code == 200 ? 0 : -1;
}

static int via_easy(CURL *h)
{
	long code = 0;

	if(curl_easy_perform(h) != CURLE_OK)
		return -1;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code == 200 ? 0 : -1;
}

static void *slow_login(void *arg)
{
	CURL *h = arg;

	return (void *)(long)via_easy(h);
}

/* What each process does after the fork, on the old handles and a new
   one. */
static int after(const char *who, CURLM *m, CURL *a, const char *url_b)
{
	CURL *b = host_handle(url_b);
	int bad = 0;

	curl_easy_setopt(a, CURLOPT_FRESH_CONNECT, 1L);
	if(via_multi(m, a)) {
		printf("%s: the request on the old multi handle failed\n", who);
		bad = 1;
	}
	if(via_easy(b)) {
		printf("%s: the request to the profile whose login was under way failed\n",
		       who);
		bad = 1;
	}
	curl_easy_cleanup(b);
	if(!bad)
		printf("%s ok\n", who);
	fflush(stdout);
	return bad;
}

int main(int argc, char **argv)
{
	CURLM *m;
	CURL *a, *slow;
	pthread_t t;
	void *tr;
	pid_t pid;
	int st, bad;

	if(argc != 3) {
		fprintf(stderr, "usage: fork_host URL_A URL_B\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	a = host_handle(argv[1]);
	if(via_multi(m, a)) {
		printf("the first request failed\n");
		return 1;
	}
	slow = host_handle(argv[2]);
	pthread_create(&t, NULL, slow_login, slow);
	usleep(300 * 1000);	/* the thread is now inside URL_B's login */

	pid = fork();
	if(pid < 0) {
		perror("fork");
		return 1;
	}
	if(pid == 0)
		_exit(after("child", m, a, argv[2]));

	pthread_join(t, &tr);
	bad = tr != NULL;
	if(bad)
		printf("parent: the request in the thread failed\n");
	bad |= after("parent", m, a, argv[2]);
	if(waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("the child failed\n");
		bad = 1;
	}
	curl_easy_cleanup(slow);
	curl_easy_cleanup(a);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return bad;
}
