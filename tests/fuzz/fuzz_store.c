/*
 * fuzz_store: what the fleet store reads from the config: the store URL
 * (redis://, rediss://, redis-sentinel:// with host lists, IPv6
 * brackets, ports and databases) and the fleet key's hex.
 */
#include "fuzz.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), err[256];
	unsigned char key[32];

	if(!s)
		return 0;
	if(ts_store_redis_check_url(s, err, sizeof(err)) && !err[0])
		abort();	/* a refusal always says why */
	if(ts_store_key_parse(s, key) == 0 && strlen(s) < 64)
		abort();
	free(s);
	return 0;
}
