/*
 * seal: AES-256-GCM entries and the key they are sealed under.
 *
 * Blob: "TSC3" | generation (8, big-endian) | 12-byte nonce | ciphertext |
 * 16-byte tag. The plaintext is never written anywhere.
 *
 * The cipher, HMAC and hash are nettle's (GnuTLS's crypto library),
 * loaded with dlopen at the first seal, open or name: a process that
 * never needs an entry never loads it, and nettle has none of OpenSSL
 * 3's per-process algorithm fetches (7 M instructions for the first
 * SHA-256 and AES-GCM). Random bytes come from the kernel (getrandom).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>
#include <sys/random.h>

#include <nettle/gcm.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "curl/real.h"	/* ts_real_dlopen: the real one, not the hook */
#include "store/seal.h"
#include "util/files.h"
#include "util/buf.h"
#include "util/log.h"

#define NONCE 12
#define TAG 16

/* nettle's functions, by their exported names (the header's names are
   macros for them). libnettle8's ABI is what the soname promises. */
static struct {
	void (*gcm_set_key)(struct gcm_aes256_ctx *, const uint8_t *);
	void (*gcm_set_iv)(struct gcm_aes256_ctx *, size_t, const uint8_t *);
	void (*gcm_update)(struct gcm_aes256_ctx *, size_t, const uint8_t *);
	void (*gcm_encrypt)(struct gcm_aes256_ctx *, size_t, uint8_t *,
			    const uint8_t *);
	void (*gcm_decrypt)(struct gcm_aes256_ctx *, size_t, uint8_t *,
			    const uint8_t *);
	void (*gcm_digest)(struct gcm_aes256_ctx *, size_t, uint8_t *);
	void (*hmac_set_key)(struct hmac_sha256_ctx *, size_t, const uint8_t *);
	void (*hmac_update)(struct hmac_sha256_ctx *, size_t, const uint8_t *);
	void (*hmac_digest)(struct hmac_sha256_ctx *, size_t, uint8_t *);
	void (*sha_init)(struct sha256_ctx *);
	void (*sha_update)(struct sha256_ctx *, size_t, const uint8_t *);
	void (*sha_digest)(struct sha256_ctx *, size_t, uint8_t *);
} nt;
static int nt_ok;
static pthread_once_t nt_once = PTHREAD_ONCE_INIT;

static void load_nettle(void)
{
	void *h = ts_real_dlopen("libnettle.so.8", RTLD_NOW | RTLD_LOCAL);

	if(!h) {
		ts_store_off("cannot load the crypto library libnettle.so.8 (%s)",
			     dlerror());
		return;
	}
#define N(f, sym) *(void **)&nt.f = dlsym(h, sym)
	N(gcm_set_key, "nettle_gcm_aes256_set_key");
	N(gcm_set_iv, "nettle_gcm_aes256_set_iv");
	N(gcm_update, "nettle_gcm_aes256_update");
	N(gcm_encrypt, "nettle_gcm_aes256_encrypt");
	N(gcm_decrypt, "nettle_gcm_aes256_decrypt");
	N(gcm_digest, "nettle_gcm_aes256_digest");
	N(hmac_set_key, "nettle_hmac_sha256_set_key");
	N(hmac_update, "nettle_hmac_sha256_update");
	N(hmac_digest, "nettle_hmac_sha256_digest");
	N(sha_init, "nettle_sha256_init");
	N(sha_update, "nettle_sha256_update");
	N(sha_digest, "nettle_sha256_digest");
#undef N
	nt_ok = nt.gcm_set_key && nt.gcm_set_iv && nt.gcm_update &&
		nt.gcm_encrypt && nt.gcm_decrypt && nt.gcm_digest &&
		nt.hmac_set_key && nt.hmac_update && nt.hmac_digest &&
		nt.sha_init && nt.sha_update && nt.sha_digest;
	if(!nt_ok)
		ts_store_off("libnettle.so.8 lacks AES-256-GCM or HMAC-SHA-256");
}

/* Non-zero once nettle can be used (loaded on the first call). */
static int nettle(void)
{
	pthread_once(&nt_once, load_nettle);
	return nt_ok;
}

static int random_bytes(unsigned char *p, size_t n)
{
	while(n) {
		ssize_t got = getrandom(p, n, 0);

		if(got < 0 && errno == EINTR)
			continue;
		if(got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static void sha256(const void *p, size_t len, unsigned char out[32])
{
	struct sha256_ctx c;

	nt.sha_init(&c);
	nt.sha_update(&c, len, p);
	nt.sha_digest(&c, SHA256_DIGEST_SIZE, out);
	ts_wipe(&c, sizeof(c));
}

static int read_key(struct ts_seal *s, const char *path)
{
	struct stat st;
	char why[256], *k;
	size_t len;
	int ok;

	if(ts_read_regular(path, sizeof(s->key), &k, &len, &st, why,
			   sizeof(why))) {
		if(errno == ENOENT)
			return -1;	/* made next, by make_key */
		len = 0;
		k = NULL;
	}
	ok = k && st.st_uid == geteuid() && !(st.st_mode & 077) &&
	     len == sizeof(s->key);
	if(ok)
		memcpy(s->key, k, sizeof(s->key));
	if(k) {
		ts_wipe(k, len);
		free(k);
	}
	if(!ok) {
		ts_seal_wipe(s);
		ts_store_off("cache key %s is not a 32-byte file of mode 0600 owned by you",
			     path);
	}
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
	if(random_bytes(k, sizeof(k)))
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

int ts_seal_load(struct ts_seal *s, const char *path)
{
	int rc;

	rc = read_key(s, path);

	if(rc == -1 && (make_key(path) || (rc = read_key(s, path)))) {
		if(rc == -1)
			ts_store_off("cache key %s cannot be created (%s)", path,
				     strerror(errno));
		return -1;
	}
	return rc ? -1 : 0;
}

void ts_seal_wipe(struct ts_seal *s)
{
	ts_wipe(s->key, sizeof(s->key));
}

void ts_seal_name(const struct ts_seal *s, const void *id, size_t len,
		  char name[65], unsigned char aad[32])
{
	struct hmac_sha256_ctx h;
	unsigned char mac[32];
	int i;

	memset(mac, 0, sizeof(mac));
	memset(aad, 0, 32);
	if(nettle()) {
		sha256(id, len, aad);
		nt.hmac_set_key(&h, sizeof(s->key), s->key);
		nt.hmac_update(&h, len, id);
		nt.hmac_digest(&h, SHA256_DIGEST_SIZE, mac);
		ts_wipe(&h, sizeof(h));
	}
	for(i = 0; i < 32; i++)
		snprintf(name + 2 * i, 3, "%02x", mac[i]);
}

void ts_seal_digest(const void *p, size_t len, unsigned char out[32])
{
	memset(out, 0, 32);
	if(nettle())
		sha256(p, len, out);
}

int ts_seal_random(unsigned char *p, size_t n)
{
	return random_bytes(p, n);
}

/* AES-256-GCM one way or the other, the blob's header and the identity's
   hash as additional data; the tag is written (enc) or checked, in
   constant time. Returns 0, or -1. */
static int gcm(int enc, const struct ts_seal *s, const unsigned char *head,
	       const unsigned char *aad, const unsigned char *in, size_t inlen,
	       unsigned char *out, unsigned char *tag)
{
	struct gcm_aes256_ctx c;
	unsigned char t[TAG], ad[TS_BLOB_HEAD + 32], diff = 0;
	int i;

	if(!nettle())
		return -1;
	/* one update: nettle takes whole blocks but in the last one */
	memcpy(ad, head, TS_BLOB_HEAD);
	memcpy(ad + TS_BLOB_HEAD, aad, 32);
	nt.gcm_set_key(&c, s->key);
	nt.gcm_set_iv(&c, NONCE, head + TS_BLOB_HEAD);
	nt.gcm_update(&c, sizeof(ad), ad);
	if(enc)
		nt.gcm_encrypt(&c, inlen, out, in);
	else
		nt.gcm_decrypt(&c, inlen, out, in);
	nt.gcm_digest(&c, TAG, t);
	ts_wipe(&c, sizeof(c));
	if(enc) {
		memcpy(tag, t, TAG);
		return 0;
	}
	for(i = 0; i < TAG; i++)
		diff |= (unsigned char)(t[i] ^ tag[i]);
	if(diff) {
		ts_wipe(out, inlen);
		return -1;
	}
	return 0;
}

int ts_seal_blob(const struct ts_seal *s, const unsigned char aad[32],
		 uint64_t gen, const void *plain, size_t len,
		 struct ts_blob *out)
{
	size_t total = TS_BLOB_HEAD + NONCE + len + TAG;
	unsigned char *b;
	int i;

	if(total > TS_BLOB_MAX || !(b = malloc(total)))
		return -1;
	memcpy(b, TS_BLOB_MAGIC, 4);
	for(i = TS_BLOB_HEAD - 1; i >= 4; i--, gen >>= 8)
		b[i] = (unsigned char)gen;
	if(random_bytes(b + TS_BLOB_HEAD, NONCE) ||
	   gcm(1, s, b, aad, plain, len, b + TS_BLOB_HEAD + NONCE,
	       b + TS_BLOB_HEAD + NONCE + len)) {
		ts_wipe(b, total);
		free(b);
		return -1;
	}
	out->p = b;
	out->len = total;
	return 0;
}

int ts_seal_open(const struct ts_seal *s, const unsigned char aad[32],
		 const struct ts_blob *in, unsigned char **plain, size_t *len)
{
	size_t clen;
	unsigned char *p;

	if(in->len < TS_BLOB_HEAD + NONCE + TAG || !ts_blob_gen(in->p, in->len))
		return -1;
	clen = in->len - TS_BLOB_HEAD - NONCE - TAG;
	p = malloc(clen + 1);
	if(!p)
		return -1;
	if(gcm(0, s, in->p, aad, in->p + TS_BLOB_HEAD + NONCE, clen, p,
	       (unsigned char *)in->p + in->len - TAG)) {
		ts_wipe(p, clen + 1);
		free(p);
		return -1;
	}
	*plain = p;
	*len = clen;
	return 0;
}
