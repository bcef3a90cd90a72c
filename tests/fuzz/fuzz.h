/*
 * fuzz.h: what the libFuzzer targets in this folder share. Each target is
 * one file defining LLVMFuzzerTestOneInput; tests/fuzz/run.sh builds them
 * with clang (-fsanitize=fuzzer,address,undefined) and runs each.
 */
#ifndef TS_FUZZ_H
#define TS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated string (most parsers read strings), or
   NULL when out of memory. Free with free(). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if(s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* Splits the input at its first NUL (or newline when nl is set): *a is
   the text before, *b after; both point into s. */
static inline void fuzz_split(char *s, int nl, char **a, char **b)
{
	char *cut = nl ? strchr(s, '\n') : NULL;

	*a = s;
	*b = s + strlen(s);
	if(cut) {
		*cut = '\0';
		*b = cut + 1;
	}
}

#endif
