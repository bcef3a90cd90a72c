/*
 * inject: putting a token on a request, merged with the application's own
 * settings.
 * The header lists built here are allocated by tokenshim, not by
 * curl_slist_append: libcurl only reads a list, and owning the nodes lets
 * us wipe the token when the list dies.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "xfer/inject.h"

static int header_named(const char *line, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(line, name, n) &&
	       (line[n] == ':' || line[n] == ';');
}

/* Finds "name=" as a whole item in a list separated by sep (";" or "&"). */
static int has_item(const char *list, size_t len, const char *name, char sep)
{
	size_t n = strlen(name);
	const char *p = list, *end = list + len;

	while(p < end) {
		const char *next = memchr(p, sep, (size_t)(end - p));
		const char *item_end = next ? next : end;

		while(p < item_end && (*p == ' ' || *p == '\t'))
			p++;
		if((size_t)(item_end - p) >= n && !strncmp(p, name, n) &&
		   (p + n == item_end || p[n] == '='))
			return 1;
		p = next ? next + 1 : end;
	}
	return 0;
}

int ts_inject_app_has(const struct ts_inject *in,
		      const struct curl_slist *app_headers,
		      const char *app_cookie, const char *url)
{
	const struct curl_slist *l;
	const char *q;
	size_t qlen;

	switch(in->kind) {
	case TS_INJECT_HEADER:
		for(l = app_headers; l; l = l->next)
			if(l->data && header_named(l->data, in->name))
				return 1;
		return 0;
	case TS_INJECT_COOKIE:
		/* a "Cookie:" header set by the app counts too */
		for(l = app_headers; l; l = l->next)
			if(l->data && header_named(l->data, "Cookie")) {
				const char *v = strchr(l->data, ':') + 1;

				if(has_item(v, strlen(v), in->name, ';'))
					return 1;
			}
		return app_cookie &&
		       has_item(app_cookie, strlen(app_cookie), in->name, ';');
	case TS_INJECT_QUERY:
		if(!url)
			return 0;
		q = strchr(url, '?');
		if(!q)
			return 0;
		q++;
		qlen = strcspn(q, "#");
		return has_item(q, qlen, in->name, '&');
	}
	return 0;
}

int ts_inject_app_authorizes(const struct ts_inject *in, unsigned app_auth)
{
	return app_auth && in->kind == TS_INJECT_HEADER &&
	       !strcasecmp(in->name, "Authorization");
}

static struct curl_slist *node(const char *text)
{
	struct curl_slist *n = calloc(1, sizeof(*n));

	if(!n)
		return NULL;
	n->data = strdup(text);
	if(!n->data) {
		free(n);
		return NULL;
	}
	return n;
}

struct curl_slist *ts_header_node(const char *name, const char *value,
				  const struct curl_slist *app)
{
	size_t nl = strlen(name), vl = strlen(value);
	struct curl_slist *n = malloc(sizeof(*n));
	char *d = malloc(nl + vl + 3);

	if(!n || !d) {
		free(n);
		free(d);
		return NULL;
	}
	memcpy(d, name, nl);
	d[nl] = ':';
	if(vl) {
		d[nl + 1] = ' ';
		memcpy(d + nl + 2, value, vl + 1);
	}
	else
		d[nl + 1] = '\0';
	n->data = d;
	/* libcurl only reads the list it is given */
	n->next = (struct curl_slist *)app;
	return n;
}

void ts_node_free(struct curl_slist **n)
{
	if(!*n)
		return;
	ts_free_secret(&(*n)->data);
	free(*n);
	*n = NULL;
}

/* The app's "Cookie:" header and its value in *value, or NULL when it
   sets none (or only an empty one). */
static const struct curl_slist *cookie_header(const struct curl_slist *app,
					      const char **value)
{
	for(; app; app = app->next)
		if(app->data && header_named(app->data, "Cookie") &&
		   app->data[6] == ':') {
			const char *v = app->data + 7;

			while(*v == ' ' || *v == '\t')
				v++;
			if(*v) {
				*value = v;
				return app;
			}
		}
	return NULL;
}

int ts_app_cookie_header(const struct curl_slist *app)
{
	const char *v;

	return cookie_header(app, &v) != NULL;
}

struct curl_slist *ts_merge_cookie_header(const struct curl_slist *app,
					  const char *name, const char *value)
{
	struct curl_slist *head = NULL, **tail = &head, *n;
	const char *v = NULL;
	const struct curl_slist *ck = cookie_header(app, &v);

	if(!ck)
		return NULL;
	for(; app; app = app->next) {
		if(!app->data)
			continue;
		if(app == ck) {
			char *merged = ts_merge_cookie(v, name, value);
			struct ts_buf line = {0};

			ts_buf_adds(&line, "Cookie: ");
			ts_buf_adds(&line, merged ? merged : "");
			n = merged && !line.oom ? node(line.p) : NULL;
			ts_free_secret(&merged);
			ts_buf_free(&line);
		}
		else
			n = node(app->data);
		if(!n) {
			ts_slist_free(&head);
			return NULL;
		}
		*tail = n;
		tail = &n->next;
	}
	return head;
}

char *ts_merge_cookie(const char *app_cookie, const char *name,
		      const char *value)
{
	struct ts_buf b = {0};

	if(app_cookie && *app_cookie) {
		size_t n = strlen(app_cookie);

		ts_buf_add(&b, app_cookie, n);
		while(b.len && (b.p[b.len - 1] == ' ' || b.p[b.len - 1] == ';'))
			b.p[--b.len] = '\0';
		ts_buf_adds(&b, "; ");
	}
	ts_buf_printf(&b, "%s=%s", name, value);
	return ts_buf_steal(&b);
}

char *ts_merge_query(const char *url, const char *name, const char *value)
{
	struct ts_buf b = {0};
	size_t base = strcspn(url, "#");
	const char *q = memchr(url, '?', base);

	ts_buf_add(&b, url, base);
	if(!q)
		ts_buf_add(&b, "?", 1);
	else if(url[base - 1] != '?' && url[base - 1] != '&')
		ts_buf_add(&b, "&", 1);
	ts_buf_printf(&b, "%s=%s", name, value);
	ts_buf_adds(&b, url + base);
	return ts_buf_steal(&b);
}

void ts_slist_free(struct curl_slist **l)
{
	struct curl_slist *n = *l, *next;

	for(; n; n = next) {
		next = n->next;
		ts_free_secret(&n->data);
		free(n);
	}
	*l = NULL;
}
