/*
 * fuzz_argv: the secret command's argument splitter (quotes, escapes,
 * blanks), which runs on every *_cmd value.
 */
#include "fuzz.h"
#include "provider/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), err[256];
	char **argv;

	if(!s)
		return 0;
	argv = ts_argv_split(s, err, sizeof(err));
	if(argv && !argv[0])
		abort();	/* a vector is never empty */
	ts_argv_free(&argv);
	free(s);
	return 0;
}
