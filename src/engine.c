/*
 * engine: profiles, matching and the in-process token cache.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "engine.h"
#include "inject.h"
#include "log.h"
#include "provider.h"

struct ts_slot {
	pthread_mutex_t lock;	/* guards tok and the counters */
	pthread_mutex_t flight;	/* held by the one caller logging in */
	struct tokenshim_token tok;
	time_t obtained;
	long life;		/* expires_at - obtained when it was issued */
	unsigned logins;
	unsigned refreshes;
};

static struct ts_engine global;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void report_log(void *ctx, const char *msg)
{
	ts_log("%s", msg);
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
	s->life = (long)(nt.expires_at - now);
	if(refreshed)
		s->refreshes++;
	else
		s->logins++;
	pthread_mutex_unlock(&s->lock);
	ts_debug("profile %s: %s token (%zu chars, expires in %lds)", p->name,
		 refreshed ? "refreshed" : "new", nt.token_len,
		 (long)(nt.expires_at - now));
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

	if(!s || !p->prov || !(p->prov->p->flags & TOKENSHIM_PROVIDER_SLIDING))
		return;
	pthread_mutex_lock(&s->lock);
	if(s->tok.token && s->life > 0)
		s->tok.expires_at = time(NULL) + s->life;
	pthread_mutex_unlock(&s->lock);
}

int ts_engine_token(struct ts_profile *p, const char *url, int force,
		    char **tok, size_t *len, char *errbuf, size_t errlen)
{
	struct ts_slot *s = p->slot;
	int rc;

	if(!p->usable || !p->prov || !s) {
		snprintf(errbuf, errlen,
			 "profile %s: unusable because of errors in %s", p->name,
			 p->file);
		return TOKENSHIM_ECONFIG;
	}
	if(p->prov->p->flags & TOKENSHIM_PROVIDER_NOCACHE)
		return one_shot(p, url, tok, len, errbuf, errlen);
	if(!force) {
		pthread_mutex_lock(&s->lock);
		if(fresh(p, s, time(NULL))) {
			rc = copy_out(s, tok, len);
			pthread_mutex_unlock(&s->lock);
			ts_debug("profile %s: cached token (%zu chars)", p->name,
				 *len);
			return rc;
		}
		pthread_mutex_unlock(&s->lock);
	}
	/* Single flight: whoever holds flight logs in; the others wait and
	   then take the token it stored. */
	pthread_mutex_lock(&s->flight);
	pthread_mutex_lock(&s->lock);
	if(!force && fresh(p, s, time(NULL))) {
		rc = copy_out(s, tok, len);
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_unlock(&s->flight);
		return rc;
	}
	pthread_mutex_unlock(&s->lock);
	rc = obtain(p, url, errbuf, errlen);
	pthread_mutex_lock(&s->lock);
	if(rc == TOKENSHIM_OK)
		rc = copy_out(s, tok, len);
	else if(!force && s->tok.token && time(NULL) < s->tok.expires_at) {
		/* renewing ahead failed, but the token still works: use it */
		ts_log("%s; the current token is still valid for %lds",
		       errbuf, (long)(s->tok.expires_at - time(NULL)));
		rc = copy_out(s, tok, len);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->flight);
	return rc;
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
