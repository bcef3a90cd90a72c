/*
 * test_files: creating directories with their parents
 * (src/util/files.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "util/files.h"
#include "../units.h"

static void test_make_dirs(void)
{
	char dir[] = "/tmp/ts-unit-files.XXXXXX", path[300], cmd[400];
	struct stat st;
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CU_ASSERT(ts_make_dirs(path) == 0);
	CU_ASSERT(stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		  (st.st_mode & 0777) == 0700);
	CU_ASSERT(ts_make_dirs(path) == 0);	/* there already */
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/below", dir);
	CU_ASSERT(ts_make_dirs(path) == -1);	/* a file in the way */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
}

void add_files_suite(void)
{
	CU_pSuite s = unit_suite("files", NULL, NULL);

	unit_test(s, "directories and their parents", test_make_dirs);
}
