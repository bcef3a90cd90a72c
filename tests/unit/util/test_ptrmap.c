/*
 * test_ptrmap: the pointer-keyed map (src/util/ptrmap.c).
 */
#include <stdlib.h>
#include <CUnit/CUnit.h>

#include "util/ptrmap.h"
#include "../units.h"

struct rec {
	struct ts_pnode node;
	int value;
};

static void test_map(void)
{
	static struct ts_pnode *b[4];
	static struct ts_ptrmap m = TS_PTRMAP_INIT(b);
	int keys[64], i;
	struct rec *r;

	CU_ASSERT_EQUAL(m.nbuckets, 4);
	CU_ASSERT(ts_ptrmap_get(&m, &keys[0], 0) == NULL);
	/* more records than buckets: chains */
	for(i = 0; i < 64; i++) {
		r = ts_ptrmap_get(&m, &keys[i], sizeof(*r));
		CU_ASSERT_FATAL(r != NULL);
		CU_ASSERT_EQUAL(r->value, 0);
		r->value = i + 1;
	}
	for(i = 0; i < 64; i++) {
		r = ts_ptrmap_get(&m, &keys[i], sizeof(*r));
		CU_ASSERT(r && r->value == i + 1);
	}
	r = ts_ptrmap_take(&m, &keys[10]);
	CU_ASSERT(r && r->value == 11);
	free(r);
	CU_ASSERT(ts_ptrmap_get(&m, &keys[10], 0) == NULL);
	CU_ASSERT(ts_ptrmap_take(&m, &keys[10]) == NULL);
	r = ts_ptrmap_get(&m, &keys[20], 0);
	ts_ptrmap_unlink(&m, r);
	free(r);
	CU_ASSERT(ts_ptrmap_get(&m, &keys[20], 0) == NULL);
	CU_ASSERT(ts_ptrmap_get(&m, &keys[21], 0) != NULL);
	for(i = 0; i < 64; i++)
		free(ts_ptrmap_take(&m, &keys[i]));
	CU_ASSERT(ts_ptrmap_get(&m, &keys[0], 0) == NULL);
}

void add_ptrmap_suite(void)
{
	CU_pSuite s = unit_suite("ptrmap", NULL, NULL);

	unit_test(s, "get, create, take and unlink", test_map);
}
