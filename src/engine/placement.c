/*
 * placement: how a profile's token travels: a header ("token: {token}"),
 * a cookie ("token={token}") or a query parameter ("token={token}"), as
 * its config or its provider says. Putting it on a request is the
 * transfer layer's work (xfer/inject.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/placement.h"
#include "util/buf.h"
#include "util/str.h"

const char *ts_inject_kind_name(enum ts_inject_kind k)
{
	return k == TS_INJECT_HEADER ? "header" :
	       k == TS_INJECT_COOKIE ? "cookie" : "query";
}

int ts_inject_parse(const char *kind, const char *value, struct ts_inject *in,
		    char *errbuf, size_t errlen)
{
	char *copy, *sep;
	const char *name, *tmpl;
	int hdr;

	memset(in, 0, sizeof(*in));
	if(!strcmp(kind, "header"))
		in->kind = TS_INJECT_HEADER;
	else if(!strcmp(kind, "cookie"))
		in->kind = TS_INJECT_COOKIE;
	else if(!strcmp(kind, "query"))
		in->kind = TS_INJECT_QUERY;
	else {
		snprintf(errbuf, errlen, "unknown injection '%s'", kind);
		return -1;
	}
	hdr = in->kind == TS_INJECT_HEADER;
	copy = strdup(value);
	if(!copy)
		return -1;
	sep = strchr(copy, hdr ? ':' : '=');
	if(!sep) {
		snprintf(errbuf, errlen, hdr ?
			 "bad header '%s': expected 'Name: template'" :
			 "bad %s '%s': expected 'name={token}'",
			 hdr ? value : kind, value);
		free(copy);
		return -1;
	}
	*sep = '\0';
	name = ts_trim(copy);
	tmpl = ts_trim(sep + 1);
	if(!*name || strpbrk(name, hdr ? " \t\r\n" : " \t\r\n;&=?#")) {
		snprintf(errbuf, errlen, "bad %s name in '%s'", kind, value);
		free(copy);
		return -1;
	}
	if(!strstr(tmpl, "{token}")) {
		snprintf(errbuf, errlen, "%s '%s' has no {token}", kind, value);
		free(copy);
		return -1;
	}
	in->name = strdup(name);
	in->tmpl = strdup(tmpl);
	free(copy);
	if(!in->name || !in->tmpl) {
		ts_inject_free(in);
		return -1;
	}
	return 0;
}

int ts_inject_parse_line(const char *line, struct ts_inject *in,
			 char *errbuf, size_t errlen)
{
	char kind[16];
	const char *eq = strchr(line, '=');
	size_t n;

	if(!eq) {
		snprintf(errbuf, errlen, "bad injection '%s'", line);
		return -1;
	}
	n = (size_t)(eq - line);
	while(n && line[n - 1] == ' ')
		n--;
	if(n >= sizeof(kind)) {
		snprintf(errbuf, errlen, "bad injection '%s'", line);
		return -1;
	}
	memcpy(kind, line, n);
	kind[n] = '\0';
	eq++;
	while(*eq == ' ')
		eq++;
	return ts_inject_parse(kind, eq, in, errbuf, errlen);
}

void ts_inject_free(struct ts_inject *in)
{
	free(in->name);
	free(in->tmpl);
	in->name = in->tmpl = NULL;
}

char *ts_inject_value(const struct ts_inject *in, const char *tok, size_t len)
{
	struct ts_buf b = {0};
	const char *t = in->tmpl, *mark;

	while((mark = strstr(t, "{token}"))) {
		ts_buf_add(&b, t, (size_t)(mark - t));
		if(in->kind == TS_INJECT_QUERY)
			ts_buf_urlencode(&b, tok, len);
		else
			ts_buf_add(&b, tok, len);
		t = mark + 7;
	}
	ts_buf_adds(&b, t);
	return ts_buf_steal(&b);
}

