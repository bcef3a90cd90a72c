/*
 * idscan: GBG IDscan Enterprise tokens.
 *
 * A form POST to {url}/token with grant_type=password, username, password
 * and the area the token is for: "scanning" (uploads) or "investigation"
 * (retrieval, administration). A token works only in its area, so users
 * keep one profile per area, matched by path. The token is access_token
 * (some versions: Token or token), sent bare in Authorization (never with
 * "Bearer"); tokens last 10 hours unless expires_in says otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"username", NULL, TOKENSHIM_KEY_REQUIRED},
	{"password", NULL, TOKENSHIM_KEY_REQUIRED | TOKENSHIM_KEY_SECRET},
	{"area", NULL, TOKENSHIM_KEY_REQUIRED},
	{NULL, NULL, 0}
};

static const char *const token_keys[] = { "access_token", "Token", "token",
					  NULL };

static int is_area(const char *a)
{
	return a && (!strcmp(a, "scanning") || !strcmp(a, "investigation"));
}

static int ids_validate(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
			char *errbuf)
{
	const char *area = svc->config(ctx, "area");

	if(is_area(area))
		return TOKENSHIM_OK;
	snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
		 "area must be scanning or investigation, not '%s'",
		 area ? area : "");
	return TOKENSHIM_ECONFIG;
}

static int ids_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       struct tokenshim_token *out, char *errbuf)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL
	};
	struct tokenshim_http_resp r;
	tokenshim_buf *form;
	char url[2048], *password = NULL, serr[TOKENSHIM_ERRBUF_SIZE];
	int rc;

	if(svc->secret(ctx, "password", &password, serr)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", serr);
		return TOKENSHIM_ECONFIG;
	}
	form = svc->buf_new();
	if(!form) {
		svc->free(password);
		return TOKENSHIM_ENOMEM;
	}
	/* the keys are lower case, as the service requires */
	svc->buf_form(form, "grant_type", "password");
	svc->buf_form(form, "username", svc->config(ctx, "username"));
	svc->buf_form(form, "password", password);
	svc->buf_form(form, "area", svc->config(ctx, "area"));
	svc->free(password);
	pv_url(url, sizeof(url), svc->config(ctx, "url"), "/token");
	rc = pv_send_buf(ctx, svc, "POST", url, hdrs, &form, &r, "login", errbuf);
	if(rc != TOKENSHIM_OK)
		return rc;
	rc = pv_oauth_answer(svc, &r, "login", token_keys, 0, NULL, 0, out,
			     errbuf);
	svc->http_free(&r);
	return rc;
}

static const struct tokenshim_provider provider = {
	.name = "idscan",
	.keys = keys,
	.inject = "header = Authorization: {token}",
	.lifetime = 36000,
	.acquire = ids_acquire,
	.validate = ids_validate,
};

PV_PROVIDER(provider)
