/*
 * test_redis: the fleet backend's URL reader and the fleet key reader,
 * without a server (tests/e2e/fleet*.sh run a real one), and a store
 * that cannot be reached: bounded, and skipped after its failure.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "store/store.h"
#include "util/str.h"
#include "../units.h"

static int url_ok(const char *url)
{
	char err[256] = "";

	return ts_store_redis_check_url(url, err, sizeof(err)) == 0;
}

static const char *url_err(const char *url)
{
	static char err[256];

	err[0] = '\0';
	ts_store_redis_check_url(url, err, sizeof(err));
	return err;
}

static void test_urls(void)
{
	CU_ASSERT(url_ok("redis://127.0.0.1"));
	CU_ASSERT(url_ok("redis://tokenshim@redis.corp:6379/0"));
	CU_ASSERT(url_ok("redis://[::1]:6380/3"));
	CU_ASSERT(url_ok("rediss://redis.corp/1"));
	CU_ASSERT(url_ok("redis-sentinel://h1:26379,h2:26379,h3/fleet"));
	CU_ASSERT(url_ok("redis-sentinel://h1/fleet/2"));

	CU_ASSERT(!url_ok("http://redis.corp"));
	CU_ASSERT(!url_ok("redis://"));
	CU_ASSERT(!url_ok("redis://:6379"));
	CU_ASSERT(!url_ok("redis://h:0"));
	CU_ASSERT(!url_ok("redis://h:65536"));
	CU_ASSERT(!url_ok("redis://h:63x"));
	CU_ASSERT(!url_ok("redis://h/db"));
	CU_ASSERT(!url_ok("redis://h?x=1"));
	CU_ASSERT(!url_ok("redis://a,b"));		/* one host, unless sentinels */
	CU_ASSERT(!url_ok("redis-sentinel://h1:26379"));	/* no name */
	CU_ASSERT(!url_ok("redis://h o/0"));
	CU_ASSERT(!url_ok("redis://[::1/0"));
	/* the password never goes in the URL, and is not echoed */
	CU_ASSERT(!url_ok("redis://user:s3cret@h/0"));
	CU_ASSERT(strstr(url_err("redis://user:s3cret@h/0"), "no password in the URL") != NULL);
	CU_ASSERT(strstr(url_err("redis://user:s3cret@h/0"), "s3cret") == NULL);
}

static void test_key(void)
{
	unsigned char k[32];
	const char *hex = "000102030405060708090a0b0c0d0e0f"
			  "101112131415161718191A1B1C1D1E1F";
	char buf[80];
	int i;

	CU_ASSERT_EQUAL(ts_store_key_parse(hex, k), 0);
	for(i = 0; i < 32; i++)
		CU_ASSERT_EQUAL(k[i], i);
	snprintf(buf, sizeof(buf), "%s\n", hex);
	CU_ASSERT_EQUAL(ts_store_key_parse(buf, k), 0);	/* one newline */
	snprintf(buf, sizeof(buf), "%s\n\n", hex);
	CU_ASSERT_EQUAL(ts_store_key_parse(buf, k), -1);
	CU_ASSERT_EQUAL(ts_store_key_parse("abcd", k), -1);
	snprintf(buf, sizeof(buf), "%.63sg", hex);
	CU_ASSERT_EQUAL(ts_store_key_parse(buf, k), -1);
	snprintf(buf, sizeof(buf), "%s0", hex);
	CU_ASSERT_EQUAL(ts_store_key_parse(buf, k), -1);
}

/* A port nobody listens on: every call fails within the timeout, and
   the store is skipped from then on (no second connection attempt). */
static void test_unreachable(void)
{
	unsigned char key[32] = {1};
	struct ts_fleet_cfg c = { "redis://127.0.0.1:1/0", NULL, key, NULL, 200,
				  NULL };
	char err[256] = "", fault[256] = "";
	struct ts_store *st = ts_store_fleet(&c, err, sizeof(err));
	struct ts_store_ref r;
	struct ts_store_entry e;
	long t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT(st != ts_store_local());	/* a store of its own */
	CU_ASSERT_PTR_EQUAL(ts_store_fleet(&c, err, sizeof(err)), st);	/* once */
	CU_ASSERT_STRING_EQUAL(ts_store_where(st), "redis://127.0.0.1:1/0");
	ts_store_ref_init(&r, st, "id", 2);
	CU_ASSERT_EQUAL(ts_store_fault(st, fault, sizeof(fault)), -1);
	t0 = ts_now_ms();
	CU_ASSERT_EQUAL(ts_store_get(&r, &e), TS_STORE_FAIL);
	CU_ASSERT(ts_now_ms() - t0 < 1000);
	CU_ASSERT_EQUAL(ts_store_fault(st, fault, sizeof(fault)), 0);
	CU_ASSERT(strstr(fault, "cannot connect to 127.0.0.1:1") != NULL);
	memset(&e, 0, sizeof(e));
	e.token = "t";
	e.token_len = 1;
	e.expires_at = time(NULL) + 60;
	t0 = ts_now_ms();
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_FAIL);
	CU_ASSERT(ts_now_ms() - t0 < 50);	/* skipped, not tried */
	CU_ASSERT_EQUAL(ts_store_noted(&r, err, sizeof(err)), TS_STORE_FAIL);
}

void add_redis_suite(void)
{
	CU_pSuite s = unit_suite("redis", NULL, NULL);

	unit_test(s, "store URLs", test_urls);
	unit_test(s, "fleet keys", test_key);
	unit_test(s, "an unreachable store", test_unreachable);
}
