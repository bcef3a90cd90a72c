/*
 * test_secret: secret sources and command splitting (src/provider/secret.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "provider/secret.h"
#include "util/str.h"
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
	CU_ASSERT(strstr(err, "cannot be read: No such file or directory") != NULL);
}

/* Files that are not secrets: read by others, empty, a FIFO. */
static void test_file_rules(void)
{
	char dir[] = "/tmp/ts-unit-secret-dir.XXXXXX", path[300];
	char *s = NULL, err[512] = "";
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/pw", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("pw\n", f);
	fclose(f);
	chmod(path, 0644);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "is readable by others; not used") != NULL);
	chmod(path, 0640);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == 0);
	CU_ASSERT(s && !strcmp(s, "pw"));
	ts_free_secret(&s);
	f = fopen(path, "w");
	fputs("\n", f);
	fclose(f);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "is empty") != NULL);
	unlink(path);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	alarm(10);
	CU_ASSERT(ts_secret_read(TS_SECRET_FILE, path, 1000, &s, err,
				 sizeof(err)) == -1);
	alarm(0);
	CU_ASSERT(strstr(err, "is a FIFO, not a regular file") != NULL);
	unlink(path);
	rmdir(dir);
}

/* Output over the cap, no output, a child that closes its pipes and
   lives on, and a host that ignores SIGCHLD. */
static void test_cmd_limits(void)
{
	char *s = NULL, err[512] = "", *o = NULL, *e = NULL;
	char *big[] = { "/bin/sh", "-c", "head -c 200000 /dev/zero", NULL };
	char *linger[] = { "/bin/sh", "-c", "exec >&- 2>&-; sleep 8", NULL };
	char *fail[] = { "/bin/false", NULL };
	size_t olen;
	long t0;
	int status = 0;

	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "/bin/sh -c 'head -c 100000 /dev/zero'",
				 2000, &s, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "printed more than 65536 bytes; not used") != NULL);
	CU_ASSERT(ts_run(big, NULL, 2000, 1000, &o, &olen, &e, &status, err,
			 sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "/bin/sh printed more than 1000 bytes") != NULL);
	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "/bin/true", 2000, &s, err,
				 sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "secret command /bin/true printed nothing") != NULL);
	/* the program is named, never its arguments: they are config text
	   and may hold a token ("vault read -token=...") */
	CU_ASSERT(ts_secret_read(TS_SECRET_CMD, "/bin/true --token=s3cr3t", 2000,
				 &s, err, sizeof(err)) == -1);
	CU_ASSERT(strstr(err, "secret command /bin/true printed nothing") != NULL);
	CU_ASSERT(strstr(err, "s3cr3t") == NULL);
	t0 = ts_now_ms();
	CU_ASSERT(ts_run(linger, NULL, 500, 1000, &o, &olen, &e, &status, err,
			 sizeof(err)) == -1);
	CU_ASSERT(ts_now_ms() - t0 < 4000);
	CU_ASSERT(strstr(err, "did not finish within 500 ms and was killed") != NULL);
	signal(SIGCHLD, SIG_IGN);
	CU_ASSERT(ts_run(fail, NULL, 2000, 1000, &o, &olen, &e, &status, err,
			 sizeof(err)) == -1);
	signal(SIGCHLD, SIG_DFL);
	CU_ASSERT(strstr(err, "exit status could not be read") != NULL);
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
	unit_test(s, "files that hold no secret", test_file_rules);
	unit_test(s, "command output and exit limits", test_cmd_limits);
	unit_test(s, "command, without a shell", test_cmd);
	unit_test(s, "command line splitting", test_split);
}
