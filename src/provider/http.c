/*
 * http: login requests over the host's libcurl, with retries and a cap on
 * how much of an answer is read. They are performed under the guard, so
 * that the hooks never take them for the app's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "provider/http.h"
#include "util/log.h"
#include "curl/guard.h"
#include "util/str.h"

struct sink {
	struct ts_buf body;
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct sink *s = userp;
	size_t len = size * n;

	if(s->body.len + len > TS_HTTP_MAX) {
		s->too_big = 1;
		return 0;	/* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	if(ts_buf_add(&s->body, data, len))
		return 0;
	return len;
}

static int transport_failure(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_SSL_CONNECT_ERROR;
}

/* One attempt. Returns the CURLcode; *status and the sink are filled. */
static CURLcode attempt(const struct ts_curl *c, const struct ts_http_opts *o,
			const struct tokenshim_http_req *req, long budget_ms,
			struct sink *sink, long *status, char *ctype,
			size_t ctlen, char *cerr)
{
	CURL *h = c->real_curl_easy_init();
	struct curl_slist *hdrs = NULL;
	const char *const *hp;
	CURLcode rc;
	char *ct = NULL;

	if(!h)
		return CURLE_OUT_OF_MEMORY;
	c->real_curl_easy_setopt(h, CURLOPT_URL, req->url);
	c->real_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	c->real_curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	c->real_curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, budget_ms);
	c->real_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
	c->real_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	c->real_curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
	c->real_curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	/* The login goes where the profile says, never where a redirect
	   would take the credentials. */
	c->real_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	c->real_curl_easy_setopt(h, CURLOPT_USERAGENT, "tokenshim/" PACKAGE_VERSION);
	if(req->body) {
		c->real_curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		c->real_curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
	}
	else if(!strcmp(req->method, "POST") || !strcmp(req->method, "PUT")) {
		c->real_curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		c->real_curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if(!strcmp(req->method, "GET"))
		c->real_curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if(o->ca_file)
		c->real_curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	/* the way out the app's request takes, or the profile's */
	if(o->route.proxy)
		c->real_curl_easy_setopt(h, CURLOPT_PROXY, o->route.proxy);
	if(o->route.proxytype >= 0)
		c->real_curl_easy_setopt(h, CURLOPT_PROXYTYPE, o->route.proxytype);
	if(o->route.userpwd)
		c->real_curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, o->route.userpwd);
	if(o->route.noproxy)
		c->real_curl_easy_setopt(h, CURLOPT_NOPROXY, o->route.noproxy);
	if(o->route.cainfo)
		c->real_curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, o->route.cainfo);
	if(o->insecure) {
		c->real_curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		c->real_curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	for(hp = req->headers; hp && *hp; hp++) {
		struct curl_slist *n = c->real_curl_slist_append(hdrs, *hp);

		if(!n)
			break;
		hdrs = n;
	}
	/* no "Expect: 100-continue" round trip for a login */
	hdrs = c->real_curl_slist_append(hdrs, "Expect:");
	c->real_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	rc = ts_guard_perform(c, h);
	c->real_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if(c->real_curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	   ct)
		snprintf(ctype, ctlen, "%s", ct);
	c->real_curl_easy_cleanup(h);
	/* the header list holds the token for calls made with one */
	{
		struct curl_slist *l;

		for(l = hdrs; l; l = l->next)
			ts_wipe(l->data, strlen(l->data));
	}
	c->real_curl_slist_free_all(hdrs);
	return rc;
}

/* What to do about a certificate the login server's TLS was refused
   over: the profile's ca_file is the knob. */
static const char *tls_hint(CURLcode rc, const struct ts_http_opts *o)
{
	if(rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
	   rc != CURLE_SSL_CONNECT_ERROR)
		return "";
	return o->ca_file ? "; check that ca_file holds the CA of the login server" :
			    "; set ca_file to the CA of the login server";
}

int ts_http(const struct ts_http_opts *o, const struct tokenshim_http_req *req,
	    struct tokenshim_http_resp *resp, char *errbuf)
{
	const struct ts_curl *c = ts_real();
	long deadline = ts_now_ms() + o->timeout_ms, backoff = 200;
	char where[512];
	int tries;

	/* messages show where the request went, never its user info or
	   query: either may hold the very secret being sent */
	ts_safe_url(req->url, where, sizeof(where));

	memset(resp, 0, sizeof(*resp));
	if(!c) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "no libcurl found in this process");
		return TOKENSHIM_ECONNECT;
	}
	for(tries = 0;; tries++) {
		struct sink sink = {{0}, 0};
		char cerr[CURL_ERROR_SIZE] = "";
		long status = 0, left = deadline - ts_now_ms();
		CURLcode rc;

		if(left <= 0) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "no answer from %s within %ld ms", where,
				 o->timeout_ms);
			return TOKENSHIM_ECONNECT;
		}
		rc = attempt(c, o, req, left, &sink, &status,
			     resp->content_type, sizeof(resp->content_type),
			     cerr);
		if(sink.too_big) {
			ts_buf_free(&sink.body);
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "answer from %s is larger than %d bytes; not read",
				 where, TS_HTTP_MAX);
			return TOKENSHIM_EPROTO;
		}
		if(rc == CURLE_OK && (status < 500 || tries >= 2)) {
			ts_buf_add(&sink.body, "", 0);
			resp->status = status;
			resp->len = sink.body.len;
			resp->body = ts_buf_steal(&sink.body);
			if(!resp->body) {
				snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "out of memory");
				return TOKENSHIM_ENOMEM;
			}
			return TOKENSHIM_OK;
		}
		ts_buf_free(&sink.body);
		left = deadline - ts_now_ms();
		if(rc != CURLE_OK && (!transport_failure(rc) || tries >= 2 ||
				      left <= backoff)) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s%s%s", where,
				 cerr[0] ? cerr : c->real_curl_easy_strerror ?
				 c->real_curl_easy_strerror(rc) : "transfer failed",
				 tries ? " (after retries)" : "", tls_hint(rc, o));
			return transport_failure(rc) ? TOKENSHIM_ECONNECT :
						       TOKENSHIM_EPROTO;
		}
		if(rc == CURLE_OK && left <= backoff) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: HTTP %ld, and no time left to retry within "
				 "timeout", where, status);
			return TOKENSHIM_EPROTO;
		}
		if(rc == CURLE_OK)
			ts_debug("%s %s: HTTP %ld; retrying in %ld ms", req->method,
				 where, status, backoff);
		else
			ts_debug("%s %s: cannot connect; retrying in %ld ms",
				 req->method, where, backoff);
		{
			struct timespec ts = {0, backoff * 1000000L};

			nanosleep(&ts, NULL);
		}
		backoff *= 2;
	}
}

void ts_http_free(struct tokenshim_http_resp *resp)
{
	if(resp->body) {
		ts_wipe(resp->body, resp->len);
		free(resp->body);
	}
	memset(resp, 0, sizeof(*resp));
}
