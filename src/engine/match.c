/*
 * match: URL patterns and request URLs. Only the pieces a pattern can
 * name are parsed; everything else in a URL is libcurl's business.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/match.h"

int ts_scheme_port(const char *scheme)
{
	static const struct { const char *s; int port; } tab[] = {
		{"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443},
		{"ftp", 21}, {"ftps", 990},
	};
	size_t i;

	for(i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if(!strcasecmp(scheme, tab[i].s))
			return tab[i].port;
	return 0;
}

static void lower(char *s)
{
	for(; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The one reading of an authority, "[user@]host[:port]" (IPv6 in
   brackets), for patterns and URLs alike, so that the two cannot
   disagree. *host points into auth (hlen bytes, without brackets); *port
   is 0 when absent ("host:" too: the default port); *userinfo says
   whether a "user@" came first. Returns 0, or -1 when malformed. */
static int authority(const char *auth, size_t len, const char **host,
		     size_t *hlen, int *port, int *userinfo)
{
	const char *end = auth + len, *colon = NULL, *h = auth, *at;

	at = memchr(auth, '@', len);
	*userinfo = at != NULL;
	if(at)
		h = at + 1;
	if(h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if(!rb)
			return -1;
		*host = h + 1;
		*hlen = (size_t)(rb - h - 1);
		if(rb + 1 < end) {
			if(rb[1] != ':')
				return -1;
			colon = rb + 1;
		}
	}
	else {
		colon = memchr(h, ':', (size_t)(end - h));
		*host = h;
		*hlen = colon ? (size_t)(colon - h) : (size_t)(end - h);
	}
	*port = 0;
	if(colon) {
		const char *p;
		long v = 0;

		for(p = colon + 1; p < end; p++) {
			if(*p < '0' || *p > '9')
				return -1;
			v = v * 10 + (*p - '0');
			if(v > 65535)
				return -1;
		}
		*port = (int)v;
	}
	return 0;
}

int ts_pattern_parse(const char *text, struct ts_pattern *p, char *errbuf,
		     size_t errlen)
{
	const char *sep = strstr(text, "://"), *auth, *slash, *h;
	char *host = NULL;
	size_t hlen;
	int userinfo;

	memset(p, 0, sizeof(*p));
	if(!sep || sep == text) {
		snprintf(errbuf, errlen,
			 "bad match pattern '%s': expected scheme://host[:port]/path",
			 text);
		return -1;
	}
	p->scheme = strndup(text, (size_t)(sep - text));
	lower(p->scheme);
	auth = sep + 3;
	slash = strchr(auth, '/');
	if(strpbrk(auth, "?#")) {
		snprintf(errbuf, errlen,
			 "bad match pattern '%s': a pattern has no query or fragment",
			 text);
		goto fail;
	}
	if(authority(auth, slash ? (size_t)(slash - auth) : strlen(auth),
		     &h, &hlen, &p->port, &userinfo) || !hlen ||
	   !(host = strndup(h, hlen))) {
		snprintf(errbuf, errlen, "bad match pattern '%s': bad host or port",
			 text);
		goto fail;
	}
	if(!strncmp(host, "*.", 2)) {
		p->subdomains = 1;
		memmove(host, host + 2, strlen(host + 2) + 1);
	}
	if(!*host || strchr(host, '*') || userinfo) {
		snprintf(errbuf, errlen,
			 "bad match pattern '%s': only a leading '*.' may stand in the host",
			 text);
		goto fail;
	}
	lower(host);
	p->host = host;
	host = NULL;
	if(!p->port)
		p->port = ts_scheme_port(p->scheme);
	if(!p->port) {
		snprintf(errbuf, errlen,
			 "bad match pattern '%s': unknown scheme '%s' needs a port",
			 text, p->scheme);
		goto fail;
	}
	p->path = strdup(slash && slash[1] ? slash : "/*");
	if(slash && !slash[1])
		strcpy(p->path, "/");
	p->text = strdup(text);
	if(!p->path || !p->text)
		goto fail;
	/* "Longest pattern wins"; on a tie an exact host beats a wildcard. */
	p->weight = strlen(p->text) * 2 + (p->subdomains ? 0 : 1);
	return 0;
fail:
	free(host);
	ts_pattern_free(p);
	return -1;
}

void ts_pattern_free(struct ts_pattern *p)
{
	free(p->text);
	free(p->scheme);
	free(p->host);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

int ts_url_parse(const char *url, struct ts_url *u)
{
	const char *sep = strstr(url, "://"), *auth, *end, *path, *h;
	size_t slen, hlen, plen;
	char *store;
	int port, userinfo;

	u->host = u->path = u->heap = NULL;
	u->port = 0;
	/* A scheme is letters before "://" with no "/" or "?" before it. */
	if(sep && (size_t)(sep - url) < sizeof(u->scheme) &&
	   strcspn(url, "/?#") >= (size_t)(sep - url)) {
		slen = (size_t)(sep - url);
		memcpy(u->scheme, url, slen);
		u->scheme[slen] = '\0';
		lower(u->scheme);
		auth = sep + 3;
	}
	else {
		strcpy(u->scheme, "http");
		auth = url;
	}
	end = auth + strcspn(auth, "/?#");
	if(authority(auth, (size_t)(end - auth), &h, &hlen, &port, &userinfo) ||
	   !hlen)
		return -1;
	path = end;
	plen = *path == '/' ? strcspn(path, "?#") : 0;
	store = u->space;
	if(hlen + plen + 3 > sizeof(u->space)) {
		store = u->heap = malloc(hlen + plen + 3);
		if(!store)
			return -1;
	}
	memcpy(store, h, hlen);
	store[hlen] = '\0';
	lower(store);
	u->host = store;
	u->path = store + hlen + 1;
	if(plen)
		memcpy(u->path, path, plen);
	else
		u->path[plen++] = '/';
	u->path[plen] = '\0';
	u->port = port ? port : ts_scheme_port(u->scheme);
	return 0;
}

void ts_url_free(struct ts_url *u)
{
	free(u->heap);
	u->heap = NULL;
	u->host = u->path = NULL;
}

/* Glob where "*" matches any run of characters, "/" included. */
static int glob(const char *g, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while(*s) {
		if(*g == '*') {
			star = g++;
			resume = s;
		}
		else if(*g == *s) {
			g++;
			s++;
		}
		else if(star) {
			g = star + 1;
			s = ++resume;
		}
		else
			return 0;
	}
	while(*g == '*')
		g++;
	return !*g;
}

int ts_pattern_match(const struct ts_pattern *p, const struct ts_url *u)
{
	size_t hl, pl;

	if(strcmp(p->scheme, u->scheme) || p->port != u->port)
		return 0;
	if(p->subdomains) {
		hl = strlen(u->host);
		pl = strlen(p->host);
		if(hl <= pl + 1 || u->host[hl - pl - 1] != '.' ||
		   strcmp(u->host + hl - pl, p->host))
			return 0;
	}
	else if(strcmp(p->host, u->host))
		return 0;
	return glob(p->path, u->path);
}
