/*
 * test_buf: buffers and the wipe function (src/util/buf.c).
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "../units.h"

static void test_grow(void)
{
	struct ts_buf b = {0};
	char *s;
	int i;

	CU_ASSERT(ts_buf_adds(&b, "ab") == 0);
	CU_ASSERT(ts_buf_add(&b, "c\0d", 3) == 0);
	CU_ASSERT_EQUAL(b.len, 5);
	CU_ASSERT(!memcmp(b.p, "abc\0d", 6));	/* always NUL-terminated */
	for(i = 0; i < 1000; i++)
		ts_buf_printf(&b, "%04d", i);
	CU_ASSERT_EQUAL(b.len, 4005);
	CU_ASSERT(!memcmp(b.p + 4001, "0999", 4) && !b.oom);
	s = ts_buf_steal(&b);
	CU_ASSERT(s != NULL && b.p == NULL && b.len == 0);
	ts_free_secret(&s);
	CU_ASSERT(s == NULL);
	ts_buf_free(&b);
}

static void test_urlencode(void)
{
	struct ts_buf b = {0};

	ts_buf_urlencode(&b, "a-b_c.d~e f+g/h=i&j", 19);
	CU_ASSERT_STRING_EQUAL(b.p, "a-b_c.d~e%20f%2Bg%2Fh%3Di%26j");
	ts_buf_free(&b);
	ts_buf_urlencode(&b, "\xff\n", 2);
	CU_ASSERT_STRING_EQUAL(b.p, "%FF%0A");
	ts_buf_free(&b);
}

static void test_wipe(void)
{
	char secret[16] = "hunter2-hunter2";
	char *heap = strdup("s3cret");

	ts_wipe(secret, sizeof(secret));
	CU_ASSERT(secret[0] == 0 && secret[15] == 0 && secret[7] == 0);
	ts_wipe(NULL, 4);	/* nothing to wipe is fine */
	ts_free_secret(&heap);
	CU_ASSERT(heap == NULL);
	ts_free_secret(&heap);
}

void add_buf_suite(void)
{
	CU_pSuite s = unit_suite("buf", NULL, NULL);

	unit_test(s, "appending, printf and stealing", test_grow);
	unit_test(s, "RFC 3986 encoding", test_urlencode);
	unit_test(s, "wiping", test_wipe);
}
