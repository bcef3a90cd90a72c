/*
 * main: runs every unit suite and exits non-zero on any failure, a suite
 * or test that could not be added, or a suite whose set-up failed.
 */
#include <stdio.h>
#include <CUnit/Basic.h>

#include "units.h"

int unit_setup_failed;

int main(void)
{
	unsigned failures, run, failed;

	if(CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	add_buf_suite();
	add_fork_suite();
	add_json_suite();
	add_ptrmap_suite();
	add_files_suite();
	add_guard_suite();
	add_config_suite();
	add_profile_suite();
	add_placement_suite();
	add_match_suite();
	add_engine_suite();
	add_store_suite();
	add_seal_suite();
	add_redis_suite();
	add_file_suite();
	add_loader_suite();
	add_secret_suite();
	add_services_suite();
	add_inject_suite();
	add_handle_suite();
	add_transfer_suite();
	add_target_suite();
	add_elfdeps_suite();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if(CU_basic_run_tests() != CUE_SUCCESS)
		unit_setup_failed = 1;
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	failures = CU_get_number_of_failures() + failed +
		   CU_get_number_of_suites_failed();
	printf("unit: %u passed, %u failed\n", run - failed, failed);
	CU_cleanup_registry();
	if(unit_setup_failed)
		fprintf(stderr, "unit: a suite or test could not be set up\n");
	return failures || unit_setup_failed ? 1 : 0;
}
