/*
 * placement: how a token travels, as a profile says: a header, a cookie
 * or a query parameter, each with a template containing "{token}".
 */
#ifndef TS_PLACEMENT_H
#define TS_PLACEMENT_H

#include <stddef.h>

enum ts_inject_kind { TS_INJECT_HEADER, TS_INJECT_COOKIE, TS_INJECT_QUERY };

struct ts_inject {
	enum ts_inject_kind kind;
	char *name;	/* header, cookie or parameter name */
	char *tmpl;	/* value template containing "{token}" */
};

/* Parses "header" / "cookie" / "query" with its value ("Name: template"
   or "name=template"). Returns 0, or -1 with the reason in errbuf. */
int ts_inject_parse(const char *kind, const char *value, struct ts_inject *in,
		    char *errbuf, size_t errlen);
/* Parses a provider default such as "header = token: {token}". */
int ts_inject_parse_line(const char *line, struct ts_inject *in,
			 char *errbuf, size_t errlen);
void ts_inject_free(struct ts_inject *in);
/* "header token: {token}" style description, for messages. */
const char *ts_inject_kind_name(enum ts_inject_kind k);

/* The template with the token in place (query values %-encoded). Free with
   ts_free_secret. NULL when out of memory. */
char *ts_inject_value(const struct ts_inject *in, const char *tok, size_t len);

#endif
