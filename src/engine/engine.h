/*
 * The engine layer: profiles, and where a token comes from. It reads the
 * config (config.c: the INI text; profile.c: what it means), matches
 * request URLs to profiles (match.c), and keeps each profile's token:
 * from this process's memory, else from the store (store/store.h), else
 * from the provider (provider/provider.h). It never touches libcurl,
 * files or locks itself: the store and the providers do.
 *
 * engine: the profiles of the process and their tokens. The config is read
 * once per process, lazily, on the first libcurl call; each profile keeps
 * its current token here, and a login happens at most once at a time per
 * profile (single flight) while other threads, and other processes
 * through the store's lease, wait for its result.
 */
#ifndef TS_ENGINE_H
#define TS_ENGINE_H

#include <stddef.h>
#include <time.h>

#include "engine/profile.h"

/* What the engine's calls return. */
enum ts_result {
	TS_OK = 0,
	TS_EDENIED,	/* the server refused: credentials, grant */
	TS_ECONNECT,	/* the server could not be reached in time */
	TS_EPROTO,	/* the server answered something unusable */
	TS_ECONFIG,	/* the profile's configuration is unusable */
	TS_ENOMEM
};

struct ts_engine {
	struct ts_config cfg;
};

/* The process's engine, loaded on first call; never NULL. Config problems
   are printed once, as "tokenshim: file:line: message". */
struct ts_engine *ts_engine(void);

/* Loads an engine from path (the CLI does this itself to report problems
   its own way). Returns 0, or -1 when the file could not be read. */
int ts_engine_init(struct ts_engine *e, const char *path, int must_exist,
		   ts_report_fn *report, void *rctx);
void ts_engine_free(struct ts_engine *e);

/* The profile whose longest pattern matches url, or NULL. *pat, when not
   NULL, receives the pattern that decided. Unusable profiles match too, so
   that their requests fail loudly instead of going out without a token. */
struct ts_profile *ts_engine_match(struct ts_engine *e, const char *url,
				   const struct ts_pattern **pat);
/* The same for a URL already split (as libcurl reads it). */
struct ts_profile *ts_engine_match_url(struct ts_engine *e,
				       const struct ts_url *u,
				       const struct ts_pattern **pat);
/* The profile named name, or NULL. */
struct ts_profile *ts_engine_profile(struct ts_engine *e, const char *name);

/* A fresh token for p, for the request req (NULL outside a transfer):
   from the profile's slot while it is valid, else renewed or obtained from
   the provider. On TS_OK, *tok is a copy to free with ts_free_secret.
   Otherwise another ts_result, with a one-line message naming the profile
   and the step in errbuf. force skips the cache. */
enum ts_result ts_engine_token(struct ts_profile *p, const struct ts_req *req,
			       int force, char **tok, size_t *len,
			       char *errbuf, size_t errlen);

/* Non-zero when a token may go on the wire: not empty, no CR, LF or NUL. */
int ts_token_ok(const char *tok, size_t len);

/* A server refused tok: forgets it, but only while it is still the
   profile's token (here and in the store: another thread or process may
   have replaced it already), and, when it was, releases it upstream
   where the provider can, before anyone fetches its replacement, so that
   sessions do not pile up. */
void ts_engine_refused(struct ts_profile *p, const char *tok, size_t len);
/* Non-zero while refusals of p's token at url must not cause logins: a
   replacement was refused there too, less than 10 s ago, in any process
   (an endpoint that refuses every token). Those requests get the
   server's 401; refusals elsewhere are answered as usual. */
int ts_engine_storming(struct ts_profile *p, const char *url);
/* A fresh replacement was refused at url too: starts those 10 s there,
   for every process of the store. */
void ts_engine_storm(struct ts_profile *p, const char *url);

/* Records a successful use of p's token: for providers whose tokens slide
   (each use extends them), the expiry moves to now + the token's life. */
void ts_engine_touch(struct ts_profile *p);

/* What is known of p's token, from this process and the store. */
struct ts_status {
	const char *state;	/* "valid", "expiring", "expired" or "none" */
	long expires_in;	/* seconds; negative once expired */
	time_t obtained;
	unsigned logins;
	unsigned refreshes;
	const char *source;	/* "local cache", "store", "login", "refresh",
				   or NULL: no token came in this process */
	unsigned long long gen;	/* the entry's generation (the fleet's
				   store's, with a store); 0: none */
};
void ts_engine_status(struct ts_profile *p, struct ts_status *st);

/* p's fleet store: its URL (NULL: none) and, in *st, the store opened
   for it (NULL when it cannot be used, *why then saying so). */
struct ts_store;
const char *ts_engine_store(struct ts_profile *p, struct ts_store **st,
			    char *why, size_t whylen);

/* Releases p's token upstream when the provider can, and forgets it;
   *held says whether there was one. Returns TS_OK when there was nothing
   to release or it was released. */
enum ts_result ts_engine_logout(struct ts_profile *p, int *held, char *errbuf,
				size_t errlen);

#endif
