/*
 * units.h: one CUnit suite per source file under test, in a folder of
 * tests/unit/ named as the source's; main.c runs them. Suites and tests
 * are added through unit_suite and unit_test, so that one that cannot be
 * added fails the run instead of silently not running.
 */
#ifndef TS_UNITS_H
#define TS_UNITS_H

#include <stdio.h>
#include <CUnit/CUnit.h>

extern int unit_setup_failed;

static inline CU_pSuite unit_suite(const char *name, CU_InitializeFunc init,
				   CU_CleanupFunc fini)
{
	CU_pSuite s = CU_add_suite(name, init, fini);

	if(!s) {
		fprintf(stderr, "unit: cannot add suite %s: %s\n", name,
			CU_get_error_msg());
		unit_setup_failed = 1;
	}
	return s;
}

static inline void unit_test(CU_pSuite s, const char *name, CU_TestFunc fn)
{
	if(!s || !CU_add_test(s, name, fn)) {
		fprintf(stderr, "unit: cannot add test %s: %s\n", name,
			CU_get_error_msg());
		unit_setup_failed = 1;
	}
}

/* util/ */
void add_buf_suite(void);
void add_fork_suite(void);
void add_json_suite(void);
void add_ptrmap_suite(void);
void add_files_suite(void);
/* curl/ */
void add_guard_suite(void);
/* engine/ */
void add_config_suite(void);
void add_profile_suite(void);
void add_placement_suite(void);
void add_match_suite(void);
void add_engine_suite(void);
/* store/ */
void add_store_suite(void);
void add_seal_suite(void);
void add_redis_suite(void);
void add_file_suite(void);
/* provider/ */
void add_loader_suite(void);
void add_secret_suite(void);
void add_services_suite(void);
/* xfer/ */
void add_inject_suite(void);
void add_handle_suite(void);
void add_transfer_suite(void);
void add_target_suite(void);
/* hook/ */
void add_elfdeps_suite(void);

#endif
