/*
 * services: what the host gives every provider call (the
 * tokenshim_services table of the provider ABI). Questions about
 * profiles go up to the engine through the callbacks it set at init.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "provider/http.h"
#include "provider/provider.h"
#include "provider/secret.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/str.h"

static const struct ts_provider_host *host;

void ts_services_init(const struct ts_provider_host *h)
{
	__atomic_store_n(&host, h, __ATOMIC_RELEASE);
}

static const struct ts_provider_host *up(void)
{
	return __atomic_load_n(&host, __ATOMIC_ACQUIRE);
}

static const char *svc_profile(tokenshim_ctx *ctx)
{
	return ctx->profile;
}

/* The profile's own value of key, without the provider's default. */
static const char *own(tokenshim_ctx *ctx, const char *key)
{
	const struct ts_provider_host *h = up();

	return h && h->config ? h->config(ctx->owner, key) : NULL;
}

static const char *svc_config(tokenshim_ctx *ctx, const char *key)
{
	const char *v = own(ctx, key);
	const struct tokenshim_key *k;

	if(v)
		return v;
	k = ctx->mod ? ts_provider_key(ctx->mod, key) : NULL;
	return k ? k->def : NULL;
}

/* Time left of the call's whole budget: a login's every request, command
   and parse share the profile's one timeout. */
static long time_left(tokenshim_ctx *ctx)
{
	return ctx->deadline_ms ? ctx->deadline_ms - ts_now_ms() : ctx->timeout_ms;
}

static const char *own_setting(const void *ctx, const char *name)
{
	return own((tokenshim_ctx *)ctx, name);
}

static int svc_secret(tokenshim_ctx *ctx, const char *key, char **out,
		      char *errbuf)
{
	const struct tokenshim_key *k;
	enum ts_secret_src src;
	const char *v = ts_secret_find(key, own_setting, ctx, &src, NULL, 0);

	if(v)
		return ts_secret_read(src, v, time_left(ctx), out, errbuf,
				      TOKENSHIM_ERRBUF_SIZE) ? -1 : 0;
	k = ctx->mod ? ts_provider_key(ctx->mod, key) : NULL;
	if(k && k->def) {
		*out = strdup(k->def);
		return *out ? 0 : -1;
	}
	snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "no %s configured", key);
	return -1;
}

/* Non-zero when s holds a byte that would end a header line or the
   request line: a token from a server ("abc\r\nX-Injected: yes") must
   never reach the wire that way, in a provider's own follow-up calls
   either. */
static int breaks_line(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s < 0x20 && *s != '\t')
			return 1;
	return 0;
}

/* The answers providers hold, from svc->http to svc->http_free, each
   parsed at most once whatever the number of lookups in it. Per thread:
   a provider call runs on one. */
#define LIVE_MAX 4
static __thread struct live {
	const char *body;
	size_t len;
	int state;		/* 0 unparsed, 1 parsed, -1 not JSON */
	struct ts_json j;
	char err[128];
} live[LIVE_MAX];

static void live_add(const struct tokenshim_http_resp *r)
{
	int i, slot = 0;

	for(i = 0; i < LIVE_MAX; i++)
		if(!live[i].body) {
			slot = i;
			break;
		}
	/* all taken (a provider that frees answers some other way): the
	   oldest goes, and is parsed afresh if asked again */
	if(live[slot].body)
		ts_json_free(&live[slot].j);
	memset(&live[slot], 0, sizeof(live[slot]));
	live[slot].body = r->body;
	live[slot].len = r->len;
}

static void svc_http_free(struct tokenshim_http_resp *r)
{
	int i;

	for(i = 0; r->body && i < LIVE_MAX; i++)
		if(live[i].body == r->body) {
			ts_json_free(&live[i].j);
			memset(&live[i], 0, sizeof(live[i]));
		}
	ts_http_free(r);
}

static int svc_http(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		    struct tokenshim_http_resp *resp, char *errbuf)
{
	struct ts_http_opts o;
	const char *const *h;
	char where[512];
	int rc;

	memset(resp, 0, sizeof(*resp));
	for(h = req->headers; h && *h; h++)
		if(breaks_line(*h)) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "refusing to send a header with a control character in it "
				 "(a token or setting holds CR, LF or NUL)");
			return TOKENSHIM_EPROTO;
		}
	if(breaks_line(req->url) || strchr(req->url, ' ')) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "refusing to request a URL with a space or control character in it");
		return TOKENSHIM_EPROTO;
	}
	o.timeout_ms = time_left(ctx);
	if(o.timeout_ms <= 0) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s %s: no time left within timeout (%ld ms)", req->method,
			 ts_safe_url(req->url, where, sizeof(where)), ctx->timeout_ms);
		return TOKENSHIM_ECONNECT;
	}
	o.ca_file = ctx->ca_file;
	o.insecure = ctx->insecure;
	o.route = ctx->route;
	if(ts_debug_enabled())
		ts_debug("profile %s: %s %s", ctx->profile, req->method,
			 ts_safe_url(req->url, where, sizeof(where)));
	rc = ts_http(&o, req, resp, errbuf);
	if(rc == TOKENSHIM_OK)
		live_add(resp);
	return rc;
}

/* The parsed form of body: the live answer's, parsed on first use, or
   tmp parsed now for text that is no answer (a JWT's payload, a
   command's output). NULL with errbuf when it is not JSON. */
static const struct ts_json *parsed(const char *body, size_t len,
				    struct ts_json *tmp, char *errbuf)
{
	int i;

	for(i = 0; body && i < LIVE_MAX; i++) {
		struct live *l = &live[i];

		if(l->body != body || l->len != len)
			continue;
		if(!l->state)
			l->state = ts_json_parse(&l->j, body, len, l->err,
						 sizeof(l->err)) ? -1 : 1;
		if(l->state < 0) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s", l->err);
			return NULL;
		}
		return &l->j;
	}
	if(ts_json_parse(tmp, body, len, errbuf, TOKENSHIM_ERRBUF_SIZE))
		return NULL;
	return tmp;
}

static int svc_json_string(const char *body, size_t len, const char *path,
			   char **out, size_t *outlen, char *errbuf)
{
	struct ts_json tmp = {0};
	const struct ts_json *j = parsed(body, len, &tmp, errbuf);
	int rc;

	if(!j)
		return TS_JSON_BAD;
	rc = ts_json_string(j, path, out, outlen);
	ts_json_free(&tmp);
	return rc;
}

static int svc_json_number(const char *body, size_t len, const char *path,
			   double *out, char *errbuf)
{
	struct ts_json tmp = {0};
	const struct ts_json *j = parsed(body, len, &tmp, errbuf);
	int rc;

	if(!j)
		return TS_JSON_BAD;
	rc = ts_json_number(j, path, out);
	ts_json_free(&tmp);
	return rc;
}

struct tokenshim_buf {
	struct ts_buf b;
};

static tokenshim_buf *svc_buf_new(void)
{
	return calloc(1, sizeof(tokenshim_buf));
}

static void svc_buf_add(tokenshim_buf *b, const char *s)
{
	ts_buf_adds(&b->b, s);
}

static void svc_buf_json_string(tokenshim_buf *b, const char *s)
{
	ts_json_add_string(&b->b, s);
}

static void svc_buf_form(tokenshim_buf *b, const char *key, const char *val)
{
	if(b->b.len)
		ts_buf_add(&b->b, "&", 1);
	ts_buf_urlencode(&b->b, key, strlen(key));
	ts_buf_add(&b->b, "=", 1);
	ts_buf_urlencode(&b->b, val, strlen(val));
}

static const char *svc_buf_data(tokenshim_buf *b, size_t *len)
{
	if(b->b.oom)
		return NULL;
	if(!b->b.p && ts_buf_add(&b->b, "", 0))
		return NULL;
	*len = b->b.len;
	return b->b.p;
}

static void svc_buf_free(tokenshim_buf **b)
{
	if(!*b)
		return;
	ts_buf_free(&(*b)->b);
	free(*b);
	*b = NULL;
}

static int set_bytes(const char **dst, size_t *dlen, const char *s, size_t n)
{
	char *copy = malloc(n + 1);

	if(!copy)
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	if(*dst) {
		ts_wipe((void *)*dst, *dlen);
		free((void *)*dst);
	}
	*dst = copy;
	*dlen = n;
	return 0;
}

static int svc_set_token(struct tokenshim_token *t, const char *token,
			 size_t len, time_t expires_at)
{
	time_t cap = time(NULL) + 365L * 86400;

	if(set_bytes(&t->token, &t->token_len, token, len))
		return -1;
	/* no server's word keeps a token for more than a year */
	t->expires_at = expires_at > cap ? cap : expires_at;
	return 0;
}

static int svc_set_extra(struct tokenshim_token *t, const char *extra,
			 size_t len)
{
	return set_bytes(&t->extra, &t->extra_len, extra, len);
}

void ts_token_clear(struct tokenshim_token *t)
{
	if(t->token) {
		ts_wipe((void *)t->token, t->token_len);
		free((void *)t->token);
	}
	if(t->extra) {
		ts_wipe((void *)t->extra, t->extra_len);
		free((void *)t->extra);
	}
	memset(t, 0, sizeof(*t));
}

static void svc_debug(tokenshim_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if(!ts_debug_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ts_debug("profile %s: %s", ctx->profile, line);
}

static void svc_free(char *s)
{
	ts_free_secret(&s);
}

static const char *svc_request_url(tokenshim_ctx *ctx)
{
	return ctx->url;
}

static const char *svc_peer_config(tokenshim_ctx *ctx, const char *profile,
				   const char *key)
{
	const struct ts_provider_host *h = up();

	return h && h->peer_config ? h->peer_config(ctx->owner, profile, key) :
				     NULL;
}

static int svc_peer_token(tokenshim_ctx *ctx, const char *profile, char **out,
			  size_t *len, char *errbuf)
{
	const struct ts_provider_host *h = up();

	if(!h || !h->peer_token) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "no other profile named '%s'", profile);
		return TOKENSHIM_ECONFIG;
	}
	return h->peer_token(ctx->owner, profile, out, len, errbuf);
}

static void svc_peer_refused(tokenshim_ctx *ctx, const char *profile,
			     const char *tok, size_t len)
{
	const struct ts_provider_host *h = up();

	if(h && h->peer_refused)
		h->peer_refused(ctx->owner, profile, tok, len);
}

/* The value of a base64 or base64url digit, or -1. */
static int b64_digit(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
	       c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' || c == '-' ? 62 :
	       c == '/' || c == '_' ? 63 : -1;
}

/* base64url (or base64), padded or not: JWT payloads. */
static int svc_b64url_decode(const char *in, size_t len, char **out,
			     size_t *outlen)
{
	unsigned char *dec;
	unsigned long acc = 0;
	size_t i, n = 0, digits = 0;

	if(len > 1024 * 1024)
		return -1;
	dec = malloc(len / 4 * 3 + 4);
	if(!dec)
		return -1;
	for(i = 0; i < len && in[i] != '='; i++) {
		int v = b64_digit(in[i]);

		if(v < 0) {
			free(dec);
			return -1;
		}
		acc = acc << 6 | (unsigned long)v;
		if(++digits % 4 == 0) {
			dec[n++] = (unsigned char)(acc >> 16);
			dec[n++] = (unsigned char)(acc >> 8);
			dec[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	/* the rest is padding only; a lone digit carries no whole byte */
	for(; i < len; i++)
		if(in[i] != '=') {
			free(dec);
			return -1;
		}
	switch(digits % 4) {
	case 1:
		free(dec);
		return -1;
	case 2:
		dec[n++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		dec[n++] = (unsigned char)(acc >> 10);
		dec[n++] = (unsigned char)(acc >> 2);
		break;
	}
	dec[n] = '\0';
	*out = (char *)dec;
	*outlen = n;
	return 0;
}

static int svc_run(tokenshim_ctx *ctx, const char *cmdline, char **out,
		   size_t *outlen, char **err, int *status, char *errbuf)
{
	struct ts_buf env = {0};
	char *extra[2] = {NULL, NULL};
	char **argv = ts_argv_split(cmdline, errbuf, TOKENSHIM_ERRBUF_SIZE);
	int rc;

	if(!argv)
		return -1;
	ts_buf_printf(&env, "TOKENSHIM_PROFILE=%s", ctx->profile);
	extra[0] = env.p;
	rc = ts_run(argv, extra, time_left(ctx), TS_HTTP_MAX, out, outlen,
		    err, status, errbuf, TOKENSHIM_ERRBUF_SIZE);
	ts_buf_free(&env);
	ts_argv_free(&argv);
	return rc;
}

static const struct tokenshim_services services = {
	.version = TOKENSHIM_PROVIDER_ABI,
	.profile = svc_profile,
	.config = svc_config,
	.secret = svc_secret,
	.http = svc_http,
	.http_free = svc_http_free,
	.json_string = svc_json_string,
	.json_number = svc_json_number,
	.buf_new = svc_buf_new,
	.buf_add = svc_buf_add,
	.buf_json_string = svc_buf_json_string,
	.buf_form = svc_buf_form,
	.buf_data = svc_buf_data,
	.buf_free = svc_buf_free,
	.set_token = svc_set_token,
	.set_extra = svc_set_extra,
	.debug = svc_debug,
	.wipe = ts_wipe,
	.free = svc_free,
	.request_url = svc_request_url,
	.peer_config = svc_peer_config,
	.peer_token = svc_peer_token,
	.b64url_decode = svc_b64url_decode,
	.run = svc_run,
	.peer_refused = svc_peer_refused,
};

const struct tokenshim_services *ts_services(void)
{
	return &services;
}
