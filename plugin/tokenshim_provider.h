/*
 * tokenshim_provider.h: the ABI between tokenshim and its provider modules.
 *
 * A provider is a shared object in $libdir/tokenshim/providers (or in a
 * directory of $TOKENSHIM_PROVIDER_PATH) named NAME.so. It exports one
 * symbol, tokenshim_provider_init, which negotiates the ABI version and
 * hands back a table describing the provider. Everything a provider needs
 * from the outside world (HTTP, JSON, configuration, secrets, logging,
 * wiping) comes through the services table the host passes to each call:
 * providers link neither libcurl nor a JSON library of their own.
 *
 * Memory rule: strings the services return to a provider are the
 * provider's to free with svc->free (which wipes). A token is handed to
 * the host with svc->set_token, which copies it; the provider wipes its own
 * copy. Nothing else crosses the boundary.
 *
 * See tokenshim-provider(3).
 */
#ifndef TOKENSHIM_PROVIDER_H
#define TOKENSHIM_PROVIDER_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. */
#define TOKENSHIM_PROVIDER_ABI 1

/* Return codes of provider functions. */
#define TOKENSHIM_OK       0	/* success */
#define TOKENSHIM_EDENIED  1	/* the server refused: credentials, grant */
#define TOKENSHIM_ECONNECT 2	/* the server could not be reached in time */
#define TOKENSHIM_EPROTO   3	/* the server answered something unusable */
#define TOKENSHIM_ECONFIG  4	/* the profile's configuration is unusable */
#define TOKENSHIM_ENOMEM   5	/* out of memory */

/* Size of every errbuf handed to a provider, as CURL_ERROR_SIZE. */
#define TOKENSHIM_ERRBUF_SIZE 256

/* One login attempt's context: which profile, its settings. Opaque. */
typedef struct tokenshim_ctx tokenshim_ctx;
/* A growable buffer owned by the host. Opaque. */
typedef struct tokenshim_buf tokenshim_buf;

/* Config keys a provider accepts, in a table ending with {NULL}. */
#define TOKENSHIM_KEY_REQUIRED 0x1	/* the profile must set it */
#define TOKENSHIM_KEY_SECRET   0x2	/* may also be X_env, X_file, X_cmd */
struct tokenshim_key {
	const char *name;
	const char *def;	/* default value, or NULL */
	unsigned flags;
};

/* An HTTP request made for the provider through the host's libcurl. The
   profile's timeout, ca_file and insecure settings apply, and a 5xx answer
   or a failed connection is retried (up to twice) within the timeout. */
struct tokenshim_http_req {
	const char *method;		/* "GET", "POST", "PUT", "DELETE" */
	const char *url;
	const char *const *headers;	/* "Name: value" lines, NULL-ended */
	const char *body;		/* NULL for none */
	size_t body_len;
};

struct tokenshim_http_resp {
	long status;		/* HTTP status */
	char *body;		/* NUL-terminated; capped at 1 MiB */
	size_t len;
	char content_type[128];
};

/* The token a provider obtained, and what it knows about it. */
struct tokenshim_token {
	const char *token;	/* host-owned; set with svc->set_token */
	size_t token_len;
	time_t expires_at;	/* absolute; 0 when the server did not say */
	const char *extra;	/* host-owned; set with svc->set_extra */
	size_t extra_len;
};

struct tokenshim_services {
	int version;		/* TOKENSHIM_PROVIDER_ABI of the host */

	/* The profile's name, for messages. */
	const char *(*profile)(tokenshim_ctx *ctx);
	/* A plain key's value (the provider's default when unset), or NULL. */
	const char *(*config)(tokenshim_ctx *ctx, const char *key);
	/* Resolves a secret key (X, X_env, X_file or X_cmd). Returns 0 and a
	   string to free with svc->free; -1 when unset or unreadable, with
	   the reason in errbuf. */
	int (*secret)(tokenshim_ctx *ctx, const char *key, char **out,
		      char *errbuf);
	/* Performs a request. Returns TOKENSHIM_OK with *resp filled (free it
	   with svc->http_free) whatever the HTTP status, or TOKENSHIM_ECONNECT
	   / TOKENSHIM_EPROTO with errbuf. */
	int (*http)(tokenshim_ctx *ctx, const struct tokenshim_http_req *req,
		    struct tokenshim_http_resp *resp, char *errbuf);
	void (*http_free)(struct tokenshim_http_resp *resp);

	/* JSON lookup in a response body; path is dotted ("user.id"). A
	   string is decoded (escapes included) into a string to free with
	   svc->free. Return 0, -1 missing, -2 wrong type, -3 malformed. When
	   the body is not JSON at all, errbuf says why and -3 is returned. */
	int (*json_string)(const char *body, size_t len, const char *path,
			   char **out, size_t *outlen, char *errbuf);
	int (*json_number)(const char *body, size_t len, const char *path,
			   double *out, char *errbuf);

	/* Request body builders; every buffer is wiped when freed. */
	tokenshim_buf *(*buf_new)(void);
	void (*buf_add)(tokenshim_buf *b, const char *s);
	void (*buf_json_string)(tokenshim_buf *b, const char *s);  /* "..." */
	void (*buf_form)(tokenshim_buf *b, const char *key, const char *val);
	const char *(*buf_data)(tokenshim_buf *b, size_t *len);  /* NULL: OOM */
	void (*buf_free)(tokenshim_buf **b);

	/* Hands the token (and optional state, such as a refresh token) to the
	   host, which copies them. Return 0, or -1 when out of memory. */
	int (*set_token)(struct tokenshim_token *t, const char *token,
			 size_t len, time_t expires_at);
	int (*set_extra)(struct tokenshim_token *t, const char *extra,
			 size_t len);

	/* A TOKENSHIM_DEBUG trace line. Never pass a secret. */
	void (*debug)(tokenshim_ctx *ctx, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* Wipes memory that held a secret. */
	void (*wipe)(void *p, size_t len);
	/* Wipes (strlen bytes) and frees a string the services returned. */
	void (*free)(char *s);

	/* The URL of the request the token is for, or NULL outside a
	   transfer (tokenshim token). For providers whose token depends on
	   the request, such as one-use tickets. */
	const char *(*request_url)(tokenshim_ctx *ctx);
	/* Another profile's plain key, and a token of that profile (from its
	   cache, or a login), for providers built on another's session. The
	   token is a string to free with svc->free. */
	const char *(*peer_config)(tokenshim_ctx *ctx, const char *profile,
				   const char *key);
	int (*peer_token)(tokenshim_ctx *ctx, const char *profile, char **out,
			  size_t *len, char *errbuf);
	/* Decodes base64url (padding optional) into a string to free with
	   svc->free. Returns 0, or -1 for bad input. */
	int (*b64url_decode)(const char *in, size_t len, char **out,
			     size_t *outlen);
	/* Runs a command line without a shell, with TOKENSHIM_PROFILE set,
	   killed after the profile's timeout. Returns 0 when it ran to the
	   end (exit status in *status; stdout and stderr as strings to free
	   with svc->free), or -1 with errbuf. */
	int (*run)(tokenshim_ctx *ctx, const char *cmdline, char **out,
		   size_t *outlen, char **err, int *status, char *errbuf);

	/* Says that a server refused a token peer_token gave: the host drops
	   it (releasing it where the peer's provider can), so that the next
	   peer_token logs in afresh. NULL in hosts older than this member. */
	void (*peer_refused)(tokenshim_ctx *ctx, const char *profile,
			     const char *token, size_t len);

	void *spare[7];		/* for later ABI versions */
};

/* Provider flags. */
#define TOKENSHIM_PROVIDER_SLIDING 0x1	/* each use extends the expiry */
#define TOKENSHIM_PROVIDER_NOCACHE 0x2	/* a token is used once */

struct tokenshim_provider {
	const char *name;		/* the config's "provider =" value */
	const struct tokenshim_key *keys;	/* ends with {NULL} */
	const char *inject;		/* default: "header = token: {token}" */
	long lifetime;			/* default lifetime (s) when unsaid */
	unsigned flags;			/* TOKENSHIM_PROVIDER_* */

	/* Obtains a new token. Returns TOKENSHIM_OK with *out set through
	   svc->set_token, or an error code with a one-line reason in errbuf
	   in the form "step: message" ("login: Invalid username or
	   password."), using the server's own words. Required. */
	int (*acquire)(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       struct tokenshim_token *out, char *errbuf);
	/* Renews old into *out before it expires. Same codes; on
	   TOKENSHIM_EDENIED the host falls back to acquire. Optional. */
	int (*refresh)(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       const struct tokenshim_token *old,
		       struct tokenshim_token *out, char *errbuf);
	/* Releases tok upstream (logout). Optional. */
	int (*release)(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		       const struct tokenshim_token *tok, char *errbuf);
	/* Checks a profile's keys beyond what the key table can say (one of
	   two keys, an allowed value) when the config is read. Returns
	   TOKENSHIM_OK, or TOKENSHIM_ECONFIG with the problem in errbuf.
	   Optional. */
	int (*validate)(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
			char *errbuf);

	void *spare[8];			/* for later ABI versions */
};

/* The one symbol a provider exports. The host passes the highest ABI
   version it speaks; the provider answers the version it implements in
   *out_version (at most max_version) and its table in *out. Returns
   TOKENSHIM_OK, or TOKENSHIM_ECONFIG when it cannot speak max_version. */
typedef int tokenshim_provider_init_fn(int max_version, int *out_version,
				       const struct tokenshim_provider **out);
#define TOKENSHIM_PROVIDER_INIT "tokenshim_provider_init"

#ifdef __cplusplus
}
#endif
#endif
