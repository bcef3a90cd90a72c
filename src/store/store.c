/*
 * store: sealed entries over a backend. This file owns the entry format
 * (a fixed header, then the token, then the provider's extra state) and
 * the store objects; backends own only where blobs live.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/seal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/files.h"
#include "util/fork.h"
#include "util/log.h"

struct ts_store {
	const struct ts_store_backend *be;
	void *state;
	struct ts_seal seal;
	/* a shared store: what opened it, to find it again */
	unsigned char fp[32];	/* SHA-256 of the whole ts_fleet_cfg */
	struct ts_store *next;
};

/* The shared stores this process opened; they live as long as it. */
static pthread_mutex_t fleets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_store *fleets;

/* The plaintext's fixed part. */
struct head {
	int64_t expires_at, obtained, life, storm_until;
	uint64_t storm_key;
	uint32_t logins, refreshes, token_len, extra_len;
};

static struct ts_store local;
static struct ts_store *local_ok;
static pthread_once_t local_once = PTHREAD_ONCE_INIT;

static void fork_child(void)
{
	if(local_ok && local.be->fork_child)
		local.be->fork_child(local.state);
}

static struct ts_fork_hooks fork_hooks = { NULL, NULL, fork_child, 0 };
TS_FORK_AT_LOAD(fork_hooks)

static void open_local(void)
{
	const char *v = getenv("TOKENSHIM_CACHE_KEY_FILE");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char keypath[4096], parent[4096];

	if(ts_store_file.open(NULL, &local.state) != TS_STORE_OK)
		return;
	local.be = &ts_store_file;
	if(v && *v)
		snprintf(keypath, sizeof(keypath), "%s", v);
	else {
		if(xdg && *xdg)
			snprintf(parent, sizeof(parent), "%s/tokenshim", xdg);
		else if(home && *home)
			snprintf(parent, sizeof(parent), "%s/.config/tokenshim", home);
		else {
			ts_store_off("no place for the cache key (HOME and XDG_CONFIG_HOME "
				     "are unset; set TOKENSHIM_CACHE_KEY_FILE)");
			goto fail;
		}
		ts_make_dirs(parent);
		snprintf(keypath, sizeof(keypath), "%s/cache.key", parent);
	}
	if(ts_seal_load(&local.seal, keypath))
		goto fail;
	local_ok = &local;
	ts_debug("cache %s", ts_store_where(&local));
	return;
fail:
	local.be->close(local.state);
	local.be = NULL;
	local.state = NULL;
}

struct ts_store *ts_store_local(void)
{
	pthread_once(&local_once, open_local);
	return local_ok;
}

const char *ts_store_where(struct ts_store *st)
{
	return st && st->be->where ? st->be->where(st->state) : NULL;
}

void ts_store_ref_init(struct ts_store_ref *r, struct ts_store *st,
		       const void *id, size_t len)
{
	memset(r, 0, sizeof(*r));
	if(!st)
		return;
	ts_seal_name(&st->seal, id, len, r->name, r->aad);
	r->st = st;
}

void ts_store_entry_clear(struct ts_store_entry *e)
{
	ts_free_secret(&e->token);
	ts_free_secret(&e->extra);
	memset(e, 0, sizeof(*e));
}

static char *dup_bytes(const unsigned char *p, size_t n)
{
	char *d = malloc(n + 1);

	if(d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

int ts_store_entry_decode(const unsigned char *plain, size_t len,
			  struct ts_store_entry *e)
{
	struct head h;

	memset(e, 0, sizeof(*e));
	if(len < sizeof(h))
		return TS_STORE_MISS;
	memcpy(&h, plain, sizeof(h));
	if(len != sizeof(h) + (size_t)h.token_len + h.extra_len || !h.token_len)
		return TS_STORE_MISS;
	e->token = dup_bytes(plain + sizeof(h), h.token_len);
	e->extra = h.extra_len ? dup_bytes(plain + sizeof(h) + h.token_len,
					   h.extra_len) : NULL;
	if(!e->token || (h.extra_len && !e->extra)) {
		ts_store_entry_clear(e);
		return TS_STORE_FAIL;
	}
	e->token_len = h.token_len;
	e->extra_len = h.extra_len;
	e->expires_at = (time_t)h.expires_at;
	e->obtained = (time_t)h.obtained;
	e->life = (long)h.life;
	e->logins = h.logins;
	e->refreshes = h.refreshes;
	e->storm_until = (time_t)h.storm_until;
	e->storm_key = h.storm_key;
	return TS_STORE_OK;
}

int ts_store_get(const struct ts_store_ref *r, struct ts_store_entry *e)
{
	struct ts_blob b = {0};
	unsigned char *plain = NULL;
	size_t len = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	if(!r->st)
		return TS_STORE_FAIL;
	rc = r->st->be->get(r->st->state, r->name, &b);
	if(rc != TS_STORE_OK)
		return rc;
	rc = TS_STORE_MISS;
	if(ts_seal_open(&r->st->seal, r->aad, &b, &plain, &len)) {
		ts_debug("cache entry %.12s... is of an older format, cut short or "
			 "fails authentication; ignoring it", r->name);
		goto out;
	}
	rc = ts_store_entry_decode(plain, len, e);
	if(rc != TS_STORE_OK)
		goto out;
	e->gen = ts_blob_gen(b.p, b.len);
	rc = TS_STORE_OK;
out:
	if(plain) {
		ts_wipe(plain, len);
		free(plain);
	}
	ts_blob_free(&b);
	return rc;
}

int ts_store_put(const struct ts_store_ref *r, struct ts_store_entry *e)
{
	struct ts_blob b = {0};
	unsigned char *plain;
	size_t len = sizeof(struct head) + e->token_len + e->extra_len;
	struct head h;
	int rc;

	if(!r->st || !e->token || !e->token_len)	/* no token, no entry */
		return TS_STORE_FAIL;
	if(len > TS_BLOB_MAX || !(plain = malloc(len)))
		return TS_STORE_FAIL;
	memset(&h, 0, sizeof(h));
	h.expires_at = e->expires_at;
	h.obtained = e->obtained;
	h.life = e->life;
	h.logins = e->logins;
	h.refreshes = e->refreshes;
	h.storm_until = e->storm_until;
	h.storm_key = e->storm_key;
	h.token_len = (uint32_t)e->token_len;
	h.extra_len = (uint32_t)e->extra_len;
	memcpy(plain, &h, sizeof(h));
	memcpy(plain + sizeof(h), e->token, e->token_len);
	if(e->extra_len)
		memcpy(plain + sizeof(h) + e->token_len, e->extra, e->extra_len);
	rc = ts_seal_blob(&r->st->seal, r->aad, e->gen + 1, plain, len, &b);
	ts_wipe(plain, len);
	free(plain);
	if(rc)
		return TS_STORE_FAIL;
	/* a shared store forgets an entry a day after its token ends
	   (its refresh state may outlive it): nobody cleans up after a
	   profile that is gone */
	rc = r->st->be->put(r->st->state, r->name, e->gen, &b,
			    (long)(e->expires_at - time(NULL)) + 86400);
	ts_blob_free(&b);
	if(rc == TS_STORE_OK)
		e->gen++;
	return rc;
}

int ts_store_remove(const struct ts_store_ref *r, uint64_t gen)
{
	if(!r->st)
		return TS_STORE_FAIL;
	return r->st->be->remove(r->st->state, r->name, gen);
}

int ts_store_lease(const struct ts_store_ref *r, long wait_ms,
		   struct ts_lease **out)
{
	if(!r->st)
		return TS_STORE_FAIL;
	return r->st->be->lease(r->st->state, r->name, wait_ms, r->hold_ms, out);
}

void ts_store_release(const struct ts_store_ref *r, struct ts_lease **l)
{
	if(*l && r->st)
		r->st->be->release(r->st->state, l);
}

/* ---- fleets ------------------------------------------------------------ */

int ts_store_key_parse(const char *text, unsigned char key[32])
{
	size_t n = strlen(text), i;

	if(n == 65 && text[64] == '\n')
		n = 64;
	if(n != 64)
		return -1;
	for(i = 0; i < 64; i++) {
		int c = text[i], v = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if(v < 0)
			return -1;
		if(i % 2)
			key[i / 2] = (unsigned char)(key[i / 2] << 4 | v);
		else
			key[i / 2] = (unsigned char)v;
	}
	return 0;
}

/* What makes two configs one store: each string and the key. */
static void fleet_fp(const struct ts_fleet_cfg *c, unsigned char out[32])
{
	struct ts_buf b = {0};
	char t[32];

	snprintf(t, sizeof(t), "%ld", c->timeout_ms);
	/* each string with its NUL, so that no two lists read alike */
	ts_buf_add(&b, c->url, strlen(c->url) + 1);
	ts_buf_add(&b, c->password ? c->password : "",
		   strlen(c->password ? c->password : "") + 1);
	ts_buf_add(&b, c->key, 32);
	ts_buf_add(&b, c->prefix ? c->prefix : "",
		   strlen(c->prefix ? c->prefix : "") + 1);
	ts_buf_add(&b, c->ca_file ? c->ca_file : "",
		   strlen(c->ca_file ? c->ca_file : "") + 1);
	ts_buf_adds(&b, t);
	ts_seal_digest(b.p, b.len, out);
	ts_wipe(b.p, b.len);
	ts_buf_free(&b);
}

struct ts_store *ts_store_fleet(const struct ts_fleet_cfg *cfg, char *err,
				size_t errlen)
{
	unsigned char fp[32];
	struct ts_store *st;

	fleet_fp(cfg, fp);
	pthread_mutex_lock(&fleets_lock);
	for(st = fleets; st; st = st->next)
		if(!memcmp(st->fp, fp, sizeof(fp)))
			goto out;
	st = calloc(1, sizeof(*st));
	if(!st) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if(ts_store_redis_open(cfg, &st->state, err, errlen) != TS_STORE_OK) {
		free(st);
		st = NULL;
		goto out;
	}
	st->be = &ts_store_redis;
	memcpy(st->seal.key, cfg->key, sizeof(st->seal.key));
	memcpy(st->fp, fp, sizeof(fp));
	st->next = fleets;
	fleets = st;
out:
	pthread_mutex_unlock(&fleets_lock);
	return st;
}

int ts_store_note(const struct ts_store_ref *r, const char *msg, long ttl_ms)
{
	struct ts_blob b = {0};
	int rc;

	if(!r->st || !r->st->be->put_note)
		return TS_STORE_FAIL;
	if(ts_seal_blob(&r->st->seal, r->aad, 1, msg, strlen(msg), &b))
		return TS_STORE_FAIL;
	rc = r->st->be->put_note(r->st->state, r->name, &b, ttl_ms);
	ts_blob_free(&b);
	return rc;
}

int ts_store_noted(const struct ts_store_ref *r, char *buf, size_t len)
{
	struct ts_blob b = {0};
	unsigned char *plain = NULL;
	size_t n = 0;
	int rc;

	if(!r->st || !r->st->be->get_note)
		return TS_STORE_FAIL;
	rc = r->st->be->get_note(r->st->state, r->name, &b);
	if(rc != TS_STORE_OK)
		return rc;
	rc = TS_STORE_MISS;
	if(!ts_seal_open(&r->st->seal, r->aad, &b, &plain, &n)) {
		snprintf(buf, len, "%.*s", (int)n, (const char *)plain);
		ts_wipe(plain, n);
		free(plain);
		rc = TS_STORE_OK;
	}
	ts_blob_free(&b);
	return rc;
}

int ts_store_health(struct ts_store *st, struct ts_store_health *h)
{
	memset(h, 0, sizeof(*h));
	if(!st || !st->be->health)
		return TS_STORE_FAIL;
	return st->be->health(st->state, h);
}

int ts_store_check(struct ts_store *st, ts_store_say_fn *say, void *ctx)
{
	if(!st || !st->be->check)
		return TS_STORE_FAIL;
	return st->be->check(st->state, say, ctx);
}

int ts_store_fault(struct ts_store *st, char *buf, size_t len)
{
	if(!st || !st->be->fault)
		return -1;
	return st->be->fault(st->state, buf, len);
}
