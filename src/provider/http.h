/*
 * http: the engine's own requests (logins, renewals, logouts), made
 * through the host's real libcurl and never through the hooks.
 */
#ifndef TS_HTTP_H
#define TS_HTTP_H

#include "tokenshim_provider.h"

/* The way out to a login server. */
struct ts_route {
	const char *proxy;	/* CURLOPT_PROXY; "" for none at all; NULL:
				   libcurl's default (the environment) */
	long proxytype;		/* CURLOPT_PROXYTYPE; -1: unset */
	const char *userpwd;	/* CURLOPT_PROXYUSERPWD, or NULL */
	const char *noproxy;	/* CURLOPT_NOPROXY, or NULL */
	const char *cainfo;	/* CURLOPT_PROXY_CAINFO, or NULL */
};

struct ts_http_opts {
	long timeout_ms;	/* the whole exchange, retries included */
	const char *ca_file;
	int insecure;
	struct ts_route route;
};

/* Performs req. A 5xx answer or a failed connection is retried up to twice
   with a short backoff, all within timeout_ms; a 4xx is final. Returns
   TOKENSHIM_OK with resp filled (any HTTP status), TOKENSHIM_ECONNECT when
   the server could not be reached in time, TOKENSHIM_EPROTO for an answer
   over the size cap. errbuf holds TOKENSHIM_ERRBUF_SIZE bytes. */
int ts_http(const struct ts_http_opts *o, const struct tokenshim_http_req *req,
	    struct tokenshim_http_resp *resp, char *errbuf);
void ts_http_free(struct tokenshim_http_resp *resp);

/* Largest answer read from a login server. */
#define TS_HTTP_MAX (1024 * 1024)

#endif
