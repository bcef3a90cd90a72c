/*
 * pvutil: shared provider helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvutil.h"

void pv_url(char *out, size_t len, const char *base, const char *path)
{
	size_t n = base ? strlen(base) : 0;

	while(n && base[n - 1] == '/')
		n--;
	snprintf(out, len, "%.*s%s", (int)n, base ? base : "", path);
}

int pv_send(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
	    const char *method, const char *url, const char *const *headers,
	    const char *body, size_t blen, struct tokenshim_http_resp *r,
	    const char *step, char *errbuf)
{
	struct tokenshim_http_req req;
	char herr[TOKENSHIM_ERRBUF_SIZE] = "";
	int rc;

	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = blen;
	rc = svc->http(ctx, &req, r, herr);
	if(rc != TOKENSHIM_OK)
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s", step, herr);
	return rc;
}

int pv_send_buf(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		const char *method, const char *url, const char *const *headers,
		tokenshim_buf **b, struct tokenshim_http_resp *r,
		const char *step, char *errbuf)
{
	size_t blen = 0;
	const char *body = *b ? svc->buf_data(*b, &blen) : NULL;
	int rc;

	if(!body) {
		svc->buf_free(b);
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: out of memory", step);
		return TOKENSHIM_ENOMEM;
	}
	rc = pv_send(ctx, svc, method, url, headers, body, blen, r, step,
		     errbuf);
	svc->buf_free(b);
	return rc;
}

int pv_send_auth(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		 const char *method, const char *url, const char *const *headers,
		 const char *auth, const char *token, const char *body,
		 size_t blen, struct tokenshim_http_resp *r, const char *step,
		 char *errbuf)
{
	const char *hdrs[8];
	size_t n = 0, alen = strlen(auth), tlen = token ? strlen(token) : 0;
	char *hdr = NULL;
	int rc;

	for(; headers && headers[n] && n < 6; n++)
		hdrs[n] = headers[n];
	if(token) {
		/* no fixed buffer: a release that cannot be built leaves a
		   session open on the server */
		if(!(hdr = malloc(alen + tlen + 1))) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: out of memory",
				 step);
			return TOKENSHIM_ENOMEM;
		}
		memcpy(hdr, auth, alen);
		memcpy(hdr + alen, token, tlen + 1);
		hdrs[n++] = hdr;
	}
	hdrs[n] = NULL;
	rc = pv_send(ctx, svc, method, url, hdrs, body, blen, r, step, errbuf);
	if(hdr) {
		svc->wipe(hdr, alen + tlen);
		free(hdr);
	}
	return rc;
}

int pv_release(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
	       const char *url, const char *const *headers, const char *auth,
	       const struct tokenshim_token *tok, char *errbuf)
{
	struct tokenshim_http_resp r;
	int rc = pv_send_auth(ctx, svc, "POST", url, headers, auth, tok->token,
			      "", 0, &r, "logout", errbuf);

	if(rc != TOKENSHIM_OK)
		return rc;
	rc = r.status < 300 ? TOKENSHIM_OK : pv_refusal(svc, &r, "logout", errbuf);
	svc->http_free(&r);
	return rc;
}

tokenshim_buf *pv_refresh_form(const struct tokenshim_services *svc,
			       const struct tokenshim_token *old, int *rc,
			       char *errbuf)
{
	tokenshim_buf *form;

	if(!old->extra) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "refresh: no refresh token");
		*rc = TOKENSHIM_EDENIED;
		return NULL;
	}
	form = svc->buf_new();
	if(!form) {
		*rc = TOKENSHIM_ENOMEM;
		return NULL;
	}
	svc->buf_form(form, "grant_type", "refresh_token");
	svc->buf_form(form, "refresh_token", old->extra);
	return form;
}

static int is_json(const struct tokenshim_http_resp *r)
{
	const char *c = r->content_type;

	return strstr(c, "json") != NULL || !*c;
}

/* The first human message in a JSON error answer, if any. */
static int server_words(const struct tokenshim_services *svc,
			const struct tokenshim_http_resp *r, char *out,
			size_t len)
{
	static const char *const keys[] = {
		"error_description", "message", "Message", "details",
		"statusDescription", "error.message", NULL
	};
	char jerr[TOKENSHIM_ERRBUF_SIZE], *err = NULL, *msg = NULL;
	size_t n;
	int i, found = 0;

	if(svc->json_string(r->body, r->len, "error", &err, &n, jerr) != 0)
		err = NULL;
	for(i = 0; keys[i] && !msg; i++)
		if(svc->json_string(r->body, r->len, keys[i], &msg, &n, jerr) != 0)
			msg = NULL;
	if(err && msg && *msg)
		found = snprintf(out, len, "%s: %s", err, msg) > 0;
	else if(msg && *msg)
		found = snprintf(out, len, "%s", msg) > 0;
	else if(err && *err)
		found = snprintf(out, len, "%s", err) > 0;
	svc->free(err);
	svc->free(msg);
	return found;
}

int pv_refusal(const struct tokenshim_services *svc,
	       const struct tokenshim_http_resp *r, const char *step,
	       char *errbuf)
{
	char words[200], jerr[TOKENSHIM_ERRBUF_SIZE] = "";
	double ignored;
	int refused = r->status >= 400 && r->status < 500;
	int code = refused ? TOKENSHIM_EDENIED : TOKENSHIM_EPROTO;
	size_t i = 0;

	while(i < r->len && (r->body[i] == ' ' || r->body[i] == '\n' ||
			     r->body[i] == '\r' || r->body[i] == '\t'))
		i++;
	if(i == r->len) {
		if(refused)
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: refused (HTTP %ld, empty answer)", step,
				 r->status);
		else
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: empty answer (HTTP %ld)", step, r->status);
		return code;
	}
	if(r->body[i] == '<' || !is_json(r)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s: HTTP %ld with %s instead of JSON", step, r->status,
			 r->body[i] == '<' ? "an HTML page" : r->content_type);
		return code;
	}
	if(server_words(svc, r, words, sizeof(words))) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s", step, words);
		return code;
	}
	/* the body is JSON-ish but says nothing we know: say how it is bad */
	if(svc->json_number(r->body, r->len, "-", &ignored, jerr) == -3 &&
	   jerr[0])
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: HTTP %ld with %s",
			 step, r->status, jerr);
	else
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "%s: HTTP %ld without a token", step, r->status);
	return code;
}

int pv_token_ok(const char *tok, size_t len, const char *step, char *errbuf)
{
	size_t i;

	for(i = 0; i < len; i++)
		if((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: the server's token holds a control character; not used",
				 step);
			return 0;
		}
	if(!len)
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: the server's token is empty",
			 step);
	return len > 0;
}

time_t pv_expires_in(double secs)
{
	if(!(secs > 0))
		return 0;
	if(secs > (double)PV_MAX_LIFE)
		secs = (double)PV_MAX_LIFE;
	return time(NULL) + (time_t)secs;
}

int pv_number(const struct tokenshim_services *svc, const char *body,
	      size_t len, const char *key, const char *step, double *out,
	      char *errbuf)
{
	char jerr[TOKENSHIM_ERRBUF_SIZE] = "", *s = NULL, *end;
	size_t n;
	int rc = svc->json_number(body, len, key, out, jerr);

	if(rc == 0)
		return 0;
	if(rc == -1)
		return 1;
	if(rc == -2 && svc->json_string(body, len, key, &s, &n, jerr) == 0) {
		/* some servers quote their numbers; only plain digits count */
		int plain = n && n <= 18 && s[0] != '.' &&
			    strspn(s, "0123456789.") == n;

		*out = plain ? strtod(s, &end) : 0;
		rc = plain && !*end ? 0 : -1;
		svc->free(s);
		if(rc == 0)
			return 0;
	}
	snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s: %s is not a number", step,
		 key);
	return -1;
}

int pv_oauth_answer(const struct tokenshim_services *svc,
		    const struct tokenshim_http_resp *r, const char *step,
		    const char *const *token_keys, int keep_refresh,
		    const char *old_refresh, size_t old_refresh_len,
		    struct tokenshim_token *out, char *errbuf)
{
	char jerr[TOKENSHIM_ERRBUF_SIZE] = "", *tok = NULL, *ref = NULL;
	size_t tlen = 0, rlen = 0;
	double exp = 0;
	time_t expires_at = 0;
	int i, rc;

	if(r->status != 200)
		return pv_refusal(svc, r, step, errbuf);
	for(i = 0; token_keys[i] && !tok; i++) {
		rc = svc->json_string(r->body, r->len, token_keys[i], &tok, &tlen,
				      jerr);
		if(rc == -3 && !i) {
			/* not JSON at all */
			return pv_refusal(svc, r, step, errbuf);
		}
		if(rc != 0)
			tok = NULL;
	}
	if(!tok) {
		rc = pv_refusal(svc, r, step, errbuf);
		if(!strstr(errbuf, ": ") || strstr(errbuf, "without a token"))
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "%s: answer has no %s", step, token_keys[0]);
		return TOKENSHIM_EPROTO;
	}
	rc = pv_number(svc, r->body, r->len, "expires_in", step, &exp, errbuf);
	if(rc < 0) {
		svc->free(tok);
		return TOKENSHIM_EPROTO;
	}
	if(rc == 0)
		expires_at = pv_expires_in(exp);
	rc = svc->set_token(out, tok, tlen, expires_at) ? TOKENSHIM_ENOMEM :
							  TOKENSHIM_OK;
	svc->free(tok);
	if(rc == TOKENSHIM_OK && keep_refresh) {
		if(svc->json_string(r->body, r->len, "refresh_token", &ref, &rlen,
				    jerr) == 0 && rlen)
			rc = svc->set_extra(out, ref, rlen) ? TOKENSHIM_ENOMEM :
							      TOKENSHIM_OK;
		else if(old_refresh)
			rc = svc->set_extra(out, old_refresh, old_refresh_len) ?
			     TOKENSHIM_ENOMEM : TOKENSHIM_OK;
		svc->free(ref);
	}
	return rc;
}

int pv_oauth_post(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		  const char *url, const char *extra_header, tokenshim_buf **form,
		  const char *step, const struct tokenshim_token *old,
		  struct tokenshim_token *out, char *errbuf)
{
	static const char *const token_keys[] = { "access_token", NULL };
	const char *hdrs[4] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", extra_header, NULL
	};
	struct tokenshim_http_resp r;
	int rc = pv_send_buf(ctx, svc, "POST", url, hdrs, form, &r, step, errbuf);

	if(rc != TOKENSHIM_OK)
		return rc;
	rc = pv_oauth_answer(svc, &r, step, token_keys, 1,
			     old ? old->extra : NULL, old ? old->extra_len : 0,
			     out, errbuf);
	svc->http_free(&r);
	return rc;
}

int pv_secret_set(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		  const char *base)
{
	static const char *const suffix[] = TS_SECRET_SUFFIXES;
	char name[96];
	int i;

	if(svc->config(ctx, base))
		return 1;
	for(i = 0; suffix[i]; i++) {
		snprintf(name, sizeof(name), "%s%s", base, suffix[i]);
		if(svc->config(ctx, name))
			return 1;
	}
	return 0;
}

void pv_base64(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for(i = 0; i + 2 < n; i += 3) {
		*out++ = tab[in[i] >> 2];
		*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = tab[in[i + 2] & 63];
	}
	if(i < n) {
		*out++ = tab[in[i] >> 2];
		if(i + 1 < n) {
			*out++ = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*out++ = tab[(in[i + 1] & 15) << 2];
		}
		else {
			*out++ = tab[(in[i] & 3) << 4];
			*out++ = '=';
		}
		*out++ = '=';
	}
	*out = '\0';
}
