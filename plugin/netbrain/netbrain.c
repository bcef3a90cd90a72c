/*
 * netbrain: NetBrain's session tokens.
 *
 * Login is POST {url}/V1/Session with JSON {"username","password"
 * [,"authentication_id"]}. NetBrain answers HTTP 200 even for failures: a
 * login succeeded only when statusCode is 790200, and otherwise
 * statusDescription says why. A session then chooses its working domain
 * (PUT {url}/V1/Session/CurrentDomain) when tenant_id and domain_id are
 * set, since domain-scoped calls such as CMDB fail without one; the choice
 * belongs to the session, so it is repeated after every login. The server
 * does not say how long a session lives: the host applies `lifetime`.
 */
#include <stdio.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

#define NB_OK 790200.0

static const struct tokenshim_key keys[] = {
	{"url", NULL, TOKENSHIM_KEY_REQUIRED},
	{"username", NULL, TOKENSHIM_KEY_REQUIRED},
	{"password", NULL, TOKENSHIM_KEY_REQUIRED | TOKENSHIM_KEY_SECRET},
	{"authentication_id", NULL, 0},
	{"tenant_id", NULL, 0},
	{"domain_id", NULL, 0},
	{NULL, NULL, 0}
};

/* Reads NetBrain's status out of an answer. Returns TOKENSHIM_OK when
   statusCode is 790200; otherwise fills errbuf with "step: reason" in the
   server's words. */
static int nb_status(const struct tokenshim_services *svc,
		     const struct tokenshim_http_resp *r, const char *step,
		     char *errbuf)
{
	char jerr[TOKENSHIM_ERRBUF_SIZE] = "", *desc = NULL;
	size_t dlen;
	double code = 0;
	int rc;

	rc = svc->json_number(r->body, r->len, "statusCode", &code, jerr);
	if(rc == 0 && code == NB_OK)
		return TOKENSHIM_OK;
	if(rc == 0) {
		if(svc->json_string(r->body, r->len, "statusDescription", &desc,
				    &dlen, jerr) == 0 && *desc)
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s", step, desc);
		else
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: refused with statusCode %.0f", step, code);
		svc->free(desc);
		return r->status >= 500 ? TOKENSHIM_EPROTO : TOKENSHIM_EDENIED;
	}
	if(r->status != 200)
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s: HTTP %ld%s%s", step, r->status,
			 jerr[0] ? " and " : "", jerr);
	else
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s: unexpected answer (%s)", step,
			 jerr[0] ? jerr : "no statusCode");
	return r->status == 401 || r->status == 403 ? TOKENSHIM_EDENIED :
						     TOKENSHIM_EPROTO;
}

/* Sends one JSON request with the given session token (or none). */
static int call(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		const char *method, const char *path, const char *token,
		const char *body, size_t blen, struct tokenshim_http_resp *resp,
		const char *step, char *errbuf)
{
	static const char *const hdrs[] = { "Content-Type: application/json",
					    "Accept: application/json", NULL };
	char url[2048];

	pv_url(url, sizeof(url), svc->config(ctx, "url"), path);
	return pv_send_auth(ctx, svc, method, url, hdrs, "token: ", token, body,
			    blen, resp, step, errbuf);
}

static int nb_validate(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       char *errbuf)
{
	/* a domain needs both; with one, every login would end in a failed
	   domain call and a logout */
	if(!svc->config(ctx, "tenant_id") != !svc->config(ctx, "domain_id")) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "tenant_id and domain_id go together; set both or neither");
		return TOKENSHIM_ECONFIG;
	}
	return TOKENSHIM_OK;
}

static int nb_release(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      const struct tokenshim_token *tok, char *errbuf)
{
	struct tokenshim_http_resp r;
	int rc = call(ctx, svc, "DELETE", "/V1/Session", tok->token, NULL, 0,
		      &r, "logout", errbuf);

	if(rc != TOKENSHIM_OK)
		return rc;
	rc = nb_status(svc, &r, "logout", errbuf);
	svc->http_free(&r);
	return rc;
}

static int choose_domain(tokenshim_ctx *ctx,
			 const struct tokenshim_services *svc,
			 const char *token, char *errbuf)
{
	const char *tenant = svc->config(ctx, "tenant_id");
	const char *domain = svc->config(ctx, "domain_id");
	struct tokenshim_http_resp r;
	tokenshim_buf *b;
	const char *body;
	size_t blen;
	int rc;

	if(!tenant && !domain)
		return TOKENSHIM_OK;
	if(!tenant || !domain) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "domain: tenant_id and domain_id go together");
		return TOKENSHIM_ECONFIG;
	}
	b = svc->buf_new();
	if(!b)
		return TOKENSHIM_ENOMEM;
	svc->buf_add(b, "{\"tenantId\":");
	svc->buf_json_string(b, tenant);
	svc->buf_add(b, ",\"domainId\":");
	svc->buf_json_string(b, domain);
	svc->buf_add(b, "}");
	body = svc->buf_data(b, &blen);
	rc = body ? call(ctx, svc, "PUT", "/V1/Session/CurrentDomain", token,
			 body, blen, &r, "domain", errbuf) : TOKENSHIM_ENOMEM;
	svc->buf_free(&b);
	if(rc != TOKENSHIM_OK)
		return rc;
	rc = nb_status(svc, &r, "domain", errbuf);
	svc->http_free(&r);
	return rc;
}

static int nb_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	const char *user = svc->config(ctx, "username");
	const char *auth_id = svc->config(ctx, "authentication_id");
	char *password = NULL, *token = NULL;
	struct tokenshim_http_resp r = {0};
	struct tokenshim_token t = {0};
	char serr[TOKENSHIM_ERRBUF_SIZE];
	tokenshim_buf *b = NULL;
	const char *body;
	size_t blen, tlen = 0;
	int rc, have_resp = 0;

	if(svc->secret(ctx, "password", &password, serr)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %.240s", serr);
		return TOKENSHIM_ECONFIG;
	}
	b = svc->buf_new();
	rc = TOKENSHIM_ENOMEM;
	if(!b)
		goto out;
	svc->buf_add(b, "{\"username\":");
	svc->buf_json_string(b, user);
	svc->buf_add(b, ",\"password\":");
	svc->buf_json_string(b, password);
	if(auth_id) {
		svc->buf_add(b, ",\"authentication_id\":");
		svc->buf_json_string(b, auth_id);
	}
	svc->buf_add(b, "}");
	svc->free(password);
	password = NULL;
	body = svc->buf_data(b, &blen);
	if(!body)
		goto out;
	rc = call(ctx, svc, "POST", "/V1/Session", NULL, body, blen, &r,
		  "login", errbuf);
	svc->buf_free(&b);
	if(rc != TOKENSHIM_OK)
		goto out;
	have_resp = 1;
	if(r.status == 404) {
		char url[2048], shown[512];

		pv_url(url, sizeof(url), svc->config(ctx, "url"), "/V1/Session");
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: HTTP 404 from %s; url should end in /ServicesAPI/API",
			 ts_safe_url(url, shown, sizeof(shown)));
		rc = TOKENSHIM_ECONFIG;
		goto out;
	}
	rc = nb_status(svc, &r, "login", errbuf);
	if(rc != TOKENSHIM_OK)
		goto out;
	rc = svc->json_string(r.body, r.len, "token", &token, &tlen, serr);
	if(rc != 0 || !tlen) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: statusCode 790200 but no token in the answer");
		rc = TOKENSHIM_EPROTO;
		goto out;
	}
	/* checked before its first use, which is our own domain call */
	if(!pv_token_ok(token, tlen, "login", errbuf)) {
		rc = TOKENSHIM_EPROTO;
		goto out;
	}
	rc = choose_domain(ctx, svc, token, errbuf);
	if(rc != TOKENSHIM_OK) {
		/* do not leave a session behind: the server limits them */
		char ignored[TOKENSHIM_ERRBUF_SIZE];

		t.token = token;
		t.token_len = tlen;
		nb_release(ctx, svc, &t, ignored);
		goto out;
	}
	rc = svc->set_token(out, token, tlen, 0) ? TOKENSHIM_ENOMEM :
						   TOKENSHIM_OK;
out:
	svc->free(password);
	svc->free(token);
	svc->buf_free(&b);
	if(have_resp)
		svc->http_free(&r);
	return rc;
}

static const struct tokenshim_provider provider = {
	.name = "netbrain",
	.keys = keys,
	.inject = "header = token: {token}",
	.lifetime = 1800,
	.flags = 0,
	.acquire = nb_acquire,
	.refresh = NULL,
	.release = nb_release,
	.validate = nb_validate,
};

PV_PROVIDER(provider)
