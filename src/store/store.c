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
};

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

	if(!r->st)
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
	rc = r->st->be->put(r->st->state, r->name, e->gen, &b);
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
	return r->st->be->lease(r->st->state, r->name, wait_ms, out);
}

void ts_store_release(const struct ts_store_ref *r, struct ts_lease **l)
{
	if(*l && r->st)
		r->st->be->release(r->st->state, l);
}
