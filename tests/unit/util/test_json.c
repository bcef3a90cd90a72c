/*
 * test_json: lookups over jsmn and JSON string encoding (src/util/json.c).
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "util/json.h"
#include "../units.h"

static int get(const char *js, const char *path, char **out, size_t *len)
{
	struct ts_json j;
	char err[128];
	int rc;

	if(ts_json_parse(&j, js, strlen(js), err, sizeof(err)))
		return 99;
	rc = ts_json_string(&j, path, out, len);
	ts_json_free(&j);
	return rc;
}

static void test_nested(void)
{
	const char *js = "{\"a\":{\"x\":[1,{\"token\":\"wrong\"},[2,3]],\"b\":{}},"
			 "\"user\":{\"roles\":[{\"name\":\"r\"}],\"id\":\"u9\"},"
			 "\"token\":\"right\"}";
	char *s = NULL;
	size_t n;

	/* a key nested inside a skipped value never matches the outer one */
	CU_ASSERT(get(js, "token", &s, &n) == TS_JSON_OK);
	CU_ASSERT_STRING_EQUAL(s, "right");
	ts_free_secret(&s);
	CU_ASSERT(get(js, "user.id", &s, &n) == TS_JSON_OK);
	CU_ASSERT_STRING_EQUAL(s, "u9");
	ts_free_secret(&s);
	CU_ASSERT(get(js, "user.nope", &s, &n) == TS_JSON_MISSING);
	CU_ASSERT(get(js, "a", &s, &n) == TS_JSON_TYPE);
	CU_ASSERT(get(js, "a.x.token", &s, &n) == TS_JSON_MISSING);
}

static void test_escapes(void)
{
	char *s = NULL;
	size_t n;

	CU_ASSERT(get("{\"k\":\"a\\\\1\\\"q\\/\\n\\u00e9\\ud83d\\ude00\"}", "k",
		      &s, &n) == TS_JSON_OK);
	CU_ASSERT(n == strlen("a\\1\"q/\n\xc3\xa9\xf0\x9f\x98\x80"));
	CU_ASSERT(memcmp(s, "a\\1\"q/\n\xc3\xa9\xf0\x9f\x98\x80", n) == 0);
	ts_free_secret(&s);
	/* a NUL from \u0000 is kept, with its length, to be refused later */
	CU_ASSERT(get("{\"k\":\"ab\\u0000cd\"}", "k", &s, &n) == TS_JSON_OK);
	CU_ASSERT(n == 5 && s[2] == '\0');
	ts_free_secret(&s);
	/* jsmn's strict mode already refuses some bad escapes at parse time */
	CU_ASSERT(get("{\"k\":\"bad \\x escape\"}", "k", &s, &n) != TS_JSON_OK);
	CU_ASSERT(get("{\"k\":\"\\ud83d alone\"}", "k", &s, &n) == TS_JSON_BAD);
	CU_ASSERT(get("{\"k\":\"\\u12\"}", "k", &s, &n) != TS_JSON_OK);
}

static void test_numbers(void)
{
	struct ts_json j;
	char err[128];
	const char *js = "{\"statusCode\":790200,\"validity\":1700000000123,"
			 "\"f\":1.5,\"t\":true,\"s\":\"12\"}";
	double v = 0;

	CU_ASSERT_FATAL(ts_json_parse(&j, js, strlen(js), err, sizeof(err)) == 0);
	CU_ASSERT(ts_json_number(&j, "statusCode", &v) == TS_JSON_OK && v == 790200);
	CU_ASSERT(ts_json_number(&j, "validity", &v) == TS_JSON_OK &&
		  v == 1700000000123.0);
	CU_ASSERT(ts_json_number(&j, "f", &v) == TS_JSON_OK && v == 1.5);
	CU_ASSERT(ts_json_number(&j, "t", &v) == TS_JSON_TYPE);
	CU_ASSERT(ts_json_number(&j, "s", &v) == TS_JSON_TYPE);
	CU_ASSERT(ts_json_number(&j, "none", &v) == TS_JSON_MISSING);
	ts_json_free(&j);
}

/* Numbers as RFC 8259 spells them, bounded before anyone converts them:
   jsmn lets -nan, -inf and 0x10 through as primitives, and strtod takes
   them. */
static void test_number_bounds(void)
{
	static const struct { const char *js; int rc; double v; } cases[] = {
		{"{\"n\":-nan}", TS_JSON_BAD, 0},
		{"{\"n\":-inf}", TS_JSON_BAD, 0},
		{"{\"n\":0x10}", TS_JSON_BAD, 0},
		{"{\"n\":1e300}", TS_JSON_BAD, 0},
		{"{\"n\":-1e19}", TS_JSON_BAD, 0},
		{"{\"n\":9223372036854775808}", TS_JSON_BAD, 0},
		{"{\"n\":01}", TS_JSON_BAD, 0},
		{"{\"n\":1.}", TS_JSON_BAD, 0},
		{"{\"n\":-}", TS_JSON_BAD, 0},
		{"{\"n\":1e}", TS_JSON_BAD, 0},
		{"{\"n\":9e18}", TS_JSON_OK, 9e18},
		{"{\"n\":-0.5e-3}", TS_JSON_OK, -0.0005},
		{"{\"n\":0}", TS_JSON_OK, 0},
		{"{\"n\":1E+2}", TS_JSON_OK, 100},
	};
	struct ts_json j;
	char err[128];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		int rc;

		CU_ASSERT_FATAL(ts_json_parse(&j, cases[i].js, strlen(cases[i].js),
					      err, sizeof(err)) == 0);
		rc = ts_json_number(&j, "n", &v);
		if(rc != cases[i].rc || (rc == TS_JSON_OK && v != cases[i].v))
			fprintf(stderr, "number case %s: rc %d v %g\n", cases[i].js, rc, v);
		CU_ASSERT(rc == cases[i].rc);
		if(rc == TS_JSON_OK)
			CU_ASSERT(v == cases[i].v);
		ts_json_free(&j);
	}
}

/* Deeper than 64 levels is refused before jsmn reads it (its parse of
   deep nesting is quadratic); brackets inside strings do not count. */
static size_t nested(char *doc, int arrays)
{
	size_t n = (size_t)sprintf(doc, "{\"s\":\"[[[[\\\"[\",\"a\":");
	int i;

	for(i = 0; i < arrays; i++)
		doc[n++] = '[';
	for(i = 0; i < arrays; i++)
		doc[n++] = ']';
	doc[n++] = '}';
	doc[n] = '\0';
	return n;
}

static void test_depth(void)
{
	struct ts_json j;
	char err[128], doc[400];
	size_t n;

	/* the object and 63 arrays: 64 levels */
	n = nested(doc, 63);
	CU_ASSERT(ts_json_parse(&j, doc, n, err, sizeof(err)) == 0);
	ts_json_free(&j);
	n = nested(doc, 64);
	CU_ASSERT(ts_json_parse(&j, doc, n, err, sizeof(err)) == -1);
	CU_ASSERT_STRING_EQUAL(err, "JSON nested deeper than 64 levels");
}

static void test_bad_documents(void)
{
	struct ts_json j;
	char err[128];
	static const struct { const char *js; const char *why; } bad[] = {
		{"", "empty body"},
		{"   \n", "empty body"},
		{"{\"token\":\"abc", "truncated JSON"},
		{"{\"token\":", "truncated JSON"},
		{"<html><body>502 Bad Gateway</body></html>", "invalid JSON"},
		{"[1,2]", "not a JSON object"},
		{"\"str\"", "not a JSON object"},
		{"{token: 1}", "invalid JSON"},
	};
	size_t i;

	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT(ts_json_parse(&j, bad[i].js, strlen(bad[i].js), err,
					sizeof(err)) == -1);
		CU_ASSERT_STRING_EQUAL(err, bad[i].why);
	}
}

static void test_encode(void)
{
	struct ts_buf b = {0};

	/* the Control Room sample key: a backslash must become \\ */
	ts_json_add_string(&b, "Vie;Z:IvtAhY0\\1RAD[SWl{NU7baRLYEeIYUJSKO");
	CU_ASSERT_STRING_EQUAL(b.p, "\"Vie;Z:IvtAhY0\\\\1RAD[SWl{NU7baRLYEeIYUJSKO\"");
	ts_buf_free(&b);
	ts_json_add_string(&b, "q\"\n\t\x01");
	CU_ASSERT_STRING_EQUAL(b.p, "\"q\\\"\\n\\t\\u0001\"");
	ts_buf_free(&b);
}

void add_json_suite(void)
{
	CU_pSuite s = unit_suite("json", NULL, NULL);

	unit_test(s, "nested objects", test_nested);
	unit_test(s, "escapes", test_escapes);
	unit_test(s, "numbers", test_numbers);
	unit_test(s, "numbers: grammar and bounds", test_number_bounds);
	unit_test(s, "nesting depth", test_depth);
	unit_test(s, "bad and truncated documents", test_bad_documents);
	unit_test(s, "string encoding", test_encode);
}
