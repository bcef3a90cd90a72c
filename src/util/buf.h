/*
 * The util layer: bytes, the one wipe function (here), logging (log.h),
 * JSON (json.h), the pointer map (ptrmap.h), fork handler registration
 * (fork.h) and small text helpers (str.h). It knows nothing of libcurl,
 * profiles or tokens, and everything else may use it.
 *
 * buf: a growable byte buffer for request bodies, headers and responses.
 * Every buffer may hold a secret, so freeing always wipes.
 */
#ifndef TS_BUF_H
#define TS_BUF_H

#include <stddef.h>

struct ts_buf {
	char *p;	/* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	int oom;	/* set once an allocation failed; later adds are no-ops */
};

/* Appends n bytes; returns 0, or -1 when out of memory (sticky). */
int ts_buf_add(struct ts_buf *b, const void *data, size_t n);
/* Appends a NUL-terminated string. */
int ts_buf_adds(struct ts_buf *b, const char *s);
/* Appends printf-style text. */
int ts_buf_printf(struct ts_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s with the characters outside RFC 3986 "unreserved" %-encoded. */
int ts_buf_urlencode(struct ts_buf *b, const char *s, size_t n);
/* Hands the contents over to the caller (free with ts_free_secret). */
char *ts_buf_steal(struct ts_buf *b);
/* Wipes and frees the contents; the buffer can be reused. */
void ts_buf_free(struct ts_buf *b);

/* The one wipe function: memory that held a secret goes through here. */
void ts_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string, frees it and sets *s to NULL. */
void ts_free_secret(char **s);

#endif
