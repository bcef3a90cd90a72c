/*
 * engine: profiles, matching and the in-process token cache.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cache.h"
#include "engine.h"
#include "handle.h"
#include "inject.h"
#include "log.h"
#include "multi.h"
#include "provider.h"

struct ts_slot {
	pthread_mutex_t lock;	/* guards tok, the times and the counters */
	pthread_mutex_t flight;	/* held by the one caller logging in */
	struct tokenshim_token tok;
	time_t obtained;
	long life;		/* expires_at - obtained when it was issued */
	time_t saved_expiry;	/* expiry the shared cache last had */
	unsigned logins;
	unsigned refreshes;
	struct ts_cache_ref ref;	/* its entry in the shared cache */
};

static struct ts_engine global;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void report_log(void *ctx, const char *msg)
{
	ts_log("%s", msg);
}

/* A child forked while another thread held a profile's lock (a login
   takes seconds) would wait forever for a thread it does not have: the
   child starts with fresh locks, and its own handle on each cache lock. */
static void fork_child(void)
{
	size_t i;

	for(i = 0; i < global.cfg.nprofiles; i++) {
		struct ts_slot *s = global.cfg.profiles[i].slot;

		if(!s)
			continue;
		pthread_mutex_init(&s->lock, NULL);
		pthread_mutex_init(&s->flight, NULL);
		ts_cache_ref_fork_child(&s->ref);
	}
	ts_handle_fork_child();
	ts_multi_fork_child();
}

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
	pthread_atfork(NULL, NULL, fork_child);
}

struct ts_engine *ts_engine(void)
{
	pthread_once(&global_once, load_global);
	return &global;
}

int ts_engine_init(struct ts_engine *e, const char *path, int must_exist,
		   ts_report_fn *report, void *rctx)
{
	size_t i;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = ts_config_load(path, must_exist, &e->cfg, report, rctx);
	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_slot *s = calloc(1, sizeof(*s));

		if(!s) {
			e->cfg.profiles[i].usable = 0;
			continue;
		}
		pthread_mutex_init(&s->lock, NULL);
		pthread_mutex_init(&s->flight, NULL);
		s->ref.lockfd = -1;
		if(e->cfg.profiles[i].usable)
			ts_cache_ref_init(&s->ref, &e->cfg.profiles[i]);
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
		if(s->ref.lockfd >= 0)
			close(s->ref.lockfd);
		pthread_mutex_destroy(&s->lock);
		pthread_mutex_destroy(&s->flight);
		free(s);
	}
	ts_config_free(&e->cfg);
}

struct ts_profile *ts_engine_match(struct ts_engine *e, const char *url,
				   const struct ts_pattern **pat)
{
	struct ts_profile *best = NULL;
	const struct ts_pattern *bestpat = NULL;
	struct ts_url u;
	size_t i, j;

	if(!e->cfg.nprofiles || !url || ts_url_parse(url, &u))
		return NULL;
	for(i = 0; i < e->cfg.nprofiles; i++) {
		struct ts_profile *p = &e->cfg.profiles[i];

		for(j = 0; j < p->npatterns; j++) {
			const struct ts_pattern *pt = &p->patterns[j];

			if((!bestpat || pt->weight > bestpat->weight) &&
			   ts_pattern_match(pt, &u)) {
				best = p;
				bestpat = pt;
			}
		}
	}
	ts_url_free(&u);
	if(pat)
		*pat = bestpat;
	return best;
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
		return TOKENSHIM_ENOMEM;
	memcpy(c, s->tok.token, s->tok.token_len + 1);
	*tok = c;
	*len = s->tok.token_len;
	return TOKENSHIM_OK;
}

/* Writes the slot's token to the shared cache. */
static void save(struct ts_profile *p)
{
	struct ts_slot *s = p->slot;
	struct ts_cache_entry e;

	if(!s->ref.usable)
		return;
	pthread_mutex_lock(&s->lock);
	if(!s->tok.token) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	e.token = (char *)s->tok.token;
	e.token_len = s->tok.token_len;
	e.extra = (char *)s->tok.extra;
	e.extra_len = s->tok.extra_len;
	e.expires_at = s->tok.expires_at;
	e.obtained = s->obtained;
	e.life = s->life;
	e.logins = s->logins;
	e.refreshes = s->refreshes;
	if(ts_cache_write(&s->ref, &e) == 0)
		s->saved_expiry = s->tok.expires_at;
	pthread_mutex_unlock(&s->lock);
}

/* Takes the shared cache's entry into the slot when it holds another
   token than ours (another process logged in or renewed). Returns 1 when
   the slot now has a token. */
static int adopt(struct ts_profile *p)
{
	struct ts_slot *s = p->slot;
	struct ts_cache_entry e;
	int have;

	if(!s->ref.usable || ts_cache_read(&s->ref, &e))
		return 0;
	pthread_mutex_lock(&s->lock);
	if(!s->tok.token || s->tok.token_len != e.token_len ||
	   memcmp(s->tok.token, e.token, e.token_len) ||
	   e.expires_at > s->tok.expires_at) {
		ts_token_clear(&s->tok);
		s->tok.token = e.token;
		s->tok.token_len = e.token_len;
		s->tok.extra = e.extra;
		s->tok.extra_len = e.extra_len;
		s->tok.expires_at = e.expires_at;
		s->obtained = e.obtained;
		s->life = e.life;
		e.token = e.extra = NULL;
		ts_debug("profile %s: token from the shared cache", p->name);
	}
	s->saved_expiry = e.expires_at;
	s->logins = e.logins;
	s->refreshes = e.refreshes;
	have = s->tok.token != NULL;
	pthread_mutex_unlock(&s->lock);
	ts_cache_entry_clear(&e);
	return have;
}

/* Checks and completes what a provider returned. */
static int accept_token(const struct ts_profile *p, struct tokenshim_token *nt,
			const char *step, char *perr, time_t now)
{
	if(!nt->token) {
		snprintf(perr, TOKENSHIM_ERRBUF_SIZE,
			 "%s: provider returned no token", step);
		return TOKENSHIM_EPROTO;
	}
	if(!ts_token_ok(nt->token, nt->token_len)) {
		snprintf(perr, TOKENSHIM_ERRBUF_SIZE,
			 "%s: token is empty or contains CR, LF or NUL; refused",
			 step);
		return TOKENSHIM_EPROTO;
	}
	/* A token's expiry is never guessed: the server's word, else the
	   configured lifetime. */
	if(!nt->expires_at || nt->expires_at <= now)
		nt->expires_at = now + p->lifetime;
	return TOKENSHIM_OK;
}

/* Runs the provider: refresh when it can and there is something to
   refresh, else (or when the refresh is refused) a full login. On success
   the new token replaces the slot's. The caller holds the flight lock, so
   the slot's token changes under no one else. */
static int obtain(struct ts_profile *p, const char *url, char *errbuf,
		  size_t errlen)
{
	const struct tokenshim_provider *pv = p->prov->p;
	struct ts_slot *s = p->slot;
	struct tokenshim_ctx ctx = { p, p->cfg, url };
	struct tokenshim_token nt = {0};
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	time_t now = time(NULL);
	int rc = TOKENSHIM_EDENIED, refreshed = 0;

	if(pv->refresh && (s->tok.token || s->tok.extra)) {
		rc = pv->refresh(&ctx, ts_services(), &s->tok, &nt, perr);
		if(rc == TOKENSHIM_OK)
			rc = accept_token(p, &nt, "refresh", perr, now);
		if(rc == TOKENSHIM_OK)
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
		if(rc == TOKENSHIM_OK)
			rc = accept_token(p, &nt, "login", perr, now);
	}
	if(rc != TOKENSHIM_OK) {
		ts_token_clear(&nt);
		snprintf(errbuf, errlen, "profile %s: %s", p->name,
			 perr[0] ? perr : "login failed");
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	ts_token_clear(&s->tok);
	s->tok = nt;
	s->obtained = now;
	s->saved_expiry = nt.expires_at;
	s->life = (long)(nt.expires_at - now);
	if(refreshed)
		s->refreshes++;
	else
		s->logins++;
	pthread_mutex_unlock(&s->lock);
	ts_debug("profile %s: %s token (%zu chars, expires in %lds)", p->name,
		 refreshed ? "refreshed" : "new", nt.token_len,
		 (long)(nt.expires_at - now));
	save(p);
	return TOKENSHIM_OK;
}

/* Tokens that serve one request only (tickets): never cached. */
static int one_shot(struct ts_profile *p, const char *url, char **tok,
		    size_t *len, char *errbuf, size_t errlen)
{
	struct tokenshim_ctx ctx = { p, p->cfg, url };
	struct tokenshim_token nt = {0};
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	int rc = p->prov->p->acquire(&ctx, ts_services(), &nt, perr);

	if(rc == TOKENSHIM_OK)
		rc = accept_token(p, &nt, "login", perr, time(NULL));
	if(rc == TOKENSHIM_OK) {
		*tok = malloc(nt.token_len + 1);
		if(*tok) {
			memcpy(*tok, nt.token, nt.token_len + 1);
			*len = nt.token_len;
		}
		else
			rc = TOKENSHIM_ENOMEM;
	}
	else
		snprintf(errbuf, errlen, "profile %s: %s", p->name,
			 perr[0] ? perr : "login failed");
	ts_token_clear(&nt);
	return rc;
}

void ts_engine_touch(struct ts_profile *p)
{
	struct ts_slot *s = p->slot;
	struct ts_cache_entry e;
	time_t now = time(NULL);
	int write_back;

	if(!s || !p->prov || !(p->prov->p->flags & TOKENSHIM_PROVIDER_SLIDING))
		return;
	pthread_mutex_lock(&s->lock);
	if(s->tok.token && s->life > 0)
		s->tok.expires_at = now + s->life;
	/* other processes learn of the extension from the cache, but at
	   most once per tenth of the life: a busy token is not a busy disk */
	write_back = s->tok.token && s->ref.usable &&
		     s->tok.expires_at - s->saved_expiry >=
		     (s->life / 10 ? s->life / 10 : 1);
	pthread_mutex_unlock(&s->lock);
	if(!write_back || ts_cache_lock(&s->ref, 0) != 0)
		return;
	/* write only over our own token: another process may have replaced
	   it meanwhile */
	if(ts_cache_read(&s->ref, &e) == 0) {
		pthread_mutex_lock(&s->lock);
		write_back = s->tok.token && e.token_len == s->tok.token_len &&
			     !memcmp(e.token, s->tok.token, e.token_len);
		pthread_mutex_unlock(&s->lock);
		ts_cache_entry_clear(&e);
		if(write_back)
			save(p);
	}
	ts_cache_unlock(&s->ref);
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

int ts_engine_token(struct ts_profile *p, const char *url, int force,
		    char **tok, size_t *len, char *errbuf, size_t errlen)
{
	struct ts_slot *s = p->slot;
	int rc, valid, locked;

	if(!p->usable || !p->prov || !s) {
		snprintf(errbuf, errlen,
			 "profile %s: unusable because of errors in %s", p->name,
			 p->file);
		return TOKENSHIM_ECONFIG;
	}
	if(p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE)
		return one_shot(p, url, tok, len, errbuf, errlen);
	if(!force) {
		if(try_slot(p, 0, tok, len) >= 0) {
			ts_debug("profile %s: cached token (%zu chars)", p->name,
				 *len);
			return TOKENSHIM_OK;
		}
		if(adopt(p) && try_slot(p, 0, tok, len) >= 0)
			return TOKENSHIM_OK;
	}
	/* Stale while revalidate: when the token is still valid and someone
	   (a thread here, or another process) is already renewing it, use it
	   rather than wait. */
	pthread_mutex_lock(&s->lock);
	valid = !force && s->tok.token && time(NULL) < s->tok.expires_at;
	pthread_mutex_unlock(&s->lock);
	if(valid) {
		if(pthread_mutex_trylock(&s->flight))
			goto use_old;
	}
	else
		pthread_mutex_lock(&s->flight);
	/* single flight across processes: wait for the holder's login,
	   which its timeout bounds, then take what it stored */
	locked = ts_cache_lock(&s->ref, valid ? 0 : p->timeout_ms * 2 + 1000);
	if(locked == 1 && valid) {
		pthread_mutex_unlock(&s->flight);
		goto use_old;
	}
	if(!force) {
		/* inside the lock: whoever held it may have stored a token */
		adopt(p);
		if(try_slot(p, 0, tok, len) >= 0) {
			rc = TOKENSHIM_OK;
			goto out;
		}
	}
	rc = obtain(p, url, errbuf, errlen);
	if(rc == TOKENSHIM_OK)
		rc = try_slot(p, 1, tok, len) >= 0 ? TOKENSHIM_OK : TOKENSHIM_ENOMEM;
	else if(!force && try_slot(p, 1, tok, len) >= 0) {
		/* renewing ahead failed, but the token still works: use it */
		ts_log("%s; the current token is still valid", errbuf);
		rc = TOKENSHIM_OK;
	}
out:
	if(locked == 0)
		ts_cache_unlock(&s->ref);
	pthread_mutex_unlock(&s->flight);
	return rc;
use_old:
	if(try_slot(p, 1, tok, len) >= 0) {
		ts_debug("profile %s: token still valid while another renews it",
			 p->name);
		return TOKENSHIM_OK;
	}
	/* it expired meanwhile: wait our turn */
	return ts_engine_token(p, url, force, tok, len, errbuf, errlen);
}

void ts_engine_invalidate(struct ts_profile *p, const char *tok, size_t len)
{
	struct ts_slot *s = p->slot;
	struct ts_cache_entry e;

	if(!s || !p->prov || (p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE))
		return;
	pthread_mutex_lock(&s->lock);
	if(s->tok.token && s->tok.token_len == len &&
	   !memcmp(s->tok.token, tok, len)) {
		/* keep the refresh state: a refresh may still work */
		ts_wipe((void *)s->tok.token, s->tok.token_len);
		free((void *)s->tok.token);
		s->tok.token = NULL;
		s->tok.token_len = 0;
		s->tok.expires_at = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if(ts_cache_lock(&s->ref, p->timeout_ms) != 0)
		return;
	if(ts_cache_read(&s->ref, &e) == 0) {
		if(e.token_len == len && !memcmp(e.token, tok, len))
			ts_cache_remove(&s->ref);
		ts_cache_entry_clear(&e);
	}
	ts_cache_unlock(&s->ref);
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
	pthread_mutex_lock(&s->lock);
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

int ts_engine_logout(struct ts_profile *p, char *errbuf, size_t errlen)
{
	struct ts_slot *s = p->slot;
	struct tokenshim_token old;
	struct tokenshim_ctx ctx = { p, p->cfg, NULL };
	char perr[TOKENSHIM_ERRBUF_SIZE] = "";
	int rc = TOKENSHIM_OK;

	if(!s || !p->prov)
		return TOKENSHIM_OK;
	adopt(p);
	ts_cache_lock(&s->ref, p->timeout_ms);
	ts_cache_remove(&s->ref);
	ts_cache_unlock(&s->ref);
	pthread_mutex_lock(&s->lock);
	old = s->tok;
	memset(&s->tok, 0, sizeof(s->tok));
	pthread_mutex_unlock(&s->lock);
	if(old.token && p->prov->p->release) {
		rc = p->prov->p->release(&ctx, ts_services(), &old, perr);
		if(rc != TOKENSHIM_OK)
			snprintf(errbuf, errlen, "profile %s: %s", p->name,
				 perr[0] ? perr : "logout failed");
	}
	ts_token_clear(&old);
	return rc;
}
