/*
 * engine: profiles, matching and the in-process token cache, over the
 * store and the providers.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "provider/provider.h"
#include "provider/secret.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/fork.h"
#include "util/log.h"

struct ts_slot {
	pthread_mutex_t lock;	/* guards tok, the times and the counters */
	pthread_mutex_t flight;	/* held by the one caller logging in */
	struct tokenshim_token tok;
	time_t obtained;
	long life;		/* expires_at - obtained when it was issued */
	time_t saved_expiry;	/* expiry the store last had */
	unsigned logins;
	unsigned refreshes;
	uint64_t gen;		/* the store entry's generation we last saw */
	char *refused;		/* the token a server refused last: never
				   taken back from the store */
	size_t refused_len;
	time_t storm_until;	/* a replacement was refused too: until then
				   a refusal there gets no new login */
	uint64_t storm_key;	/* where: see storm_key() */
	struct ts_store_ref ref;	/* its entry in the store: use lref() */
	int ref_ready;		/* ref is set up (atomic) */
	const char *source;	/* where the token came from */

	/* the fleet store, set up at first need */
	pthread_mutex_t fleet_lock;	/* guards the three below */
	int fleet_state;	/* 0: not yet, 1: fref is usable, -1: not */
	char fleet_err[300];	/* why not (-1) */
	struct ts_store_ref fref;
	uint64_t fgen;		/* its entry's generation we last saw */
};

/* How long a refused login is remembered for the fleet. */
#define REFUSAL_MS 10000

/* The ABI's codes and the engine's are one list; a provider's code
   passes through unchanged. */
_Static_assert(TS_EDENIED == TOKENSHIM_EDENIED &&
	       TS_ECONNECT == TOKENSHIM_ECONNECT &&
	       TS_EPROTO == TOKENSHIM_EPROTO &&
	       TS_ECONFIG == TOKENSHIM_ECONFIG &&
	       TS_ENOMEM == TOKENSHIM_ENOMEM, "result codes");

static struct ts_engine global;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void report_log(void *ctx, const char *msg)
{
	ts_log("%s", msg);
}

/* A child forked while another thread held a profile's lock (a login
   takes seconds) would wait forever for a thread it does not have: the
   child starts with fresh locks. The store lets go of the parent's leases
   with its own handler. */
static void fork_child(void)
{
	size_t i;

	for(i = 0; i < global.cfg.nprofiles; i++) {
		struct ts_slot *s = global.cfg.profiles[i].slot;

		if(!s)
			continue;
		pthread_mutex_init(&s->lock, NULL);
		pthread_mutex_init(&s->flight, NULL);
		pthread_mutex_init(&s->fleet_lock, NULL);
	}
}

static struct ts_fork_hooks fork_hooks = { NULL, NULL, fork_child, 0 };
TS_FORK_AT_LOAD(fork_hooks)

static void load_global(void)
{
	char *path = ts_config_find();
	const char *explicit = getenv("TOKENSHIM_CONFIG");

	if(path) {
		ts_engine_init(&global, path, explicit && *explicit, report_log,
			       NULL);
		ts_debug("config %s: %zu profile(s)", path,
			 global.cfg.nprofiles);
	}
	free(path);
}

struct ts_engine *ts_engine(void)
{
	/* every hooked perform asks: once loaded, one load, not a once */
	static int loaded;

	if(__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
		return &global;
	pthread_once(&global_once, load_global);
	__atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
	return &global;
}

static int peer_token(struct ts_profile *peer, char **out, size_t *len,
		      char *errbuf)
{
	char err[512];
	int rc = ts_engine_token(peer, NULL, 0, out, len, err, sizeof(err));

	if(rc != TS_OK)
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "%s", err);
	return rc;
}

/* Where p's token is kept: the store's entry for its identity. */
static void ref_init(struct ts_slot *s, const struct ts_profile *p)
{
	struct ts_store *st = ts_store_local();
	struct ts_buf id = {0};

	if(st && ts_profile_identity(p, &id) == 0)
		ts_store_ref_init(&s->ref, st, id.p, id.len);
	else
		ts_store_ref_init(&s->ref, NULL, NULL, 0);
	s->ref.hold_ms = p->timeout_ms;
	ts_buf_free(&id);
}

/* p's entry in the local store, set up at its first use: opening the
   store reads its key, and naming the entry loads the crypto library and
   runs an HMAC, which a process that never needs p's token never pays. */
static const struct ts_store_ref *lref(struct ts_profile *p)
{
	struct ts_slot *s = p->slot;

	if(__atomic_load_n(&s->ref_ready, __ATOMIC_ACQUIRE))
		return &s->ref;
	pthread_mutex_lock(&s->fleet_lock);
	if(!s->ref_ready) {
		ref_init(s, p);
		__atomic_store_n(&s->ref_ready, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&s->fleet_lock);
	return &s->ref;
}

/* Reads the secret key (X, X_env, X_file or X_cmd) of p into *out, or
   leaves *out NULL when none is set. Returns 0, or -1 with err. */
static int read_secret(const struct ts_profile *p, const char *key, char **out,
		       char *err, size_t errlen)
{
	char name[96], why[256];
	enum ts_secret_src src;
	const char *v = ts_secret_find(key, ts_profile_setting, p, &src, name,
				       sizeof(name));

	*out = NULL;
	if(v && ts_secret_read(src, v, p->timeout_ms, out, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	return 0;
}

/* Opens p's fleet store and its entry there, once. Returns the entry's
   ref, or NULL when p has no store or it cannot be used (*why then says
   so, when why is given). */
static const struct ts_store_ref *fleet(struct ts_profile *p, char *why,
					size_t whylen)
{
	struct ts_slot *s = p->slot;
	struct ts_fleet_cfg fc;
	struct ts_store *st;
	struct ts_buf id = {0};
	unsigned char key[32];
	char *pw = NULL, *kt = NULL, err[256] = "";
	int state;

	if(!p->store || !s)
		return NULL;
	pthread_mutex_lock(&s->fleet_lock);
	if(s->fleet_state) {
		state = s->fleet_state;
		if(state < 0 && why)
			snprintf(why, whylen, "%s", s->fleet_err);
		pthread_mutex_unlock(&s->fleet_lock);
		return state > 0 ? &s->fref : NULL;
	}
	if(read_secret(p, "store_password", &pw, err, sizeof(err)) ||
	   read_secret(p, "store_key", &kt, err, sizeof(err)))
		goto out;
	if(!kt || ts_store_key_parse(kt, key)) {
		snprintf(err, sizeof(err), "the fleet key (store_key) must be 64 hex "
			 "digits; tokenshim keygen prints one");
		goto out;
	}
	memset(&fc, 0, sizeof(fc));
	fc.url = p->store;
	fc.password = pw;
	fc.key = key;
	fc.prefix = p->store_prefix;
	fc.timeout_ms = p->store_timeout_ms;
	fc.ca_file = p->store_ca_file;
	st = ts_store_fleet(&fc, err, sizeof(err));
	if(!st || ts_profile_identity(p, &id)) {
		if(!err[0])
			snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	ts_store_ref_init(&s->fref, st, id.p, id.len);
	/* a login under the lease may take the whole timeout; the lease
	   is renewed while it runs, and outlives a holder that dies by
	   this much at most */
	s->fref.hold_ms = p->timeout_ms + 1000;
out:
	ts_wipe(key, sizeof(key));
	ts_free_secret(&pw);
	ts_free_secret(&kt);
	ts_buf_free(&id);
	if(err[0]) {
		s->fleet_state = -1;
		snprintf(s->fleet_err, sizeof(s->fleet_err), "store %s: %s",
			 p->store, err);
		ts_log("profile %s: %s", p->name, s->fleet_err);
		if(why)
			snprintf(why, whylen, "%s", s->fleet_err);
	}
	else
		s->fleet_state = 1;
	state = s->fleet_state;
	pthread_mutex_unlock(&s->fleet_lock);
	return state > 0 ? &s->fref : NULL;
}

int ts_engine_init(struct ts_engine *e, const char *path, int must_exist,
		   ts_report_fn *report, void *rctx)
{
	size_t i;
	int rc;

	memset(e, 0, sizeof(*e));
	ts_profile_set_peer_token(peer_token, ts_engine_refused);
	rc = ts_config_load(path, must_exist, &e->cfg, report, rctx);
	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_slot *s = calloc(1, sizeof(*s));

		if(!s) {
			e->cfg.profiles[i].usable = 0;
			continue;
		}
		pthread_mutex_init(&s->lock, NULL);
		pthread_mutex_init(&s->flight, NULL);
		pthread_mutex_init(&s->fleet_lock, NULL);
		e->cfg.profiles[i].slot = s;
	}
	return rc;
}

void ts_engine_free(struct ts_engine *e)
{
	size_t i;

	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_slot *s = e->cfg.profiles[i].slot;

		if(!s)
			continue;
		ts_token_clear(&s->tok);
		ts_free_secret(&s->refused);
		pthread_mutex_destroy(&s->lock);
		pthread_mutex_destroy(&s->flight);
		pthread_mutex_destroy(&s->fleet_lock);
		free(s);
	}
	ts_config_free(&e->cfg);
}

struct ts_profile *ts_engine_match_url(struct ts_engine *e,
				       const struct ts_url *u,
				       const struct ts_pattern **pat)
{
	struct ts_profile *best = NULL;
	const struct ts_pattern *bestpat = NULL;
	size_t i, j;

	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_profile *p = &e->cfg.profiles[i];

		for(j = 0; j < p->npatterns; j++) {
			const struct ts_pattern *pt = &p->patterns[j];

			if((!bestpat || pt->weight > bestpat->weight) &&
			   ts_pattern_match(pt, u)) {
				best = p;
				bestpat = pt;
			}
		}
	}
	if(pat)
		*pat = bestpat;
	return best;
}

struct ts_profile *ts_engine_match(struct ts_engine *e, const char *url,
				   const struct ts_pattern **pat)
{
	struct ts_profile *p;
	struct ts_url u;

	if(!e->cfg.nprofiles || !url || ts_url_parse(url, &u))
		return NULL;
	p = ts_engine_match_url(e, &u, pat);
	ts_url_free(&u);
	return p;
}

struct ts_profile *ts_engine_profile(struct ts_engine *e, const char *name)
{
	return name ? ts_config_profile(&e->cfg, name) : NULL;
}

int ts_token_ok(const char *tok, size_t len)
{
	size_t i;

	if(!len)
		return 0;
	for(i = 0; i < len; i++)
		if(tok[i] == '\r' || tok[i] == '\n' || tok[i] == '\0')
			return 0;
	return 1;
}

/* Renew this long before expiry: refresh_ahead, but at most a third of
   the token's life, so that short-lived tokens are not renewed at once. */
static int fresh(const struct ts_profile *p, const struct ts_slot *s,
		 time_t now)
{
	long life, ahead = p->refresh_ahead;

	if(!s->tok.token)
		return 0;
	/* the life it was issued with: a sliding expiry moves, its life not */
	life = s->life;
	if(ahead > life / 3)
		ahead = life / 3;
	return now < s->tok.expires_at - ahead;
}

static int copy_out(const struct ts_slot *s, char **tok, size_t *len)
{
	char *c = malloc(s->tok.token_len + 1);

	if(!c)
		return TS_ENOMEM;
	memcpy(c, s->tok.token, s->tok.token_len + 1);
	*tok = c;
	*len = s->tok.token_len;
	return TS_OK;
}

/* The slot as a store entry; the strings are borrowed from the slot.
   The caller holds s->lock. */
static void to_entry(const struct ts_slot *s, struct ts_store_entry *e)
{
	e->token = (char *)s->tok.token;
	e->token_len = s->tok.token_len;
	e->extra = (char *)s->tok.extra;
	e->extra_len = s->tok.extra_len;
	e->expires_at = s->tok.expires_at;
	e->obtained = s->obtained;
	e->life = s->life;
	e->logins = s->logins;
	e->refreshes = s->refreshes;
	e->storm_until = s->storm_until;
	e->storm_key = s->storm_key;
	e->gen = s->gen;
}

/* Takes the entry's token into the slot, which owns its strings from
   then on. The caller holds s->lock. */
static void from_entry(struct ts_slot *s, struct ts_store_entry *e)
{
	ts_token_clear(&s->tok);
	s->tok.token = e->token;
	s->tok.token_len = e->token_len;
	s->tok.extra = e->extra;
	s->tok.extra_len = e->extra_len;
	s->tok.expires_at = e->expires_at;
	s->obtained = e->obtained;
	s->life = e->life;
	e->token = e->extra = NULL;
	e->token_len = e->extra_len = 0;
}

/* Writes the slot's token to r's entry over generation *gen, the one we
   last saw there. With override, a write that lost the race is made
   again over whatever is there now: after a login, the newest login
   wins, as it does at the vendor. The slot's lock is not held while the
   store works: a shared store may take its timeout. */
static int put_slot(struct ts_profile *p, const struct ts_store_ref *r,
		    uint64_t *gen, int override)
{
	struct ts_slot *s = p->slot;
	struct ts_store_entry e, cur;
	time_t expiry;
	int rc;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&s->lock);
	if(s->tok.token) {
		to_entry(s, &e);
		e.gen = *gen;
		e.token = malloc(e.token_len + 1);
		e.extra = e.extra_len ? malloc(e.extra_len + 1) : NULL;
		if(e.token)
			memcpy(e.token, s->tok.token, e.token_len + 1);
		if(e.extra)
			memcpy(e.extra, s->tok.extra, e.extra_len + 1);
	}
	pthread_mutex_unlock(&s->lock);
	if(!e.token || (e.extra_len && !e.extra)) {
		ts_store_entry_clear(&e);
		return TS_STORE_FAIL;
	}
	expiry = e.expires_at;
	rc = ts_store_put(r, &e);
	if(rc == TS_STORE_CONFLICT && override) {
		rc = ts_store_get(r, &cur);
		e.gen = rc == TS_STORE_OK ? cur.gen : 0;	/* 0: removed */
		ts_store_entry_clear(&cur);
		rc = rc == TS_STORE_FAIL ? rc : ts_store_put(r, &e);
	}
	if(rc == TS_STORE_OK) {
		pthread_mutex_lock(&s->lock);
		*gen = e.gen;
		if(r == &s->ref)	/* the local store's */
			s->saved_expiry = expiry;
		pthread_mutex_unlock(&s->lock);
	}
	ts_store_entry_clear(&e);
	return rc;
}

/* Writes the slot's token to the local store and to the fleet's. A
   login (override) lands in the fleet's only while this machine holds
   the lease or nobody does: the store's script fences it. */
static void save(struct ts_profile *p, int override)
{
	struct ts_slot *s = p->slot;
	const struct ts_store_ref *fr = fleet(p, NULL, 0);

	if(lref(p)->st)
		put_slot(p, lref(p), &s->gen, 1);
	if(fr && put_slot(p, fr, &s->fgen, override) == TS_STORE_CONFLICT)
		ts_debug("profile %s: the store holds a newer token; keeping it "
			 "there", p->name);
}

/* Takes the entry of r into the slot when it holds another token than
   ours (another process, or machine, logged in or renewed). Returns 0
   when the slot has no token after, 1 when it has, 2 when it took r's;
   *failed is set when the store could not be read. */
static int adopt_from(struct ts_profile *p, const struct ts_store_ref *r,
		      int shared, int *failed)
{
	struct ts_slot *s = p->slot;
	struct ts_store_entry e;
	int have, took = 0, rc;

	if(!r->st)
		return s->tok.token != NULL;
	rc = ts_store_get(r, &e);
	if(rc != TS_STORE_OK) {
		if(rc == TS_STORE_FAIL && failed)
			*failed = 1;
		if(rc == TS_STORE_MISS && shared) {
			pthread_mutex_lock(&s->lock);
			s->fgen = 0;
			pthread_mutex_unlock(&s->lock);
		}
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if(s->refused && s->refused_len == e.token_len &&
	   !memcmp(s->refused, e.token, e.token_len)) {
		/* a thread here was refused it, and its removal from the store
		   may not have landed yet */
		have = s->tok.token != NULL;
		pthread_mutex_unlock(&s->lock);
		ts_store_entry_clear(&e);
		return have;
	}
	if(!s->tok.token || s->tok.token_len != e.token_len ||
	   memcmp(s->tok.token, e.token, e.token_len) ||
	   e.expires_at > s->tok.expires_at) {
		from_entry(s, &e);
		s->source = shared ? "store" : "local cache";
		took = 1;
		ts_debug("profile %s: token from the %s", p->name,
			 shared ? "fleet store" : "shared cache");
	}
	if(shared)
		s->fgen = e.gen;
	else {
		s->gen = e.gen;
		s->saved_expiry = e.expires_at;
	}
	s->logins = e.logins;
	s->refreshes = e.refreshes;
	if(e.storm_until > s->storm_until) {
		s->storm_until = e.storm_until;
		s->storm_key = e.storm_key;
	}
	have = s->tok.token != NULL;
	pthread_mutex_unlock(&s->lock);
	ts_store_entry_clear(&e);
	return took && have ? 2 : have;
}

static int adopt(struct ts_profile *p)
{
	return adopt_from(p, lref(p), 0, NULL);
}

/* The same from the fleet's store; what it brings fills the local
   cache, so that this machine's other processes need no round trip.
   *failed is set when p has a store that cannot be used now. */
static int fleet_adopt(struct ts_profile *p, int *failed)
{
	struct ts_slot *s = p->slot;
	const struct ts_store_ref *fr = fleet(p, NULL, 0);
	int rc;

	if(!fr) {
		if(p->store && failed)
			*failed = 1;
		return 0;
	}
	rc = adopt_from(p, fr, 1, failed);
	if(rc == 2 && lref(p)->st)
		put_slot(p, lref(p), &s->gen, 1);
	return rc;
}

/* Checks and completes what a provider returned. */
static int accept_token(const struct ts_profile *p, struct tokenshim_token *nt,
			const char *step, char *perr, time_t now)
{
	if(!nt->token) {
		snprintf(perr, TOKENSHIM_ERRBUF_SIZE,
			 "%s: provider returned no token", step);
		return TS_EPROTO;
	}
	if(!ts_token_ok(nt->token, nt->token_len)) {
		snprintf(perr, TOKENSHIM_ERRBUF_SIZE,
			 "%s: token is empty or contains CR, LF or NUL; refused",
			 step);
		return TS_EPROTO;
	}
	/* A token's expiry is never guessed: the server's word, else the
	   configured lifetime. */
	if(!nt->expires_at || nt->expires_at <= now)
		nt->expires_at = now + p->lifetime;
	return TS_OK;
}

/* Runs the provider: refresh when it can and there is something to
   refresh, else (or when the refresh is refused) a full login. On success
   the new token replaces the slot's. The caller holds the flight lock, so
   the slot's token changes under no one else. */
static int obtain(struct ts_profile *p, const struct ts_req *req, char *errbuf,
		  size_t errlen)
{
	const struct tokenshim_provider *pv = p->prov->p;
	struct ts_slot *s = p->slot;
	struct tokenshim_ctx ctx;
	struct tokenshim_token nt = {0};
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	time_t now = time(NULL);
	int rc = TS_EDENIED, refreshed = 0;

	ts_profile_ctx(p, req, &ctx);
	if(pv->refresh && (s->tok.token || s->tok.extra)) {
		rc = pv->refresh(&ctx, ts_services(), &s->tok, &nt, perr);
		if(rc == TS_OK)
			rc = accept_token(p, &nt, "refresh", perr, now);
		if(rc == TS_OK)
			refreshed = 1;
		else {
			ts_debug("profile %s: %s; logging in again", p->name,
				 perr[0] ? perr : "refresh failed");
			ts_token_clear(&nt);
			perr[0] = '\0';
		}
	}
	if(!refreshed) {
		rc = pv->acquire(&ctx, ts_services(), &nt, perr);
		if(rc == TS_OK)
			rc = accept_token(p, &nt, "login", perr, now);
	}
	if(rc != TS_OK) {
		ts_token_clear(&nt);
		snprintf(errbuf, errlen, "profile %s: %s", p->name,
			 perr[0] ? perr : "login failed");
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	ts_token_clear(&s->tok);
	s->tok = nt;
	ts_free_secret(&s->refused);	/* the server's new word */
	s->refused_len = 0;
	s->obtained = now;
	s->saved_expiry = nt.expires_at;
	s->life = (long)(nt.expires_at - now);
	if(refreshed)
		s->refreshes++;
	else
		s->logins++;
	s->source = refreshed ? "refresh" : "login";
	pthread_mutex_unlock(&s->lock);
	ts_debug("profile %s: %s token (%zu chars, expires in %lds)", p->name,
		 refreshed ? "refreshed" : "new", nt.token_len,
		 (long)(nt.expires_at - now));
	save(p, 1);
	return TS_OK;
}

/* Tokens that serve one request only (tickets): never cached. */
static int one_shot(struct ts_profile *p, const struct ts_req *req, char **tok,
		    size_t *len, char *errbuf, size_t errlen)
{
	struct tokenshim_ctx ctx;
	struct tokenshim_token nt = {0};
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	int rc;

	ts_profile_ctx(p, req, &ctx);
	rc = p->prov->p->acquire(&ctx, ts_services(), &nt, perr);
	if(rc == TS_OK)
		rc = accept_token(p, &nt, "login", perr, time(NULL));
	if(rc == TS_OK) {
		*tok = malloc(nt.token_len + 1);
		if(*tok) {
			memcpy(*tok, nt.token, nt.token_len + 1);
			*len = nt.token_len;
		}
		else
			rc = TS_ENOMEM;
	}
	else
		snprintf(errbuf, errlen, "profile %s: %s", p->name,
			 perr[0] ? perr : "login failed");
	ts_token_clear(&nt);
	return rc;
}

/* Non-zero when the store's entry e holds the slot's current token. */
static int holds_ours(struct ts_slot *s, const struct ts_store_entry *e)
{
	int same;

	pthread_mutex_lock(&s->lock);
	same = s->tok.token && e->token_len == s->tok.token_len &&
	       !memcmp(e->token, s->tok.token, e->token_len);
	pthread_mutex_unlock(&s->lock);
	return same;
}

void ts_engine_touch(struct ts_profile *p)
{
	struct ts_slot *s = p->slot;
	struct ts_store_entry e;
	time_t now = time(NULL);
	int write_back, stored;

	if(!s || !p->prov || !(p->prov->p->flags & TOKENSHIM_PROVIDER_SLIDING))
		return;
	stored = lref(p)->st != NULL;
	pthread_mutex_lock(&s->lock);
	if(s->tok.token && s->life > 0)
		s->tok.expires_at = now + s->life;
	/* other processes learn of the extension from the store, but at
	   most once per tenth of the life: a busy token is not a busy disk */
	write_back = s->tok.token && stored &&
		     s->tok.expires_at - s->saved_expiry >=
		     (s->life / 10 ? s->life / 10 : 1);
	pthread_mutex_unlock(&s->lock);
	if(!write_back)
		return;
	/* write only over our own token: another process may have replaced
	   it meanwhile, and then the compare-and-set refuses the write */
	if(ts_store_get(lref(p), &e) != TS_STORE_OK)
		return;
	if(holds_ours(s, &e)) {
		pthread_mutex_lock(&s->lock);
		s->gen = e.gen;
		pthread_mutex_unlock(&s->lock);
		ts_store_entry_clear(&e);
		save(p, 0);
	}
	else
		ts_store_entry_clear(&e);
}

/* Copies out the slot's token when it is fresh, or, with stale set, when
   it is merely still valid. */
static int try_slot(struct ts_profile *p, int stale, char **tok, size_t *len)
{
	struct ts_slot *s = p->slot;
	time_t now = time(NULL);
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if(fresh(p, s, now) || (stale && s->tok.token && now < s->tok.expires_at))
		rc = copy_out(s, tok, len);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The store failed p: with on_store_failure = fail, that is p's answer
   (TS_ECONNECT, with the reason); else 0, and p goes on with this
   machine's cache. */
static int store_failed(struct ts_profile *p, char *errbuf, size_t errlen)
{
	const struct ts_store_ref *fr;
	char why[300] = "", fault[256] = "";

	if(!p->on_store_failure_fail)
		return 0;
	fr = fleet(p, why, sizeof(why));
	if(fr && ts_store_fault(fr->st, fault, sizeof(fault)) == 0)
		snprintf(why, sizeof(why), "store %s: %s", ts_store_where(fr->st),
			 fault);
	snprintf(errbuf, errlen, "profile %s: %s (on_store_failure = fail)",
		 p->name, why[0] ? why : "the store cannot be used");
	return TS_ECONNECT;
}

enum ts_result ts_engine_token(struct ts_profile *p, const struct ts_req *req,
			       int force, char **tok, size_t *len,
			       char *errbuf, size_t errlen)
{
	struct ts_slot *s = p->slot;
	struct ts_lease *lease = NULL, *flease = NULL;
	const struct ts_store_ref *fr = NULL;
	char *replaced = NULL;
	size_t replaced_len = 0;
	long waited;
	int rc, valid, leased, sfail = 0;

	if(!p->usable || !p->prov || !s) {
		snprintf(errbuf, errlen,
			 "profile %s: unusable because of errors in %s", p->name,
			 p->file);
		return TS_ECONFIG;
	}
	if(p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE)
		return one_shot(p, req, tok, len, errbuf, errlen);
	if(!force) {
		if(try_slot(p, 0, tok, len) >= 0) {
			ts_debug("profile %s: cached token (%zu chars)", p->name,
				 *len);
			return TS_OK;
		}
		if(adopt(p) && try_slot(p, 0, tok, len) >= 0)
			return TS_OK;
		/* a local miss: the fleet's store, one round trip */
		if(fleet_adopt(p, &sfail) && try_slot(p, 0, tok, len) >= 0)
			return TS_OK;
	}
	/* Stale while revalidate: when the token is still valid and someone
	   (a thread here, or another process) is already renewing it, use it
	   rather than wait. */
	pthread_mutex_lock(&s->lock);
	valid = !force && s->tok.token && time(NULL) < s->tok.expires_at;
	pthread_mutex_unlock(&s->lock);
	if(sfail && !valid && (rc = store_failed(p, errbuf, errlen)))
		return rc;
	if(valid) {
		if(pthread_mutex_trylock(&s->flight))
			goto use_old;
	}
	else
		pthread_mutex_lock(&s->flight);
	/* single flight across processes: wait for the holder's login,
	   which its timeout bounds, then take what it stored */
	waited = ts_now_ms();
	leased = ts_store_lease(lref(p), valid ? 0 : p->timeout_ms * 2 + 1000,
				&lease);
	waited = ts_now_ms() - waited;
	if(waited >= 20)
		ts_debug("profile %s: waited %ld ms for another process's login",
			 p->name, waited);
	if(leased == TS_STORE_BUSY && valid) {
		pthread_mutex_unlock(&s->flight);
		goto use_old;
	}
	/* inside the lease: whoever held it may have stored a token; a
	   forced login learns from it what it replaces, and the counters */
	adopt(p);
	if(!force && try_slot(p, 0, tok, len) >= 0) {
		rc = TS_OK;
		goto out;
	}
	/* and across machines: the fleet's lease, then what its holder
	   stored, whose refresh state is the one to use */
	if(!sfail && (fr = fleet(p, NULL, 0))) {
		waited = ts_now_ms();
		leased = ts_store_lease(fr, valid ? 0 : p->timeout_ms * 2 + 2000,
					&flease);
		waited = ts_now_ms() - waited;
		if(waited >= 20)
			ts_debug("profile %s: waited %ld ms for another machine's "
				 "login", p->name, waited);
		if(leased == TS_STORE_BUSY && valid) {
			ts_store_release(lref(p), &lease);
			pthread_mutex_unlock(&s->flight);
			goto use_old;
		}
		if(leased == TS_STORE_FAIL)
			sfail = 1;
		else if(fleet_adopt(p, &sfail) && !force &&
			try_slot(p, 0, tok, len) >= 0) {
			rc = TS_OK;
			goto out;
		}
	}
	else if(p->store)
		sfail = 1;
	if(sfail) {
		if(try_slot(p, 1, tok, len) >= 0) {
			rc = TS_OK;	/* still valid: no need of the store yet */
			goto out;
		}
		if((rc = store_failed(p, errbuf, errlen)))
			goto out;
		if(fr)
			ts_store_release(fr, &flease);
		fr = NULL;	/* this machine on its own, for now */
	}
	if(fr) {
		char said[TOKENSHIM_ERRBUF_SIZE];

		/* another machine's login was refused for good a moment ago:
		   the same refusal, without asking the server again */
		if(ts_store_noted(fr, said, sizeof(said)) == TS_STORE_OK) {
			snprintf(errbuf, errlen, "%s (another machine of the fleet "
				 "was refused less than %d s ago)", said,
				 REFUSAL_MS / 1000);
			rc = TS_EDENIED;
			goto out;
		}
	}
	if(force)
		try_slot(p, 1, &replaced, &replaced_len);
	rc = obtain(p, req, errbuf, errlen);
	if(rc == TS_OK)
		rc = try_slot(p, 1, tok, len) >= 0 ? TS_OK : TS_ENOMEM;
	else if(!force && try_slot(p, 1, tok, len) >= 0) {
		/* renewing ahead failed, but the token still works: use it */
		ts_log("%s; the current token is still valid", errbuf);
		rc = TS_OK;
		goto out;
	}
	else if(rc == TS_EDENIED && fr)
		ts_store_note(fr, errbuf, REFUSAL_MS);
	/* the session a forced login replaced is released, as a logout
	   would: servers limit the sessions a user may hold */
	if(rc == TS_OK && replaced && p->prov->p->release &&
	   (replaced_len != *len || memcmp(replaced, *tok, *len))) {
		struct tokenshim_token old = {0};
		struct tokenshim_ctx ctx;
		char perr[TOKENSHIM_ERRBUF_SIZE] = "";

		old.token = replaced;
		old.token_len = replaced_len;
		ts_profile_ctx(p, NULL, &ctx);
		if(p->prov->p->release(&ctx, ts_services(), &old, perr) != TS_OK)
			ts_debug("profile %s: releasing the replaced token: %s",
				 p->name, perr[0] ? perr : "failed");
	}
out:
	ts_free_secret(&replaced);
	if(fr)
		ts_store_release(fr, &flease);
	ts_store_release(lref(p), &lease);
	pthread_mutex_unlock(&s->flight);
	return rc;
use_old:
	if(try_slot(p, 1, tok, len) >= 0) {
		ts_debug("profile %s: token still valid while another renews it",
			 p->name);
		return TS_OK;
	}
	/* it expired meanwhile: wait our turn */
	return ts_engine_token(p, req, force, tok, len, errbuf, errlen);
}

/* r's entry goes only while it still holds tok, at the generation read:
   the compare-and-set keeps a replacement written meanwhile (by another
   process, or machine), which the replay then adopts. *gen is the slot's
   last seen generation there. Returns 1 when it went. */
static int drop_refused(struct ts_profile *p, const struct ts_store_ref *r,
			uint64_t *gen, const char *tok, size_t len)
{
	struct ts_slot *s = p->slot;
	struct ts_store_entry e;
	int gone = 0;

	if(!r || ts_store_get(r, &e) != TS_STORE_OK)
		return 0;
	if(e.token_len == len && !memcmp(e.token, tok, len) &&
	   ts_store_remove(r, e.gen) == TS_STORE_OK) {
		gone = 1;
		pthread_mutex_lock(&s->lock);
		if(*gen == e.gen)
			*gen = 0;
		pthread_mutex_unlock(&s->lock);
	}
	ts_store_entry_clear(&e);
	return gone;
}

/* Forgets tok here and in the stores, where it is still the current
   token. Returns 1 when it was current anywhere. */
static int forget(struct ts_profile *p, const char *tok, size_t len)
{
	struct ts_slot *s = p->slot;
	int was = 0;

	if(!s || !p->prov || (p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE))
		return 0;
	pthread_mutex_lock(&s->lock);
	if(s->tok.token && s->tok.token_len == len &&
	   !memcmp(s->tok.token, tok, len)) {
		was = 1;
		/* keep the refresh state: a refresh may still work */
		ts_free_secret((char **)&s->tok.token);
		s->tok.token_len = 0;
		s->tok.expires_at = 0;
	}
	if(!s->refused || s->refused_len != len || memcmp(s->refused, tok, len)) {
		char *copy = malloc(len + 1);

		if(copy) {
			memcpy(copy, tok, len);
			copy[len] = '\0';
			ts_free_secret(&s->refused);
			s->refused = copy;
			s->refused_len = len;
		}
	}
	pthread_mutex_unlock(&s->lock);
	was |= drop_refused(p, lref(p), &s->gen, tok, len);
	was |= drop_refused(p, fleet(p, NULL, 0), &s->fgen, tok, len);
	return was;
}

void ts_engine_refused(struct ts_profile *p, const char *tok, size_t len)
{
	struct tokenshim_token old = {0};
	struct tokenshim_ctx ctx;
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";

	/* whoever forgets it releases it: once, however many saw it fail */
	if(!forget(p, tok, len) || !p->prov->p->release)
		return;
	old.token = tok;
	old.token_len = len;
	ts_profile_ctx(p, NULL, &ctx);
	if(p->prov->p->release(&ctx, ts_services(), &old, perr) != TS_OK)
		ts_debug("profile %s: releasing the refused token: %s", p->name,
			 perr[0] ? perr : "failed");
	else
		ts_debug("profile %s: the refused token was released", p->name);
}

/* How long a refused replacement keeps refusals from causing logins. */
#define STORM_S 10

/* Names a refusing URL by its scheme, host, port and path (FNV-1a): the
   query varies from request to request, the endpoint does not. 0 for
   a URL that cannot be read. */
static uint64_t storm_key(const char *url)
{
	uint64_t h = 14695981039346656037ULL;
	struct ts_url u;
	char port[16];
	const char *parts[4];
	size_t i;

	if(!url || ts_url_parse(url, &u))
		return 0;
	snprintf(port, sizeof(port), "%d", u.port);
	parts[0] = u.scheme;
	parts[1] = u.host;
	parts[2] = port;
	parts[3] = u.path;
	for(i = 0; i < 4; i++) {
		const unsigned char *c;

		for(c = (const unsigned char *)parts[i]; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		h = (h ^ '/') * 1099511628211ULL;
	}
	ts_url_free(&u);
	return h ? h : 1;
}

int ts_engine_storming(struct ts_profile *p, const char *url)
{
	struct ts_slot *s = p->slot;
	uint64_t key = storm_key(url);
	int storming;

	if(!s || !p->prov || !key)
		return 0;
	adopt(p);	/* another process may have seen it */
	pthread_mutex_lock(&s->lock);
	storming = time(NULL) < s->storm_until && s->storm_key == key;
	pthread_mutex_unlock(&s->lock);
	return storming;
}

void ts_engine_storm(struct ts_profile *p, const char *url)
{
	struct ts_slot *s = p->slot;
	uint64_t key = storm_key(url);

	if(!s || !p->prov || !key)
		return;
	pthread_mutex_lock(&s->lock);
	s->storm_until = time(NULL) + STORM_S;
	s->storm_key = key;
	pthread_mutex_unlock(&s->lock);
	ts_log("profile %s: the server refused a new token too; refusals there "
	       "get no new login for %d s", p->name, STORM_S);
	save(p, 0);
}

const char *ts_engine_store(struct ts_profile *p, struct ts_store **st,
			    char *why, size_t whylen)
{
	const struct ts_store_ref *fr = fleet(p, why, whylen);

	*st = fr ? fr->st : NULL;
	return p->store;
}

void ts_engine_status(struct ts_profile *p, struct ts_status *st)
{
	struct ts_slot *s = p->slot;
	time_t now = time(NULL);

	memset(st, 0, sizeof(*st));
	st->state = "none";
	if(!s || !p->prov || (p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE))
		return;
	adopt(p);
	fleet_adopt(p, NULL);	/* for the fleet's generation */
	pthread_mutex_lock(&s->lock);
	st->source = s->source;
	st->gen = p->store ? s->fgen : s->gen;
	if(s->tok.token) {
		st->expires_in = (long)(s->tok.expires_at - now);
		st->state = now >= s->tok.expires_at ? "expired" :
			    fresh(p, s, now) ? "valid" : "expiring";
		st->obtained = s->obtained;
	}
	st->logins = s->logins;
	st->refreshes = s->refreshes;
	pthread_mutex_unlock(&s->lock);
}

enum ts_result ts_engine_logout(struct ts_profile *p, int *held, char *errbuf,
				size_t errlen)
{
	struct ts_slot *s = p->slot;
	struct tokenshim_token old;
	struct tokenshim_ctx ctx;
	struct ts_store_entry e;
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	int rc = TS_OK, i;

	if(!s || !p->prov)
		return TS_OK;
	adopt(p);
	fleet_adopt(p, NULL);	/* another machine's token, to release */
	/* whatever the stores hold goes, whoever wrote it: the local
	   cache, and the fleet's, for every machine */
	*held = 0;
	for(i = 0; i < 2; i++) {
		const struct ts_store_ref *r = i ? fleet(p, NULL, 0) : lref(p);

		while(r && ts_store_get(r, &e) == TS_STORE_OK) {
			int gone = ts_store_remove(r, e.gen) != TS_STORE_CONFLICT;

			*held = 1;
			ts_store_entry_clear(&e);
			if(gone)
				break;
		}
	}
	pthread_mutex_lock(&s->lock);
	old = s->tok;
	memset(&s->tok, 0, sizeof(s->tok));
	pthread_mutex_unlock(&s->lock);
	if(old.token)
		*held = 1;
	if(old.token && p->prov->p->release) {
		ts_profile_ctx(p, NULL, &ctx);
		rc = p->prov->p->release(&ctx, ts_services(), &old, perr);
		if(rc != TS_OK)
			snprintf(errbuf, errlen, "profile %s: %s", p->name,
				 perr[0] ? perr : "logout failed");
	}
	ts_token_clear(&old);
	return rc;
}
