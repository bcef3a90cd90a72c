/*
 * config: the tokenshim.conf file. An INI file with an optional [defaults]
 * section and [profile NAME] sections; "#" and ";" start comments. Every
 * problem is reported as "file:line: message" and makes that profile
 * unusable; the other profiles keep working.
 */
#ifndef TS_CONFIG_H
#define TS_CONFIG_H

#include <stddef.h>

#include "inject.h"
#include "match.h"

struct ts_provider_mod;
struct ts_slot;

struct ts_kv {
	char *key;
	char *value;
	int line;
};

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

	struct ts_slot *slot;	/* the engine's token state */
	struct ts_config *cfg;	/* the config it belongs to */
};

struct ts_config {
	char *path;
	struct ts_profile *profiles;
	size_t nprofiles;
	int errors;		/* how many problems were reported */
};

/* Receives each problem as one line, "file:line: message". */
typedef void ts_report_fn(void *ctx, const char *msg);

/* Where the config is: $TOKENSHIM_CONFIG, else
   $XDG_CONFIG_HOME/tokenshim/tokenshim.conf (~/.config/...), else
   /etc/tokenshim.conf. Returns a malloc'ed path. */
char *ts_config_find(void);

/* Reads and validates the file at path (providers are loaded to learn
   their keys). A missing file at a default location is no error: there
   are simply no profiles. Returns 0 when the file could be read, -1
   otherwise; problems go to report and are counted in cfg->errors. */
int ts_config_load(const char *path, int must_exist, struct ts_config *cfg,
		   ts_report_fn *report, void *rctx);
/* Parses text as if read from path (for tests and for the loader). */
int ts_config_parse(const char *path, const char *text, int check_mode,
		    int mode, struct ts_config *cfg, ts_report_fn *report,
		    void *rctx);
void ts_config_free(struct ts_config *cfg);

/* The value of key in a profile, or NULL. */
const struct ts_kv *ts_profile_kv(const struct ts_profile *p, const char *key);
/* The profile named name, or NULL. */
struct ts_profile *ts_config_profile(const struct ts_config *cfg,
				     const char *name);

#endif
