/*
 * buf: growable buffers and the wipe function. Wiping uses libc's
 * explicit_bzero, which the compiler cannot optimise away.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

void ts_wipe(void *p, size_t n)
{
	if(p && n)
		explicit_bzero(p, n);
}

void ts_free_secret(char **s)
{
	if(!s || !*s)
		return;
	ts_wipe(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

/* Grows to hold n more bytes plus a NUL. Old storage is wiped, not just
   freed, because realloc would leave a copy of a secret behind. */
static int grow(struct ts_buf *b, size_t n)
{
	size_t want, cap;
	char *np;

	if(b->oom)
		return -1;
	if(n > ((size_t)-1) / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	want = b->len + n + 1;
	if(want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while(cap < want)
		cap *= 2;
	np = malloc(cap);
	if(!np) {
		b->oom = 1;
		return -1;
	}
	if(b->p) {
		memcpy(np, b->p, b->len + 1);
		ts_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

int ts_buf_add(struct ts_buf *b, const void *data, size_t n)
{
	if(grow(b, n))
		return -1;
	if(n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int ts_buf_adds(struct ts_buf *b, const char *s)
{
	return ts_buf_add(b, s, strlen(s));
}

int ts_buf_printf(struct ts_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if(n < 0 || grow(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int ts_buf_urlencode(struct ts_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		   (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		   c == '~') {
			if(ts_buf_add(b, &s[i], 1))
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if(ts_buf_add(b, esc, 3))
			return -1;
	}
	return 0;
}

char *ts_buf_steal(struct ts_buf *b)
{
	char *p = b->oom ? NULL : b->p;

	if(b->oom)
		ts_buf_free(b);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
	return p;
}

void ts_buf_free(struct ts_buf *b)
{
	if(b->p) {
		ts_wipe(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
