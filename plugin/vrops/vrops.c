/*
 * vrops: VMware Aria Operations (vRealize Operations) tokens.
 *
 * POST {url}/api/auth/token/acquire with JSON {"username","password"
 * [,"authSource"]} answers the token and its validity, in milliseconds
 * since the epoch. Validity slides: every call extends the token to six
 * hours from that call, so the provider is flagged SLIDING and the host
 * moves the expiry forward on each successful use; a regularly used token
 * is never replaced. A refused login is HTTP 401 with an empty body.
 */
#include <stdio.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"username", NULL, TOKENSHIM_KEY_REQUIRED},
	{"password", NULL, TOKENSHIM_KEY_REQUIRED | TOKENSHIM_KEY_SECRET},
	{"auth_source", NULL, 0},
	{NULL, NULL, 0}
};

static int vr_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", "Accept: application/json",
		NULL
	};
	const char *source = svc->config(ctx, "auth_source");
	struct tokenshim_http_resp r;
	tokenshim_buf *b;
	char url[2048], *password = NULL, *tok = NULL;
	char serr[TOKENSHIM_ERRBUF_SIZE];
	double validity = 0;
	size_t tlen = 0;
	int rc;

	if(svc->secret(ctx, "password", &password, serr)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", serr);
		return TOKENSHIM_ECONFIG;
	}
	b = svc->buf_new();
	if(!b) {
		svc->free(password);
		return TOKENSHIM_ENOMEM;
	}
	svc->buf_add(b, "{\"username\":");
	svc->buf_json_string(b, svc->config(ctx, "username"));
	svc->buf_add(b, ",\"password\":");
	svc->buf_json_string(b, password);
	if(source) {
		svc->buf_add(b, ",\"authSource\":");
		svc->buf_json_string(b, source);
	}
	svc->buf_add(b, "}");
	svc->free(password);
	pv_url(url, sizeof(url), svc->config(ctx, "url"),
	       "/api/auth/token/acquire");
	rc = pv_send_buf(ctx, svc, "POST", url, hdrs, &b, &r, "login", errbuf);
	if(rc != TOKENSHIM_OK)
		return rc;
	if(r.status == 401 && !r.len) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: login refused (HTTP 401)");
		rc = TOKENSHIM_EDENIED;
	}
	else if(r.status != 200)
		rc = pv_refusal(svc, &r, "login", errbuf);
	else if(svc->json_string(r.body, r.len, "token", &tok, &tlen, serr)) {
		rc = pv_refusal(svc, &r, "login", errbuf);
		if(strstr(errbuf, "without a token"))
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "login: answer has no token");
		rc = TOKENSHIM_EPROTO;
	}
	else {
		/* validity is in milliseconds, rounded up to whole seconds so
		   that a short sliding lifetime is not cut by a second;
		   without it the host applies lifetime */
		time_t at = 0;

		rc = pv_number(svc, r.body, r.len, "validity", "login",
			       &validity, errbuf);
		/* an absolute time in ms; the JSON reader bounds it below 2^63,
		   so it converts, and svc->set_token caps it at a year */
		if(rc == 0 && validity > 0)
			at = (time_t)((validity + 999) / 1000);
		if(rc < 0)
			rc = TOKENSHIM_EPROTO;
		else
			rc = svc->set_token(out, tok, tlen, at) ?
			     TOKENSHIM_ENOMEM : TOKENSHIM_OK;
	}
	svc->free(tok);
	svc->http_free(&r);
	return rc;
}

static int vr_release(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *tok, char *errbuf)
{
	static const char *const hdrs[] = { "Accept: application/json", NULL };
	char url[2048];

	pv_url(url, sizeof(url), svc->config(ctx, "url"),
	       "/api/auth/token/release");
	return pv_release(ctx, svc, url, hdrs, "Authorization: vRealizeOpsToken ",
			  tok, errbuf);
}

static const struct tokenshim_provider provider = {
	.name = "vrops",
	.keys = keys,
	.inject = "header = Authorization: vRealizeOpsToken {token}",
	.lifetime = 6 * 3600,
	.flags = TOKENSHIM_PROVIDER_SLIDING,
	.acquire = vr_acquire,
	.release = vr_release,
};

PV_PROVIDER(provider)
