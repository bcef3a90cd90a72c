/*
 * forkfd_host: a child that closes every descriptor it inherited and
 * reuses the numbers for files of its own, as daemons do, then makes a
 * request. Usage:
 *
 *   forkfd_host URL_A URL_B DIR
 *
 * The parent requests URL_A (its profile's token comes from the fleet's
 * store, whose connection stays open), then forks. The child closes
 * descriptors 3..63, opens files in DIR until they hold those numbers
 * again, requests URL_B (another profile, from the store too) and checks
 * that each of its files is still the file it opened. Prints "parent ok",
 * "child ok" and "files ok", or what went wrong.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "host.h"

#define LOW 3
#define HIGH 64

static int get(const char *url)
{
	CURL *h = host_handle(url);
	long code = 0;
	CURLcode rc = curl_easy_perform(h);

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	return rc == CURLE_OK && code == 200 ? 0 : -1;
}

static int child(const char *url, const char *dir)
{
	ino_t ino[HIGH];
	char path[4096];
	int fd, bad = 0;

	for(fd = LOW; fd < HIGH; fd++)
		close(fd);
	for(fd = LOW; fd < HIGH; fd++) {
		struct stat sb;
		int got;

		snprintf(path, sizeof(path), "%s/f%d", dir, fd);
		got = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if(got != fd || fstat(got, &sb)) {
			printf("child: cannot reopen %d\n", fd);
			return 1;
		}
		ino[fd] = sb.st_ino;
	}
	if(get(url))
		printf("child request failed\n");
	else
		printf("child ok\n");
	for(fd = LOW; fd < HIGH; fd++) {
		struct stat sb;

		if(fstat(fd, &sb) || sb.st_ino != ino[fd] ||
		   write(fd, "x", 1) != 1) {
			printf("child: descriptor %d is no longer its file\n", fd);
			bad = 1;
		}
	}
	if(!bad)
		printf("files ok\n");
	fflush(stdout);
	return bad;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int status = 0;

	if(argc != 4) {
		fprintf(stderr, "usage: forkfd_host URL_A URL_B DIR\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if(get(argv[1])) {
		printf("parent request failed\n");
		return 1;
	}
	printf("parent ok\n");
	fflush(stdout);
	pid = fork();
	if(pid == 0)
		_exit(child(argv[2], argv[3]));
	if(pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	curl_global_cleanup();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
