/*
 * profile: what each [profile NAME] of the config means. The builder
 * merges [defaults] into each profile, loads the provider it names,
 * checks every key against what that provider declares, and fills the
 * settings the engine and the transfers use. Every problem is reported as
 * "file:line: message" and makes that profile unusable; the other
 * profiles keep working.
 */
#ifndef TS_PROFILE_H
#define TS_PROFILE_H

#include <stddef.h>

#include "engine/config.h"
#include "engine/match.h"
#include "engine/placement.h"
#include "util/buf.h"

struct ts_provider_mod;
struct ts_slot;

struct ts_profile {
	char *name;
	const char *file;	/* the config's path (owned by ts_config) */
	int line;		/* of the [profile NAME] header */
	int usable;		/* no error was found in it */
	const struct ts_provider_mod *prov;	/* NULL when unusable */

	struct ts_pattern *patterns;
	size_t npatterns;
	struct ts_kv *kv;	/* every key as written, [defaults] merged */
	size_t nkv;

	struct ts_inject inject;
	long lifetime;		/* seconds; 0: the provider's default */
	long refresh_ahead;	/* seconds */
	long timeout_ms;
	const char *ca_file;	/* points into kv */
	int insecure;
	int on_failure_pass;
	const char *proxy;	/* the proxy key: a URL, "" for none; NULL:
				   the way the app's request goes */

	/* the fleet store (point into kv); store NULL: this machine only */
	const char *store;
	const char *store_prefix;	/* NULL: "tokenshim:" */
	const char *store_ca_file;	/* NULL: the system's CAs */
	long store_timeout_ms;
	int on_store_failure_fail;	/* else fall back to the local cache */

	struct ts_slot *slot;	/* the engine's token state */
	struct ts_config *cfg;	/* the config it belongs to */
};

/* The profiles of one config file. */
struct ts_config {
	char *path;
	struct ts_profile *profiles;
	size_t nprofiles;
	int errors;		/* how many problems were reported */
};

/* Reads and builds the config at path (providers are loaded to learn
   their keys). A missing file at a default location is no error: there
   are simply no profiles. Returns 0 when the file could be read, -1
   otherwise; problems go to report and are counted in cfg->errors. */
int ts_config_load(const char *path, int must_exist, struct ts_config *cfg,
		   ts_report_fn *report, void *rctx);
/* Builds from text as if read from path, a file of the given mode when
   check_mode is set (for tests). */
int ts_config_parse(const char *path, const char *text, int check_mode,
		    int mode, struct ts_config *cfg, ts_report_fn *report,
		    void *rctx);
void ts_config_free(struct ts_config *cfg);

/* The value of key in a profile, or NULL. */
const struct ts_kv *ts_profile_kv(const struct ts_profile *p, const char *key);
/* The same, as the text alone (p is a struct ts_profile: the shape a
   secret lookup, ts_secret_find, takes). */
const char *ts_profile_setting(const void *p, const char *key);
/* The profile named name, or NULL. */
struct ts_profile *ts_config_profile(const struct ts_config *cfg,
				     const char *name);

/* Appends p's identity to id: its provider and every setting that
   decides whose token it is (url, username, area, the password's
   source...), not those that decide how the token is used. Two profiles
   with one identity share one token. Returns 0, or -1 out of memory. */
int ts_profile_identity(const struct ts_profile *p, struct ts_buf *id);

/* The app's request a token is for. */
struct ts_req {
	const char *url;	/* where it goes */
	/* the app's way out (CURLOPT_PROXY, PROXYTYPE, PROXYUSERPWD,
	   NOPROXY, PROXY_CAINFO), which the login takes too; proxy NULL:
	   the app set none */
	const char *proxy;
	long proxytype;		/* -1: unset */
	const char *proxyuserpwd;
	const char *noproxy;
	const char *proxy_cainfo;
};

/* What a provider call for p runs in, for req (NULL outside a
   transfer): the profile's proxy key first, else the app's way out. */
struct tokenshim_ctx;
void ts_profile_ctx(struct ts_profile *p, const struct ts_req *req,
		    struct tokenshim_ctx *ctx);

/* How a provider gets another profile's token (the portal needs
   NetBrain's): the engine says, at init, as the provider ABI's
   peer_token promises. */
typedef int ts_peer_token_fn(struct ts_profile *peer, char **out,
			     size_t *len, char *errbuf);
/* And how it says a server refused that token (ts_engine_refused). */
typedef void ts_peer_refused_fn(struct ts_profile *peer, const char *tok,
				size_t len);
void ts_profile_set_peer_token(ts_peer_token_fn *fn, ts_peer_refused_fn *rf);

#endif
