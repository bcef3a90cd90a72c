/*
 * fuzz_json: the JSON reader as providers use it: parse once, then look
 * up dotted paths as strings (decoding escapes) and as numbers. The
 * input's first line is the path, the rest the document.
 */
#include "fuzz.h"
#include "util/buf.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *path, *doc, err[128], *out;
	static const char *const fixed[] = { "token", "access_token",
		"statusCode", "expires_in", "a.b.c", "validity", NULL };
	struct ts_json j;
	size_t n, i;
	double d;

	if(!s)
		return 0;
	fuzz_split(s, 1, &path, &doc);
	if(ts_json_parse(&j, doc, strlen(doc), err, sizeof(err)) == 0) {
		for(i = 0; i <= 6; i++) {
			const char *p = i < 6 ? fixed[i] : path;

			if(ts_json_string(&j, p, &out, &n) == 0)
				ts_free_secret(&out);
			ts_json_number(&j, p, &d);
		}
		ts_json_free(&j);
	}
	{
		/* and back out: a string encoded is valid JSON again */
		struct ts_buf b = {0};

		ts_json_add_string(&b, path);
		ts_buf_free(&b);
	}
	free(s);
	return 0;
}
