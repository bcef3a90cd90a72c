/*
 * socket_host: an event-loop program, as libevent or libuv users write
 * them: curl_multi_socket_action driven by its own poll() loop, with the
 * socket and timer callbacks. Every URL on the command line is one
 * transfer; all run at once. For each it prints, in argument order:
 *
 *   <index> <result> <http code> <status lines seen> <body bytes> <done count>
 *
 * "status lines seen" counts the responses the header callback saw, and
 * "done count" how often curl_multi_info_read reported the transfer: both
 * must be 1 whatever happened underneath. With -d DATA each request is a
 * POST of DATA.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#define MAXFD 256

struct xfer {
	CURL *h;
	long statuses;
	size_t body;
	int done;
	CURLcode result;
	long code;
};

static struct pollfd fds[MAXFD];
static int nfds;
static long timeout_ms = -1;

static int on_socket(CURL *e, curl_socket_t s, int what, void *up, void *sp)
{
	int i;

	for(i = 0; i < nfds && fds[i].fd != s; i++)
		;
	if(what == CURL_POLL_REMOVE) {
		if(i < nfds)
			fds[i] = fds[--nfds];
		return 0;
	}
	if(i == nfds) {
		if(nfds == MAXFD)
			return -1;
		fds[nfds++].fd = s;
	}
	fds[i].events = (what & CURL_POLL_IN ? POLLIN : 0) |
			(what & CURL_POLL_OUT ? POLLOUT : 0);
	return 0;
}

static int on_timer(CURLM *m, long ms, void *up)
{
	timeout_ms = ms;
	return 0;
}

static size_t on_body(char *b, size_t size, size_t n, void *up)
{
	((struct xfer *)up)->body += size * n;
	return size * n;
}

static size_t on_header(char *b, size_t size, size_t n, void *up)
{
	if(size * n > 5 && !memcmp(b, "HTTP/", 5))
		((struct xfer *)up)->statuses++;
	return size * n;
}

static void collect(CURLM *m, struct xfer *x, int nx)
{
	CURLMsg *msg;
	int left, i;

	while((msg = curl_multi_info_read(m, &left))) {
		if(msg->msg != CURLMSG_DONE)
			continue;
		for(i = 0; i < nx && x[i].h != msg->easy_handle; i++)
			;
		if(i == nx) {
			fprintf(stderr, "socket_host: a message for an unknown handle\n");
			exit(1);
		}
		x[i].done++;
		x[i].result = msg->data.result;
		curl_easy_getinfo(x[i].h, CURLINFO_RESPONSE_CODE, &x[i].code);
	}
}

int main(int argc, char **argv)
{
	const char *data = NULL;
	struct xfer *x;
	CURLM *m;
	int nx, i, running = 0, first = 1;

	if(argc > 2 && !strcmp(argv[1], "-d")) {
		data = argv[2];
		first = 3;
	}
	nx = argc - first;
	if(nx < 1) {
		fprintf(stderr, "usage: socket_host [-d DATA] URL...\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	x = calloc(nx, sizeof(*x));
	for(i = 0; i < nx; i++) {
		x[i].h = curl_easy_init();
		curl_easy_setopt(x[i].h, CURLOPT_URL, argv[first + i]);
		curl_easy_setopt(x[i].h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(x[i].h, CURLOPT_WRITEDATA, &x[i]);
		curl_easy_setopt(x[i].h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(x[i].h, CURLOPT_HEADERDATA, &x[i]);
		if(data)
			curl_easy_setopt(x[i].h, CURLOPT_POSTFIELDS, data);
		if(curl_multi_add_handle(m, x[i].h) != CURLM_OK) {
			fprintf(stderr, "socket_host: add_handle failed\n");
			return 1;
		}
	}
	/* the loop: wait for what the callbacks asked for, tell libcurl */
	do {
		int n = poll(fds, nfds, timeout_ms < 0 ? 1000 : (int)timeout_ms);

		if(n < 0) {
			perror("poll");
			return 1;
		}
		if(n == 0) {
			timeout_ms = -1;
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		else {
			struct pollfd ready[MAXFD];
			int nr = nfds, j;

			/* the callbacks may change fds while we go through it */
			memcpy(ready, fds, sizeof(ready[0]) * nr);
			for(j = 0; j < nr; j++) {
				int ev = 0;

				if(!ready[j].revents)
					continue;
				if(ready[j].revents & POLLIN)
					ev |= CURL_CSELECT_IN;
				if(ready[j].revents & POLLOUT)
					ev |= CURL_CSELECT_OUT;
				if(ready[j].revents & (POLLERR | POLLHUP))
					ev |= CURL_CSELECT_ERR;
				curl_multi_socket_action(m, ready[j].fd, ev,
							 &running);
			}
		}
		collect(m, x, nx);
	} while(running);
	collect(m, x, nx);

	for(i = 0; i < nx; i++) {
		printf("%d %d %ld %ld %zu %d\n", i, (int)x[i].result, x[i].code,
		       x[i].statuses, x[i].body, x[i].done);
		curl_multi_remove_handle(m, x[i].h);
		curl_easy_cleanup(x[i].h);
	}
	free(x);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
