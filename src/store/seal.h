/*
 * seal: what makes a store's entries safe to keep anywhere. Each entry is
 * sealed with AES-256-GCM under a key of 32 bytes; the additional data is
 * the blob's header (magic and generation) and the SHA-256 of the
 * entry's identity, so an entry copied to another name, given another
 * generation, tampered with or cut short fails to open. Names are a keyed
 * hash of the identity: the store learns nothing of whose entry it is.
 */
#ifndef TS_SEAL_H
#define TS_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct ts_seal {
	unsigned char key[32];
};

/* Reads the key file at path: a 32-byte file of mode 0600 owned by the
   caller. When it does not exist it is created first, atomically (the
   first writer wins, everyone reads its key). Returns 0, or -1 after one
   diagnostic line. */
int ts_seal_load(struct ts_seal *s, const char *path);
/* Forgets the key. */
void ts_seal_wipe(struct ts_seal *s);

/* The opaque name (hex, NUL-terminated) and the additional data of the
   identity id. */
void ts_seal_name(const struct ts_seal *s, const void *id, size_t len,
		  char name[65], unsigned char aad[32]);

/* SHA-256 of len bytes at p. */
void ts_seal_digest(const void *p, size_t len, unsigned char out[32]);
/* n random bytes from the crypto library's generator: 0, or -1. */
int ts_seal_random(unsigned char *p, size_t n);

/* Seals len bytes of plain at generation gen into *out. Returns 0, or -1
   (out of memory, too large, or the cipher failed). */
int ts_seal_blob(const struct ts_seal *s, const unsigned char aad[32],
		 uint64_t gen, const void *plain, size_t len,
		 struct ts_blob *out);
/* Opens in: 0 with *plain (malloc'ed, *len bytes; wipe before freeing),
   or -1 when it fails authentication or is not a blob of this format. */
int ts_seal_open(const struct ts_seal *s, const unsigned char aad[32],
		 const struct ts_blob *in, unsigned char **plain, size_t *len);

#endif
