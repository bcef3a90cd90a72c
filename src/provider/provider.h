/*
 * The provider layer: the plugin host. It loads provider modules, and
 * hands each call the services of the provider ABI (HTTP through the
 * host's libcurl, JSON, secrets, wiping). It knows nothing of profiles
 * or of where tokens are kept: the engine describes the profile a call is
 * for in a tokenshim_ctx, and answers questions about other profiles
 * through the callbacks it gives ts_services_init.
 *
 * provider: loading provider modules and the services handed to them.
 * Modules are NAME.so in the directories of $TOKENSHIM_PROVIDER_PATH
 * (colon-separated) or in $libdir/tokenshim/providers. A module that fails
 * to load is reported with its path and dlerror(); only the profiles that
 * name it become unusable.
 */
#ifndef TS_PROVIDER_H
#define TS_PROVIDER_H

#include <stddef.h>

#include "provider/http.h"
#include "tokenshim_provider.h"

struct ts_provider_mod {
	char *name;
	char *path;
	void *dl;
	const struct tokenshim_provider *p;
	int abi;
};

/* The context a provider call runs in: what the services need to know of
   its profile. The engine fills it for each call. */
struct tokenshim_ctx {
	const char *profile;			/* the profile's name */
	const struct ts_provider_mod *mod;	/* its provider */
	long timeout_ms;			/* for HTTP and commands */
	long deadline_ms;	/* ts_now_ms() when the timeout runs out, or 0 */
	const char *ca_file;			/* or NULL */
	int insecure;
	const char *url;	/* the request's URL, or NULL */
	struct ts_route route;	/* how logins go out */
	void *owner;		/* the engine's profile, for the callbacks */
};

/* What the provider layer asks the engine, given once at init. */
struct ts_provider_host {
	/* The value of key as the owner's profile sets it, or NULL. */
	const char *(*config)(void *owner, const char *key);
	/* The value of key in another profile, or NULL. */
	const char *(*peer_config)(void *owner, const char *profile,
				   const char *key);
	/* A token of another profile, as the services' peer_token promises:
	   TOKENSHIM_OK with *out (free with ts_free_secret) and *len, or a
	   TOKENSHIM_E* code with errbuf (TOKENSHIM_ERRBUF_SIZE bytes). */
	int (*peer_token)(void *owner, const char *profile, char **out,
			  size_t *len, char *errbuf);
	/* A server refused that token of another profile: forget it. */
	void (*peer_refused)(void *owner, const char *profile, const char *tok,
			     size_t len);
};

/* The provider called name, loaded on first use and kept for the life of
   the process. NULL with the reason in errbuf when it cannot be had. */
const struct ts_provider_mod *ts_provider_load(const char *name, char *errbuf,
					       size_t errlen);
/* path, or where it is in a tree unpacked under another root than the
   one it was built for (see loader.c), in out. */
const char *ts_relocated(const char *path, char *out, size_t len);
/* The search path in force (static storage). */
const char *ts_provider_path(void);
/* Calls fn for every NAME.so found on the search path. */
void ts_provider_each(void (*fn)(void *ctx, const char *name, const char *path),
		      void *ctx);
/* Unloads every module (for the CLI and tests at exit). */
void ts_provider_unload_all(void);

/* The key declaration of a provider, or NULL when it declares no such
   key. */
const struct tokenshim_key *ts_provider_key(const struct ts_provider_mod *m,
					    const char *key);
/* If key is a secret source (X, X_env, X_file, X_cmd) of a key the
   provider declares secret, or any key it declares, returns the
   declaration; *literal says whether the value is the secret itself. */
const struct tokenshim_key *ts_provider_secret_key(const struct ts_provider_mod *m,
						   const char *key,
						   int *literal);

/* Sets the engine's callbacks; the services answer nothing about
   profiles before. */
void ts_services_init(const struct ts_provider_host *host);
/* The services table given to every provider call. */
const struct tokenshim_services *ts_services(void);

/* The token object providers fill; the host frees it with ts_token_clear. */
void ts_token_clear(struct tokenshim_token *t);

#endif
