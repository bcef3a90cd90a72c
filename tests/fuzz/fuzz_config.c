/*
 * fuzz_config: the config reader and the profile builder, on any text:
 * sections, keys, numbers, injection specs, patterns, paths to expand,
 * and every provider's validation.
 */
#include "fuzz.h"
#include "engine/config.h"
#include "engine/profile.h"
#include "provider/provider.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("HOME", "/home/fuzz", 1);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/x", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct ts_config cfg;
	struct ts_ini ini;

	if(!text)
		return 0;
	/* the reader alone, then reader and builder */
	if(ts_ini_parse("fuzz.conf", text, 0600, &ini, NULL, NULL) == 0)
		ts_ini_free(&ini);
	ts_config_parse("fuzz.conf", text, 1, 0644, &cfg, NULL, NULL);
	ts_config_free(&cfg);
	free(text);
	return 0;
}
