/*
 * redis: the fleet backend. Machines that share a fleet key share one
 * entry per identity in a Redis server, so that one login serves them all.
 *
 * The wire: hiredis (linked statically, its symbols hidden) only encodes
 * commands and decodes replies; the bytes travel over a connection the
 * host's own libcurl opens (CURLOPT_CONNECT_ONLY, curl_easy_send/recv),
 * as every other request of tokenshim's does. So rediss:// works over
 * whatever TLS library the host loaded, with its CA handling and host
 * name checks, and hiredis 0.14's lack of TLS does not matter.
 *
 * Keys: PREFIX "e:" NAME holds the sealed entry, PREFIX "l:" NAME the
 * lease (a random owner id, SET NX PX, renewed by a thread of its own
 * while the login runs, given back with compare-and-delete), PREFIX "r:"
 * NAME a sealed note of a refused login. NAME is the store layer's keyed
 * hash of the identity; nothing here is readable without the fleet key.
 * Writes are scripts, so that a compare and its set are one step: an
 * entry is written only while nobody else holds its lease and its
 * generation is still the one the writer read.
 *
 * Every call is bounded by the store's timeout. A call that fails (no
 * answer, refused authentication, a primary that is gone) makes the
 * store skip every call for 30 s, said once per process; then it is
 * tried again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "curl/guard.h"
#include "curl/real.h"
#include "store/seal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/fork.h"
#include "util/log.h"
#include "util/str.h"

#define SKIP_MS 30000		/* how long a failed store is skipped */
#define MAX_HOSTS 8

struct rconn {
	CURL *h;		/* NULL: not connected */
	curl_socket_t fd;
	redisReader *rd;
	pid_t pid;		/* the process that opened it */
};

/* A forked child's copies of its parent's connections (see conn_close),
   kept where they can be found rather than freed. */
static struct {
	CURL *h;
	redisReader *rd;
} abandoned[16];

struct ts_lease {
	struct rstate *st;
	char key[192];
	char owner[33];
	long hold_ms;
	int dead;		/* given up in a forked child */
	pthread_t thread;	/* renews the lease while the login runs */
	int have_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct ts_lease *next;
};

struct rstate {
	char shown[512];	/* the URL as it may be said: no password */
	int tls, sentinel;
	char user[128];
	char *pass;		/* NULL: no AUTH */
	struct {
		char host[256];
		int port;
	} hosts[MAX_HOSTS];	/* the server, or the sentinels */
	int nhosts;
	char master[128];	/* the sentinels' name for the primary */
	int db;
	char prefix[96];
	long timeout_ms;
	char ca_file[1024];

	pthread_mutex_t lock;	/* guards everything below */
	struct rconn c;
	long skip_until;	/* ts_now_ms(): skipped until then */
	int said;		/* the failure line was said */
	int down;		/* the last call failed */
	char why[256];		/* the last failure */
	char primary[300];	/* host:port the sentinels named */
	struct ts_lease *leases;	/* held in this process */
	struct rstate *next_state;
};

/* Every open state, so that a fork finds them. */
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rstate *states;

/* A fork waits for the list of states, never for a call in progress
   (which holds its state's lock and may be inside libcurl, whose calls
   reach the hooks and their locks). The child starts with fresh locks
   and leaves its parent's connections alone: conn_close sees the other
   pid. The leases and their renewing threads are the parent's. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&states_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&states_lock);
}

static void fork_child(void)
{
	struct rstate *s;
	struct ts_lease *l;

	pthread_mutex_unlock(&states_lock);	/* this thread took it */
	for(s = states; s; s = s->next_state) {
		pthread_mutex_init(&s->lock, NULL);
		for(l = s->leases; l; l = l->next) {
			l->dead = 1;
			l->have_thread = 0;
			pthread_mutex_init(&l->mu, NULL);
			pthread_cond_init(&l->cv, NULL);
		}
	}
}

static struct ts_fork_hooks fork_hooks = { fork_prepare, fork_parent,
					   fork_child, 0 };
TS_FORK_AT_LOAD(fork_hooks)

/* ---- the URL -------------------------------------------------------- */

static int parse_hostport(const char *s, size_t n, int defport, char *host,
			  size_t hostlen, int *port)
{
	const char *colon;
	char *end;
	long v;

	if(!n)
		return -1;
	if(s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if(!rb || (size_t)(rb - s - 1) >= hostlen || rb == s + 1)
			return -1;
		snprintf(host, hostlen, "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb + 1 < s + n ? rb + 1 : NULL;
		if(colon && *colon != ':')
			return -1;
	}
	else {
		colon = memchr(s, ':', n);
		if((size_t)((colon ? colon : s + n) - s) >= hostlen ||
		   colon == s)
			return -1;
		snprintf(host, hostlen, "%.*s", (int)((colon ? colon : s + n) - s), s);
	}
	*port = defport;
	if(colon) {
		char num[8];
		size_t len = (size_t)(s + n - colon - 1);

		if(!len || len >= sizeof(num))
			return -1;
		memcpy(num, colon + 1, len);
		num[len] = '\0';
		errno = 0;
		v = strtol(num, &end, 10);
		if(*end || errno || v < 1 || v > 65535)
			return -1;
		*port = (int)v;
	}
	return host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")] ? -1 : 0;
}

/* Reads url into st. Returns 0, or -1 with a message. */
static int parse_url(const char *url, struct rstate *st, char *err,
		     size_t errlen)
{
	const char *p, *at, *path, *hosts;
	int defport = 6379;

	if(!strncmp(url, "redis://", 8))
		p = url + 8;
	else if(!strncmp(url, "rediss://", 9)) {
		p = url + 9;
		st->tls = 1;
	}
	else if(!strncmp(url, "redis-sentinel://", 17)) {
		p = url + 17;
		st->sentinel = 1;
		defport = 26379;
	}
	else {
		snprintf(err, errlen, "store must be none or a redis://, rediss:// "
			 "or redis-sentinel:// URL");
		return -1;
	}
	path = p + strcspn(p, "/?#");
	if(*path == '?' || *path == '#') {
		snprintf(err, errlen, "store: a query or fragment is not allowed");
		return -1;
	}
	at = memchr(p, '@', (size_t)(path - p));
	if(at) {
		if(memchr(p, ':', (size_t)(at - p))) {
			snprintf(err, errlen, "store: no password in the URL; use "
				 "store_password_file, _env or _cmd");
			return -1;
		}
		if((size_t)(at - p) >= sizeof(st->user) || at == p) {
			snprintf(err, errlen, "store: bad user name");
			return -1;
		}
		snprintf(st->user, sizeof(st->user), "%.*s", (int)(at - p), p);
		hosts = at + 1;
	}
	else
		hosts = p;
	while(hosts < path) {
		const char *comma = memchr(hosts, ',', (size_t)(path - hosts));
		const char *end = comma ? comma : path;

		if(st->nhosts == MAX_HOSTS || (!st->sentinel && st->nhosts) ||
		   parse_hostport(hosts, (size_t)(end - hosts), defport,
				  st->hosts[st->nhosts].host,
				  sizeof(st->hosts[0].host),
				  &st->hosts[st->nhosts].port)) {
			snprintf(err, errlen, st->sentinel ?
				 "store: bad sentinel list (host[:port],..., at most 8)" :
				 "store: bad host or port");
			return -1;
		}
		st->nhosts++;
		hosts = comma ? comma + 1 : path;
	}
	if(!st->nhosts) {
		snprintf(err, errlen, "store: the URL names no host");
		return -1;
	}
	if(st->sentinel) {
		size_t n = *path ? strcspn(path + 1, "/") : 0;

		if(!n || n >= sizeof(st->master)) {
			snprintf(err, errlen, "store: redis-sentinel:// needs the "
				 "primary's name: redis-sentinel://host:26379,.../NAME");
			return -1;
		}
		snprintf(st->master, sizeof(st->master), "%.*s", (int)n, path + 1);
		path += 1 + n;
	}
	if(*path == '/' && path[1]) {
		char *end;
		long v;

		errno = 0;
		v = strtol(path + 1, &end, 10);
		if(*end || errno || v < 0 || v > 10000 || end == path + 1) {
			snprintf(err, errlen, "store: the database must be a number, "
				 "as in redis://host:6379/0");
			return -1;
		}
		st->db = (int)v;
	}
	snprintf(st->shown, sizeof(st->shown), "%s", url);
	return 0;
}

int ts_store_redis_check_url(const char *url, char *err, size_t errlen)
{
	struct rstate *st = calloc(1, sizeof(*st));
	int rc;

	if(!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = parse_url(url, st, err, errlen);
	free(st);
	return rc;
}

/* ---- one connection ------------------------------------------------- */

static void conn_close(struct rconn *c)
{
	const struct ts_curl *r = ts_real();

	if(c->h && c->pid != getpid()) {
		/* the parent's connection, in a child: another thread may
		   have been in the middle of it, whatever libcurl says on
		   closing (a TLS close_notify) would reach the parent's peer,
		   and its descriptor may be one the child has reused. It is
		   kept as it is, and never used again. */
		size_t i;

		for(i = 0; i < sizeof(abandoned) / sizeof(abandoned[0]); i++)
			if(!abandoned[i].h) {
				abandoned[i].h = c->h;
				abandoned[i].rd = c->rd;
				break;
			}
		memset(c, 0, sizeof(*c));
		c->fd = CURL_SOCKET_BAD;
		return;
	}
	if(c->h && r)
		r->real_curl_easy_cleanup(c->h);
	if(c->rd)
		redisReaderFree(c->rd);
	memset(c, 0, sizeof(*c));
	c->fd = CURL_SOCKET_BAD;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(curl_socket_t fd, short events, long deadline)
{
	struct pollfd pfd;
	long left = deadline - ts_now_ms();
	int n;

	if(left <= 0)
		return -1;
	pfd.fd = fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, (int)left);
	while(n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

static int conn_send(struct rconn *c, const char *p, size_t n, long deadline,
		     char *err, size_t errlen)
{
	const struct ts_curl *r = ts_real();

	while(n) {
		size_t sent = 0;
		CURLcode cc = r->real_curl_easy_send(c->h, p, n, &sent);

		if(cc == CURLE_AGAIN) {
			if(wait_fd(c->fd, POLLOUT, deadline)) {
				snprintf(err, errlen, "no answer in time");
				return -1;
			}
			continue;
		}
		if(cc != CURLE_OK) {
			snprintf(err, errlen, "%s", r->real_curl_easy_strerror(cc));
			return -1;
		}
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Reads one reply into *out (free with freeReplyObject). */
static int conn_reply(struct rconn *c, long deadline, redisReply **out,
		      char *err, size_t errlen)
{
	const struct ts_curl *r = ts_real();
	char buf[16384];
	void *rep = NULL;

	for(;;) {
		size_t got = 0;
		CURLcode cc;

		if(redisReaderGetReply(c->rd, &rep) != REDIS_OK) {
			snprintf(err, errlen, "unreadable answer (%s)", c->rd->errstr);
			return -1;
		}
		if(rep) {
			*out = rep;
			return 0;
		}
		cc = r->real_curl_easy_recv(c->h, buf, sizeof(buf), &got);
		if(cc == CURLE_AGAIN) {
			if(wait_fd(c->fd, POLLIN, deadline)) {
				snprintf(err, errlen, "no answer in time");
				return -1;
			}
			continue;
		}
		if(cc != CURLE_OK || !got) {
			snprintf(err, errlen, "%s", cc != CURLE_OK ?
				 r->real_curl_easy_strerror(cc) :
				 "the server closed the connection");
			return -1;
		}
		if(redisReaderFeed(c->rd, buf, got) != REDIS_OK) {
			snprintf(err, errlen, "unreadable answer");
			return -1;
		}
	}
}

/* Sends one command and reads its reply. */
static int conn_cmd(struct rconn *c, int argc, const char **argv,
		    const size_t *lens, long deadline, redisReply **out,
		    char *err, size_t errlen)
{
	char *cmd = NULL;
	long n = redisFormatCommandArgv(&cmd, argc, argv, lens);
	int rc;

	if(n < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = conn_send(c, cmd, (size_t)n, deadline, err, errlen);
	ts_wipe(cmd, (size_t)n);	/* AUTH and entries pass here */
	redisFreeCommand(cmd);
	return rc ? rc : conn_reply(c, deadline, out, err, errlen);
}

static int conn_cmd_ok(struct rconn *c, int argc, const char **argv,
		       long deadline, const char *what, char *err, size_t errlen)
{
	size_t lens[8];
	redisReply *rep = NULL;
	int i, rc = -1;

	for(i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if(conn_cmd(c, argc, argv, lens, deadline, &rep, err, errlen))
		return -1;
	if(rep->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "%s refused: %.200s", what, rep->str);
	else
		rc = 0;
	freeReplyObject(rep);
	return rc;
}

/* Opens a plain TCP or TLS connection to host:port through libcurl. */
static int conn_open(struct rstate *st, struct rconn *c, const char *host,
		     int port, int tls, long deadline, char *err, size_t errlen)
{
	const struct ts_curl *r = ts_real();
	char url[320];
	long left = deadline - ts_now_ms();
	CURLcode cc;

	memset(c, 0, sizeof(*c));
	c->fd = CURL_SOCKET_BAD;
	if(!r || !r->real_curl_easy_send || !r->real_curl_easy_recv) {
		snprintf(err, errlen, "this libcurl cannot open a raw connection");
		return -1;
	}
	if(left <= 0) {
		snprintf(err, errlen, "no answer in time");
		return -1;
	}
	c->h = r->real_curl_easy_init();
	c->rd = redisReaderCreate();
	c->pid = getpid();
	if(!c->h || !c->rd) {
		conn_close(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof(url), strchr(host, ':') ? "%s://[%s]:%d/" :
		 "%s://%s:%d/", tls ? "https" : "http", host, port);
	r->real_curl_easy_setopt(c->h, CURLOPT_URL, url);
	r->real_curl_easy_setopt(c->h, CURLOPT_CONNECT_ONLY, 1L);
	r->real_curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	r->real_curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, left);
	r->real_curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, left);
	/* Redis is never behind the app's HTTP proxy */
	r->real_curl_easy_setopt(c->h, CURLOPT_PROXY, "");
	if(tls) {
		r->real_curl_easy_setopt(c->h, CURLOPT_SSL_ENABLE_ALPN, 0L);
		if(st->ca_file[0])
			r->real_curl_easy_setopt(c->h, CURLOPT_CAINFO, st->ca_file);
	}
	cc = ts_guard_perform(r, c->h);
	if(cc == CURLE_OK)
		cc = r->real_curl_easy_getinfo(c->h, CURLINFO_ACTIVESOCKET, &c->fd);
	if(cc != CURLE_OK || c->fd == CURL_SOCKET_BAD) {
		snprintf(err, errlen, "cannot connect to %s:%d: %s%s", host, port,
			 r->real_curl_easy_strerror(cc),
			 tls && (cc == CURLE_PEER_FAILED_VERIFICATION ||
				 cc == CURLE_SSL_CACERT_BADFILE) ?
			 " (is store_ca_file right?)" : "");
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Authenticates and selects the database on a fresh connection. */
static int conn_login(struct rstate *st, struct rconn *c, long deadline,
		      char *err, size_t errlen)
{
	char db[16];
	const char *argv[3];

	if(st->pass) {
		int n = 0;

		argv[n++] = "AUTH";
		if(st->user[0])
			argv[n++] = st->user;
		argv[n++] = st->pass;
		if(conn_cmd_ok(c, n, argv, deadline, "authentication", err,
			       errlen))
			return -1;
	}
	if(st->db) {
		snprintf(db, sizeof(db), "%d", st->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if(conn_cmd_ok(c, 2, argv, deadline, "SELECT", err, errlen))
			return -1;
	}
	return 0;
}

/* Asks the sentinels, in turn, where the primary is. */
static int ask_sentinels(struct rstate *st, char *host, size_t hostlen,
			 int *port, long deadline, char *err, size_t errlen)
{
	const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", st->master };
	size_t lens[3];
	int i;

	lens[0] = 8;
	lens[1] = strlen(argv[1]);
	lens[2] = strlen(argv[2]);
	snprintf(err, errlen, "no sentinel answered");
	for(i = 0; i < st->nhosts; i++) {
		struct rconn sc;
		redisReply *rep = NULL;
		int ok = 0;

		if(conn_open(st, &sc, st->hosts[i].host, st->hosts[i].port,
			     st->tls, deadline, err, errlen))
			continue;
		if(!conn_cmd(&sc, 3, argv, lens, deadline, &rep, err, errlen)) {
			if(rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
			   rep->element[0]->type == REDIS_REPLY_STRING &&
			   rep->element[1]->type == REDIS_REPLY_STRING &&
			   rep->element[0]->len < hostlen) {
				snprintf(host, hostlen, "%s", rep->element[0]->str);
				*port = atoi(rep->element[1]->str);
				ok = *port > 0;
			}
			else
				snprintf(err, errlen, "the sentinels know no primary "
					 "named %s", st->master);
			freeReplyObject(rep);
		}
		conn_close(&sc);
		if(ok)
			return 0;
	}
	return -1;
}

/* Checks that a server the sentinels named is still the primary: after
   a failover they may answer with the old one for a moment. */
static int is_primary(struct rconn *c, long deadline, char *err,
		      size_t errlen)
{
	const char *argv[1] = { "ROLE" };
	size_t lens[1] = { 4 };
	redisReply *rep = NULL;
	int ok;

	if(conn_cmd(c, 1, argv, lens, deadline, &rep, err, errlen))
		return 0;
	ok = rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
	     rep->element[0]->type == REDIS_REPLY_STRING &&
	     !strcmp(rep->element[0]->str, "master");
	if(!ok)
		snprintf(err, errlen, "the server the sentinels named is no "
			 "primary (yet)");
	freeReplyObject(rep);
	return ok;
}

/* Opens a connection to the store's primary, authenticated. primary,
   when given, receives host:port of the one the sentinels named. Reads
   only what st is opened with, so a lease's renewer may call it without
   st's lock. */
static int connect_store(struct rstate *st, struct rconn *c, long deadline,
			 char *primary, size_t plen, char *err, size_t errlen)
{
	char host[256];
	int port;

	if(!st->sentinel) {
		if(conn_open(st, c, st->hosts[0].host, st->hosts[0].port, st->tls,
			     deadline, err, errlen))
			return -1;
	}
	else {
		if(ask_sentinels(st, host, sizeof(host), &port, deadline, err,
				 errlen) ||
		   conn_open(st, c, host, port, st->tls, deadline, err, errlen))
			return -1;
		if(primary)
			snprintf(primary, plen, "%s:%d", host, port);
	}
	if(conn_login(st, c, deadline, err, errlen) ||
	   (st->sentinel && !is_primary(c, deadline, err, errlen))) {
		conn_close(c);
		return -1;
	}
	return 0;
}

/* ---- calls on the store's connection -------------------------------- */

/* A failure: the store is skipped for SKIP_MS, which is said once. The
   caller holds st->lock. */
static void failed(struct rstate *st, const char *why)
{
	conn_close(&st->c);
	st->skip_until = ts_now_ms() + SKIP_MS;
	st->down = 1;
	snprintf(st->why, sizeof(st->why), "%s", why);
	if(!st->said) {
		st->said = 1;
		ts_log("store %s: %s; skipping it for %d s", st->shown, why,
		       SKIP_MS / 1000);
	}
	else
		ts_debug("store %s: %s; skipping it for %d s", st->shown, why,
			 SKIP_MS / 1000);
}

/* Errors after which another connection (to the new primary, for a
   sentinel-managed store) may succeed where this one failed. */
static int moved(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ERROR &&
	       (!strncmp(rep->str, "READONLY", 8) ||
		!strncmp(rep->str, "LOADING", 7) ||
		!strncmp(rep->str, "MASTERDOWN", 10));
}

/* Runs one command on the store's connection, opening it when needed.
   TS_STORE_OK with *out (a reply that may be an error reply the caller
   reads), or TS_STORE_FAIL. */
static int call(struct rstate *st, int argc, const char **argv,
		const size_t *lens, redisReply **out)
{
	char err[256];
	long deadline = ts_now_ms() + st->timeout_ms;
	int tries;

	*out = NULL;
	pthread_mutex_lock(&st->lock);
	if(ts_now_ms() < st->skip_until) {
		pthread_mutex_unlock(&st->lock);
		return TS_STORE_FAIL;
	}
	for(tries = 0; tries < 2; tries++) {
		if(st->c.h && st->c.pid != getpid())
			conn_close(&st->c);
		if(!st->c.h && connect_store(st, &st->c, deadline, st->primary,
					     sizeof(st->primary), err, sizeof(err)))
			break;
		if(conn_cmd(&st->c, argc, argv, lens, deadline, out, err,
			    sizeof(err))) {
			conn_close(&st->c);
			/* a connection the server dropped while idle is
			   opened once more; a timeout is not retried */
			if(ts_now_ms() >= deadline)
				break;
			continue;
		}
		if(!moved(*out)) {
			if(st->down) {
				st->down = 0;
				ts_debug("store %s: reachable again", st->shown);
			}
			pthread_mutex_unlock(&st->lock);
			return TS_STORE_OK;
		}
		snprintf(err, sizeof(err), "%.200s", (*out)->str);
		freeReplyObject(*out);
		*out = NULL;
		conn_close(&st->c);
		if(!st->sentinel)
			break;
	}
	failed(st, err);
	pthread_mutex_unlock(&st->lock);
	return TS_STORE_FAIL;
}

/* The server answered a command the store needs with an error (an ACL
   that does not permit it, a full memory): as a failure, said once in
   the server's words, and rep is freed. */
static void refused(struct rstate *st, const char *what, redisReply *rep)
{
	char why[300];

	snprintf(why, sizeof(why), "%s refused: %.200s", what,
		 rep->type == REDIS_REPLY_ERROR ? rep->str : "an unexpected answer");
	freeReplyObject(rep);
	pthread_mutex_lock(&st->lock);
	failed(st, why);
	pthread_mutex_unlock(&st->lock);
}

static void key_of(const struct rstate *st, char kind, const char *name,
		   char *out, size_t len)
{
	snprintf(out, len, "%s%c:%s", st->prefix, kind, name);
}

/* ---- the backend's slots -------------------------------------------- */

/* GETs the key of kind for name into *out, at most max bytes. */
static int get_kind(struct rstate *st, char kind, const char *name,
		    size_t max, struct ts_blob *out)
{
	char key[192];
	const char *argv[2] = { "GET", key };
	size_t lens[2];
	redisReply *rep;
	int rc = TS_STORE_MISS;

	key_of(st, kind, name, key, sizeof(key));
	lens[0] = 3;
	lens[1] = strlen(key);
	if(call(st, 2, argv, lens, &rep) != TS_STORE_OK)
		return TS_STORE_FAIL;
	if(rep->type == REDIS_REPLY_STRING && rep->len <= max) {
		out->p = malloc(rep->len ? rep->len : 1);
		if(out->p) {
			memcpy(out->p, rep->str, rep->len);
			out->len = rep->len;
			rc = TS_STORE_OK;
		}
		else
			rc = TS_STORE_FAIL;
	}
	else if(rep->type == REDIS_REPLY_ERROR) {
		refused(st, "GET", rep);
		return TS_STORE_FAIL;
	}
	if(rep->type == REDIS_REPLY_STRING)
		ts_wipe(rep->str, rep->len);
	freeReplyObject(rep);
	return rc;
}

static int r_get(void *state, const char *name, struct ts_blob *out)
{
	return get_kind(state, 'e', name, TS_BLOB_MAX, out);
}

/* The generation an entry's first bytes carry, as the scripts compare
   it: 8 bytes, big-endian; "" for none. */
static size_t gen_bytes(uint64_t gen, char out[8])
{
	int i;

	if(!gen)
		return 0;
	for(i = 7; i >= 0; i--, gen >>= 8)
		out[i] = (char)(gen & 0xff);
	return 8;
}

/* What the scripts read of an entry: the generation of a blob of this
   format, else none. */
#define LUA_GEN \
	"local v = redis.call('GET', KEYS[1]) " \
	"local g = '' " \
	"if v and string.sub(v, 1, 4) == 'TSC3' then g = string.sub(v, 5, 12) end "

/* KEYS: entry, lease. ARGV: our lease's owner (or ""), the generation
   expected, the blob, its time to live. -1: another holds the lease;
   -2: the generation moved. */
static const char put_lua[] =
	"local l = redis.call('GET', KEYS[2]) "
	"if l and l ~= ARGV[1] then return -1 end "
	LUA_GEN
	"if g ~= ARGV[2] then return -2 end "
	"redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) "
	"return 1";

/* KEYS: entry. ARGV: the generation expected. */
static const char remove_lua[] =
	LUA_GEN
	"if not v then return 1 end "
	"if g ~= ARGV[1] then return -2 end "
	"redis.call('DEL', KEYS[1]) "
	"return 1";

/* KEYS: lease. ARGV: owner, hold. */
static const char renew_lua[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then "
	"return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
static const char release_lua[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then "
	"return redis.call('DEL', KEYS[1]) end return 0";

/* The owner id of our live lease on name, or "". The caller holds
   st->lock. */
static const char *our_owner(struct rstate *st, const char *lkey)
{
	struct ts_lease *l;

	for(l = st->leases; l; l = l->next)
		if(!l->dead && !strcmp(l->key, lkey))
			return l->owner;
	return "";
}

/* Runs one of the scripts above with its keys and arguments (args[0]
   .. args[nkeys - 1] are keys), on c when given (a renewer's own
   connection), else on the store's. 0 with the script's answer in *v,
   or -1: the store failed, or refused (said, as for any command). */
static int eval(struct rstate *st, struct rconn *c, const char *what,
		const char *lua, int nkeys, int nargs, const char **args,
		const size_t *lens, long long *v)
{
	char nk[4], err[256];
	const char *argv[3 + 6];
	size_t alens[3 + 6];
	redisReply *rep = NULL;
	int i;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVAL";
	argv[1] = lua;
	argv[2] = nk;
	alens[0] = 4;
	alens[1] = strlen(lua);
	alens[2] = strlen(nk);
	for(i = 0; i < nargs; i++) {
		argv[3 + i] = args[i];
		alens[3 + i] = lens ? lens[i] : strlen(args[i]);
	}
	if(c) {
		if(conn_cmd(c, 3 + nargs, argv, alens, ts_now_ms() + st->timeout_ms,
			    &rep, err, sizeof(err))) {
			ts_debug("store %s: %s: %s", st->shown, what, err);
			return -1;
		}
		if(rep->type != REDIS_REPLY_INTEGER) {
			ts_debug("store %s: %s: %.200s", st->shown, what,
				 rep->type == REDIS_REPLY_ERROR ? rep->str :
				 "an unexpected answer");
			freeReplyObject(rep);
			return -1;
		}
	}
	else {
		if(call(st, 3 + nargs, argv, alens, &rep) != TS_STORE_OK)
			return -1;
		if(rep->type != REDIS_REPLY_INTEGER) {
			refused(st, what, rep);
			return -1;
		}
	}
	*v = rep->integer;
	freeReplyObject(rep);
	return 0;
}

static int r_put(void *state, const char *name, uint64_t gen,
		 const struct ts_blob *in, long ttl_s)
{
	struct rstate *st = state;
	char ekey[192], lkey[192], owner[33], g[8], ttl[24];
	const char *args[6] = { ekey, lkey, owner, g, (const char *)in->p, ttl };
	size_t lens[6];
	long long v;

	key_of(st, 'e', name, ekey, sizeof(ekey));
	key_of(st, 'l', name, lkey, sizeof(lkey));
	pthread_mutex_lock(&st->lock);
	snprintf(owner, sizeof(owner), "%s", our_owner(st, lkey));
	pthread_mutex_unlock(&st->lock);
	snprintf(ttl, sizeof(ttl), "%ld", (ttl_s > 0 ? ttl_s : 86400) * 1000L);
	lens[0] = strlen(ekey);
	lens[1] = strlen(lkey);
	lens[2] = strlen(owner);
	lens[3] = gen_bytes(gen, g);
	lens[4] = in->len;
	lens[5] = strlen(ttl);
	if(eval(st, NULL, "writing an entry", put_lua, 2, 6, args, lens, &v))
		return TS_STORE_FAIL;
	return v == 1 ? TS_STORE_OK : TS_STORE_CONFLICT;
}

static int r_remove(void *state, const char *name, uint64_t gen)
{
	struct rstate *st = state;
	char ekey[192], g[8];
	const char *args[2] = { ekey, g };
	size_t lens[2];
	long long v;

	key_of(st, 'e', name, ekey, sizeof(ekey));
	lens[0] = strlen(ekey);
	lens[1] = gen_bytes(gen, g);
	if(eval(st, NULL, "removing an entry", remove_lua, 1, 2, args, lens, &v))
		return TS_STORE_FAIL;
	return v == 1 ? TS_STORE_OK : TS_STORE_CONFLICT;
}

/* Runs a lease script (renew or release) on c, or the store's connection. */
static int lease_script(struct rstate *st, struct rconn *c, const char *lua,
			const struct ts_lease *l, long long *v)
{
	char hold[24];
	const char *args[3] = { l->key, l->owner, hold };

	snprintf(hold, sizeof(hold), "%ld", l->hold_ms);
	return eval(st, c, c ? "renewing a lease" : "giving a lease back", lua, 1,
		    3, args, NULL, v);
}

/* Renews l every third of its hold until told to stop, on a connection
   of its own: the store's may be busy with a waiter's poll. */
static void *renewer(void *arg)
{
	struct ts_lease *l = arg;
	struct rstate *st = l->st;
	struct rconn c;
	int open = 0;

	memset(&c, 0, sizeof(c));
	pthread_mutex_lock(&l->mu);
	for(;;) {
		struct timespec until;
		long long v = 0;
		long ms = l->hold_ms / 3;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if(until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while(!l->stop &&
		      pthread_cond_timedwait(&l->cv, &l->mu, &until) != ETIMEDOUT)
			;
		if(l->stop)
			break;
		pthread_mutex_unlock(&l->mu);
		if(!open) {
			char err[256];

			open = !connect_store(st, &c, ts_now_ms() + st->timeout_ms,
					      NULL, 0, err, sizeof(err));
			if(!open)
				ts_debug("store %s: renewing a lease: %s", st->shown,
					 err);
		}
		if(open && lease_script(st, &c, renew_lua, l, &v)) {
			conn_close(&c);
			open = 0;
		}
		else if(open && v != 1)
			ts_debug("store %s: a lease ran out before its login ended",
				 st->shown);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	if(open)
		conn_close(&c);
	return NULL;
}

/* A lease owner no other holder has: 16 random bytes in hex. 0, or -1. */
static int new_owner(char out[33])
{
	unsigned char r[16];
	size_t i;

	if(ts_seal_random(r, sizeof(r)))
		return -1;
	for(i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int r_lease(void *state, const char *name, long wait_ms, long hold_ms,
		   struct ts_lease **out)
{
	struct rstate *st = state;
	struct ts_lease *l = calloc(1, sizeof(*l));
	char px[24];
	const char *argv[6];
	size_t lens[6];
	long deadline = ts_now_ms() + wait_ms;
	unsigned seed = (unsigned)getpid() ^ (unsigned)ts_now_ms();

	if(!l)
		return TS_STORE_FAIL;
	if(new_owner(l->owner)) {
		free(l);
		return TS_STORE_FAIL;
	}
	l->st = st;
	l->hold_ms = hold_ms > 0 ? hold_ms : 16000;
	key_of(st, 'l', name, l->key, sizeof(l->key));
	snprintf(px, sizeof(px), "%ld", l->hold_ms);
	argv[0] = "SET";
	argv[1] = l->key;
	argv[2] = l->owner;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = px;
	for(int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	for(;;) {
		redisReply *rep;
		int got;
		long left, nap;

		if(call(st, 6, argv, lens, &rep) != TS_STORE_OK) {
			free(l);
			return TS_STORE_FAIL;
		}
		if(rep->type == REDIS_REPLY_ERROR) {
			/* nobody holds it: it cannot be taken at all */
			refused(st, "taking a lease", rep);
			free(l);
			return TS_STORE_FAIL;
		}
		got = rep->type == REDIS_REPLY_STATUS;
		freeReplyObject(rep);
		if(got)
			break;
		left = deadline - ts_now_ms();
		if(left <= 0) {
			free(l);
			return TS_STORE_BUSY;
		}
		/* the holder's result comes when it gives the lease back;
		   waiters poll, spread out so that they do not come at once */
		nap = 40 + rand_r(&seed) % 80;
		if(nap > left)
			nap = left;
		{
			struct timespec ts = { nap / 1000, (nap % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->have_thread = !pthread_create(&l->thread, NULL, renewer, l);
	pthread_mutex_lock(&st->lock);
	l->next = st->leases;
	st->leases = l;
	pthread_mutex_unlock(&st->lock);
	*out = l;
	return TS_STORE_OK;
}

static void r_release(void *state, struct ts_lease **lp)
{
	struct rstate *st = state;
	struct ts_lease *l = *lp, **pp;
	long long v;

	if(!l)
		return;
	*lp = NULL;
	if(l->have_thread) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
	}
	pthread_mutex_lock(&st->lock);
	for(pp = &st->leases; *pp; pp = &(*pp)->next)
		if(*pp == l) {
			*pp = l->next;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	/* a child's copy is its parent's lease: the parent gives it back */
	if(!l->dead)
		lease_script(st, NULL, release_lua, l, &v);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	ts_wipe(l->owner, sizeof(l->owner));
	free(l);
}

static const char *r_where(void *state)
{
	return ((struct rstate *)state)->shown;
}

static int r_put_note(void *state, const char *name, const struct ts_blob *in,
		      long ttl_ms)
{
	struct rstate *st = state;
	char key[192], px[24];
	const char *argv[5] = { "SET", key, (const char *)in->p, "PX", px };
	size_t lens[5];
	redisReply *rep;
	int rc;

	key_of(st, 'r', name, key, sizeof(key));
	snprintf(px, sizeof(px), "%ld", ttl_ms);
	lens[0] = 3;
	lens[1] = strlen(key);
	lens[2] = in->len;
	lens[3] = 2;
	lens[4] = strlen(px);
	if(call(st, 5, argv, lens, &rep) != TS_STORE_OK)
		return TS_STORE_FAIL;
	rc = rep->type == REDIS_REPLY_STATUS ? TS_STORE_OK : TS_STORE_FAIL;
	freeReplyObject(rep);
	return rc;
}

/* Notes live beside entries: "r:" instead of "e:". */
static int r_get_note(void *state, const char *name, struct ts_blob *out)
{
	return get_kind(state, 'r', name, 4096, out);
}

static int r_health(void *state, struct ts_store_health *h)
{
	struct rstate *st = state;
	const char *ping[1] = { "PING" }, *role[1] = { "ROLE" };
	size_t plen[1] = { 4 };
	redisReply *rep;
	struct timespec a, b;

	memset(h, 0, sizeof(*h));
	pthread_mutex_lock(&st->lock);
	st->skip_until = 0;	/* asked: try now, whatever happened before */
	pthread_mutex_unlock(&st->lock);
	/* the first call may connect; the second is one round trip */
	if(call(st, 1, ping, plen, &rep) != TS_STORE_OK) {
		pthread_mutex_lock(&st->lock);
		snprintf(h->why, sizeof(h->why), "%s", st->why);
		pthread_mutex_unlock(&st->lock);
		return TS_STORE_FAIL;
	}
	freeReplyObject(rep);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if(call(st, 1, ping, plen, &rep) != TS_STORE_OK)
		return TS_STORE_FAIL;
	clock_gettime(CLOCK_MONOTONIC, &b);
	h->rtt_us = (b.tv_sec - a.tv_sec) * 1000000L +
		    (b.tv_nsec - a.tv_nsec) / 1000;
	freeReplyObject(rep);
	h->reachable = 1;
	if(call(st, 1, role, plen, &rep) == TS_STORE_OK) {
		if(rep->type == REDIS_REPLY_ARRAY && rep->elements &&
		   rep->element[0]->type == REDIS_REPLY_STRING)
			snprintf(h->role, sizeof(h->role), "%s", rep->element[0]->str);
		else if(rep->type == REDIS_REPLY_ERROR)
			snprintf(h->role, sizeof(h->role), "unknown (ROLE refused)");
		freeReplyObject(rep);
	}
	pthread_mutex_lock(&st->lock);
	snprintf(h->primary, sizeof(h->primary), "%s", st->primary);
	pthread_mutex_unlock(&st->lock);
	return TS_STORE_OK;
}

/* Tries each command the store needs, under the prefix, the way the
   backend uses it; says which the server (an ACL) refuses. */
static int r_check(void *state, ts_store_say_fn *say, void *ctx)
{
	struct rstate *st = state;
	char key[192], owner[33], msg[300];
	const char *argv[9];
	size_t lens[9];
	redisReply *rep;
	int bad = 0, i;
	static const char probe_lua[] =
		"redis.call('SET', KEYS[1], ARGV[1], 'PX', 5000) "
		"redis.call('PEXPIRE', KEYS[1], 5000) "
		"local v = redis.call('GET', KEYS[1]) "
		"redis.call('DEL', KEYS[1]) return v == ARGV[1] and 1 or 0";
	struct {
		const char *what;
		int argc;
		const char *argv[6];
	} steps[] = {
		{ "SET NX PX (leases)", 6, { "SET", key, owner, "NX", "PX", "5000" } },
		{ "GET (entries)", 2, { "GET", key } },
		{ "EVAL (compare-and-set scripts, with GET, SET, PEXPIRE, DEL)", 5,
		  { "EVAL", probe_lua, "1", key, owner } },
		{ "DEL", 2, { "DEL", key } },
	};

	if(new_owner(owner)) {
		say(ctx, 1, "no random bytes for a probe key");
		return TS_STORE_FAIL;
	}
	key_of(st, 'c', owner, key, sizeof(key));
	for(i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
		int j;

		for(j = 0; j < steps[i].argc; j++) {
			argv[j] = steps[i].argv[j];
			lens[j] = strlen(argv[j]);
		}
		if(call(st, steps[i].argc, argv, lens, &rep) != TS_STORE_OK) {
			pthread_mutex_lock(&st->lock);
			snprintf(msg, sizeof(msg), "%s: %s", steps[i].what, st->why);
			pthread_mutex_unlock(&st->lock);
			say(ctx, 1, msg);
			return TS_STORE_FAIL;
		}
		if(rep->type == REDIS_REPLY_ERROR) {
			snprintf(msg, sizeof(msg), "%s refused: %.200s",
				 steps[i].what, rep->str);
			bad = 1;
		}
		else
			snprintf(msg, sizeof(msg), "%s: permitted", steps[i].what);
		say(ctx, rep->type == REDIS_REPLY_ERROR, msg);
		freeReplyObject(rep);
	}
	return bad ? TS_STORE_FAIL : TS_STORE_OK;
}

static int r_fault(void *state, char *buf, size_t len)
{
	struct rstate *st = state;
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	if(ts_now_ms() < st->skip_until) {
		snprintf(buf, len, "%s", st->why);
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static void r_close(void *state)
{
	struct rstate *st = state, **pp;

	while(st->leases) {
		struct ts_lease *l = st->leases;

		r_release(st, &l);
	}
	pthread_mutex_lock(&states_lock);
	for(pp = &states; *pp; pp = &(*pp)->next_state)
		if(*pp == st) {
			*pp = st->next_state;
			break;
		}
	pthread_mutex_unlock(&states_lock);
	conn_close(&st->c);
	ts_free_secret(&st->pass);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int ts_store_redis_open(const struct ts_fleet_cfg *cfg, void **state,
			char *err, size_t errlen)
{
	struct rstate *st = calloc(1, sizeof(*st));

	if(!st) {
		snprintf(err, errlen, "out of memory");
		return TS_STORE_FAIL;
	}
	if(parse_url(cfg->url, st, err, errlen)) {
		free(st);
		return TS_STORE_FAIL;
	}
	if(cfg->password && !(st->pass = strdup(cfg->password))) {
		free(st);
		snprintf(err, errlen, "out of memory");
		return TS_STORE_FAIL;
	}
	snprintf(st->prefix, sizeof(st->prefix), "%s",
		 cfg->prefix ? cfg->prefix : "tokenshim:");
	snprintf(st->ca_file, sizeof(st->ca_file), "%s",
		 cfg->ca_file ? cfg->ca_file : "");
	st->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 500;
	st->c.fd = CURL_SOCKET_BAD;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_lock(&states_lock);
	st->next_state = states;
	states = st;
	pthread_mutex_unlock(&states_lock);
	*state = st;
	return TS_STORE_OK;
}

const struct ts_store_backend ts_store_redis = {
	.name = "redis",
	.open = NULL,		/* ts_store_redis_open: it needs a config */
	.close = r_close,
	.get = r_get,
	.put = r_put,
	.remove = r_remove,
	.lease = r_lease,
	.release = r_release,
	.fork_child = NULL,	/* fork_child above, for every state at once */
	.where = r_where,
	.put_note = r_put_note,
	.get_note = r_get_note,
	.health = r_health,
	.check = r_check,
	.fault = r_fault,
};
