/*
 * test_loader: finding and loading provider modules
 * (src/provider/loader.c): a module that is not there or not a provider
 * is one clear line, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "provider/provider.h"
#include "../units.h"

static void found(void *ctx, const char *name, const char *path)
{
	if(!strcmp(name, "netbrain"))
		(*(int *)ctx)++;
}

static void test_load(void)
{
	const struct ts_provider_mod *m, *again;
	const struct tokenshim_key *k;
	char err[512] = "";
	int lit = -1, seen = 0;

	setenv("TOKENSHIM_PROVIDER_PATH", "/nonexistent:" TEST_PROVIDER_PATH, 1);
	CU_ASSERT_STRING_EQUAL(ts_provider_path(), "/nonexistent:" TEST_PROVIDER_PATH);
	m = ts_provider_load("netbrain", err, sizeof(err));
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_STRING_EQUAL(m->name, "netbrain");
	CU_ASSERT_EQUAL(m->abi, TOKENSHIM_PROVIDER_ABI);
	again = ts_provider_load("netbrain", err, sizeof(err));
	CU_ASSERT(again == m);	/* loaded once for the process */
	CU_ASSERT(ts_provider_key(m, "username") != NULL);
	CU_ASSERT(ts_provider_key(m, "nosuch") == NULL);
	/* secret keys may come from _env, _file or _cmd */
	k = ts_provider_secret_key(m, "password", &lit);
	CU_ASSERT(k != NULL && lit == 1);
	k = ts_provider_secret_key(m, "password_file", &lit);
	CU_ASSERT(k != NULL && lit == 0);
	CU_ASSERT(ts_provider_secret_key(m, "username_file", &lit) == NULL);
	CU_ASSERT(ts_provider_secret_key(m, "_file", &lit) == NULL);
	ts_provider_each(found, &seen);
	CU_ASSERT_EQUAL(seen, 1);
}

static void test_refused(void)
{
	char err[512] = "";

	CU_ASSERT(ts_provider_load("nosuch", err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "unknown provider 'nosuch' (no nosuch.so in") != NULL);
	CU_ASSERT(ts_provider_load("../etc/x", err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "bad provider name") != NULL);
	CU_ASSERT(ts_provider_load("", err, sizeof(err)) == NULL);
}

void add_loader_suite(void)
{
	CU_pSuite s = unit_suite("loader", NULL, NULL);

	unit_test(s, "loading a module once, and its keys", test_load);
	unit_test(s, "missing modules and bad names", test_refused);
}
