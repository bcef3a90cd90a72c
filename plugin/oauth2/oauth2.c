/*
 * oauth2: any OAuth 2.0 token endpoint (RFC 6749), the most common case in
 * enterprises: client_credentials for service accounts, password for
 * user-bound tokens, or a long-lived refresh_token issued elsewhere. The
 * client authenticates with HTTP Basic (default) or in the form body;
 * audience and resource are passed when set. A refresh token in an
 * answer is kept and used before the access token expires.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"token_url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"grant", "client_credentials", 0},
	{"client_id", NULL, 0},
	{"client_secret", NULL, TOKENSHIM_KEY_SECRET},
	{"client_auth", "basic", 0},
	{"scope", NULL, 0},
	{"audience", NULL, 0},
	{"resource", NULL, 0},
	{"username", NULL, 0},
	{"password", NULL, TOKENSHIM_KEY_SECRET},
	{"refresh_token", NULL, TOKENSHIM_KEY_SECRET},
	{NULL, NULL, 0}
};

static int o2_validate(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       char *errbuf)
{
	const char *grant = svc->config(ctx, "grant");
	const char *auth = svc->config(ctx, "client_auth");

	if(strcmp(auth, "basic") && strcmp(auth, "body")) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "client_auth must be basic or body, not '%s'", auth);
		return TOKENSHIM_ECONFIG;
	}
	if(!strcmp(grant, "client_credentials")) {
		if(!svc->config(ctx, "client_id") ||
		   !pv_secret_set(ctx, svc, "client_secret")) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "grant client_credentials needs client_id and client_secret");
			return TOKENSHIM_ECONFIG;
		}
	}
	else if(!strcmp(grant, "password")) {
		if(!svc->config(ctx, "username") ||
		   !pv_secret_set(ctx, svc, "password")) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "grant password needs username and password");
			return TOKENSHIM_ECONFIG;
		}
	}
	else if(!strcmp(grant, "refresh_token")) {
		if(!pv_secret_set(ctx, svc, "refresh_token")) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "grant refresh_token needs refresh_token");
			return TOKENSHIM_ECONFIG;
		}
	}
	else {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "grant must be client_credentials, password or refresh_token, not '%s'",
			 grant);
		return TOKENSHIM_ECONFIG;
	}
	return TOKENSHIM_OK;
}

/* "Authorization: Basic base64(urlencode(id):urlencode(secret))", as RFC
   6749 section 2.3.1 asks. */
static char *basic_header(const struct tokenshim_services *svc,
			  const char *id, const char *secret)
{
	tokenshim_buf *b = svc->buf_new(), *h;
	const char *pair;
	size_t n;
	char *enc, *out = NULL;

	if(!b)
		return NULL;
	svc->buf_form(b, id, secret);	/* "id=secret", each %-encoded */
	pair = svc->buf_data(b, &n);
	enc = pair ? malloc(4 * ((n + 2) / 3) + 1) : NULL;
	if(enc) {
		char *eq = strchr(pair, '=');

		*eq = ':';
		pv_base64((const unsigned char *)pair, n, enc);
		svc->wipe((char *)pair, n);
		h = svc->buf_new();
		if(h) {
			const char *d;

			svc->buf_add(h, "Authorization: Basic ");
			svc->buf_add(h, enc);
			d = svc->buf_data(h, &n);
			out = d ? strdup(d) : NULL;
			svc->buf_free(&h);
		}
		svc->wipe(enc, strlen(enc));
		free(enc);
	}
	svc->buf_free(&b);
	return out;
}

/* Adds the client, posts the form and reads the answer. */
static int token_call(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      tokenshim_buf **form, const char *step,
		      const struct tokenshim_token *old,
		      struct tokenshim_token *out, char *errbuf)
{
	const char *id = svc->config(ctx, "client_id");
	char *secret = NULL, *basic = NULL, serr[TOKENSHIM_ERRBUF_SIZE];
	int rc;

	if(pv_secret_set(ctx, svc, "client_secret") &&
	   svc->secret(ctx, "client_secret", &secret, serr)) {
		svc->buf_free(form);
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s", step, serr);
		return TOKENSHIM_ECONFIG;
	}
	if(id && secret && !strcmp(svc->config(ctx, "client_auth"), "basic")) {
		basic = basic_header(svc, id, secret);
		if(!basic) {
			svc->free(secret);
			svc->buf_free(form);
			return TOKENSHIM_ENOMEM;
		}
	}
	else if(id) {
		svc->buf_form(*form, "client_id", id);
		if(secret)
			svc->buf_form(*form, "client_secret", secret);
	}
	svc->free(secret);
	rc = pv_oauth_post(ctx, svc, svc->config(ctx, "token_url"), basic, form,
			   step, old, out, errbuf);
	svc->free(basic);
	return rc;
}

static void extras(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		   tokenshim_buf *form)
{
	static const char *const names[] = { "scope", "audience", "resource",
					     NULL };
	int i;

	for(i = 0; names[i]; i++)
		if(svc->config(ctx, names[i]))
			svc->buf_form(form, names[i], svc->config(ctx, names[i]));
}

static int o2_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	const char *grant = svc->config(ctx, "grant");
	tokenshim_buf *form = svc->buf_new();
	char *secret = NULL, serr[TOKENSHIM_ERRBUF_SIZE];

	if(!form)
		return TOKENSHIM_ENOMEM;
	svc->buf_form(form, "grant_type", grant);
	if(!strcmp(grant, "password") || !strcmp(grant, "refresh_token")) {
		const char *key = grant[0] == 'p' ? "password" : "refresh_token";

		if(svc->secret(ctx, key, &secret, serr)) {
			svc->buf_free(&form);
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", serr);
			return TOKENSHIM_ECONFIG;
		}
		if(grant[0] == 'p')
			svc->buf_form(form, "username",
				      svc->config(ctx, "username"));
		svc->buf_form(form, key, secret);
		svc->free(secret);
	}
	extras(ctx, svc, form);
	return token_call(ctx, svc, &form, "login", NULL, out, errbuf);
}

static int o2_refresh(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *old,
		      struct tokenshim_token *out, char *errbuf)
{
	int rc;
	tokenshim_buf *form = pv_refresh_form(svc, old, &rc, errbuf);

	if(!form)
		return rc;
	extras(ctx, svc, form);
	return token_call(ctx, svc, &form, "refresh", old, out, errbuf);
}

static const struct tokenshim_provider provider = {
	.name = "oauth2",
	.keys = keys,
	.inject = "header = Authorization: Bearer {token}",
	.lifetime = 3600,
	.acquire = o2_acquire,
	.refresh = o2_refresh,
	.validate = o2_validate,
};

PV_PROVIDER(provider)
