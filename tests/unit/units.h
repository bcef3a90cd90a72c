/*
 * units.h: one CUnit suite per source file under test; main.c runs them.
 */
#ifndef TS_UNITS_H
#define TS_UNITS_H

#include <CUnit/CUnit.h>

void add_config_suite(void);
void add_match_suite(void);
void add_inject_suite(void);
void add_json_suite(void);
void add_secret_suite(void);
void add_providers_suite(void);

#endif
