/*
 * automation-anywhere: Automation Anywhere Control Room tokens.
 *
 * POST {url}/{api_version}/authentication with JSON {"username","apiKey"}
 * or {"username","password"} (plus "multipleLogin" when configured) gives
 * a JWT, sent as "X-Authorization: X". Its expiry is the payload's exp
 * claim (read without trusting the signature; unknown claims are fine),
 * else 20 minutes. Before expiry it is renewed with POST .../authentication
 * /token; an expired token cannot be renewed, so the host logs in again.
 * A new login of a user without multipleLogin kills that user's earlier
 * token, which is why one shared login matters here.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"username", NULL, TOKENSHIM_KEY_REQUIRED},
	{"api_key", NULL, TOKENSHIM_KEY_SECRET},
	{"password", NULL, TOKENSHIM_KEY_SECRET},
	{"api_version", "v1", 0},
	{"multiple_login", NULL, 0},
	{NULL, NULL, 0}
};

static int aa_validate(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       char *errbuf)
{
	const char *v = svc->config(ctx, "api_version");
	const char *ml = svc->config(ctx, "multiple_login");
	int key = pv_secret_set(ctx, svc, "api_key");
	int pw = pv_secret_set(ctx, svc, "password");

	if(key == pw) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 key ? "set api_key or password, not both" :
			       "missing required key 'api_key' (or 'password')");
		return TOKENSHIM_ECONFIG;
	}
	if(strcmp(v, "v1") && strcmp(v, "v2")) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "api_version must be v1 or v2 (v.33 and later), not '%s'",
			 v);
		return TOKENSHIM_ECONFIG;
	}
	if(ml && ts_parse_bool(ml) < 0) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "multiple_login must be true or false, not '%s'", ml);
		return TOKENSHIM_ECONFIG;
	}
	return TOKENSHIM_OK;
}

static void endpoint(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		     const char *what, char *out, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/%s/authentication%s",
		 svc->config(ctx, "api_version"), what);
	pv_url(out, len, svc->config(ctx, "url"), path);
}

/* The exp claim of a JWT: 0 when the token is no JWT or says nothing
   (the profile's lifetime then applies), -1 when exp is there but is no
   time. */
static time_t jwt_exp(const struct tokenshim_services *svc, const char *jwt)
{
	const char *p1 = strchr(jwt, '.'), *p2;
	char *payload = NULL, jerr[TOKENSHIM_ERRBUF_SIZE] = "";
	size_t plen;
	double exp = 0;
	int rc;

	if(!p1 || !(p2 = strchr(p1 + 1, '.')))
		return 0;
	if(svc->b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), &payload, &plen))
		return 0;
	rc = svc->json_number(payload, plen, "exp", &exp, jerr);
	svc->free(payload);
	if(rc == -1 || (rc == -3 && jerr[0]))
		return 0;	/* no exp, or a payload that is no JSON */
	if(rc != 0 || exp <= 0)
		return -1;
	/* below 2^63 (the JSON reader's bound), so it converts;
	   svc->set_token caps it at a year */
	return (time_t)exp;
}

/* Reads {"token": JWT} into out. */
static int token_answer(const struct tokenshim_services *svc,
			struct tokenshim_http_resp *r, const char *step,
			struct tokenshim_token *out, char *errbuf)
{
	char *tok = NULL, jerr[TOKENSHIM_ERRBUF_SIZE];
	size_t tlen;
	time_t exp;
	int rc;

	if(r->status != 200)
		return pv_refusal(svc, r, step, errbuf);
	if(svc->json_string(r->body, r->len, "token", &tok, &tlen, jerr)) {
		pv_refusal(svc, r, step, errbuf);
		if(strstr(errbuf, "without a token"))
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: answer has no token", step);
		return TOKENSHIM_EPROTO;
	}
	exp = jwt_exp(svc, tok);
	if(exp < 0) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s: the token's exp claim is not a time", step);
		svc->free(tok);
		return TOKENSHIM_EPROTO;
	}
	rc = svc->set_token(out, tok, tlen, exp) ? TOKENSHIM_ENOMEM :
						   TOKENSHIM_OK;
	svc->free(tok);
	return rc;
}

static int aa_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	static const char *const hdrs[] = {
		"Content-Type: application/json", "Accept: application/json",
		NULL
	};
	int use_key = pv_secret_set(ctx, svc, "api_key");
	const char *ml = svc->config(ctx, "multiple_login");
	struct tokenshim_http_resp r;
	tokenshim_buf *b;
	char url[2048], *secret = NULL, serr[TOKENSHIM_ERRBUF_SIZE];
	int rc;

	if(svc->secret(ctx, use_key ? "api_key" : "password", &secret, serr)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", serr);
		return TOKENSHIM_ECONFIG;
	}
	b = svc->buf_new();
	if(!b) {
		svc->free(secret);
		return TOKENSHIM_ENOMEM;
	}
	/* API keys hold \, ", [ and {: the JSON encoder escapes them */
	svc->buf_add(b, "{\"username\":");
	svc->buf_json_string(b, svc->config(ctx, "username"));
	svc->buf_add(b, use_key ? ",\"apiKey\":" : ",\"password\":");
	svc->buf_json_string(b, secret);
	if(ml)
		svc->buf_add(b, ts_parse_bool(ml) ? ",\"multipleLogin\":true" :
					      ",\"multipleLogin\":false");
	svc->buf_add(b, "}");
	svc->free(secret);
	endpoint(ctx, svc, "", url, sizeof(url));
	rc = pv_send_buf(ctx, svc, "POST", url, hdrs, &b, &r, "login", errbuf);
	if(rc != TOKENSHIM_OK)
		return rc;
	rc = token_answer(svc, &r, "login", out, errbuf);
	svc->http_free(&r);
	return rc;
}

/* A request that carries the token in X-Authorization. */
static int with_token(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const char *what, const struct tokenshim_token *tok,
		      tokenshim_buf **body, struct tokenshim_http_resp *r,
		      const char *step, char *errbuf)
{
	static const char *const hdrs[] = { "Content-Type: application/json",
					    "Accept: application/json", NULL };
	const char *data = NULL;
	size_t dlen = 0;
	char url[2048];
	int rc;

	if(body && !(data = svc->buf_data(*body, &dlen))) {
		svc->buf_free(body);
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: out of memory", step);
		return TOKENSHIM_ENOMEM;
	}
	endpoint(ctx, svc, what, url, sizeof(url));
	rc = pv_send_auth(ctx, svc, "POST", url, hdrs, "X-Authorization: ",
			  tok->token, data ? data : "", dlen, r, step, errbuf);
	if(body)
		svc->buf_free(body);
	return rc;
}

static int aa_refresh(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *old,
		      struct tokenshim_token *out, char *errbuf)
{
	struct tokenshim_http_resp r;
	tokenshim_buf *b;
	int rc;

	if(!old->token || old->expires_at <= time(NULL)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "refresh: an expired token cannot be renewed");
		return TOKENSHIM_EDENIED;
	}
	b = svc->buf_new();
	if(!b)
		return TOKENSHIM_ENOMEM;
	svc->buf_add(b, "{\"token\":");
	svc->buf_json_string(b, old->token);
	svc->buf_add(b, "}");
	rc = with_token(ctx, svc, "/token", old, &b, &r, "refresh", errbuf);
	if(rc != TOKENSHIM_OK)
		return rc;
	rc = token_answer(svc, &r, "refresh", out, errbuf);
	svc->http_free(&r);
	return rc;
}

static int aa_release(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *tok, char *errbuf)
{
	static const char *const hdrs[] = { "Content-Type: application/json",
					    "Accept: application/json", NULL };
	char url[2048];

	endpoint(ctx, svc, "/logout", url, sizeof(url));
	return pv_release(ctx, svc, url, hdrs, "X-Authorization: ", tok, errbuf);
}

static const struct tokenshim_provider provider = {
	.name = "automation-anywhere",
	.keys = keys,
	.inject = "header = X-Authorization: {token}",
	.lifetime = 20 * 60,
	.acquire = aa_acquire,
	.refresh = aa_refresh,
	.release = aa_release,
	.validate = aa_validate,
};

PV_PROVIDER(provider)
