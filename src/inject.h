/*
 * inject: how a token travels: a header ("token: {token}"), a cookie
 * ("token={token}") or a query parameter ("token={token}"), and the merge
 * of that with what the application itself set. The application's own
 * header list, cookie string and URL are never modified: merges produce
 * new objects that tokenshim owns and frees.
 */
#ifndef TS_INJECT_H
#define TS_INJECT_H

#include <stddef.h>
#include <curl/curl.h>

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

/* Non-zero when a token may go on the wire: no CR, LF or NUL. */
int ts_token_ok(const char *tok, size_t len);

/* The template with the token in place (query values %-encoded). Free with
   ts_free_secret. NULL when out of memory. */
char *ts_inject_value(const struct ts_inject *in, const char *tok, size_t len);

/* Non-zero when the application's own settings already carry the name:
   a header of that name in app_headers, a cookie of that name in
   app_cookie, or a query parameter of that name in url. */
int ts_inject_app_has(const struct ts_inject *in,
		      const struct curl_slist *app_headers,
		      const char *app_cookie, const char *url);

/* A new header list: copies of the app's entries, then "Name: value".
   Free with ts_slist_free (it wipes). NULL when out of memory. */
struct curl_slist *ts_merge_headers(const struct curl_slist *app,
				    const char *name, const char *value);
/* The app's cookie string with "name=value" added. */
char *ts_merge_cookie(const char *app_cookie, const char *name,
		      const char *value);
/* The URL with "name=value" added to its query (before any fragment). */
char *ts_merge_query(const char *url, const char *name, const char *value);

/* Frees a list built by ts_merge_headers, wiping each entry. */
void ts_slist_free(struct curl_slist **l);

#endif
