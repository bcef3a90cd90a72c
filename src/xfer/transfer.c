/*
 * transfer: the per-request path. Programs whose URLs match no profile pay
 * one table lookup and one URL parse per transfer; nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl/guard.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/log.h"
#include "xfer/handle.h"
#include "xfer/inject.h"
#include "xfer/target.h"
#include "xfer/transfer.h"

/* Set once the setopt hook has run: the process's libcurl calls reach
   tokenshim, so every option of every handle is seen. */
static int hooked;

void ts_transfer_hooked(void)
{
	if(!__atomic_load_n(&hooked, __ATOMIC_RELAXED))
		__atomic_store_n(&hooked, 1, __ATOMIC_RELAXED);
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
void ts_xfer_origin(const char *url, char *out, size_t len)
{
	struct ts_url u;

	if(ts_url_parse(url, &u) == 0) {
		snprintf(out, len, "%s://%s:%d", u.scheme, u.host, u.port);
		ts_url_free(&u);
	}
	else
		snprintf(out, len, "(unparsable URL)");
}

/* One injected transfer, as its redirect hops see it. An easy transfer
   keeps it on the stack for the length of curl_easy_perform; a multi
   transfer on the heap, from curl_multi_add_handle to its end. */
struct ts_xfer {
	const struct ts_curl *c;
	CURL *h;
	struct ts_handle *hs;
	struct ts_engine *e;
	struct ts_profile *p;
	char *app_url;			/* a copy: the app may set another */
	int *replays;			/* counts swallowed attempts (multi) */
	CURLcode failed;		/* no token: the code the app gets */
	char *why;			/* and the reason, for its error buffer */
	struct curl_slist *with;	/* the token, then the app's headers */
	struct curl_slist *without;	/* "Name:", then the app's headers */
	int borrowed;			/* with and without are one node each
					   over the app's list (header kind) */
	const char *cookie;		/* the app's cookie plus the token */
	int cookie_hdr;			/* ... in the app's Cookie: header */
	int unified;			/* the app's HEADEROPT made separate */
	int carrying;			/* the hop being sent has the token */
	int guarded;			/* on_prereq is installed */
	int wrapped;			/* on_write and on_header are */
	int referer_set;		/* we replaced the Referer */
	int hops;
	/* 401 replay */
	char *url;			/* the URL with a query token */
	char *tok;			/* the token this attempt carries */
	size_t tok_len;
	int may_replay;			/* a refused token may still be replaced */
	int at_status;			/* the next bytes start a response */
	int swallow;			/* hide this response: it gets replayed */
	int refused;			/* refused, and not replayed */
	int replayed;			/* this attempt is the replay */
	int storm;			/* the replay was refused too */
	char *storm_url;		/* ... at this URL */
	/* Interim (1xx) responses reach the app before anyone knows whether
	   the final one is a 401 to hide. The app has seen them once; on the
	   replay their twins are dropped, so it sees them once in all. */
	int interim_seen;		/* this attempt gave the app a 1xx */
	int skip_interim;		/* drop the replay's 1xx responses */
	int skipping;			/* inside a dropped 1xx response */
};

/* Builds the app's settings plus the token, and sets them on the handle.
   Returns 0, or -1 when out of memory. */
static int inject(struct ts_xfer *in, const char *value)
{
	const struct ts_curl *c = in->c;
	const struct ts_inject *ij = &in->p->inject;
	struct ts_handle *hs = in->hs;

	switch(ij->kind) {
	case TS_INJECT_HEADER:
		in->with = ts_header_node(ij->name, value, hs ? hs->headers : NULL);
		if(!in->with)
			return -1;
		in->borrowed = 1;
		c->real_curl_easy_setopt(in->h, CURLOPT_HTTPHEADER, in->with);
		break;
	case TS_INJECT_COOKIE:
		/* libcurl leaves CURLOPT_COOKIE out when the app sends a
		   Cookie: header of its own: the token joins that header */
		in->cookie_hdr = hs && ts_app_cookie_header(hs->headers);
		if(in->cookie_hdr) {
			in->with = ts_merge_cookie_header(hs->headers, ij->name,
							  value);
			if(!in->with)
				return -1;
			c->real_curl_easy_setopt(in->h, CURLOPT_HTTPHEADER,
						 in->with);
			break;
		}
		in->cookie = ts_merge_cookie(hs ? hs->cookie : NULL, ij->name,
					     value);
		if(!in->cookie)
			return -1;
		c->real_curl_easy_setopt(in->h, CURLOPT_COOKIE, in->cookie);
		break;
	case TS_INJECT_QUERY:
		in->url = ts_merge_query(in->app_url, ij->name, value);
		if(!in->url)
			return -1;
		c->real_curl_easy_setopt(in->h, CURLOPT_URL, in->url);
		break;
	}
	/* With CURLHEADER_UNIFIED libcurl sends the header list to a proxy
	   as well, in a CONNECT: the token goes to the origin only, and the
	   proxy still gets the app's own headers, as the app asked. */
	if(in->with && hs && hs->headeropt == CURLHEADER_UNIFIED && !in->unified) {
		c->real_curl_easy_setopt(in->h, CURLOPT_HEADEROPT,
					 (long)CURLHEADER_SEPARATE);
		c->real_curl_easy_setopt(in->h, CURLOPT_PROXYHEADER, hs->headers);
		in->unified = 1;
	}
	in->carrying = 1;
	in->hops = 0;
	in->at_status = 1;
	in->swallow = 0;
	return 0;
}

static void drop_injection(struct ts_xfer *in)
{
	if(in->borrowed) {
		ts_node_free(&in->with);
		ts_node_free(&in->without);
	}
	else {
		ts_slist_free(&in->with);
		ts_slist_free(&in->without);
	}
	in->borrowed = 0;
	ts_free_secret((char **)&in->cookie);
	ts_free_secret(&in->url);
	ts_free_secret(&in->tok);
}

/* Can the request body be sent again? A body libcurl keeps (POSTFIELDS,
   mime) or none at all: yes. A body from a read callback: only when it
   rewinds, which is tried now, as libcurl would for a multi-pass auth. */
static int rewind_body(struct ts_xfer *in)
{
	struct ts_handle *hs = in->hs;

	if(!hs || !(hs->upload || (hs->post && !hs->has_postfields)))
		return 1;
	if(hs->seek_fn)
		return hs->seek_fn(hs->seek_data, 0, SEEK_SET) == CURL_SEEKFUNC_OK;
	if(!hs->read_fn) {
		FILE *f = hs->read_data_set ? hs->read_data : stdin;

		return f && fseek(f, 0, SEEK_SET) == 0;
	}
	return 0;
}

static size_t deliver_write(struct ts_handle *hs, char *b, size_t size,
			    size_t n)
{
	void *out = hs && hs->write_data_set ? hs->write_data : stdout;

	if(hs && hs->write_fn)
		return hs->write_fn(b, size, n, out);
	return fwrite(b, size, n, out);
}

/* As libcurl would: the app's header callback; else, when it gave only
   CURLOPT_HEADERDATA, its write callback (or fwrite) on that; else
   nothing. */
static size_t deliver_header(struct ts_handle *hs, char *b, size_t size,
			     size_t n)
{
	if(!hs)
		return size * n;
	if(hs->header_fn)
		return hs->header_fn(b, size, n, hs->header_data);
	if(hs->header_data)
		return hs->write_fn ? hs->write_fn(b, size, n, hs->header_data) :
				      fwrite(b, size, n, hs->header_data);
	return size * n;
}

long ts_xfer_status(const char *b, size_t len)
{
	long code = 0;
	size_t i = 5;

	if(len < 12 || memcmp(b, "HTTP/", 5))
		return 0;
	while(i < len && b[i] != ' ')
		i++;
	while(i < len && b[i] == ' ')
		i++;
	for(; i < len && b[i] >= '0' && b[i] <= '9' && code < 1000; i++)
		code = code * 10 + (b[i] - '0');
	return code;
}

int ts_xfer_header_end(const char *b, size_t len)
{
	return (len == 2 && b[0] == '\r' && b[1] == '\n') ||
	       (len == 1 && b[0] == '\n');
}

/* The URL the response at hand answers: the hop's, as libcurl has it. */
static const char *response_url(struct ts_xfer *in)
{
	char *url = NULL;

	if(in->c->real_curl_easy_getinfo(in->h, CURLINFO_EFFECTIVE_URL, &url) !=
	   CURLE_OK || !url)
		return in->app_url;
	return url;
}

/* Looks at the first bytes of each response: a 401 to a request that
   carried the token is hidden from the app and replayed, once, when the
   body can be sent again. */
static void status_line(struct ts_xfer *in, const char *b, size_t len)
{
	long code;

	if(!in->at_status || !(code = ts_xfer_status(b, len)))
		return;
	if(code >= 100 && code < 200) {
		/* interim: the real status follows */
		if(in->skip_interim)
			in->skipping = 1;
		else
			in->interim_seen = 1;
		return;
	}
	in->at_status = 0;
	if(code != 401 || !in->carrying)
		return;
	if(!in->may_replay) {
		/* the replacement was refused too: a URL that refuses every
		   token, which must not cost a login per request */
		if(in->replayed && !in->storm) {
			in->storm = 1;
			free(in->storm_url);
			in->storm_url = strdup(response_url(in));
		}
		return;
	}
	if(ts_engine_storming(in->p, response_url(in))) {
		ts_debug("profile %s: refused (HTTP 401) while such refusals get no "
			 "new login; the app gets the 401", in->p->name);
		in->may_replay = 0;
		return;
	}
	if(!rewind_body(in)) {
		ts_log("profile %s: the server refused the token (HTTP 401), but the "
		       "request body cannot be sent again; not replaying it",
		       in->p->name);
		in->may_replay = 0;
		in->refused = 1;	/* the next request gets a fresh token */
		return;
	}
	in->swallow = 1;
	in->skip_interim = in->interim_seen;
	if(in->replays)
		(*in->replays)++;
}

/* Bodies pass on as they are: only the header callback sees status
   lines, so a body that reads like one ("HTTP/1.1 401") is never taken
   for a refusal. */
static size_t on_write(char *b, size_t size, size_t n, void *userp)
{
	struct ts_handle *hs = userp;
	struct ts_xfer *in = hs->xfer;

	if(!in)		/* installed for good, no transfer of ours: the app's */
		return deliver_write(hs, b, size, n);
	if(in->swallow)
		return 0;	/* a swallowed attempt ends here; it is replayed */
	if(in->skipping)
		return size * n;
	return deliver_write(hs, b, size, n);
}

static size_t on_header(char *b, size_t size, size_t n, void *userp)
{
	struct ts_handle *hs = userp;
	struct ts_xfer *in = hs->xfer;
	int end;

	if(!in)
		return deliver_header(hs, b, size, n);
	end = ts_xfer_header_end(b, size * n);

	status_line(in, b, size * n);
	if(in->swallow)
		return 0;
	if(end)
		in->at_status = 1;	/* a next response may follow */
	if(in->skipping) {
		if(end)
			in->skipping = 0;
		return size * n;
	}
	return deliver_header(hs, b, size, n);
}

/* The profile of the request libcurl sends for url, or for the handle's
   CURLU when curlu is set and the app gave one: read as libcurl reads
   it, with the app's CURLOPT_PORT. port, when known, is the port libcurl
   connected to for this request: when the app set CURLOPT_PORT and that
   port is neither it nor the URL's own (a proxy's), the request must fall
   under the profile both ways. NULL when no profile matches or the
   destination cannot be known. */
static struct ts_profile *match(const struct ts_curl *c, struct ts_engine *e,
				const struct ts_handle *hs, const char *url,
				int curlu, const int *port,
				const struct ts_pattern **pat)
{
	CURLU *cu = curlu && hs ? hs->curlu : NULL;
	long over = hs ? hs->port : 0;
	int as_is = hs ? hs->path_as_is : 0;
	struct ts_profile *p, *q;
	struct ts_url u;

	if(ts_target(c, url, cu, over, as_is, &u))
		return NULL;
	p = ts_engine_match_url(e, &u, pat);
	ts_url_free(&u);
	if(!over || !port || *port == over)
		return p;
	if(ts_target(c, url, cu, 0, as_is, &u))
		return NULL;
	q = ts_engine_match_url(e, &u, pat);
	if(*port != u.port && q != p)
		q = NULL;	/* through a proxy: both readings, or none */
	ts_url_free(&u);
	return q;
}

/* Runs before every request of the transfer, redirects included: a hop
   whose URL still belongs to the profile carries the token, any other
   carries none of it, whatever the app allowed (CURLOPT_UNRESTRICTED_AUTH
   only speaks of Authorization and Cookie, and tokens travel in other
   headers too). Then it hands over to the app's own callback. */
static int on_prereq(void *clientp, char *ip, char *local_ip, int port,
		     int local_port)
{
	struct ts_handle *hs = clientp;
	struct ts_xfer *in = hs->xfer;
	const struct ts_curl *c;
	char *url = NULL, where[300];
	long redirects = 0;
	int same;

	if(!in)		/* installed for good, no transfer of ours */
		return hs->prereq ? hs->prereq(hs->prereq_data, ip, local_ip, port,
					       local_port) : CURL_PREREQFUNC_OK;
	c = in->c;

	/* before any redirect, a CURLU the app set is what libcurl sends
	   (its effective URL may still name the URL set before) */
	c->real_curl_easy_getinfo(in->h, CURLINFO_EFFECTIVE_URL, &url);
	c->real_curl_easy_getinfo(in->h, CURLINFO_REDIRECT_COUNT, &redirects);
	if(redirects == 0 && url && in->hs && in->hs->match_known &&
	   !in->hs->port && !in->hs->curlu && in->hs->url &&
	   !strcmp(url, in->hs->url))
		/* the first hop, to the very URL start() matched */
		same = in->hs->match_p == in->p;
	else
		same = (url || redirects == 0) &&
		       match(c, in->e, in->hs, url, redirects == 0, &port,
			     NULL) == in->p;
	if(!same && url && in->p->inject.kind == TS_INJECT_QUERY && in->tok &&
	   strstr(url, in->tok)) {
		/* a redirect kept the query, token and all, on its way out of
		   the profile: this request must not be sent */
		ts_xfer_origin(url, where, sizeof(where));
		ts_log("profile %s: a redirect to %s would carry the token in its "
		       "URL; not following it", in->p->name, where);
		return CURL_PREREQFUNC_ABORT;
	}
	if(same != in->carrying) {
		switch(in->p->inject.kind) {
		case TS_INJECT_HEADER:
			/* "Name:" with no value makes libcurl send no such
			   header: the list for hops that must not carry the
			   token, built when a redirect first needs it */
			if(!same && !in->without)
				in->without = ts_header_node(in->p->inject.name,
							     "", NULL);
			if(!same && !in->without)
				return CURL_PREREQFUNC_ABORT;
			/* over the app's list as it is now: the app may have
			   set another since (and freed the first) */
			if(in->hs) {
				in->with->next = in->hs->headers;
				if(in->without)
					in->without->next = in->hs->headers;
			}
			c->real_curl_easy_setopt(in->h, CURLOPT_HTTPHEADER,
					    same ? in->with : in->without);
			break;
		case TS_INJECT_COOKIE:
			if(in->cookie_hdr)
				c->real_curl_easy_setopt(in->h, CURLOPT_HTTPHEADER,
							 same ? in->with :
							 in->hs->headers);
			else
				c->real_curl_easy_setopt(in->h, CURLOPT_COOKIE,
							 same ? in->cookie :
							 in->hs ? in->hs->cookie :
							 NULL);
			break;
		case TS_INJECT_QUERY:
			/* a redirect names its own URL: the token is not in it */
			break;
		}
		in->carrying = same;
	}
	/* an automatic Referer names the previous hop, whose query may hold
	   the token: no request outside the profile gets one, whatever its
	   hop number (a retried connection or a same-profile redirect that
	   kept the query comes before it) */
	if(!same && in->p->inject.kind == TS_INJECT_QUERY &&
	   in->hs && in->hs->autoreferer) {
		c->real_curl_easy_setopt(in->h, CURLOPT_REFERER, in->app_url);
		in->referer_set = 1;
	}
	if(ts_debug_enabled()) {
		ts_xfer_origin(url ? url : "", where, sizeof(where));
		ts_debug("profile %s: %s %s: %s", in->p->name,
			 in->hops ? "redirect to" : "request to", where,
			 same ? "token carried" : "token withheld");
	}
	in->hops++;
	in->at_status = 1;
	if(in->hs && in->hs->prereq)
		return in->hs->prereq(in->hs->prereq_data, ip, local_ip, port,
				      local_port);
	return CURL_PREREQFUNC_OK;
}

enum { XF_PASS, XF_READY, XF_FAIL };

static CURLcode token_failure(int rc)
{
	return rc == TS_ECONNECT ? CURLE_COULDNT_CONNECT : CURLE_LOGIN_DENIED;
}

/* The profile's token, into in->tok. The provider's own requests pass
   through the hooks untouched meanwhile: the curl layer's guard sees to
   that. */
static int get_token(struct ts_xfer *in, char *err, size_t errlen)
{
	struct ts_handle *hs = in->hs;
	/* the login goes out the way the app's request does */
	struct ts_req req = { in->app_url, hs ? hs->proxy : NULL,
			      hs ? hs->proxytype : -1,
			      hs ? hs->proxyuserpwd : NULL,
			      hs ? hs->noproxy : NULL,
			      hs ? hs->proxy_cainfo : NULL };
	char *tok = NULL;
	size_t len = 0;
	int rc;

	rc = ts_engine_token(in->p, &req, 0, &tok, &len, err, errlen);
	if(rc == TS_OK) {
		in->tok = tok;
		in->tok_len = len;
	}
	return rc;
}

/* Puts in->tok on the handle, as the profile says it travels. */
static CURLcode arm(struct ts_xfer *in)
{
	char *value = ts_inject_value(&in->p->inject, in->tok, in->tok_len);
	int rc = value ? inject(in, value) : -1;

	ts_free_secret(&value);
	return rc ? CURLE_OUT_OF_MEMORY : CURLE_OK;
}

static void release(struct ts_xfer *in)
{
	drop_injection(in);
	if(in->hs && in->hs->xfer == in)
		in->hs->xfer = NULL;
	free(in->app_url);
	free(in->why);
	free(in->storm_url);
	in->app_url = in->why = in->storm_url = NULL;
}

/* Matches h's URL to a profile, gets its token and injects it. XF_PASS: h
   goes out as the app set it. XF_FAIL: there is no token; *result and err
   say why, and in keeps only what release() frees. XF_READY: the transfer
   may start; again() replaces a refused token, end() puts everything
   back. */
static int start(struct ts_xfer *in, CURL *h, CURLcode *result, char *err,
		 size_t errlen)
{
	const struct ts_curl *c = ts_real();
	const struct ts_pattern *pat = NULL;
	struct ts_handle *hs;
	struct ts_engine *e;
	struct ts_profile *p;
	const char *app_url;
	char *effective = NULL;
	char where[300];
	int rc;

	/* the common case, a URL of no profile, touches nothing else */
	in->c = c;
	*result = CURLE_FAILED_INIT;
	if(!c) {
		memset(in, 0, sizeof(*in));
		return XF_FAIL;
	}
	e = ts_engine();
	if(!e->cfg.nprofiles || ts_guard_own())
		return XF_PASS;

	hs = ts_handle_get(h, 0);
	app_url = hs ? hs->url : NULL;
	if(!app_url) {
		/* A handle whose options we did not see (a dlopen host): libcurl
		   reports the URL it was given as the effective one until the
		   transfer starts. */
		char *eff = NULL;

		if(c->real_curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff) ==
		   CURLE_OK && eff && *eff)
			effective = strdup(eff);
		app_url = effective;
	}
	if(hs && hs->url && !hs->curlu && hs->match_known) {
		p = hs->match_p;
		pat = hs->match_pat;
	}
	else {
		p = app_url || (hs && hs->curlu) ?
		    match(c, e, hs, app_url, 1, NULL, &pat) : NULL;
		/* a CURLU may change under us (curl_url_set): never kept */
		if(hs && hs->url && !hs->curlu) {
			hs->match_known = 1;
			hs->match_p = p;
			hs->match_pat = pat;
		}
	}
	if(!p) {
		if(app_url && ts_debug_enabled()) {
			ts_xfer_origin(app_url, where, sizeof(where));
			ts_debug("%s: no profile", where);
		}
		free(effective);
		return XF_PASS;
	}
	memset(in, 0, sizeof(*in));
	in->c = c;
	in->h = h;
	in->e = e;
	in->hs = hs;
	in->p = p;
	/* our own copy: the app may set another URL while the transfer is
	   under way (in a multi handle), which frees the one noted */
	in->app_url = effective ? effective : strdup(app_url);
	if(!in->app_url) {
		snprintf(err, errlen, "profile %s: out of memory", in->p->name);
		return XF_FAIL;
	}
	if(ts_debug_enabled()) {
		ts_xfer_origin(in->app_url, where, sizeof(where));
		ts_debug("%s: profile %s (pattern %s)", where, in->p->name,
			 pat->text);
	}
	if(in->p->usable && ts_inject_app_has(&in->p->inject,
					      hs ? hs->headers : NULL,
					      hs ? hs->cookie : NULL,
					      in->app_url)) {
		ts_debug("profile %s: the application sets its own %s %s; "
			 "adding nothing", in->p->name,
			 ts_inject_kind_name(in->p->inject.kind),
			 in->p->inject.name);
		release(in);
		return XF_PASS;
	}
	if(hs && hs->curlu && in->p->inject.kind == TS_INJECT_QUERY) {
		/* libcurl sends the app's CURLU, which is not ours to change */
		ts_debug("profile %s: the application gives its URL as a CURLU; "
			 "a query token cannot be added: withheld", in->p->name);
		release(in);
		return XF_PASS;
	}
	if(in->p->usable && hs &&
	   ts_inject_app_authorizes(&in->p->inject, hs->app_auth)) {
		ts_debug("profile %s: the application brings its own credentials; "
			 "adding nothing", in->p->name);
		release(in);
		return XF_PASS;
	}

	rc = get_token(in, err, errlen);
	if(rc != TS_OK) {
		if(in->p->usable && in->p->on_failure_pass) {
			ts_log("%s; sending the request without a token (on_failure = pass)",
			       err);
			release(in);
			return XF_PASS;
		}
		fail_msg(hs, err);
		*result = token_failure(rc);
		return XF_FAIL;
	}

	/* wrapping the app's callbacks needs to know them all */
	in->wrapped = hs && __atomic_load_n(&hooked, __ATOMIC_RELAXED);
	in->may_replay = in->wrapped;
	*result = arm(in);
	if(*result) {
		snprintf(err, errlen, "profile %s: out of memory", in->p->name);
		return XF_FAIL;
	}
	/* every request of the transfer, the first and each redirect hop,
	   passes through on_prereq, which decides from where libcurl really
	   sends it whether it carries the token: the app may change the URL
	   or follow redirects after a multi add. Only where the app's own
	   pre-request callback is known (every option seen, or set through
	   tokenshim_easy_setopt) can it be chained. */
	if(in->wrapped) {
		/* installed once per handle, with the handle's record as their
		   data, and left there: between our transfers they pass
		   everything to the app's callbacks, whatever the app sets
		   (ts_xfer_setopt_done puts ours back over it); reset and dup
		   leave none behind. */
		if(!hs->wrapped_on) {
			hs->prereq_on = c->real_curl_easy_setopt(h,
				CURLOPT_PREREQFUNCTION, on_prereq) == CURLE_OK &&
				c->real_curl_easy_setopt(h, CURLOPT_PREREQDATA,
							 hs) == CURLE_OK;
			c->real_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
			c->real_curl_easy_setopt(h, CURLOPT_WRITEDATA, hs);
			c->real_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
			c->real_curl_easy_setopt(h, CURLOPT_HEADERDATA, hs);
			hs->wrapped_on = 1;
		}
		in->guarded = hs->prereq_on;
	}
	else
		in->guarded = hs && (hs->follow || hs->prereq) &&
			      c->real_curl_easy_setopt(h, CURLOPT_PREREQFUNCTION,
						       on_prereq) == CURLE_OK &&
			      c->real_curl_easy_setopt(h, CURLOPT_PREREQDATA,
						       hs) == CURLE_OK;
	if(!in->guarded && hs && hs->follow)
		ts_debug("profile %s: this libcurl has no CURLOPT_PREREQFUNCTION; "
			 "redirects are not checked hop by hop", in->p->name);
	ts_debug("profile %s: injecting %s %s (%zu-char token)", in->p->name,
		 ts_inject_kind_name(in->p->inject.kind), in->p->inject.name,
		 in->tok_len);
	if(hs)
		hs->xfer = in;	/* a copy made meanwhile gets the app's settings */
	return XF_READY;
}

/* After an attempt the server refused (HTTP 401): forgets the token (if
   still current), gets another and injects it, once. */
static CURLcode again(struct ts_xfer *in, char *err, size_t errlen)
{
	CURLcode result;
	int rc;

	in->may_replay = 0;
	in->replayed = 1;
	ts_debug("profile %s: token refused (HTTP 401); replaying with a new one",
		 in->p->name);
	/* the replay goes where the app now says (a URL set while in a
	   multi handle); the pre-request check judges it as sent */
	if(in->hs && in->hs->url && strcmp(in->hs->url, in->app_url)) {
		char *now = strdup(in->hs->url);

		if(now) {
			free(in->app_url);
			in->app_url = now;
		}
	}
	ts_engine_refused(in->p, in->tok, in->tok_len);
	drop_injection(in);
	rc = get_token(in, err, errlen);
	if(rc != TS_OK) {
		fail_msg(in->hs, err);
		return token_failure(rc);
	}
	result = arm(in);
	if(result)
		snprintf(err, errlen, "profile %s: out of memory", in->p->name);
	return result;
}

/* Puts the app's own settings back on h (the transfer's handle, or a
   copy curl_easy_duphandle made of it meanwhile), so that its next
   transfer starts from what the app set, not from what we added. */
static void restore(struct ts_xfer *in, CURL *h)
{
	const struct ts_curl *c = in->c;
	struct ts_handle *hs = in->hs;
	/* the app's URL as it is now: it may have set another meanwhile */
	const char *app_url = hs && hs->url ? hs->url : in->app_url;

	/* wrapped: the callbacks stay, passing on to the app's (on h;
	   a copy gets the app's own, ts_xfer_dup) */
	if(h != in->h && hs && hs->wrapped_on)
		ts_handle_unwrap(c, h, hs);
	if(in->guarded && !in->wrapped) {
		c->real_curl_easy_setopt(h, CURLOPT_PREREQFUNCTION,
				    hs ? hs->prereq : NULL);
		c->real_curl_easy_setopt(h, CURLOPT_PREREQDATA,
				    hs ? hs->prereq_data : NULL);
	}
	if(in->referer_set)
		c->real_curl_easy_setopt(h, CURLOPT_REFERER, hs ? hs->referer : NULL);
	if(in->unified) {
		c->real_curl_easy_setopt(h, CURLOPT_HEADEROPT,
					 (long)CURLHEADER_UNIFIED);
		c->real_curl_easy_setopt(h, CURLOPT_PROXYHEADER, hs->proxyheaders);
	}
	if(in->failed) {
		c->real_curl_easy_setopt(h, CURLOPT_URL, app_url);
		return;
	}
	switch(in->p->inject.kind) {
	case TS_INJECT_HEADER:
		c->real_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs ? hs->headers : NULL);
		break;
	case TS_INJECT_COOKIE:
		if(in->cookie_hdr)
			c->real_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs->headers);
		else
			c->real_curl_easy_setopt(h, CURLOPT_COOKIE,
						 hs ? hs->cookie : NULL);
		break;
	case TS_INJECT_QUERY:
		c->real_curl_easy_setopt(h, CURLOPT_URL, app_url);
		break;
	}
}

/* The transfer is over: a token refused on a request that could not be
   replayed is dropped (only while still current), so that the next
   request gets a fresh one; a token whose expiry slides was just
   extended by the server. Then the app's settings go back. */
static void end(struct ts_xfer *in, CURLcode result)
{
	long code = 0;

	if(in->refused)
		ts_engine_refused(in->p, in->tok, in->tok_len);
	else if(in->storm)
		ts_engine_storm(in->p, in->storm_url);
	else if(result == CURLE_OK && in->carrying &&
		in->c->real_curl_easy_getinfo(in->h, CURLINFO_RESPONSE_CODE,
					      &code) == CURLE_OK &&
		code >= 200 && code < 400)
		ts_engine_touch(in->p);
	restore(in, in->h);
	release(in);
}

CURLcode ts_transfer(CURL *h)
{
	struct ts_xfer in;
	CURLcode result;
	char err[512];

	switch(start(&in, h, &result, err, sizeof(err))) {
	case XF_PASS:
		return in.c->real_curl_easy_perform(h);
	case XF_FAIL:
		release(&in);
		return result;
	}
	for(;;) {
		result = in.c->real_curl_easy_perform(h);
		if(!in.swallow)
			break;
		result = again(&in, err, sizeof(err));
		if(result)
			break;
	}
	end(&in, result);
	return result;
}

/* ---- multi transfers ---------------------------------------------------
   The same steps, spread over the multi calls: start at
   curl_multi_add_handle, again when the attempt ends refused, end when
   the app is told the transfer is done. */

/* A URL libcurl refuses at once, without any network traffic: a transfer
   that has no token still runs its course through the multi handle, so
   the app's loop sees it end, with the reason tokenshim gives. */
#define NO_TOKEN_URL "tokenshim-no-token://unavailable/"

/* The transfer cannot go on with a token: from here on it is one that
   never had one, and ends at once when (re)started. */
static CURLcode fail_fast(struct ts_xfer *x, CURLcode result, const char *why)
{
	x->failed = result;
	x->swallow = 0;
	free(x->why);
	x->why = strdup(why);
	if(!x->c || x->c->real_curl_easy_setopt(x->h, CURLOPT_URL, NO_TOKEN_URL))
		return CURLE_FAILED_INIT;
	return CURLE_OK;
}

struct ts_xfer *ts_xfer_start(CURL *h)
{
	struct ts_xfer *x = malloc(sizeof(*x));
	CURLcode result;
	char err[512];

	if(!x)
		return NULL;
	switch(start(x, h, &result, err, sizeof(err))) {
	case XF_PASS:
		free(x);
		return NULL;
	case XF_FAIL:
		drop_injection(x);
		if(fail_fast(x, result, err)) {
			release(x);
			free(x);
			return NULL;
		}
		return x;
	}
	return x;
}

void ts_xfer_count_replays(struct ts_xfer *x, int *replays)
{
	x->replays = replays;
}

int ts_xfer_refused(const struct ts_xfer *x)
{
	return x->swallow;
}

CURLcode ts_xfer_again(struct ts_xfer *x)
{
	CURLcode result;
	char err[512];

	result = again(x, err, sizeof(err));
	if(result == CURLE_OK)
		return CURLE_OK;
	/* what the refused attempt had on the handle goes first: its header
	   list was just wiped */
	restore(x, x->h);
	drop_injection(x);
	x->wrapped = x->guarded = x->referer_set = 0;
	return fail_fast(x, result, err);
}

void ts_xfer_setopt_done(CURL *h, CURLoption opt)
{
	const struct ts_curl *c;
	struct ts_handle *hs;

	if(opt != CURLOPT_WRITEFUNCTION && opt != CURLOPT_WRITEDATA &&
	   opt != CURLOPT_HEADERFUNCTION && opt != CURLOPT_HEADERDATA &&
	   opt != CURLOPT_PREREQFUNCTION && opt != CURLOPT_PREREQDATA)
		return;
	hs = ts_handle_get(h, 0);
	c = ts_real();
	if(!hs || !hs->wrapped_on || !c)
		return;
	/* the app's value is noted (our wrapper passes on to it) and went to
	   libcurl, over ours: ours goes back, at once, since the app may do
	   this in a callback, in the middle of a transfer whose next hop
	   on_prereq must still check */
	switch(opt) {
	case CURLOPT_WRITEFUNCTION:
		c->real_curl_easy_setopt(h, opt, on_write);
		break;
	case CURLOPT_HEADERFUNCTION:
		c->real_curl_easy_setopt(h, opt, on_header);
		break;
	case CURLOPT_PREREQFUNCTION:
		if(hs->prereq_on)
			c->real_curl_easy_setopt(h, opt, on_prereq);
		break;
	case CURLOPT_PREREQDATA:
		if(hs->prereq_on)
			c->real_curl_easy_setopt(h, opt, hs);
		break;
	default:	/* WRITEDATA, HEADERDATA */
		c->real_curl_easy_setopt(h, opt, hs);
		break;
	}
}

void ts_xfer_dup(CURL *from, CURL *copy)
{
	struct ts_handle *hs = ts_handle_get(from, 0);

	if(!hs || !copy)
		return;
	if(hs->xfer)
		restore(hs->xfer, copy);
	else if(hs->wrapped_on)	/* libcurl copied our callbacks and data */
		ts_handle_unwrap(ts_real(), copy, hs);
}

CURLcode ts_xfer_end(struct ts_xfer *x, CURLcode result)
{
	if(x->failed) {
		/* libcurl just wrote its own words into the error buffer */
		result = x->failed;
		if(x->hs && x->hs->errbuf && x->why)
			snprintf(x->hs->errbuf, CURL_ERROR_SIZE, "tokenshim: %s",
				 x->why);
		restore(x, x->h);
		release(x);
	}
	else
		end(x, result);
	free(x);
	return result;
}

int ts_xfer_token(const char *profile, char **tok, size_t *len, char *err,
		  size_t errlen)
{
	struct ts_profile *p = ts_engine_profile(ts_engine(), profile);

	if(!p) {
		snprintf(err, errlen, "no profile named '%s'", profile);
		return -1;
	}
	return ts_engine_token(p, NULL, 0, tok, len, err, errlen);
}
