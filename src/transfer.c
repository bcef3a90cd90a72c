/*
 * transfer: the per-request path. Programs whose URLs match no profile pay
 * one table lookup and one URL parse per transfer; nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "handle.h"
#include "inject.h"
#include "log.h"
#include "provider.h"
#include "real.h"
#include "transfer.h"

static __thread int in_engine;

int ts_in_engine(void)
{
	return in_engine;
}

/* Reports a failure the way libcurl would: in the app's error buffer, and
   as a one-line diagnostic. */
static void fail_msg(const struct ts_handle *hs, const char *msg)
{
	ts_log("%s", msg);
	if(hs && hs->errbuf)
		snprintf(hs->errbuf, CURL_ERROR_SIZE, "tokenshim: %s", msg);
}

/* The host part of a URL, for traces: a URL may carry secrets in its
   query or user info, so it is never printed whole. */
static void url_host(const char *url, char *out, size_t len)
{
	struct ts_url u;

	if(ts_url_parse(url, &u) == 0) {
		snprintf(out, len, "%s://%s:%d", u.scheme, u.host, u.port);
		ts_url_free(&u);
	}
	else
		snprintf(out, len, "(unparsable URL)");
}

/* One injected transfer, as its redirect hops see it. */
struct hop {
	const struct ts_curl *c;
	CURL *h;
	struct ts_handle *hs;
	struct ts_engine *e;
	struct ts_profile *p;
	const char *app_url;
	struct curl_slist *with;	/* the app's headers plus the token */
	struct curl_slist *without;	/* the app's headers plus "Name:" */
	const char *cookie;		/* the app's cookie plus the token */
	int carrying;			/* the hop being sent has the token */
	int guarded;			/* on_prereq is installed */
	int referer_set;		/* we replaced the Referer */
	int hops;
};

/* Runs before every request of the transfer, redirects included: a hop
   whose URL still belongs to the profile carries the token, any other
   carries none of it, whatever the app allowed (CURLOPT_UNRESTRICTED_AUTH
   only speaks of Authorization and Cookie, and tokens travel in other
   headers too). Then it hands over to the app's own callback. */
static int on_prereq(void *clientp, char *ip, char *local_ip, int port,
		     int local_port)
{
	struct hop *in = clientp;
	const struct ts_curl *c = in->c;
	char *url = NULL, where[300];
	int same;

	c->curl_easy_getinfo(in->h, CURLINFO_EFFECTIVE_URL, &url);
	same = url && ts_engine_match(in->e, url, NULL) == in->p;
	if(same != in->carrying) {
		switch(in->p->inject.kind) {
		case TS_INJECT_HEADER:
			c->curl_easy_setopt(in->h, CURLOPT_HTTPHEADER,
					    same ? in->with : in->without);
			break;
		case TS_INJECT_COOKIE:
			c->curl_easy_setopt(in->h, CURLOPT_COOKIE, same ? in->cookie :
					    in->hs ? in->hs->cookie : NULL);
			break;
		case TS_INJECT_QUERY:
			/* a redirect names its own URL: the token is not in it */
			break;
		}
		in->carrying = same;
	}
	/* the automatic Referer of the hop after the first is the URL that
	   carried the token in its query */
	if(in->hops == 1 && !same && in->p->inject.kind == TS_INJECT_QUERY &&
	   in->hs && in->hs->autoreferer) {
		c->curl_easy_setopt(in->h, CURLOPT_REFERER, in->app_url);
		in->referer_set = 1;
	}
	if(in->hops && ts_debug_enabled()) {
		url_host(url ? url : "", where, sizeof(where));
		ts_debug("profile %s: redirect to %s: %s", in->p->name, where,
			 same ? "token carried" : "token withheld");
	}
	in->hops++;
	if(in->hs && in->hs->prereq)
		return in->hs->prereq(in->hs->prereq_data, ip, local_ip, port,
				      local_port);
	return CURL_PREREQFUNC_OK;
}

CURLcode ts_transfer(CURL *h)
{
	const struct ts_curl *c = ts_real();
	struct ts_engine *e;
	struct ts_handle *hs;
	struct ts_profile *p;
	const struct ts_pattern *pat = NULL;
	struct curl_slist *hdrs = NULL;
	struct hop in;
	char *tok = NULL, *value = NULL, *cookie = NULL, *url = NULL;
	char *effective = NULL, err[512], where[300];
	const char *app_url;
	size_t len = 0;
	CURLcode result;
	int rc;

	if(!c)
		return CURLE_FAILED_INIT;
	memset(&in, 0, sizeof(in));
	e = ts_engine();
	if(!e->cfg.nprofiles || in_engine)
		return c->curl_easy_perform(h);

	hs = ts_handle_get(h, 0);
	app_url = hs ? hs->url : NULL;
	if(!app_url) {
		/* A handle whose options we did not see (a dlopen host): libcurl
		   reports the URL it was given as the effective one until the
		   transfer starts. */
		char *eff = NULL;

		if(c->curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) ==
		   CURLE_OK && eff && *eff)
			effective = strdup(eff);
		app_url = effective;
	}
	p = app_url ? ts_engine_match(e, app_url, &pat) : NULL;
	if(!p) {
		if(app_url && ts_debug_enabled()) {
			url_host(app_url, where, sizeof(where));
			ts_debug("%s: no profile", where);
		}
		free(effective);
		return c->curl_easy_perform(h);
	}
	if(ts_debug_enabled()) {
		url_host(app_url, where, sizeof(where));
		ts_debug("%s: profile %s (pattern %s)", where, p->name, pat->text);
	}
	if(p->usable && ts_inject_app_has(&p->inject, hs ? hs->headers : NULL,
					  hs ? hs->cookie : NULL, app_url)) {
		ts_debug("profile %s: the application sets its own %s %s; "
			 "adding nothing", p->name,
			 ts_inject_kind_name(p->inject.kind), p->inject.name);
		free(effective);
		return c->curl_easy_perform(h);
	}

	in_engine = 1;
	rc = ts_engine_token(p, app_url, 0, &tok, &len, err, sizeof(err));
	in_engine = 0;
	if(rc != TOKENSHIM_OK) {
		if(p->usable && p->on_failure_pass) {
			ts_log("%s; sending the request without a token (on_failure = pass)",
			       err);
			free(effective);
			return c->curl_easy_perform(h);
		}
		fail_msg(hs, err);
		free(effective);
		return rc == TOKENSHIM_ECONNECT ? CURLE_COULDNT_CONNECT :
					       CURLE_LOGIN_DENIED;
	}

	value = ts_inject_value(&p->inject, tok, len);
	ts_free_secret(&tok);
	result = CURLE_OUT_OF_MEMORY;
	if(!value)
		goto out;
	memset(&in, 0, sizeof(in));
	in.c = c;
	in.h = h;
	in.hs = hs;
	in.e = e;
	in.p = p;
	in.app_url = app_url;
	in.carrying = 1;
	switch(p->inject.kind) {
	case TS_INJECT_HEADER:
		hdrs = ts_merge_headers(hs ? hs->headers : NULL, p->inject.name,
					value);
		/* "Name:" with no value makes libcurl send no such header: the
		   list for hops that must not carry the token */
		in.without = ts_merge_headers(hs ? hs->headers : NULL,
					      p->inject.name, "");
		if(!hdrs || !in.without)
			goto out;
		in.with = hdrs;
		c->curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		break;
	case TS_INJECT_COOKIE:
		cookie = ts_merge_cookie(hs ? hs->cookie : NULL, p->inject.name,
					 value);
		if(!cookie)
			goto out;
		in.cookie = cookie;
		c->curl_easy_setopt(h, CURLOPT_COOKIE, cookie);
		break;
	case TS_INJECT_QUERY:
		url = ts_merge_query(app_url, p->inject.name, value);
		if(!url)
			goto out;
		c->curl_easy_setopt(h, CURLOPT_URL, url);
		break;
	}
	/* every request of the transfer, each redirect hop included, passes
	   through on_prereq, which decides whether that hop carries the
	   token */
	in.guarded = c->curl_easy_setopt(h, CURLOPT_PREREQFUNCTION,
					 on_prereq) == CURLE_OK &&
		     c->curl_easy_setopt(h, CURLOPT_PREREQDATA, &in) == CURLE_OK;
	if(!in.guarded)
		ts_debug("profile %s: this libcurl has no CURLOPT_PREREQFUNCTION; "
			 "redirects are not checked hop by hop", p->name);
	ts_debug("profile %s: injecting %s %s (%zu-char token)", p->name,
		 ts_inject_kind_name(p->inject.kind), p->inject.name, len);

	result = c->curl_easy_perform(h);
	if(result == CURLE_OK) {
		long code = 0;

		/* a token whose expiry slides was just extended by the server */
		if(c->curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) ==
		   CURLE_OK && code >= 200 && code < 400 && in.carrying)
			ts_engine_touch(p);
	}

	/* Put the app's own settings back, so that its next transfer on this
	   handle starts from what it set, not from what we added. */
	if(in.guarded) {
		c->curl_easy_setopt(h, CURLOPT_PREREQFUNCTION,
				    hs ? hs->prereq : NULL);
		c->curl_easy_setopt(h, CURLOPT_PREREQDATA,
				    hs ? hs->prereq_data : NULL);
	}
	if(in.referer_set)
		c->curl_easy_setopt(h, CURLOPT_REFERER, hs ? hs->referer : NULL);
	switch(p->inject.kind) {
	case TS_INJECT_HEADER:
		c->curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs ? hs->headers : NULL);
		break;
	case TS_INJECT_COOKIE:
		c->curl_easy_setopt(h, CURLOPT_COOKIE, hs ? hs->cookie : NULL);
		break;
	case TS_INJECT_QUERY:
		c->curl_easy_setopt(h, CURLOPT_URL, app_url);
		break;
	}
out:
	ts_slist_free(&hdrs);
	ts_slist_free(&in.without);
	ts_free_secret(&cookie);
	ts_free_secret(&url);
	ts_free_secret(&value);
	free(effective);
	return result;
}
