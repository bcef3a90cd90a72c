/*
 * server: a minimal HTTP/1.1 keep-alive server for the benchmarks, in C so
 * that the server is never the bottleneck. Every request gets "200 OK"
 * with a 2-byte body. One thread per connection; it counts requests that
 * carried a "token:" header, and prints the count at /count.
 *
 * Usage: server PORT_FILE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static long with_token, total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *serve(void *arg)
{
	int fd = (int)(long)arg, one = 1;
	char buf[65536];
	size_t have = 0;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for(;;) {
		char *end;
		ssize_t n;

		while(!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			if(have == sizeof(buf))
				goto done;
			n = read(fd, buf + have, sizeof(buf) - have);
			if(n <= 0)
				goto done;
			have += (size_t)n;
		}
		{
			size_t hlen = (size_t)(end + 4 - buf);
			char reply[256];
			int tok = 0, len;
			char *p;

			for(p = buf; p < end; p++)
				if((p == buf || p[-1] == '\n') &&
				   !strncasecmp(p, "token:", 6))
					tok = 1;
			pthread_mutex_lock(&lock);
			total++;
			with_token += tok;
			pthread_mutex_unlock(&lock);
			if(!strncmp(buf, "GET /count", 10))
				len = snprintf(reply, sizeof(reply),
					       "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%ld %ld",
					       snprintf(NULL, 0, "%ld %ld", with_token, total),
					       with_token, total);
			else
				len = snprintf(reply, sizeof(reply),
					       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
			if(write(fd, reply, (size_t)len) != len)
				goto done;
			memmove(buf, buf + hlen, have - hlen);
			have -= hlen;
		}
	}
done:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	FILE *f;

	if(argc != 2)
		return 2;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if(bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 512) ||
	   getsockname(s, (struct sockaddr *)&a, &alen))
		return 1;
	f = fopen(argv[1], "w");
	if(!f)
		return 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	for(;;) {
		pthread_t t;
		int c = accept(s, NULL, NULL);

		if(c < 0)
			continue;
		pthread_create(&t, NULL, serve, (void *)(long)c);
		pthread_detach(t);
	}
}
