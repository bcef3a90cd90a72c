/*
 * provider: loading provider modules and the services handed to them.
 * Modules are NAME.so in the directories of $TOKENSHIM_PROVIDER_PATH
 * (colon-separated) or in $libdir/tokenshim/providers. A module that fails
 * to load is reported with its path and dlerror(); only the profiles that
 * name it become unusable.
 */
#ifndef TS_PROVIDER_H
#define TS_PROVIDER_H

#include <stddef.h>

#include "tokenshim_provider.h"

struct ts_profile;

struct ts_provider_mod {
	char *name;
	char *path;
	void *dl;
	const struct tokenshim_provider *p;
	int abi;
};

struct ts_config;

/* The context a provider call runs in. */
struct tokenshim_ctx {
	struct ts_profile *prof;
	struct ts_config *cfg;	/* for peer profiles */
	const char *url;	/* the request's URL, or NULL */
};

/* The provider called name, loaded on first use and kept for the life of
   the process. NULL with the reason in errbuf when it cannot be had. */
const struct ts_provider_mod *ts_provider_load(const char *name, char *errbuf,
					       size_t errlen);
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

/* The services table given to every provider call. */
const struct tokenshim_services *ts_services(void);

/* The token object providers fill; the host frees it with ts_token_clear. */
void ts_token_clear(struct tokenshim_token *t);

#endif
