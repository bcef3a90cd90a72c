/*
 * test_placement: how a token travels, as a profile says
 * (src/engine/placement.c).
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "engine/placement.h"
#include "util/buf.h"
#include "../units.h"

static void test_parse(void)
{
	struct ts_inject in;
	char err[256];

	CU_ASSERT(ts_inject_parse_line("header = token: {token}", &in, err,
				       sizeof(err)) == 0);
	CU_ASSERT(in.kind == TS_INJECT_HEADER);
	CU_ASSERT_STRING_EQUAL(in.name, "token");
	CU_ASSERT_STRING_EQUAL(in.tmpl, "{token}");
	ts_inject_free(&in);
	CU_ASSERT(ts_inject_parse("header", "Authorization: vRealizeOpsToken {token}",
				  &in, err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(in.tmpl, "vRealizeOpsToken {token}");
	ts_inject_free(&in);
	CU_ASSERT(ts_inject_parse("cookie", "token={token}", &in, err,
				  sizeof(err)) == 0);
	CU_ASSERT(in.kind == TS_INJECT_COOKIE);
	ts_inject_free(&in);
	CU_ASSERT(ts_inject_parse("header", "token", &in, err, sizeof(err)) == -1);
	CU_ASSERT(ts_inject_parse("header", "token: fixed", &in, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "no {token}") != NULL);
	CU_ASSERT(ts_inject_parse("query", "a b={token}", &in, err, sizeof(err)) == -1);
	CU_ASSERT(ts_inject_parse("body", "x={token}", &in, err, sizeof(err)) == -1);
}

static void test_value(void)
{
	struct ts_inject in;
	char err[256], *v;

	ts_inject_parse("query", "t={token}", &in, err, sizeof(err));
	v = ts_inject_value(&in, "a+b/c=", 6);
	CU_ASSERT_STRING_EQUAL(v, "a%2Bb%2Fc%3D");
	ts_free_secret(&v);
	ts_inject_free(&in);
	ts_inject_parse("header", "Authorization: Bearer {token}", &in, err,
			sizeof(err));
	v = ts_inject_value(&in, "a+b", 3);
	CU_ASSERT_STRING_EQUAL(v, "Bearer a+b");
	ts_free_secret(&v);
	ts_inject_free(&in);
}

void add_placement_suite(void)
{
	CU_pSuite s = unit_suite("placement", NULL, NULL);

	unit_test(s, "parsing injection specs", test_parse);
	unit_test(s, "rendering values", test_value);
}
