/*
 * cache: sealed, shared, single-flight token entries on disk.
 *
 * Entry file: "TSC1" | 12-byte nonce | ciphertext | 16-byte GCM tag. The
 * plaintext is a fixed header (expiry, issue time, life, counters, lengths)
 * followed by the token and the provider's extra state. No token,
 * refresh token or password text is ever written in clear.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "buf.h"
#include "cache.h"
#include "config.h"
#include "log.h"
#include "provider.h"

#define MAGIC "TSC1"
#define NONCE 12
#define TAG 16
#define ENTRY_MAX (64 * 1024)

/* Keys that change how a token is used, not whose token it is. */
static const char *const not_identity[] = {
	"match", "header", "cookie", "query", "lifetime", "refresh_ahead",
	"timeout", "on_failure", "ca_file", "insecure", NULL
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[4096];
static unsigned char key[32];
static int disk_ok;		/* guarded by state_lock after setup */

static int disk_usable(void)
{
	int ok;

	pthread_mutex_lock(&state_lock);
	ok = disk_ok;
	pthread_mutex_unlock(&state_lock);
	return ok;
}

static void go_memory_only(const char *fmt, const char *what, int err)
{
	int was;

	pthread_mutex_lock(&state_lock);
	was = disk_ok;
	disk_ok = 0;
	pthread_mutex_unlock(&state_lock);
	if(was)
		ts_log(fmt, what, strerror(err));
}

/* Creates path and its missing parents with mode 0700. */
static int make_dir(const char *path)
{
	char p[4096], *c;

	snprintf(p, sizeof(p), "%s", path);
	for(c = p + 1; *c; c++)
		if(*c == '/') {
			*c = '\0';
			if(mkdir(p, 0700) && errno != EEXIST)
				return -1;
			*c = '/';
		}
	if(mkdir(p, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* The directory must be ours and closed to others, as ssh wants ~/.ssh. */
static int safe_dir(const char *path, int create)
{
	struct stat st;

	if(create && make_dir(path)) {
		ts_log("cache directory %s cannot be created (%s); keeping tokens in memory only",
		       path, strerror(errno));
		return -1;
	}
	if(lstat(path, &st)) {
		ts_log("cache directory %s: %s; keeping tokens in memory only",
		       path, strerror(errno));
		return -1;
	}
	if(!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	   (st.st_mode & 077)) {
		ts_log("cache directory %s is %s; keeping tokens in memory only",
		       path, !S_ISDIR(st.st_mode) ? "not a directory" :
		       st.st_uid != geteuid() ? "owned by someone else" :
		       "open to group or others (it must be 0700)");
		return -1;
	}
	return 0;
}

static int read_key(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ok;

	if(fd < 0)
		return -1;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	     st.st_uid == geteuid() && !(st.st_mode & 077) &&
	     st.st_size == (off_t)sizeof(key) &&
	     read(fd, key, sizeof(key)) == (ssize_t)sizeof(key);
	close(fd);
	if(!ok)
		ts_log("cache key %s is not a 32-byte file of mode 0600 owned by you; "
		       "keeping tokens in memory only", path);
	return ok ? 0 : -2;
}

/* Creates the key once, atomically: whoever links first wins, and
   everyone reads the winner's. */
static int make_key(const char *path)
{
	char tmp[4200];
	unsigned char k[32];
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if(RAND_bytes(k, sizeof(k)) != 1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if(fd >= 0) {
		if(write(fd, k, sizeof(k)) == (ssize_t)sizeof(k) && fsync(fd) == 0 &&
		   (link(tmp, path) == 0 || errno == EEXIST))
			rc = 0;
		close(fd);
		unlink(tmp);
	}
	ts_wipe(k, sizeof(k));
	return rc;
}

static void setup(void)
{
	const char *v = getenv("TOKENSHIM_CACHE_DIR"), *home = getenv("HOME");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char keypath[4096], parent[4096];
	int rc;

	if(v && *v)
		snprintf(dir, sizeof(dir), "%s", v);
	else if((v = getenv("XDG_RUNTIME_DIR")) && *v)
		snprintf(dir, sizeof(dir), "%s/tokenshim", v);
	else if(home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/tokenshim", home);
	else
		return;
	if(safe_dir(dir, 1))
		return;

	v = getenv("TOKENSHIM_CACHE_KEY_FILE");
	if(v && *v)
		snprintf(keypath, sizeof(keypath), "%s", v);
	else {
		if(xdg && *xdg)
			snprintf(parent, sizeof(parent), "%s/tokenshim", xdg);
		else if(home && *home)
			snprintf(parent, sizeof(parent), "%s/.config/tokenshim", home);
		else
			return;
		make_dir(parent);
		snprintf(keypath, sizeof(keypath), "%s/cache.key", parent);
	}
	rc = read_key(keypath);
	if(rc == -1 && (make_key(keypath) || (rc = read_key(keypath)))) {
		if(rc == -1)
			ts_log("cache key %s cannot be created (%s); keeping tokens in memory only",
			       keypath, strerror(errno));
		return;
	}
	if(rc)
		return;
	disk_ok = 1;
	ts_debug("cache %s", dir);
}

const char *ts_cache_dir(void)
{
	pthread_once(&once, setup);
	return disk_usable() ? dir : NULL;
}

static int not_id(const char *k)
{
	const char *const *n;

	for(n = not_identity; *n; n++)
		if(!strcmp(*n, k))
			return 1;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct ts_kv *x = *(const struct ts_kv *const *)a;
	const struct ts_kv *y = *(const struct ts_kv *const *)b;

	return strcmp(x->key, y->key);
}

void ts_cache_ref_init(struct ts_cache_ref *r, const struct ts_profile *p)
{
	const struct ts_kv **kv;
	struct ts_buf id = {0};
	unsigned char mac[32];
	unsigned int maclen = 0;
	size_t i, n = 0;

	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
	if(!ts_cache_dir() || !p->prov)
		return;
	kv = calloc(p->nkv ? p->nkv : 1, sizeof(*kv));
	if(!kv)
		return;
	for(i = 0; i < p->nkv; i++)
		if(!not_id(p->kv[i].key))
			kv[n++] = &p->kv[i];
	qsort(kv, n, sizeof(*kv), by_key);
	/* provider, then every setting that decides whose token this is;
	   a changed password or url is a new identity, hence a new entry */
	ts_buf_printf(&id, "tokenshim-cache-1\n%s\n", p->prov->name);
	for(i = 0; i < n; i++)
		ts_buf_printf(&id, "%s=%s\n", kv[i]->key, kv[i]->value);
	free(kv);
	if(id.oom) {
		ts_buf_free(&id);
		return;
	}
	SHA256((unsigned char *)id.p, id.len, r->aad);
	HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)id.p, id.len, mac,
	     &maclen);
	ts_buf_free(&id);
	for(i = 0; i < 32; i++)
		snprintf(r->name + 2 * i, 3, "%02x", mac[i]);
	r->usable = 1;
}

static void path_of(const struct ts_cache_ref *r, const char *suffix,
		    char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s", dir, r->name, suffix);
}

/* AES-256-GCM one way or the other. Returns the output length or -1. */
static int seal(int enc, const unsigned char *nonce, const unsigned char *aad,
		const unsigned char *in, int inlen, unsigned char *out,
		unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, ok;

	if(!c)
		return -1;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) &&
	     EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)MAGIC, 4) &&
	     EVP_CipherUpdate(c, NULL, &n, aad, 32) &&
	     EVP_CipherUpdate(c, out, &n, in, inlen) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag)) &&
	     EVP_CipherFinal_ex(c, out + n, &m) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag));
	EVP_CIPHER_CTX_free(c);
	return ok ? n + m : -1;
}

struct head {
	int64_t expires_at, obtained, life;
	uint32_t logins, refreshes, token_len, extra_len;
};

void ts_cache_entry_clear(struct ts_cache_entry *e)
{
	if(e->token) {
		ts_wipe(e->token, e->token_len);
		free(e->token);
	}
	if(e->extra) {
		ts_wipe(e->extra, e->extra_len);
		free(e->extra);
	}
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

int ts_cache_read(const struct ts_cache_ref *r, struct ts_cache_entry *e)
{
	unsigned char buf[ENTRY_MAX], plain[ENTRY_MAX];
	char path[4200];
	struct head h;
	struct stat st;
	ssize_t n;
	int fd, len, rc = -1;

	memset(e, 0, sizeof(*e));
	if(!r->usable || !disk_usable())
		return -1;
	path_of(r, "", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if(fd < 0)
		return -1;
	if(fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	   st.st_size > ENTRY_MAX) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if(n < 4 + NONCE + TAG + (ssize_t)sizeof(h) || memcmp(buf, MAGIC, 4)) {
		ts_debug("cache entry %.12s... is truncated or foreign; ignoring it",
			 r->name);
		goto out;
	}
	len = seal(0, buf + 4, r->aad, buf + 4 + NONCE,
		   (int)n - 4 - NONCE - TAG, plain, buf + n - TAG);
	if(len < (int)sizeof(h)) {
		ts_debug("cache entry %.12s... fails authentication; ignoring it",
			 r->name);
		goto out;
	}
	memcpy(&h, plain, sizeof(h));
	if((size_t)len != sizeof(h) + h.token_len + h.extra_len || !h.token_len)
		goto out;
	e->token = dup_bytes(plain + sizeof(h), h.token_len);
	e->extra = h.extra_len ? dup_bytes(plain + sizeof(h) + h.token_len,
					   h.extra_len) : NULL;
	if(!e->token || (h.extra_len && !e->extra)) {
		ts_cache_entry_clear(e);
		goto out;
	}
	e->token_len = h.token_len;
	e->extra_len = h.extra_len;
	e->expires_at = (time_t)h.expires_at;
	e->obtained = (time_t)h.obtained;
	e->life = (long)h.life;
	e->logins = h.logins;
	e->refreshes = h.refreshes;
	rc = 0;
out:
	ts_wipe(plain, sizeof(plain));
	ts_wipe(buf, sizeof(buf));
	return rc;
}

int ts_cache_write(const struct ts_cache_ref *r, const struct ts_cache_entry *e)
{
	unsigned char plain[ENTRY_MAX], out[ENTRY_MAX];
	char path[4200], tmp[4200];
	struct head h;
	size_t plen = sizeof(h) + e->token_len + e->extra_len;
	int fd, len, err;

	if(!r->usable || !disk_usable())
		return -1;
	if(plen + 4 + NONCE + TAG > sizeof(out))
		return -1;
	memset(&h, 0, sizeof(h));
	h.expires_at = e->expires_at;
	h.obtained = e->obtained;
	h.life = e->life;
	h.logins = e->logins;
	h.refreshes = e->refreshes;
	h.token_len = (uint32_t)e->token_len;
	h.extra_len = (uint32_t)e->extra_len;
	memcpy(plain, &h, sizeof(h));
	memcpy(plain + sizeof(h), e->token, e->token_len);
	if(e->extra_len)
		memcpy(plain + sizeof(h) + e->token_len, e->extra, e->extra_len);
	memcpy(out, MAGIC, 4);
	if(RAND_bytes(out + 4, NONCE) != 1) {
		ts_wipe(plain, sizeof(plain));
		return -1;
	}
	len = seal(1, out + 4, r->aad, plain, (int)plen, out + 4 + NONCE,
		   out + 4 + NONCE + plen);
	ts_wipe(plain, sizeof(plain));
	if(len != (int)plen)
		return -1;
	len = 4 + NONCE + (int)plen + TAG;

	/* a temporary file in the same directory, then rename: readers see
	   the old entry or the new one, never half of one */
	path_of(r, "", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, r->name);
	fd = mkstemp(tmp);
	if(fd < 0) {
		go_memory_only("cache directory %s is not writable (%s); keeping tokens in memory only",
			       dir, errno);
		return -1;
	}
	if(write(fd, out, (size_t)len) != len || fsync(fd)) {
		err = errno ? errno : ENOSPC;
		close(fd);
		unlink(tmp);
		go_memory_only("cannot write the token cache in %s (%s); keeping tokens in memory only",
			       dir, err);
		return -1;
	}
	close(fd);
	if(rename(tmp, path)) {
		err = errno;
		unlink(tmp);
		go_memory_only("cannot write the token cache in %s (%s); keeping tokens in memory only",
			       dir, err);
		return -1;
	}
	return 0;
}

void ts_cache_remove(const struct ts_cache_ref *r)
{
	char path[4200];

	if(!r->usable || !disk_usable())
		return;
	path_of(r, "", path, sizeof(path));
	unlink(path);
}

int ts_cache_lock(struct ts_cache_ref *r, long wait_ms)
{
	char path[4200];
	long waited = 0;

	if(!r->usable || !disk_usable())
		return -1;
	if(r->lockfd < 0) {
		path_of(r, ".lock", path, sizeof(path));
		r->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				 0600);
		if(r->lockfd < 0)
			return -1;
	}
	/* poll rather than block: a holder that hangs must not hang us */
	for(;;) {
		struct timespec ts = {0, 20 * 1000000L};

		if(flock(r->lockfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if(errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if(waited >= wait_ms)
			return 1;
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

void ts_cache_unlock(struct ts_cache_ref *r)
{
	if(r->lockfd >= 0)
		flock(r->lockfd, LOCK_UN);
}

void ts_cache_ref_fork_child(struct ts_cache_ref *r)
{
	/* the parent's lock lives on its open file description; the child
	   opens its own */
	if(r->lockfd >= 0)
		close(r->lockfd);
	r->lockfd = -1;
}
