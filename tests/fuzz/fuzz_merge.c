/*
 * fuzz_merge: putting a token beside what the application set: its
 * header list, its Cookie: text and header, and its URL's query. Input
 * lines: the token's name, its value, the app's cookie, the URL, then
 * header lines.
 */
#include "fuzz.h"
#include "xfer/inject.h"

static char *line(char **s)
{
	char *l = *s, *nl = strchr(l, '\n');

	if(nl) {
		*nl = '\0';
		*s = nl + 1;
	}
	else
		*s = l + strlen(l);
	return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *rest, *name, *value, *cookie, *url;
	struct curl_slist nodes[8], *app = NULL, *out;
	char *c;
	int n = 0;

	if(!s)
		return 0;
	rest = s;
	name = line(&rest);
	value = line(&rest);
	cookie = line(&rest);
	url = line(&rest);
	/* the app's list, as it would build it with curl_slist_append */
	while(*rest && n < 8) {
		nodes[n].data = line(&rest);
		nodes[n].next = NULL;
		if(n)
			nodes[n - 1].next = &nodes[n];
		n++;
	}
	app = n ? &nodes[0] : NULL;
	out = ts_header_node(name, value, app);
	if(out && out->next != app)
		abort();
	ts_node_free(&out);
	out = ts_merge_cookie_header(app, name, value);
	ts_slist_free(&out);
	ts_app_cookie_header(app);
	c = ts_merge_cookie(*cookie ? cookie : NULL, name, value);
	free(c);
	c = ts_merge_query(url, name, value);
	free(c);
	free(s);
	return 0;
}
