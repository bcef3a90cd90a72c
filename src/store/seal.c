/*
 * seal: AES-256-GCM entries and the key they are sealed under.
 *
 * Blob: "TSC2" | generation (8, big-endian) | 12-byte nonce | ciphertext |
 * 16-byte tag. The plaintext is never written anywhere.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "store/seal.h"
#include "util/files.h"
#include "util/buf.h"
#include "util/fork.h"
#include "util/log.h"

#define NONCE 12
#define TAG 16

/* OpenSSL 3 keeps locks of its own (the random generator's among them)
   and does nothing about fork: a child forked while another thread was
   inside RAND_bytes waits for that lock forever. Every call into the
   crypto library made here holds this lock, and a fork waits for it. */
static pthread_mutex_t crypto = PTHREAD_MUTEX_INITIALIZER;

TS_FORK_HOLDS(crypto)

static int random_bytes(unsigned char *p, int n)
{
	int ok;

	pthread_mutex_lock(&crypto);
	ok = RAND_bytes(p, n) == 1;
	pthread_mutex_unlock(&crypto);
	return ok ? 0 : -1;
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
	unsigned char mac[32];
	unsigned int maclen = 0;
	int i;

	pthread_mutex_lock(&crypto);
	SHA256(id, len, aad);
	HMAC(EVP_sha256(), s->key, sizeof(s->key), id, len, mac, &maclen);
	pthread_mutex_unlock(&crypto);
	for(i = 0; i < 32; i++)
		snprintf(name + 2 * i, 3, "%02x", mac[i]);
}

void ts_seal_digest(const void *p, size_t len, unsigned char out[32])
{
	pthread_mutex_lock(&crypto);
	SHA256(p, len, out);
	pthread_mutex_unlock(&crypto);
}

int ts_seal_random(unsigned char *p, size_t n)
{
	return random_bytes(p, (int)n);
}

/* AES-256-GCM one way or the other, the blob's header and the identity's
   hash as additional data. Returns the output length or -1. */
static int gcm(int enc, const struct ts_seal *s, const unsigned char *head,
	       const unsigned char *aad, const unsigned char *in, int inlen,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c;
	int n = 0, m = 0, ok;

	pthread_mutex_lock(&crypto);
	c = EVP_CIPHER_CTX_new();
	if(!c) {
		pthread_mutex_unlock(&crypto);
		return -1;
	}
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, s->key, head + TS_BLOB_HEAD, enc) &&
	     EVP_CipherUpdate(c, NULL, &n, head, TS_BLOB_HEAD) &&
	     EVP_CipherUpdate(c, NULL, &n, aad, 32) &&
	     EVP_CipherUpdate(c, out, &n, in, inlen) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag)) &&
	     EVP_CipherFinal_ex(c, out + n, &m) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag));
	EVP_CIPHER_CTX_free(c);
	pthread_mutex_unlock(&crypto);
	return ok ? n + m : -1;
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
	   gcm(1, s, b, aad, plain, (int)len, b + TS_BLOB_HEAD + NONCE,
	       b + TS_BLOB_HEAD + NONCE + len) != (int)len) {
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
	int n;

	if(in->len < TS_BLOB_HEAD + NONCE + TAG || !ts_blob_gen(in->p, in->len))
		return -1;
	clen = in->len - TS_BLOB_HEAD - NONCE - TAG;
	p = malloc(clen + 1);
	if(!p)
		return -1;
	n = gcm(0, s, in->p, aad, in->p + TS_BLOB_HEAD + NONCE, (int)clen, p,
		in->p + in->len - TAG);
	if(n != (int)clen) {
		ts_wipe(p, clen + 1);
		free(p);
		return -1;
	}
	*plain = p;
	*len = clen;
	return 0;
}
