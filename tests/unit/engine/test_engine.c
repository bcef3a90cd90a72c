/*
 * test_engine: the engine's own checks and matching (src/engine/engine.c).
 * Token flow through the store and the providers is covered end to end.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "engine/engine.h"
#include "../units.h"

static void test_token_ok(void)
{
	CU_ASSERT(ts_token_ok("abc", 3));
	CU_ASSERT(!ts_token_ok("", 0));
	CU_ASSERT(!ts_token_ok("a\rb", 3));
	CU_ASSERT(!ts_token_ok("a\nb", 3));
	CU_ASSERT(!ts_token_ok("a\0b", 3));
}

static void ignore(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static void test_match_and_lookup(void)
{
	struct ts_engine e = {{0}};
	const struct ts_pattern *pat = NULL;

	/* an unknown provider leaves the profile unusable, but it matches,
	   so its requests fail loudly */
	CU_ASSERT(ts_config_parse("e.conf",
		"[profile a]\nprovider = nosuch\nmatch = https://a.corp/api/*\n"
		"match = https://a.corp/api/long/*\n"
		"[profile b]\nprovider = nosuch\nmatch = https://*.corp/*\n",
		0, 0600, &e.cfg, ignore, NULL) == 0);
	CU_ASSERT(ts_engine_match(&e, "https://a.corp/api/long/x", &pat) ==
		  ts_engine_profile(&e, "a"));
	CU_ASSERT(pat && !strcmp(pat->text, "https://a.corp/api/long/*"));
	CU_ASSERT(ts_engine_match(&e, "https://b.corp/x", NULL) ==
		  ts_engine_profile(&e, "b"));
	CU_ASSERT(ts_engine_match(&e, "https://b.org/x", NULL) == NULL);
	CU_ASSERT(ts_engine_profile(&e, "c") == NULL);
	CU_ASSERT(ts_engine_profile(&e, NULL) == NULL);
	ts_config_free(&e.cfg);
}

static void test_unusable_token(void)
{
	struct ts_engine e = {{0}};
	char err[256], *tok = NULL;
	size_t len = 0;

	ts_config_parse("e.conf", "[profile a]\nprovider = nosuch\n"
			"match = https://a.corp/*\n", 0, 0600, &e.cfg, ignore,
			NULL);
	CU_ASSERT(ts_engine_token(ts_engine_profile(&e, "a"), NULL, 0, &tok,
				  &len, err, sizeof(err)) == TS_ECONFIG);
	CU_ASSERT(strstr(err, "profile a: unusable") != NULL);
	CU_ASSERT(tok == NULL);
	ts_config_free(&e.cfg);
}

void add_engine_suite(void)
{
	CU_pSuite s = unit_suite("engine", NULL, NULL);

	unit_test(s, "tokens with CR, LF or NUL", test_token_ok);
	unit_test(s, "matching and looking up profiles", test_match_and_lookup);
	unit_test(s, "a token for an unusable profile", test_unusable_token);
}
