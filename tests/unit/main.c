/*
 * main: runs every unit suite and exits non-zero on any failure.
 */
#include <stdio.h>
#include <CUnit/Basic.h>

#include "units.h"

int main(void)
{
	unsigned failures;

	if(CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	add_config_suite();
	add_match_suite();
	add_inject_suite();
	add_json_suite();
	add_secret_suite();
	add_providers_suite();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	printf("unit: %u passed, %u failed\n",
	       CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
	       CU_get_number_of_tests_failed());
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
