/*
 * fuzz_match: URL splitting (dot segments, %2e and %2f, IPv6, ports) and
 * pattern parsing and matching. The input's first line is a pattern, the
 * rest a URL.
 */
#include "fuzz.h"
#include "engine/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *pat_text, *url, err[256];
	struct ts_pattern pat;
	struct ts_url u;
	int have_pat, m;

	if(!s)
		return 0;
	fuzz_split(s, 1, &pat_text, &url);
	have_pat = ts_pattern_parse(pat_text, &pat, err, sizeof(err)) == 0;
	if(ts_url_parse(url, &u) == 0) {
		if(have_pat) {
			m = ts_pattern_match(&pat, &u);
			(void)m;
		}
		ts_url_free(&u);
	}
	/* the same parts as libcurl's own parser would hand them over */
	if(ts_url_set(&u, "https", url, strcspn(url, "/"), 0,
		      url + strcspn(url, "/"), strlen(url + strcspn(url, "/")),
		      size & 1) == 0) {
		if(have_pat)
			ts_pattern_match(&pat, &u);
		ts_url_free(&u);
	}
	if(have_pat)
		ts_pattern_free(&pat);
	free(s);
	return 0;
}
