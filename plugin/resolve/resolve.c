/*
 * resolve: Resolve Insights (formerly FixStream NCE) tokens.
 *
 * A Spring Security OAuth2 server: a password grant on {url}/oauth/token
 * with the product's client (fixstreamapp / fixstream by default) gives an
 * access token, its expires_in and a refresh token. Before expiry the
 * token is renewed with the refresh grant, keeping a new refresh token when
 * the server rotates it; a refused refresh (invalid_grant) falls back to a
 * full login, which the host does when refresh answers TOKENSHIM_EDENIED.
 */
#include <stdio.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"username", NULL, TOKENSHIM_KEY_REQUIRED},
	{"password", NULL, TOKENSHIM_KEY_REQUIRED | TOKENSHIM_KEY_SECRET},
	{"client_id", "fixstreamapp", 0},
	{"client_secret", "fixstream", TOKENSHIM_KEY_SECRET},
	{"scope", "read write trust", 0},
	{NULL, NULL, 0}
};

/* Posts the form to {url}/oauth/token and reads the answer. */
static int token_call(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      tokenshim_buf **form, const char *step,
		      const struct tokenshim_token *old,
		      struct tokenshim_token *out, char *errbuf)
{
	char url[2048], *secret = NULL, serr[TOKENSHIM_ERRBUF_SIZE];

	if(svc->secret(ctx, "client_secret", &secret, serr)) {
		svc->buf_free(form);
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s", step, serr);
		return TOKENSHIM_ECONFIG;
	}
	svc->buf_form(*form, "client_id", svc->config(ctx, "client_id"));
	svc->buf_form(*form, "client_secret", secret);
	svc->free(secret);
	pv_url(url, sizeof(url), svc->config(ctx, "url"), "/oauth/token");
	return pv_oauth_post(ctx, svc, url, NULL, form, step, old, out, errbuf);
}

static int rs_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	tokenshim_buf *form = svc->buf_new();
	char *password = NULL, serr[TOKENSHIM_ERRBUF_SIZE];

	if(!form)
		return TOKENSHIM_ENOMEM;
	if(svc->secret(ctx, "password", &password, serr)) {
		svc->buf_free(&form);
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", serr);
		return TOKENSHIM_ECONFIG;
	}
	svc->buf_form(form, "grant_type", "password");
	svc->buf_form(form, "username", svc->config(ctx, "username"));
	svc->buf_form(form, "password", password);
	svc->buf_form(form, "scope", svc->config(ctx, "scope"));
	svc->free(password);
	return token_call(ctx, svc, &form, "login", NULL, out, errbuf);
}

static int rs_refresh(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *old,
		      struct tokenshim_token *out, char *errbuf)
{
	int rc;
	tokenshim_buf *form = pv_refresh_form(svc, old, &rc, errbuf);

	if(!form)
		return rc;
	return token_call(ctx, svc, &form, "refresh", old, out, errbuf);
}

static const struct tokenshim_provider provider = {
	.name = "resolve",
	.keys = keys,
	.inject = "header = Authorization: Bearer {token}",
	.lifetime = 3600,
	.acquire = rs_acquire,
	.refresh = rs_refresh,
};

PV_PROVIDER(provider)
