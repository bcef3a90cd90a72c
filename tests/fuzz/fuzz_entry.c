/*
 * fuzz_entry: opening a cache entry. The input is tried as a sealed blob
 * as it would lie in the store (magic, generation, nonce, ciphertext,
 * tag), and, sealed with the fixed test key, as an entry's plain text
 * (the header and its lengths).
 */
#include "fuzz.h"
#include "store/seal.h"
#include "store/store.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_seal seal;
	struct ts_blob in = { (unsigned char *)data, size }, sealed = {0};
	struct ts_store_entry e;
	unsigned char aad[32], *plain = NULL;
	size_t len = 0;
	char name[65];

	memset(seal.key, 0x5a, sizeof(seal.key));
	ts_seal_name(&seal, "fuzz", 4, name, aad);
	ts_blob_gen(data, size);
	if(ts_seal_open(&seal, aad, &in, &plain, &len) == 0) {
		if(ts_store_entry_decode(plain, len, &e) == TS_STORE_OK)
			ts_store_entry_clear(&e);
		ts_wipe(plain, len);
		free(plain);
	}
	if(ts_seal_blob(&seal, aad, 7, data, size, &sealed) == 0) {
		if(ts_seal_open(&seal, aad, &sealed, &plain, &len) == 0) {
			if(len != size || memcmp(plain, data, size))
				abort();	/* a round trip must give back the input */
			if(ts_store_entry_decode(plain, len, &e) == TS_STORE_OK)
				ts_store_entry_clear(&e);
			ts_wipe(plain, len);
			free(plain);
		}
		ts_blob_free(&sealed);
	}
	return 0;
}
