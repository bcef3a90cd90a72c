/*
 * The store layer: where a token is kept. Every process of a user (and,
 * with a shared backend, every machine of a fleet) reads and writes one
 * entry per profile identity, so that one login serves them all until the
 * token nears its end. The engine talks only to the functions below;
 * they seal each entry (seal.c) and hand a backend nothing but sealed
 * blobs and opaque names. Backends fill struct ts_store_backend, as
 * curl's TLS backends fill struct Curl_ssl; file.c is the local one.
 *
 * store: the backend table, and the sealed-entry API on top of it.
 */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "util/buf.h"

/* Return codes of the backend slots and of the API below. */
enum {
	TS_STORE_OK = 0,
	TS_STORE_MISS = 1,	/* no entry (or one that is not readable) */
	TS_STORE_CONFLICT = 2,	/* the entry's generation is not the one given */
	TS_STORE_BUSY = 3,	/* another holds the lease, still */
	TS_STORE_FAIL = -1	/* the store cannot be used */
};

/* A sealed entry, as backends keep it: TS_BLOB_MAGIC, its generation (8
   bytes, big-endian; in clear, so that a backend can compare it, but
   authenticated), then nonce, ciphertext and tag. */
struct ts_blob {
	unsigned char *p;	/* malloc'ed; free with ts_blob_free */
	size_t len;
};
#define TS_BLOB_MAGIC "TSC3"
#define TS_BLOB_HEAD 12		/* magic and generation */
/* Room for any token a login can bring: answers are capped at 1 MiB, and
   token and state both come from one. */
#define TS_BLOB_MAX (1024 * 1024 + 1024)

/* The generation in a blob's header; 0 for anything else, an entry of
   an older format included, which is therefore no entry at all. */
static inline uint64_t ts_blob_gen(const unsigned char *p, size_t len)
{
	uint64_t g = 0;
	int i;

	if(len < TS_BLOB_HEAD || p[0] != 'T' || p[1] != 'S' || p[2] != 'C' ||
	   p[3] != '3')
		return 0;
	for(i = 4; i < TS_BLOB_HEAD; i++)
		g = g << 8 | p[i];
	return g;
}

/* Wipes and frees a blob's bytes (inline: backends and the API above
   both free blobs, and neither depends on the other's object). */
static inline void ts_blob_free(struct ts_blob *b)
{
	if(b->p) {
		ts_wipe(b->p, b->len);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
}

/* What a shared store says of itself (tokenshim status). */
struct ts_store_health {
	int reachable;
	long rtt_us;		/* one PING */
	char role[40];		/* "master", "slave"... */
	char primary[300];	/* host:port, when sentinels chose it */
	char why[256];		/* when not reachable */
};

/* How a store's check speaks: one line each, bad set for a refusal. */
typedef void ts_store_say_fn(void *ctx, int bad, const char *msg);

/* A lease: the right to log in for one entry, exclusive across threads,
   processes (and machines, for a shared backend). Whoever takes one owns
   it and gives it back; nobody else can release it. */
struct ts_lease;

struct ts_store_backend {
	const char *name;
	/* Sets the backend up at where (NULL: its default place). Returns
	   TS_STORE_OK with *state, or TS_STORE_FAIL after one diagnostic. */
	int (*open)(const char *where, void **state);
	/* Frees state; every lease is released first. */
	void (*close)(void *state);
	/* The blob named name: TS_STORE_OK with *out, TS_STORE_MISS,
	   TS_STORE_FAIL. */
	int (*get)(void *state, const char *name, struct ts_blob *out);
	/* Stores in under name when the generation there is still gen (0:
	   none). TS_STORE_OK, TS_STORE_CONFLICT, TS_STORE_FAIL (after which
	   the backend may refuse everything, having said why once). */
	int (*put)(void *state, const char *name, uint64_t gen,
		   const struct ts_blob *in, long ttl_s);
	/* Removes name when its generation is still gen. TS_STORE_OK
	   (removed, or there was none), TS_STORE_CONFLICT, TS_STORE_FAIL. */
	int (*remove)(void *state, const char *name, uint64_t gen);
	/* Takes name's lease, waiting up to wait_ms (0: not at all), for
	   hold_ms at a time (a backend whose leases can outlive their
	   holder renews it until release). TS_STORE_OK with *out,
	   TS_STORE_BUSY, TS_STORE_FAIL. */
	int (*lease)(void *state, const char *name, long wait_ms, long hold_ms,
		     struct ts_lease **out);
	/* Gives *l back, frees it and sets *l to NULL; NULL is fine. */
	void (*release)(void *state, struct ts_lease **l);
	/* In a forked child: what the parent's leases hold is not the
	   child's. */
	void (*fork_child)(void *state);
	/* Where entries live, for status output, or NULL. */
	const char *(*where)(void *state);
	/* A short-lived sealed note beside name (a refused login), kept for
	   ttl_ms: TS_STORE_OK or TS_STORE_FAIL. NULL: no notes. */
	int (*put_note)(void *state, const char *name, const struct ts_blob *in,
			long ttl_ms);
	/* name's note: TS_STORE_OK with *out, TS_STORE_MISS, TS_STORE_FAIL. */
	int (*get_note)(void *state, const char *name, struct ts_blob *out);
	/* Asks the server how it is: TS_STORE_OK with *h filled, or
	   TS_STORE_FAIL with h->why. NULL: a local backend. */
	int (*health)(void *state, struct ts_store_health *h);
	/* Tries every command the backend needs and says each result:
	   TS_STORE_OK when all are permitted. */
	int (*check)(void *state, ts_store_say_fn *say, void *ctx);
	/* Why calls fail now (the store is skipped): 0 with buf, or -1
	   while it is not. */
	int (*fault)(void *state, char *buf, size_t len);
	void *spare[4];		/* for later backends' needs */
};

extern const struct ts_store_backend ts_store_file;
extern const struct ts_store_backend ts_store_redis;

/* ---- the API the engine uses ------------------------------------------ */

struct ts_store;

/* One identity's place in a store. */
struct ts_store_ref {
	struct ts_store *st;	/* NULL: no store; every call fails */
	char name[65];		/* keyed hash of the identity */
	unsigned char aad[32];	/* SHA-256 of the identity */
	long hold_ms;		/* how long a login under its lease may
				   take: the login's timeout and a margin */
};

/* What an entry holds. Strings are malloc'ed; free with
   ts_store_entry_clear, which wipes. */
struct ts_store_entry {
	char *token;
	size_t token_len;
	char *extra;
	size_t extra_len;
	time_t expires_at;
	time_t obtained;
	long life;
	unsigned logins;
	unsigned refreshes;
	time_t storm_until;	/* refusals at the URL storm_key names are
				   not answered with logins until then */
	uint64_t storm_key;
	uint64_t gen;		/* the generation it was read at (0: none) */
};

/* The user's local store: entries in $TOKENSHIM_CACHE_DIR, else
   $XDG_RUNTIME_DIR/tokenshim, else ~/.cache/tokenshim (0700; files 0600),
   sealed with AES-256-GCM under a key kept outside that directory
   ($TOKENSHIM_CACHE_KEY_FILE, else $XDG_CONFIG_HOME/tokenshim/cache.key).
   Opened once per process; NULL when it cannot be used (one line says
   why, and the process keeps tokens in memory only). */
struct ts_store *ts_store_local(void);
/* Where st keeps entries (for status output), or NULL when it no longer
   can (a write failed). */
const char *ts_store_where(struct ts_store *st);

/* Says once, on stderr, why tokens are kept in memory only ("cache
   directory X is open to group or others ..."), and remembers it for
   ts_store_why. printf-style; the text ends without "; keeping ...". */
void ts_store_off(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Why the shared cache is off in this process, or NULL while it is on. */
const char *ts_store_why(void);

/* Sets r up for the identity id (len bytes) in st, which may be NULL. */
void ts_store_ref_init(struct ts_store_ref *r, struct ts_store *st,
		       const void *id, size_t len);
/* Reads r's entry into *e: TS_STORE_OK, TS_STORE_MISS (none, tampered
   with, copied from another name, or of an older format), TS_STORE_FAIL. */
int ts_store_get(const struct ts_store_ref *r, struct ts_store_entry *e);
/* Writes *e when r's entry is still at generation e->gen (compare and
   set); on TS_STORE_OK, e->gen is the new generation. TS_STORE_CONFLICT
   when another wrote first, TS_STORE_FAIL. */
int ts_store_put(const struct ts_store_ref *r, struct ts_store_entry *e);
/* Removes r's entry when it is still at generation gen. */
int ts_store_remove(const struct ts_store_ref *r, uint64_t gen);
/* Takes r's lease (see struct ts_lease), waiting up to wait_ms. */
int ts_store_lease(const struct ts_store_ref *r, long wait_ms,
		   struct ts_lease **out);
/* Gives a lease back (NULL is fine) and sets *l to NULL. */
void ts_store_release(const struct ts_store_ref *r, struct ts_lease **l);

void ts_store_entry_clear(struct ts_store_entry *e);

/* ---- fleets: a store shared by machines ------------------------------- */

/* What opens a shared store; the strings are copied. */
struct ts_fleet_cfg {
	const char *url;	/* redis://, rediss://, redis-sentinel:// */
	const char *password;	/* NULL: no AUTH */
	const unsigned char *key;	/* the fleet key: 32 bytes */
	const char *prefix;	/* of every key; NULL: "tokenshim:" */
	long timeout_ms;	/* bounds every call */
	const char *ca_file;	/* for rediss://; NULL: the system's */
};

/* The shared store cfg describes, opened once per process for each
   distinct cfg (no connection is made until first use). NULL with a
   message in err for a URL that cannot be used. */
struct ts_store *ts_store_fleet(const struct ts_fleet_cfg *cfg, char *err,
				size_t errlen);
/* The Redis backend's open (ts_store_fleet's part below the table: its
   config is more than a place). TS_STORE_OK with *state, or
   TS_STORE_FAIL with err. */
int ts_store_redis_open(const struct ts_fleet_cfg *cfg, void **state,
			char *err, size_t errlen);
/* 0 when url is a store URL ts_store_fleet can open, else -1 with a
   message (for the config check). */
int ts_store_redis_check_url(const char *url, char *err, size_t errlen);
/* Reads a fleet key: 64 hex digits, an optional trailing newline.
   Returns 0, or -1. */
int ts_store_key_parse(const char *text, unsigned char key[32]);

/* Remembers msg (a refused login's reason) beside r's entry for ttl_ms,
   sealed. TS_STORE_OK or TS_STORE_FAIL (no notes in this store). */
int ts_store_note(const struct ts_store_ref *r, const char *msg, long ttl_ms);
/* The note beside r's entry, into buf: TS_STORE_OK, TS_STORE_MISS or
   TS_STORE_FAIL. */
int ts_store_noted(const struct ts_store_ref *r, char *buf, size_t len);
/* Why st is skipped now: 0 with buf, or -1 while it is in use. */
int ts_store_fault(struct ts_store *st, char *buf, size_t len);
/* How a shared store is, for tokenshim status. */
int ts_store_health(struct ts_store *st, struct ts_store_health *h);
/* Tries what st needs of its server (tokenshim check). */
int ts_store_check(struct ts_store *st, ts_store_say_fn *say, void *ctx);

/* Reads an opened (unsealed) entry of len bytes into e: TS_STORE_OK, or
   TS_STORE_MISS for one whose lengths do not add up. */
int ts_store_entry_decode(const unsigned char *plain, size_t len,
			  struct ts_store_entry *e);

#endif
