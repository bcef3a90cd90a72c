/*
 * json: reading vendor answers (over jsmn) and writing request bodies.
 * Lookups take dotted paths ("user.id") into nested objects; strings come
 * back decoded (escapes, \u sequences as UTF-8) with their length, since a
 * decoded string may contain a NUL that must be refused, not truncated.
 */
#ifndef TS_JSON_H
#define TS_JSON_H

#include <stddef.h>
#include "util/buf.h"

struct ts_json {
	const char *js;	/* borrowed: the caller keeps the text alive */
	size_t len;
	void *tok;	/* jsmntok_t[ntok] */
	int ntok;
};

enum {
	TS_JSON_OK = 0,
	TS_JSON_MISSING = -1,	/* no such member */
	TS_JSON_TYPE = -2,	/* present, but of another type */
	TS_JSON_BAD = -3,	/* bad escape, bad number */
	TS_JSON_NOMEM = -4
};

/* Parses text; on failure returns -1 and writes why ("empty body",
   "truncated JSON", "invalid JSON", "not a JSON object") into errbuf. */
int ts_json_parse(struct ts_json *j, const char *js, size_t len,
		  char *errbuf, size_t errlen);
void ts_json_free(struct ts_json *j);

/* Decoded string at path: *out is malloc'ed (free with ts_free_secret),
   *outlen its length. Returns a TS_JSON_ code. */
int ts_json_string(const struct ts_json *j, const char *path,
		   char **out, size_t *outlen);
/* Number at path (a JSON number primitive). Returns a TS_JSON_ code. */
int ts_json_number(const struct ts_json *j, const char *path, double *out);

/* Appends s as a JSON string literal, quotes included. */
int ts_json_add_string(struct ts_buf *b, const char *s);

#endif
