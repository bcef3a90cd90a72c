/*
 * str: the small text and clock helpers every layer, and the provider
 * modules' common code, would otherwise write again. Header-only, so that
 * plugin/common can share them without linking the library.
 */
#ifndef TS_STR_H
#define TS_STR_H

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How a secret key X may also be given: X_env, X_file, X_cmd (in this
   order after the literal X). NULL-ended. */
#define TS_SECRET_SUFFIXES { "_env", "_file", "_cmd", NULL }

/* Strips blanks (and a CR, from files written on Windows) at both ends,
   in place. Returns the first kept character. */
static inline char *ts_trim(char *s)
{
	char *e;

	while(*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while(e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "true"/"yes"/"1"/"on": 1; "false"/"no"/"0"/"off": 0; anything else,
   NULL included: -1. */
static inline int ts_parse_bool(const char *v)
{
	if(!v)
		return -1;
	if(!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") ||
	   !strcmp(v, "on"))
		return 1;
	if(!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ||
	   !strcmp(v, "off"))
		return 0;
	return -1;
}

/* Milliseconds on the monotonic clock, for timeouts. */
static inline long ts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* url as it may be shown: scheme://host[:port]/path, without user info,
   query or fragment, which may hold a password or a token. Text that is
   no URL at all is shown as "(not a URL)". Returns out. Inline, since
   provider modules show URLs too and link none of the library. */
static inline const char *ts_safe_url(const char *url, char *out, size_t len)
{
	const char *sch = url ? strstr(url, "://") : NULL, *auth, *end, *at;
	size_t plen;

	if(!sch || sch == url || strcspn(url, ":/?#@") != (size_t)(sch - url)) {
		snprintf(out, len, "(not a URL)");
		return out;
	}
	auth = sch + 3;
	end = auth + strcspn(auth, "/?#");
	for(at = auth; (at = memchr(at, '@', (size_t)(end - at))); auth = ++at)
		;
	plen = *end == '/' ? strcspn(end, "?#") : 0;
	snprintf(out, len, "%.*s%.*s%.*s", (int)(sch + 3 - url), url,
		 (int)(end - auth), auth, (int)plen, end);
	return out;
}

#endif
