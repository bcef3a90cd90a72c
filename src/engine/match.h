/*
 * match: which profile a request URL belongs to. A pattern is
 * scheme://host[:port]/path-glob: "*" in the path matches any characters,
 * "/" included; a leading "*." in the host matches any subdomain; the port
 * defaults from the scheme. Among matching patterns the longest wins.
 */
#ifndef TS_MATCH_H
#define TS_MATCH_H

#include <stddef.h>

struct ts_pattern {
	char *text;	/* as written, for messages */
	char *scheme;	/* lower case */
	char *host;	/* lower case, without a leading "*." */
	int subdomains;	/* pattern host began with "*." */
	int port;
	char *path;	/* glob, starts with "/" */
	size_t weight;	/* specificity: longer patterns win */
};

/* A request URL split into the parts patterns look at. The path is
   matched as the server will read it: "%2e" and "%2f" decoded, then dot
   segments removed, so that no spelling of a path can widen the scope. */
struct ts_url {
	char scheme[16];
	char *host;	/* lower case, IPv6 without brackets */
	int port;
	char *path;	/* "/" when the URL has none; no query, no fragment */
	char *alt;	/* path as-is sent: decoded, dot segments kept, when
			   that differs; NULL otherwise. Both must match. */
	char *heap;	/* storage for host and path when space is short */
	char space[512];	/* usual storage: no allocation per request */
};

/* Parses a pattern; returns 0, or -1 with the reason in errbuf. */
int ts_pattern_parse(const char *text, struct ts_pattern *p, char *errbuf,
		     size_t errlen);
void ts_pattern_free(struct ts_pattern *p);

/* Splits a URL as libcurl would read it (a URL without a scheme is http).
   Returns 0, or -1 for a URL with no host. */
int ts_url_parse(const char *url, struct ts_url *u);
/* Fills u from parts already split (by libcurl's own URL parser): host
   (hlen bytes, brackets allowed), port (0: the scheme's), path (plen
   bytes, percent-encoded as sent; "" for none). as_is: the path goes out
   with its dot segments (CURLOPT_PATH_AS_IS). Returns 0, or -1. */
int ts_url_set(struct ts_url *u, const char *scheme, const char *host,
	       size_t hlen, int port, const char *path, size_t plen,
	       int as_is);
void ts_url_free(struct ts_url *u);

/* Non-zero when the URL falls under the pattern. */
int ts_pattern_match(const struct ts_pattern *p, const struct ts_url *u);

/* The default port of a scheme, or 0 when unknown. */
int ts_scheme_port(const char *scheme);

#endif
