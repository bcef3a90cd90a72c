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

/* Decodes the escapes that can spell a dot or a slash, in place. */
static void decode_dots(char *p)
{
	char *out = p;

	for(; *p; p++) {
		if(p[0] == '%' && p[1] == '2' &&
		   (p[2] == 'e' || p[2] == 'E' || p[2] == 'f' || p[2] == 'F')) {
			*out++ = p[2] == 'e' || p[2] == 'E' ? '.' : '/';
			p += 2;
		}
		else
			*out++ = *p;
	}
	*out = '\0';
}

/* RFC 3986 section 5.2.4, in place, on a path that starts with "/". */
static void remove_dots(char *p)
{
	char *in = p, *out = p;

	while(*in) {
		if(in[0] == '/' && in[1] == '.' && (in[2] == '/' || !in[2])) {
			in += 2;	/* "/./" and a final "/." */
			if(!*in)
				*out++ = '/';
			continue;
		}
		if(in[0] == '/' && in[1] == '.' && in[2] == '.' &&
		   (in[3] == '/' || !in[3])) {
			in += 3;	/* "/../": drop the last segment written */
			while(out > p && *--out != '/')
				;
			if(!*in)
				*out++ = '/';
			continue;
		}
		do
			*out++ = *in++;
		while(*in && *in != '/');
	}
	if(out == p)
		*out++ = '/';
	*out = '\0';
}

int ts_url_set(struct ts_url *u, const char *scheme, const char *host,
	       size_t hlen, int port, const char *path, size_t plen,
	       int as_is)
{
	size_t need;
	char *store;

	u->host = u->path = u->alt = u->heap = NULL;
	u->port = 0;
	if(strlen(scheme) >= sizeof(u->scheme))
		return -1;
	strcpy(u->scheme, scheme);
	lower(u->scheme);
	if(hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if(!hlen)
		return -1;
	/* host, path and its as-is twin, each NUL-terminated */
	need = hlen + 2 * (plen + 1) + 3;
	store = u->space;
	if(need > sizeof(u->space)) {
		store = u->heap = malloc(need);
		if(!store)
			return -1;
	}
	memcpy(store, host, hlen);
	store[hlen] = '\0';
	lower(store);
	u->host = store;
	u->path = store + hlen + 1;
	if(plen && path[0] == '/') {
		memcpy(u->path, path, plen);
		u->path[plen] = '\0';
	}
	else
		strcpy(u->path, "/");
	decode_dots(u->path);
	if(as_is) {
		/* sent as written: the server may or may not resolve the dot
		   segments, so both readings must fall under a pattern */
		size_t n = strlen(u->path) + 1;
		char *alt = u->path + n;

		memcpy(alt, u->path, n);
		remove_dots(u->path);
		if(strcmp(alt, u->path))
			u->alt = alt;
	}
	else
		remove_dots(u->path);
	u->port = port ? port : ts_scheme_port(u->scheme);
	return 0;
}

int ts_url_parse(const char *url, struct ts_url *u)
{
	const char *sep = strstr(url, "://"), *auth, *end, *h;
	char scheme[16] = "http";
	size_t slen, hlen;
	int port, userinfo;

	u->host = u->path = u->alt = u->heap = NULL;
	u->port = 0;
	/* A scheme is letters before "://" with no "/" or "?" before it. */
	if(sep && (size_t)(sep - url) < sizeof(scheme) &&
	   strcspn(url, "/?#") >= (size_t)(sep - url)) {
		slen = (size_t)(sep - url);
		memcpy(scheme, url, slen);
		scheme[slen] = '\0';
		auth = sep + 3;
	}
	else
		auth = url;
	end = auth + strcspn(auth, "/?#");
	if(authority(auth, (size_t)(end - auth), &h, &hlen, &port, &userinfo) ||
	   !hlen)
		return -1;
	return ts_url_set(u, scheme, h, hlen, port, end,
			  *end == '/' ? strcspn(end, "?#") : 0, 0);
}

void ts_url_free(struct ts_url *u)
{
	free(u->heap);
	u->heap = NULL;
	u->host = u->path = u->alt = NULL;
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
	return glob(p->path, u->path) && (!u->alt || glob(p->path, u->alt));
}
