/*
 * test_secret: secret sources and command splitting (src/provider/secret.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "provider/secret.h"
#include "../units.h"

static void test_literal_env(void)
{
	char *s = NULL, err[256] = "";

	CU_ASSERT(ts_secret_read(TS_SECRET_LITERAL, "pw", 1000, &s, err,
				 sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(s, "pw");
	ts_free_secret(&s);
	setenv("TS_UNIT_SECRET", "from-env", 1);
	CU_ASSERT(ts_secret_read(TS_SECRET_ENV, "TS_UNIT_SECRET", 1000, &s, err,
				 sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(s, "from-env");
	ts_free_secret(&s);
	CU_ASSERT(ts_secret_read(TS_SECRET_ENV, "TS_UNIT_UNSET", 1000, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT_STRING_EQUAL(err, "environment variable TS_UNIT_UNSET is not set");
}

static void test_file(void)
{
	char path[] = "/tmp/ts-unit-secret-XXXXXX", *s = NULL, err[256] = "";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, "file-pw\r\n", 9) == 9);
	close(fd);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(s, "file-pw");
	ts_free_secret(&s);
	unlink(path);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "cannot read secret file") != NULL);
}

static void test_cmd(void)
{
	char *s = NULL, err[256] = "";
	time_t t0;

	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "printf '%s\\n' 'a b;$HOME'", 2000,
				 &s, err, sizeof(err)) == 0);
	/* no shell: $HOME and ; stay literal */
	CU_ASSERT_STRING_EQUAL(s, "a b;$HOME");
	ts_free_secret(&s);
	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "sh -c 'echo nope >&2; exit 3'",
				 2000, &s, err, sizeof(err)) == -1);
	CU_ASSERT_STRING_EQUAL(err, "secret command sh exited with status 3: nope");
	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "/nonexistent/vault", 2000, &s,
				 err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "cannot run /nonexistent/vault") != NULL);
	t0 = time(NULL);
	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "sleep 30", 500, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT(time(NULL) - t0 < 5);
	CU_ASSERT(strstr(err, "was killed") != NULL);
}

static void test_split(void)
{
	char err[256], **v;

	v = ts_argv_split("  vault read  \"secret/my pw\" 'it''s' a\\ b ", err,
			  sizeof(err));
	CU_ASSERT_FATAL(v != NULL);
	CU_ASSERT_STRING_EQUAL(v[0], "vault");
	CU_ASSERT_STRING_EQUAL(v[1], "read");
	CU_ASSERT_STRING_EQUAL(v[2], "secret/my pw");
	CU_ASSERT_STRING_EQUAL(v[3], "its");
	CU_ASSERT_STRING_EQUAL(v[4], "a b");
	CU_ASSERT(v[5] == NULL);
	ts_argv_free(&v);
	CU_ASSERT(v == NULL);
	CU_ASSERT(ts_argv_split("echo 'open", err, sizeof(err)) == NULL);
	CU_ASSERT(strstr(err, "unterminated") != NULL);
	CU_ASSERT(ts_argv_split("   ", err, sizeof(err)) == NULL);
}

void add_secret_suite(void)
{
	CU_pSuite s = unit_suite("secret", NULL, NULL);

	unit_test(s, "literal and environment", test_literal_env);
	unit_test(s, "file", test_file);
	unit_test(s, "command, without a shell", test_cmd);
	unit_test(s, "command line splitting", test_split);
}
