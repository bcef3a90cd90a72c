/*
 * test_config: the INI reader (src/engine/config.c): sections, keys with
 * their lines, and problems with the file's shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "engine/config.h"
#include "../units.h"

static char reports[4096];

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(reports, msg, sizeof(reports) - strlen(reports) - 2);
	strcat(reports, "\n");
}

static void test_sections(void)
{
	struct ts_ini ini;
	const struct ts_kv *kv;

	reports[0] = '\0';
	CU_ASSERT(ts_ini_parse("c.conf",
		"# comment\n[defaults]\ntimeout = 5\n\n[profile a]\n"
		"  url =  https://a/x = y \r\n; another\n[profile\tb]\nk=v\n",
		0600, &ini, collect, NULL) == 0);
	CU_ASSERT_EQUAL(ini.errors, 0);
	CU_ASSERT_STRING_EQUAL(reports, "");
	CU_ASSERT_EQUAL(ini.ndefaults, 1);
	CU_ASSERT_EQUAL(ini.mode, 0600);
	CU_ASSERT_EQUAL_FATAL(ini.nsections, 2);
	CU_ASSERT_STRING_EQUAL(ini.sections[0].name, "a");
	CU_ASSERT_EQUAL(ini.sections[0].line, 5);
	kv = ts_kv_find(ini.sections[0].kv, ini.sections[0].nkv, "url");
	CU_ASSERT_FATAL(kv != NULL);
	/* the first "=" splits; blanks and a CR around the value go */
	CU_ASSERT_STRING_EQUAL(kv->value, "https://a/x = y");
	CU_ASSERT_EQUAL(kv->line, 6);
	CU_ASSERT_STRING_EQUAL(ini.sections[1].name, "b");
	CU_ASSERT(ts_kv_find(ini.sections[1].kv, ini.sections[1].nkv, "k") != NULL);
	CU_ASSERT(ts_kv_find(ini.sections[1].kv, ini.sections[1].nkv, "url") == NULL);
	ts_ini_free(&ini);
}

static void test_problems(void)
{
	struct ts_ini ini;

	reports[0] = '\0';
	ts_ini_parse("c.conf",
		"k = v\n[profile a]\nhunter2\n[odd]\nx = 1\n[profile a]\n"
		"[profile b\n= v\n", 0600, &ini, collect, NULL);
	CU_ASSERT_EQUAL(ini.errors, 6);
	CU_ASSERT(strstr(reports, "c.conf:1: key 'k' outside any section\n") != NULL);
	/* the line itself is never echoed: it may be a password */
	CU_ASSERT(strstr(reports, "c.conf:3: expected 'key = value'\n") != NULL);
	CU_ASSERT(strstr(reports, "hunter2") == NULL);
	CU_ASSERT(strstr(reports, "c.conf:4: unknown section: expected [defaults] or [profile NAME]\n") != NULL);
	CU_ASSERT(strstr(reports, "[odd]") == NULL);
	CU_ASSERT(strstr(reports, "c.conf:6: profile a is defined twice\n") != NULL);
	CU_ASSERT(strstr(reports, "c.conf:7: bad section header: no closing ']'\n") != NULL);
	CU_ASSERT(strstr(reports, "c.conf:8: missing key before '='\n") != NULL);
	CU_ASSERT_EQUAL_FATAL(ini.nsections, 1);
	CU_ASSERT(ini.sections[0].broken);
	/* keys of a section that could not be opened are not anyone's */
	CU_ASSERT_EQUAL(ini.sections[0].nkv, 0);
	ts_ini_free(&ini);
}

static void test_files(void)
{
	struct ts_ini ini;
	char dir[] = "/tmp/ts-unit-ini.XXXXXX", path[300];
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	reports[0] = '\0';
	CU_ASSERT(ts_ini_read(path, 0, &ini, collect, NULL) == 0);
	CU_ASSERT_EQUAL(ini.nsections, 0);
	ts_ini_free(&ini);
	CU_ASSERT(ts_ini_read(path, 1, &ini, collect, NULL) == -1);
	CU_ASSERT(strstr(reports, "cannot read config") != NULL);
	ts_ini_free(&ini);
	CU_ASSERT(ts_ini_read(dir, 1, &ini, collect, NULL) == -1);
	CU_ASSERT(strstr(reports, "not a regular file") != NULL);
	ts_ini_free(&ini);
	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fwrite("[profile a]\nk = v\0x\n", 1, 20, f);
	fclose(f);
	CU_ASSERT(ts_ini_read(path, 1, &ini, collect, NULL) == -1);
	CU_ASSERT(strstr(reports, "contains a NUL byte") != NULL);
	ts_ini_free(&ini);
	/* what may change it: only its owner (or root) */
	chmod(path, 0620);
	reports[0] = '\0';
	CU_ASSERT(ts_ini_read(path, 1, &ini, collect, NULL) == -1);
	CU_ASSERT(strstr(reports, "nul.conf: not used: writable by group or others") != NULL);
	ts_ini_free(&ini);
	remove(path);
	/* a FIFO is refused at once, never read (which would wait) */
	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	alarm(10);
	CU_ASSERT(ts_ini_read(path, 1, &ini, collect, NULL) == -1);
	alarm(0);
	CU_ASSERT(strstr(reports, "fifo.conf: cannot read config: is a FIFO, not a regular file") != NULL);
	ts_ini_free(&ini);
	remove(path);
	/* nor is a symbolic link followed */
	snprintf(path, sizeof(path), "%s/link.conf", dir);
	CU_ASSERT_FATAL(symlink("/etc/hostname", path) == 0);
	CU_ASSERT(ts_ini_read(path, 1, &ini, collect, NULL) == -1);
	CU_ASSERT(strstr(reports, "link.conf: cannot read config: is a symbolic link") != NULL);
	ts_ini_free(&ini);
	remove(path);
	rmdir(dir);
}

/* A byte-order mark is no key; a section header that lost its "]" is
   never shown, since it may hold a password. */
static void test_bom_and_echo(void)
{
	struct ts_ini ini;

	reports[0] = '\0';
	CU_ASSERT(ts_ini_parse("b.conf", "\xEF\xBB\xBF[profile a]\nk = v\n", 0600,
			       &ini, collect, NULL) == 0);
	CU_ASSERT_EQUAL(ini.errors, 0);
	CU_ASSERT_EQUAL_FATAL(ini.nsections, 1);
	CU_ASSERT_STRING_EQUAL(ini.sections[0].name, "a");
	ts_ini_free(&ini);
	reports[0] = '\0';
	ts_ini_parse("b.conf", "[password = hunter2\n[profile x] trailing secret\n",
		     0600, &ini, collect, NULL);
	CU_ASSERT_EQUAL(ini.errors, 2);
	CU_ASSERT(strstr(reports, "b.conf:1: bad section header: no closing ']'\n") != NULL);
	CU_ASSERT(strstr(reports, "b.conf:2: bad section header: text after ']'\n") != NULL);
	CU_ASSERT(strstr(reports, "hunter2") == NULL);
	CU_ASSERT(strstr(reports, "secret") == NULL);
	ts_ini_free(&ini);
}

void add_config_suite(void)
{
	CU_pSuite s = unit_suite("config", NULL, NULL);

	unit_test(s, "sections and keys with their lines", test_sections);
	unit_test(s, "problems with the file's shape", test_problems);
	unit_test(s, "missing, odd and NUL-holding files", test_files);
	unit_test(s, "a byte-order mark, and lines never echoed", test_bom_and_echo);
}
