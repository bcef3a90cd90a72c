/*
 * cache: the token store every process of a user shares, so that one
 * login serves them all until the token nears its end.
 *
 * Entries live in $TOKENSHIM_CACHE_DIR, else $XDG_RUNTIME_DIR/tokenshim,
 * else ~/.cache/tokenshim (0700; files 0600). Each entry is sealed with
 * AES-256-GCM under a random key kept outside that directory
 * ($TOKENSHIM_CACHE_KEY_FILE, else $XDG_CONFIG_HOME/tokenshim/cache.key);
 * the additional data binds it to its profile's identity, so an entry
 * copied to another name, tampered with or cut short fails authentication
 * and is treated as missing. Writers go through a temporary file, fsync
 * and rename; a per-entry flock makes logins single-flight across
 * processes, and the kernel drops it when its holder dies.
 *
 * When the directory is unsafe or unwritable, one line says so and the
 * process keeps tokens in memory only.
 */
#ifndef TS_CACHE_H
#define TS_CACHE_H

#include <stddef.h>
#include <time.h>

struct ts_profile;

/* A profile's place in the cache. */
struct ts_cache_ref {
	char name[65];			/* file name: keyed hash of identity */
	unsigned char aad[32];		/* SHA-256 of the identity */
	int lockfd;			/* -1 until first locked */
	int usable;			/* 0: memory only */
};

/* What an entry holds. Strings are malloc'ed; free with
   ts_cache_entry_clear, which wipes. */
struct ts_cache_entry {
	char *token;
	size_t token_len;
	char *extra;
	size_t extra_len;
	time_t expires_at;
	time_t obtained;
	long life;
	unsigned logins;
	unsigned refreshes;
};

/* Sets up r for profile p: identity from its provider and the settings
   that decide whose token it is (url, username, area, ...). r->usable is 0
   when the cache cannot be used (then every call below is a no-op that
   reports a miss). */
void ts_cache_ref_init(struct ts_cache_ref *r, const struct ts_profile *p);

/* Reads r's entry. Returns 0 with *e filled, or -1 for none (missing,
   unreadable, or failing authentication). */
int ts_cache_read(const struct ts_cache_ref *r, struct ts_cache_entry *e);

/* Replaces r's entry atomically. Returns 0, or -1 after switching the
   process to memory only, with one diagnostic. */
int ts_cache_write(const struct ts_cache_ref *r, const struct ts_cache_entry *e);

/* Deletes r's entry. */
void ts_cache_remove(const struct ts_cache_ref *r);

/* Takes r's exclusive lock. With wait_ms 0 it does not wait. Returns 0
   when held, 1 when another holds it (after waiting wait_ms), -1 when the
   cache is unusable. */
int ts_cache_lock(struct ts_cache_ref *r, long wait_ms);
void ts_cache_unlock(struct ts_cache_ref *r);

/* The directory in force, or NULL when memory only (static storage). */
const char *ts_cache_dir(void);

/* Forgets inherited lock descriptors in a forked child. */
void ts_cache_ref_fork_child(struct ts_cache_ref *r);

void ts_cache_entry_clear(struct ts_cache_entry *e);

#endif
