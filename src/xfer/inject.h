/*
 * inject: a token on a request, as its profile's placement says
 * (engine/placement.h), merged with what the application itself set. The application's own
 * header list, cookie string and URL are never modified: merges produce
 * new objects that tokenshim owns and frees.
 */
#ifndef TS_INJECT_H
#define TS_INJECT_H

#include <stddef.h>
#include <curl/curl.h>

#include "engine/placement.h"

/* Non-zero when the application's own settings already carry the name:
   a header of that name in app_headers, a cookie of that name in
   app_cookie, or a query parameter of that name in url. */
int ts_inject_app_has(const struct ts_inject *in,
		      const struct curl_slist *app_headers,
		      const char *app_cookie, const char *url);

/* Non-zero when the profile's token travels in Authorization and the
   application brings credentials of its own for it (user and password,
   or an OAuth 2.0 bearer token: app_auth), which then win. */
int ts_inject_app_authorizes(const struct ts_inject *in, unsigned app_auth);

/* One list node, "Name: value" ("Name:" for an empty value, which makes
   libcurl send no such header), in front of the app's own list, which it
   borrows: nothing is copied on the way of each request. Free with
   ts_node_free, which leaves the app's list alone. NULL when out of
   memory. */
struct curl_slist *ts_header_node(const char *name, const char *value,
				  const struct curl_slist *app);
/* Frees (and wipes) a node from ts_header_node, and sets *n to NULL. */
void ts_node_free(struct curl_slist **n);
/* The app's cookie string with "name=value" added. */
char *ts_merge_cookie(const char *app_cookie, const char *name,
		      const char *value);
/* Non-zero when the app's header list sets a "Cookie:" header of its
   own, which makes libcurl leave CURLOPT_COOKIE out. */
int ts_app_cookie_header(const struct curl_slist *app);
/* A copy of the app's header list whose Cookie: header has "name=value"
   added. Free with ts_slist_free. NULL when out of memory, or when the
   list sets no Cookie: header. */
struct curl_slist *ts_merge_cookie_header(const struct curl_slist *app,
					  const char *name, const char *value);
/* The URL with "name=value" added to its query (before any fragment). */
char *ts_merge_query(const char *url, const char *name, const char *value);

/* Frees a list built by ts_merge_cookie_header, wiping each entry. */
void ts_slist_free(struct curl_slist **l);

#endif
