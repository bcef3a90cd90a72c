/*
 * test_seal: the key file and the names of entries (src/store/seal.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "store/seal.h"
#include "../units.h"

static void test_key_and_names(void)
{
	char dir[] = "/tmp/ts-unit-seal.XXXXXX", path[300], cmd[400];
	char n1[65], n2[65], n3[65];
	unsigned char a1[32], a2[32], a3[32];
	struct ts_seal s1, s2, s3;
	struct ts_blob b = {0};
	unsigned char *plain = NULL;
	size_t len = 0;
	struct stat st;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/cache.key", dir);
	/* made on first use, 0600, and the same key read back */
	CU_ASSERT_FATAL(ts_seal_load(&s1, path) == 0);
	CU_ASSERT(stat(path, &st) == 0 && st.st_size == 32 &&
		  (st.st_mode & 0777) == 0600);
	CU_ASSERT_FATAL(ts_seal_load(&s2, path) == 0);
	CU_ASSERT(!memcmp(s1.key, s2.key, 32));
	ts_seal_name(&s1, "id", 2, n1, a1);
	ts_seal_name(&s2, "id", 2, n2, a2);
	CU_ASSERT(!strcmp(n1, n2) && !memcmp(a1, a2, 32) && strlen(n1) == 64);
	ts_seal_name(&s1, "id2", 3, n3, a3);
	CU_ASSERT(strcmp(n1, n3) != 0);
	/* sealed under one key, opened under it only */
	CU_ASSERT_FATAL(ts_seal_blob(&s1, a1, 7, "secret", 6, &b) == 0);
	CU_ASSERT_EQUAL(ts_blob_gen(b.p, b.len), 7);
	CU_ASSERT(memmem(b.p, b.len, "secret", 6) == NULL);
	CU_ASSERT(ts_seal_open(&s2, a1, &b, &plain, &len) == 0 && len == 6 &&
		  !memcmp(plain, "secret", 6));
	free(plain);
	CU_ASSERT(ts_seal_open(&s1, a3, &b, &plain, &len) == -1);
	/* a key open to others is refused */
	chmod(path, 0644);
	CU_ASSERT(ts_seal_load(&s3, path) == -1);
	ts_blob_free(&b);
	ts_seal_wipe(&s1);
	ts_seal_wipe(&s2);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
}

void add_seal_suite(void)
{
	CU_pSuite s = unit_suite("seal", NULL, NULL);

	unit_test(s, "the key file, names and sealing", test_key_and_names);
}
