/*
 * netbrain-portal: NetBrain Incident Portal tickets.
 *
 * A ticket lets a browser-less client open one Incident Portal record:
 * POST {session url}/V1/portal-auth-ticket with {"portalId": id} and a
 * NetBrain session token answers {"ticket", "statusCode": 0}, and the
 * ticket goes in the query of .../portal/i/{portalId}?token=X. The
 * session comes from another profile (key "session"), cached as usual; a
 * ticket is made afresh for every request and never cached.
 */
#include <stdio.h>
#include <string.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"session", NULL, TOKENSHIM_KEY_REQUIRED},
	{NULL, NULL, 0}
};

static int np_validate(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       char *errbuf)
{
	const char *session = svc->config(ctx, "session");
	const char *prov = svc->peer_config(ctx, session, "provider");

	if(!prov) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "session '%s' names no profile", session);
		return TOKENSHIM_ECONFIG;
	}
	if(strcmp(prov, "netbrain")) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "session '%s' is a %s profile, not a netbrain one",
			 session, prov);
		return TOKENSHIM_ECONFIG;
	}
	return TOKENSHIM_OK;
}

/* Copies the {portalId} of ".../portal/i/{portalId}" into out. */
static int portal_id(const char *url, char *out, size_t len)
{
	const char *p = url ? strstr(url, "/portal/i/") : NULL;
	size_t n;

	if(!p)
		return -1;
	p += strlen("/portal/i/");
	n = strcspn(p, "/?#");
	if(!n || n >= len)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Asks for a ticket for portal id with session token tok. TOKENSHIM_OK
   with out set; *stale when the server refused the session itself. */
static int ticket(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		  const char *id, const char *tok, int *stale,
		  struct tokenshim_token *out, char *errbuf)
{
	static const char *const hdrs[] = { "Content-Type: application/json",
					    "Accept: application/json", NULL };
	const char *base = svc->peer_config(ctx, svc->config(ctx, "session"),
					    "url");
	struct tokenshim_http_resp r;
	char url[2048], serr[TOKENSHIM_ERRBUF_SIZE], *t = NULL;
	tokenshim_buf *b = svc->buf_new();
	const char *body;
	double code = -1;
	size_t blen, klen;
	int rc;

	*stale = 0;
	if(!b)
		return TOKENSHIM_ENOMEM;
	svc->buf_add(b, "{\"portalId\":");
	svc->buf_json_string(b, id);
	svc->buf_add(b, "}");
	body = svc->buf_data(b, &blen);
	pv_url(url, sizeof(url), base, "/V1/portal-auth-ticket");
	rc = body ? pv_send_auth(ctx, svc, "POST", url, hdrs, "token: ", tok,
				 body, blen, &r, "ticket", errbuf) :
		    TOKENSHIM_ENOMEM;
	svc->buf_free(&b);
	if(rc != TOKENSHIM_OK)
		return rc;
	if(r.status != 200 ||
	   svc->json_number(r.body, r.len, "statusCode", &code, serr) ||
	   code != 0 ||
	   svc->json_string(r.body, r.len, "ticket", &t, &klen, serr)) {
		rc = pv_refusal(svc, &r, "ticket", errbuf);
		if(strstr(errbuf, "without a token"))
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "ticket: answer has no ticket");
		/* the session is what was refused, not the portal id */
		*stale = r.status == 401 || code == 795005;
	}
	else if(!pv_token_ok(t, klen, "ticket", errbuf))
		rc = TOKENSHIM_EPROTO;
	else
		rc = svc->set_token(out, t, klen, 0) ? TOKENSHIM_ENOMEM :
						       TOKENSHIM_OK;
	svc->free(t);
	svc->http_free(&r);
	return rc;
}

static int np_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	const char *session = svc->config(ctx, "session");
	char id[256], serr[TOKENSHIM_ERRBUF_SIZE], *tok = NULL;
	size_t tlen;
	int rc, stale = 0, tries;

	if(!svc->request_url(ctx)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "ticket: a ticket is made for one portal URL; request "
			 "that URL through tokenshim exec");
		return TOKENSHIM_ECONFIG;
	}
	if(portal_id(svc->request_url(ctx), id, sizeof(id))) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "ticket: the URL has no portal id "
			 "(expected .../portal/i/{portalId})");
		return TOKENSHIM_ECONFIG;
	}
	/* A session the server dropped is refused here long before its
	   nominal expiry: drop it too, and try once more with a new one. */
	for(tries = 0; tries < 2; tries++) {
		rc = svc->peer_token(ctx, session, &tok, &tlen, serr);
		if(rc != TOKENSHIM_OK) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "session: %s", serr);
			return rc;
		}
		rc = ticket(ctx, svc, id, tok, &stale, out, errbuf);
		if(rc == TOKENSHIM_OK || !stale || !svc->peer_refused) {
			svc->free(tok);
			return rc;
		}
		svc->debug(ctx, "the ticket call refused session %s; logging in again",
			   session);
		svc->peer_refused(ctx, session, tok, tlen);
		svc->free(tok);
		tok = NULL;
	}
	return rc;
}

static const struct tokenshim_provider provider = {
	.name = "netbrain-portal",
	.keys = keys,
	.inject = "query = token={token}",
	.lifetime = 60,
	.flags = TOKENSHIM_PROVIDER_NOCACHE,
	.acquire = np_acquire,
	.validate = np_validate,
};

PV_PROVIDER(provider)
