/*
 * test_elfdeps: which shared objects link libcurl (src/hook/elfdeps.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
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

/* Found by fuzz_elf: a program header table at an odd offset was read
   through a misaligned pointer (UBSan). */
static void test_misaligned(void)
{
	char path[] = "/tmp/ts-unit-elf-odd.XXXXXX";
	unsigned char head[4096];
	FILE *f = fopen("/bin/sh", "rb");
	size_t n;
	int fd;

	CU_ASSERT_FATAL(f != NULL);
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	CU_ASSERT_FATAL(n > 64 + 56);
	head[32] |= 1;		/* e_phoff, little-endian: now odd */
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, head, n) == (ssize_t)n);
	close(fd);
	CU_ASSERT(!ts_elf_needs(path, "libc."));
	unlink(path);
}

/* A FIFO where an object should be is refused, not waited on. */
static void test_fifo(void)
{
	char dir[] = "/tmp/ts-unit-elf-fifo.XXXXXX", path[300];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/lib.so", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	alarm(10);	/* a hang fails the run instead of stalling it */
	CU_ASSERT(!ts_elf_needs(path, "libcurl"));
	alarm(0);
	unlink(path);
	rmdir(dir);
}

void add_elfdeps_suite(void)
{
	CU_pSuite s = unit_suite("elfdeps", NULL, NULL);

	unit_test(s, "DT_NEEDED of real, missing and fake objects", test_needs);
	unit_test(s, "a program header table at an odd offset", test_misaligned);
	unit_test(s, "a FIFO in place of an object", test_fifo);
}
