/*
 * test_elfdeps: which shared objects link libcurl (src/hook/elfdeps.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "hook/elfdeps.h"
#include "../units.h"

static void test_needs(void)
{
	char dir[] = "/tmp/ts-unit-elf.XXXXXX", path[300];
	FILE *f;

	/* the curl program links libcurl; the shell links libc only */
	CU_ASSERT(ts_elf_needs(TEST_CURL_BIN, "libcurl"));
	CU_ASSERT(ts_elf_needs(TEST_CLI_PATH, "libc."));
	CU_ASSERT(!ts_elf_needs(TEST_CLI_PATH, "libnosuch"));
	CU_ASSERT(ts_elf_needs("/bin/sh", "libc."));
	CU_ASSERT(!ts_elf_needs("/bin/sh", "libcurl"));
	CU_ASSERT(!ts_elf_needs("/nonexistent/x.so", "libcurl"));
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fake.so", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("\177ELF and then nothing an ELF file has", f);
	fclose(f);
	CU_ASSERT(!ts_elf_needs(path, "libcurl"));
	CU_ASSERT(!ts_elf_needs(dir, "libcurl"));
	remove(path);
	rmdir(dir);
}

void add_elfdeps_suite(void)
{
	CU_pSuite s = unit_suite("elfdeps", NULL, NULL);

	unit_test(s, "DT_NEEDED of real, missing and fake objects", test_needs);
}
