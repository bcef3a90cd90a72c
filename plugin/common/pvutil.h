/*
 * pvutil: helpers every provider module links in (statically): URL
 * joining, sending a request with a step name for messages, reading the
 * server's own words out of an error answer, OAuth2 token answers, and
 * base64 for HTTP Basic. Nothing here is exported from a module.
 */
#ifndef PVUTIL_H
#define PVUTIL_H

#include <stddef.h>
#include <time.h>
#include "tokenshim_provider.h"
#include "util/str.h"

/* base + path, without doubling the slash between them. */
void pv_url(char *out, size_t len, const char *base, const char *path);

/* Sends one request. On a transport failure returns the services' code
   with "step: reason" in errbuf; otherwise TOKENSHIM_OK and *r to free
   with svc->http_free, whatever the status. */
int pv_send(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
	    const char *method, const char *url, const char *const *headers,
	    const char *body, size_t blen, struct tokenshim_http_resp *r,
	    const char *step, char *errbuf);

/* Sends a body built in b (freed here), as pv_send. */
int pv_send_buf(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		const char *method, const char *url, const char *const *headers,
		tokenshim_buf **b, struct tokenshim_http_resp *r,
		const char *step, char *errbuf);

/* Sends one request, as pv_send, with the headers (at most 6) and then
   auth followed by token ("X-Authorization: " and the token), unless
   token is NULL. The header holding the token is wiped after the call. */
int pv_send_auth(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		 const char *method, const char *url, const char *const *headers,
		 const char *auth, const char *token, const char *body,
		 size_t blen, struct tokenshim_http_resp *r, const char *step,
		 char *errbuf);

/* Releases tok: an empty POST to url carrying it as pv_send_auth does.
   A 2xx answer is TOKENSHIM_OK; any other is explained as pv_refusal
   does, under the step "logout". */
int pv_release(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
	       const char *url, const char *const *headers, const char *auth,
	       const struct tokenshim_token *tok, char *errbuf);

/* The form of an OAuth2 refresh_token grant for old's refresh token (its
   extra state), or NULL with *rc and errbuf when it has none or memory
   ran out. */
tokenshim_buf *pv_refresh_form(const struct tokenshim_services *svc,
			       const struct tokenshim_token *old, int *rc,
			       char *errbuf);

/* Explains an answer that carries no usable token, in the server's own
   words where it gave any ("step: invalid_grant: Bad credentials",
   "step: HTTP 502 with an HTML page instead of JSON", "step: empty
   answer (HTTP 200)"). Returns TOKENSHIM_EDENIED when the server refused
   (4xx), else TOKENSHIM_EPROTO. */
int pv_refusal(const struct tokenshim_services *svc,
	       const struct tokenshim_http_resp *r, const char *step,
	       char *errbuf);

/* Reads an OAuth2-style token answer: the first of token_keys present
   (NULL-ended) as the token, expires_in (number or numeric string) as its
   expiry, and refresh_token, when keep_refresh is set, as extra state
   (old_refresh is kept when the answer brings no new one). A non-200
   answer or one without a token is explained as pv_refusal does. */
int pv_oauth_answer(const struct tokenshim_services *svc,
		    const struct tokenshim_http_resp *r, const char *step,
		    const char *const *token_keys, int keep_refresh,
		    const char *old_refresh, size_t old_refresh_len,
		    struct tokenshim_token *out, char *errbuf);

/* Posts the form in *form (freed here) to url with the OAuth2 form
   headers plus extra_header (or NULL), and reads the answer as
   pv_oauth_answer does with access_token, keeping refresh tokens (old's
   when the answer brings none). */
int pv_oauth_post(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		  const char *url, const char *extra_header, tokenshim_buf **form,
		  const char *step, const struct tokenshim_token *old,
		  struct tokenshim_token *out, char *errbuf);

/* Non-zero when tok[0..len) may go into a header: not empty, and no CR,
   LF, NUL or other control character. Otherwise "step: why" in errbuf. */
int pv_token_ok(const char *tok, size_t len, const char *step, char *errbuf);

/* The longest a token is believed to live, whatever its server says. */
#define PV_MAX_LIFE (365L * 86400)

/* When a token given secs seconds to live expires: now + secs, capped at
   PV_MAX_LIFE; 0 (the server did not say) for secs <= 0. secs may be any
   number the JSON reader gives (it refuses beyond 2^63). */
time_t pv_expires_in(double secs);

/* Reads the number at key of body, given as a JSON number or a numeric
   string ("3600"): 0 with *out, 1 when absent, or -1 with
   "step: KEY is not a number" in errbuf. */
int pv_number(const struct tokenshim_services *svc, const char *body,
	      size_t len, const char *key, const char *step, double *out,
	      char *errbuf);

/* Non-zero when secret key base is set in any of its forms. */
int pv_secret_set(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		  const char *base);

/* Standard base64 of n bytes into out (4 * ((n + 2) / 3) + 1 bytes). */
void pv_base64(const unsigned char *in, size_t n, char *out);

/* Defines the module's one exported symbol, answering ABI version 1 with
   the given table. */
#define PV_PROVIDER(table) \
	__attribute__((visibility("default"))) \
	int tokenshim_provider_init(int max_version, int *out_version, \
				    const struct tokenshim_provider **out) \
	{ \
		if(max_version < 1) \
			return TOKENSHIM_ECONFIG; \
		*out_version = 1; \
		*out = &(table); \
		return TOKENSHIM_OK; \
	}

#endif
