/*
 * services: what the host gives every provider call (the
 * tokenshim_services table of the provider ABI). Questions about
 * profiles go up to the engine through the callbacks it set at init.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

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

static int svc_secret(tokenshim_ctx *ctx, const char *key, char **out,
		      char *errbuf)
{
	/* the literal first, then the suffixes in TS_SECRET_SUFFIXES order */
	static const char *const suffixes[] = TS_SECRET_SUFFIXES;
	static const enum ts_secret_src srcs[] = { TS_SECRET_ENV, TS_SECRET_FILE,
						   TS_SECRET_CMD };
	const struct tokenshim_key *k;
	size_t i;

	for(i = 0; i <= sizeof(srcs) / sizeof(srcs[0]); i++) {
		char name[96];
		const char *v;

		snprintf(name, sizeof(name), "%s%s", key, i ? suffixes[i - 1] : "");
		v = own(ctx, name);
		if(!v)
			continue;
		if(ts_secret_read(i ? srcs[i - 1] : TS_SECRET_LITERAL, v,
				  ctx->timeout_ms, out, errbuf,
				  TOKENSHIM_ERRBUF_SIZE))
			return -1;
		return 0;
	}
	k = ctx->mod ? ts_provider_key(ctx->mod, key) : NULL;
	if(k && k->def) {
		*out = strdup(k->def);
		return *out ? 0 : -1;
	}
	snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "no %s configured", key);
	return -1;
}

static int svc_http(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		    struct tokenshim_http_resp *resp, char *errbuf)
{
	struct ts_http_opts o;

	o.timeout_ms = ctx->timeout_ms;
	o.ca_file = ctx->ca_file;
	o.insecure = ctx->insecure;
	o.route = ctx->route;
	ts_debug("profile %s: %s %s", ctx->profile, req->method, req->url);
	return ts_http(&o, req, resp, errbuf);
}

static int svc_json_string(const char *body, size_t len, const char *path,
			   char **out, size_t *outlen, char *errbuf)
{
	struct ts_json j;
	int rc;

	if(ts_json_parse(&j, body, len, errbuf, TOKENSHIM_ERRBUF_SIZE))
		return TS_JSON_BAD;
	rc = ts_json_string(&j, path, out, outlen);
	ts_json_free(&j);
	return rc;
}

static int svc_json_number(const char *body, size_t len, const char *path,
			   double *out, char *errbuf)
{
	struct ts_json j;
	int rc;

	if(ts_json_parse(&j, body, len, errbuf, TOKENSHIM_ERRBUF_SIZE))
		return TS_JSON_BAD;
	rc = ts_json_number(&j, path, out);
	ts_json_free(&j);
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
	if(set_bytes(&t->token, &t->token_len, token, len))
		return -1;
	t->expires_at = expires_at;
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

static int svc_b64url_decode(const char *in, size_t len, char **out,
			     size_t *outlen)
{
	struct ts_buf b = {0};
	unsigned char *dec;
	size_t i;
	int n;

	if(len > 1024 * 1024)
		return -1;
	for(i = 0; i < len; i++) {
		char c = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];

		if(c == '=')
			break;
		if(!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		     (c >= '0' && c <= '9') || c == '+' || c == '/')) {
			ts_buf_free(&b);
			return -1;
		}
		ts_buf_add(&b, &c, 1);
	}
	if(b.len % 4 == 1) {
		ts_buf_free(&b);
		return -1;
	}
	while(b.len % 4)
		ts_buf_add(&b, "=", 1);
	dec = malloc(b.len / 4 * 3 + 1);
	if(!dec || b.oom) {
		free(dec);
		ts_buf_free(&b);
		return -1;
	}
	n = b.len ? EVP_DecodeBlock(dec, (unsigned char *)b.p, (int)b.len) : 0;
	if(n < 0) {
		free(dec);
		ts_buf_free(&b);
		return -1;
	}
	/* EVP_DecodeBlock counts the bytes that padding stands for */
	for(i = b.len; i > 0 && b.p[i - 1] == '='; i--)
		n--;
	dec[n] = '\0';
	ts_buf_free(&b);
	*out = (char *)dec;
	*outlen = (size_t)n;
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
	rc = ts_run(argv, extra, ctx->timeout_ms, TS_HTTP_MAX, out, outlen,
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
	.http_free = ts_http_free,
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
};

const struct tokenshim_services *ts_services(void)
{
	return &services;
}
