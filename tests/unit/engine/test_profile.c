/*
 * test_profile: building profiles from tokenshim.conf
 * (src/engine/profile.c). Every problem must come out as
 * "file:line: message" and disable only its profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "engine/profile.h"
#include "provider/provider.h"
#include "../units.h"

static char reports[8192];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(reports, msg, sizeof(reports) - strlen(reports) - 2);
	strcat(reports, "\n");
}

static int parse(const char *text, int mode, struct ts_config *cfg)
{
	reports[0] = '\0';
	return ts_config_parse("t.conf", text, 1, mode, cfg, collect, NULL);
}

static int load(const char *path, const char *text, int mode,
		struct ts_config *cfg)
{
	reports[0] = '\0';
	return ts_config_parse(path, text, 1, mode, cfg, collect, NULL);
}

static void test_good(void)
{
	struct ts_config cfg;
	const struct ts_profile *p;

	parse("# comment\n"
	      "; another\n"
	      "[defaults]\n"
	      "timeout = 7\n"
	      "refresh_ahead = 30\n"
	      "\n"
	      "[profile nb]\n"
	      "provider = netbrain\n"
	      "match = https://nb.corp/ServicesAPI/*\n"
	      "match = https://nb2.corp/*\n"
	      "url = https://nb.corp/ServicesAPI/API\n"
	      "username = admin\n"
	      "password_env = NB_PW\n"
	      "tenant_id = T1\n"
	      "domain_id = D1\n"
	      "lifetime = 600\n"
	      "[profile q]\n"
	      "provider = netbrain\n"
	      "match = https://q.corp/*\n"
	      "url = https://q.corp/\n"
	      "username = u\n"
	      "password_file = /run/pw # not a comment: part of the path\n"
	      "query = access_token={token}\n"
	      "timeout = 2.5\n"
	      "on_failure = pass\n", 0600, &cfg);
	CU_ASSERT_STRING_EQUAL(reports, "");
	CU_ASSERT_EQUAL(cfg.errors, 0);
	CU_ASSERT_EQUAL_FATAL(cfg.nprofiles, 2);
	p = ts_config_profile(&cfg, "nb");
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(p->usable);
	CU_ASSERT_EQUAL(p->npatterns, 2);
	CU_ASSERT_EQUAL(p->timeout_ms, 7000);
	CU_ASSERT_EQUAL(p->refresh_ahead, 30);
	CU_ASSERT_EQUAL(p->lifetime, 600);
	CU_ASSERT(p->inject.kind == TS_INJECT_HEADER);
	CU_ASSERT_STRING_EQUAL(p->inject.name, "token");
	CU_ASSERT_EQUAL(ts_profile_kv(p, "tenant_id")->line, 14);
	p = ts_config_profile(&cfg, "q");
	CU_ASSERT(p->usable);
	CU_ASSERT_EQUAL(p->timeout_ms, 2500);
	CU_ASSERT_EQUAL(p->lifetime, 1800);	/* netbrain's default */
	CU_ASSERT(p->on_failure_pass);
	CU_ASSERT(p->inject.kind == TS_INJECT_QUERY);
	CU_ASSERT_STRING_EQUAL(ts_profile_kv(p, "password_file")->value,
			       "/run/pw # not a comment: part of the path");
	ts_config_free(&cfg);
}

static void test_errors_have_lines(void)
{
	struct ts_config cfg;

	parse("[profile a]\n"			/* 1 */
	      "provider = netbrain\n"		/* 2 */
	      "match = https://a/*\n"		/* 3 */
	      "url = https://a/\n"		/* 4 */
	      "username = u\n"			/* 5 */
	      "password = p\n"			/* 6 */
	      "api_key = k\n"			/* 7: not a netbrain key */
	      "[profile b]\n"			/* 8 */
	      "provider = nosuch\n"		/* 9 */
	      "match = https://b/*\n"		/* 10 */
	      "[profile c]\n"			/* 11 */
	      "provider = netbrain\n"		/* 12 */
	      "match = https://c/*\n"		/* 13 */
	      "url = https://c/\n"		/* 14 */
	      "password = p\n"			/* 15 */
	      "header = token\n"		/* 16 */
	      "cookie = t={token}\n"		/* 17 */
	      "[profile d]\n"			/* 18 */
	      "provider = netbrain\n"		/* 19 */
	      "match = https://d/*\n"		/* 20 */
	      "url = https://d/\n"		/* 21 */
	      "username = u\n"			/* 22 */
	      "password = p\n"			/* 23 */
	      "insecure = maybe\n"		/* 24 */
	      "on_failure = retry\n"		/* 25 */
	      "lifetime = 0\n"			/* 26 */
	      "[profile e]\n"			/* 27 */
	      "provider = netbrain\n"		/* 28 */
	      "match = https://e/*\n"		/* 29 */
	      "url = https://e/\n"		/* 30 */
	      "username = u\n"			/* 31 */
	      "password = p\n"			/* 32 */
	      "[defaults]\n"			/* 33 */
	      "username = nope\n"		/* 34 */
	      "[profile a]\n",			/* 35 */
	      0600, &cfg);
	CU_ASSERT(strstr(reports, "t.conf:7: profile a: unknown key 'api_key' for provider netbrain\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:9: profile b: unknown provider 'nosuch'") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:11: profile c: missing required key 'username' for provider netbrain\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:16: profile c: bad header 'token'") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:17: profile c: only one of header, cookie and query may be set\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:24: profile d: insecure must be true or false, not 'maybe'\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:25: profile d: on_failure must be fail or pass, not 'retry'\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:26: profile d: lifetime must be a number of seconds from 0.001 to 31536000 (a year), not '0'\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:34: key 'username' is not allowed in [defaults]\n") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:35: profile a is defined twice\n") != NULL);
	CU_ASSERT(!ts_config_profile(&cfg, "a")->usable);
	CU_ASSERT(!ts_config_profile(&cfg, "b")->usable);
	CU_ASSERT(!ts_config_profile(&cfg, "c")->usable);
	CU_ASSERT(!ts_config_profile(&cfg, "d")->usable);
	/* the good profile is untouched by the others' problems */
	CU_ASSERT(ts_config_profile(&cfg, "e")->usable);
	ts_config_free(&cfg);
}

static void test_literal_secret_mode(void)
{
	struct ts_config cfg;
	const char *lit = "[profile a]\nprovider = netbrain\nmatch = https://a/*\n"
			  "url = https://a/\nusername = u\npassword = p\n";
	const char *ind = "[profile a]\nprovider = netbrain\nmatch = https://a/*\n"
			  "url = https://a/\nusername = u\npassword_env = P\n";

	parse(lit, 0644, &cfg);
	CU_ASSERT(strstr(reports, "t.conf:6: holds a literal secret and is readable by group or others") != NULL);
	CU_ASSERT(strstr(reports, "=p") == NULL && strstr(reports, " p\n") == NULL);
	CU_ASSERT(!cfg.profiles[0].usable);
	ts_config_free(&cfg);
	parse(lit, 0600, &cfg);
	CU_ASSERT(cfg.profiles[0].usable);
	ts_config_free(&cfg);
	parse(ind, 0644, &cfg);
	CU_ASSERT_STRING_EQUAL(reports, "");
	CU_ASSERT(cfg.profiles[0].usable);
	ts_config_free(&cfg);
}

static int init(void)
{
	setenv("TOKENSHIM_PROVIDER_PATH", TEST_PROVIDER_PATH, 1);
	return 0;
}

static int fini(void)
{
	ts_provider_unload_all();
	return 0;
}

/* Numbers that are no numbers, [defaults] said once, values that do not
   go together, and paths with ~/ and ${VAR}. */
static void test_values(void)
{
	struct ts_config cfg;
	const struct ts_kv *kv;

	setenv("TS_UNIT_DIR", "/run/credentials/x", 1);
	unsetenv("TS_UNIT_UNSET");
	setenv("HOME", "/home/unit", 1);
	load("v.conf",
	      "[defaults]\n"				/* 1 */
	      "timeout = nan\n"				/* 2 */
	      "[profile a]\nprovider = netbrain\nmatch = https://a/*\n"	/* 3-5 */
	      "url = https://a/ServicesAPI/API\nusername = u\n"		/* 6-7 */
	      "password_file = ${TS_UNIT_DIR}/nb\n"	/* 8 */
	      "ca_file = ~/ca.pem\n"			/* 9 */
	      "lifetime = inf\n"				/* 10 */
	      "[profile b]\nprovider = netbrain\nmatch = https://b/*\n"	/* 11-13 */
	      "url = b.corp/ServicesAPI/API\nusername = u\npassword = p\n"	/* 14-16 */
	      "refresh_ahead = 1e400\n"			/* 17 */
	      "tenant_id = T\n"				/* 18 */
	      "[profile c]\nprovider = netbrain\nmatch = https://c/*\n"	/* 19-21 */
	      "url = https://c/ServicesAPI/API\nusername = u\n"		/* 22-23 */
	      "password_file = ${TS_UNIT_UNSET}/nb\n",	/* 24 */
	      0600, &cfg);
	CU_ASSERT(strstr(reports, "v.conf:2: [defaults]: timeout must be a number of seconds from 0.001 to 31536000 (a year), not 'nan'\n") != NULL);
	/* three profiles inherit it; it is said once */
	CU_ASSERT(strstr(strstr(reports, "v.conf:2:") + 1, "v.conf:2:") == NULL);
	CU_ASSERT(strstr(reports, "v.conf:10: profile a: lifetime must be a number") != NULL);
	CU_ASSERT(strstr(reports, "v.conf:14: profile b: url must start with https:// (or http://) and name a host\n") != NULL);
	CU_ASSERT(strstr(reports, "v.conf:17: profile b: refresh_ahead must be a number") != NULL);
	CU_ASSERT(strstr(reports, "v.conf:24: profile c: password_file: ${TS_UNIT_UNSET} is not set\n") != NULL);
	kv = ts_profile_kv(ts_config_profile(&cfg, "a"), "password_file");
	CU_ASSERT(kv && !strcmp(kv->value, "/run/credentials/x/nb"));
	kv = ts_profile_kv(ts_config_profile(&cfg, "a"), "ca_file");
	CU_ASSERT(kv && !strcmp(kv->value, "/home/unit/ca.pem"));
	ts_config_free(&cfg);
	load("w.conf",
	      "[profile d]\nprovider = netbrain\nmatch = https://d/*\n"
	      "url = https://d/ServicesAPI/API\nusername = u\npassword = p\n"
	      "tenant_id = T\n", 0600, &cfg);
	CU_ASSERT(strstr(reports, "w.conf:1: profile d: tenant_id and domain_id go together; set both or neither\n") != NULL);
	CU_ASSERT(!ts_config_profile(&cfg, "d")->usable);
	ts_config_free(&cfg);
}


#define NB "provider = netbrain\nmatch = https://nb.corp/*\n" \
	   "url = https://nb.corp/ServicesAPI/API\nusername = a\npassword_env = X\n"

static void test_store_keys(void)
{
	struct ts_config cfg;
	const struct ts_profile *p;

	parse("[defaults]\n"
	      "store = redis://ts@r.corp:6379/2\n"
	      "store_key_file = /k\n"
	      "store_timeout = 250\n"
	      "[profile a]\n" NB
	      "on_store_failure = fail\n"
	      "store_prefix = t1:\n"
	      "[profile b]\n" NB
	      "store = none\n"
	      "[profile c]\n" NB
	      "store_key_env = K\n", 0600, &cfg);
	CU_ASSERT_EQUAL(cfg.errors, 0);
	CU_ASSERT_STRING_EQUAL(reports, "");
	p = ts_config_profile(&cfg, "a");
	CU_ASSERT_STRING_EQUAL(p->store, "redis://ts@r.corp:6379/2");
	CU_ASSERT_EQUAL(p->store_timeout_ms, 250);
	CU_ASSERT_EQUAL(p->on_store_failure_fail, 1);
	CU_ASSERT_STRING_EQUAL(p->store_prefix, "t1:");
	CU_ASSERT_PTR_NULL(ts_config_profile(&cfg, "b")->store);
	/* a profile's own key source takes the default's place */
	p = ts_config_profile(&cfg, "c");
	CU_ASSERT_PTR_NOT_NULL(ts_profile_kv(p, "store_key_env"));
	CU_ASSERT_PTR_NULL(ts_profile_kv(p, "store_key_file"));
	CU_ASSERT_EQUAL(ts_config_profile(&cfg, "a")->usable, 1);
	{
		/* the store's keys are not part of whose token it is */
		struct ts_buf x = {0}, y = {0};

		ts_profile_identity(ts_config_profile(&cfg, "a"), &x);
		ts_profile_identity(ts_config_profile(&cfg, "b"), &y);
		CU_ASSERT(x.len == y.len && !memcmp(x.p, y.p, x.len));
		ts_buf_free(&x);
		ts_buf_free(&y);
	}
	ts_config_free(&cfg);

	parse("[profile a]\n" NB "store = redis://127.0.0.1/0\n", 0600, &cfg);
	CU_ASSERT(strstr(reports, "t.conf:7: profile a: store needs the fleet key") != NULL);
	CU_ASSERT_EQUAL(ts_config_profile(&cfg, "a")->usable, 0);
	ts_config_free(&cfg);
	parse("[defaults]\nstore = memcached://x\nstore_timeout = 0\n"
	      "on_store_failure = maybe\n[profile a]\n" NB
	      "store_key_file = /k\n", 0600, &cfg);
	CU_ASSERT(strstr(reports, "t.conf:2: [defaults]: store must be none or a redis://") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:3: [defaults]: store_timeout must be milliseconds") != NULL);
	CU_ASSERT(strstr(reports, "t.conf:4: [defaults]: on_store_failure must be local or fail") != NULL);
	ts_config_free(&cfg);
}

void add_profile_suite(void)
{
	CU_pSuite s = unit_suite("profile", init, fini);

	unit_test(s, "a good config", test_good);
	unit_test(s, "the fleet store's keys", test_store_keys);
	unit_test(s, "problems carry file:line", test_errors_have_lines);
	unit_test(s, "literal secrets and file modes", test_literal_secret_mode);
	unit_test(s, "numbers, defaults, schemes and paths", test_values);
}
