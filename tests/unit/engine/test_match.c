/*
 * test_match: URL patterns and request URLs (src/engine/match.c).
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "engine/match.h"
#include "../units.h"

static int matches(const char *pattern, const char *url)
{
	struct ts_pattern p;
	struct ts_url u;
	char err[256];
	int m;

	CU_ASSERT_FATAL(ts_pattern_parse(pattern, &p, err, sizeof(err)) == 0);
	if(ts_url_parse(url, &u)) {
		ts_pattern_free(&p);
		return -1;
	}
	m = ts_pattern_match(&p, &u);
	ts_pattern_free(&p);
	ts_url_free(&u);
	return m;
}

static void test_path_glob(void)
{
	CU_ASSERT(matches("https://nb.corp/ServicesAPI/*",
			  "https://nb.corp/ServicesAPI/API/V1/CMDB/Devices") == 1);
	/* "*" crosses "/" */
	CU_ASSERT(matches("https://nb.corp/a/*/z", "https://nb.corp/a/b/c/z") == 1);
	CU_ASSERT(matches("https://nb.corp/a/*/z", "https://nb.corp/a/b/c/y") == 0);
	CU_ASSERT(matches("https://nb.corp/ServicesAPI/*",
			  "https://nb.corp/Other/x") == 0);
	/* the query is not part of the path */
	CU_ASSERT(matches("https://nb.corp/x", "https://nb.corp/x?token=1") == 1);
	CU_ASSERT(matches("https://nb.corp/x", "https://nb.corp/x#frag") == 1);
	/* no path in the pattern means every path */
	CU_ASSERT(matches("https://nb.corp", "https://nb.corp/anything/at/all") == 1);
	/* an exact "/" means the root only */
	CU_ASSERT(matches("https://nb.corp/", "https://nb.corp/") == 1);
	CU_ASSERT(matches("https://nb.corp/", "https://nb.corp/x") == 0);
	CU_ASSERT(matches("https://nb.corp/", "https://nb.corp") == 1);
}

static void test_host_and_port(void)
{
	CU_ASSERT(matches("https://nb.corp/*", "https://NB.Corp/x") == 1);
	CU_ASSERT(matches("https://nb.corp/*", "https://nb.corp:443/x") == 1);
	CU_ASSERT(matches("https://nb.corp/*", "https://nb.corp:8443/x") == 0);
	CU_ASSERT(matches("http://nb.corp/*", "https://nb.corp/x") == 0);
	CU_ASSERT(matches("https://nb.corp:8443/*", "https://nb.corp:8443/x") == 1);
	CU_ASSERT(matches("http://nb.corp/*", "nb.corp/x") == 1);	/* curl's guess */
	CU_ASSERT(matches("https://nb.corp/*", "https://user:pw@nb.corp/x") == 1);
	CU_ASSERT(matches("http://[::1]:8080/*", "http://[::1]:8080/x") == 1);
	CU_ASSERT(matches("https://nb.corp/*", "https://nb.corp.evil.com/x") == 0);
	CU_ASSERT(matches("https://nb.corp/*", "https://evil.com/?x=https://nb.corp/") == 0);
}

static void test_subdomains(void)
{
	CU_ASSERT(matches("https://*.corp.com/*", "https://a.corp.com/x") == 1);
	CU_ASSERT(matches("https://*.corp.com/*", "https://a.b.corp.com/x") == 1);
	CU_ASSERT(matches("https://*.corp.com/*", "https://corp.com/x") == 0);
	CU_ASSERT(matches("https://*.corp.com/*", "https://evilcorp.com/x") == 0);
}

static void test_bad_patterns(void)
{
	static const char *const bad[] = {
		"nb.corp/x", "://nb.corp/", "https://", "https://nb.*.corp/",
		"https://nb.corp:99999/", "https://nb.corp:12a/",
		"gopher://nb.corp/", "https://nb.corp/x?y=1", "https://*./x",
		"https://user@nb.corp/", NULL
	};
	const char *const *b;

	for(b = bad; *b; b++) {
		struct ts_pattern p;
		char err[256] = "";

		CU_ASSERT(ts_pattern_parse(*b, &p, err, sizeof(err)) == -1);
		CU_ASSERT(strstr(err, "bad match pattern") != NULL);
	}
}

static void test_weight(void)
{
	struct ts_pattern a, b, c;
	char err[256];

	ts_pattern_parse("https://nb.corp/*", &a, err, sizeof(err));
	ts_pattern_parse("https://nb.corp/ServicesAPI/*", &b, err, sizeof(err));
	ts_pattern_parse("https://*.nb.corp/*", &c, err, sizeof(err));
	CU_ASSERT(b.weight > a.weight);
	CU_ASSERT(c.port == 443 && c.subdomains && !strcmp(c.host, "nb.corp"));
	ts_pattern_free(&a);
	ts_pattern_free(&b);
	ts_pattern_free(&c);
}

static void test_url_parse(void)
{
	struct ts_url u;

	CU_ASSERT(ts_url_parse("HTTPS://Host.Example:8443/p/a?q#f", &u) == 0);
	CU_ASSERT_STRING_EQUAL(u.scheme, "https");
	CU_ASSERT_STRING_EQUAL(u.host, "host.example");
	CU_ASSERT_EQUAL(u.port, 8443);
	CU_ASSERT_STRING_EQUAL(u.path, "/p/a");
	ts_url_free(&u);
	CU_ASSERT(ts_url_parse("https:///nohost", &u) == -1);
	CU_ASSERT(ts_url_parse("", &u) == -1);
}

static const char *path_of(const char *url)
{
	static char out[256];
	struct ts_url u;

	if(ts_url_parse(url, &u))
		return "(error)";
	snprintf(out, sizeof(out), "%s", u.path);
	ts_url_free(&u);
	return out;
}

static void test_path_as_sent(void)
{
	struct ts_pattern p;
	struct ts_url u;
	char err[256];

	CU_ASSERT_STRING_EQUAL(path_of("http://h/ServicesAPI/API/../../portal/i/x"),
			       "/portal/i/x");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/a/./b/"), "/a/b/");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/a/b/.."), "/a/");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/.."), "/");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/../../x"), "/x");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/a/.b/..c"), "/a/.b/..c");
	/* escapes of dots and slashes are read as what they spell */
	CU_ASSERT_STRING_EQUAL(path_of("http://h/API/%2e%2E/%2e%2e/public/x"),
			       "/public/x");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/API%2f..%2Fpublic"), "/public");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/a%2Eb"), "/a.b");
	CU_ASSERT_STRING_EQUAL(path_of("http://h/a%41"), "/a%41");

	CU_ASSERT_FATAL(ts_pattern_parse("http://h/ServicesAPI/*", &p, err,
					 sizeof(err)) == 0);
	/* sent as-is, both readings must fall under the pattern */
	CU_ASSERT(ts_url_set(&u, "http", "h", 1, 0, "/ServicesAPI/x", 14, 1) == 0);
	CU_ASSERT(u.alt == NULL && ts_pattern_match(&p, &u));
	ts_url_free(&u);
	CU_ASSERT(ts_url_set(&u, "http", "h", 1, 0, "/public/../ServicesAPI/x", 24,
			     1) == 0);
	CU_ASSERT(u.alt != NULL && !ts_pattern_match(&p, &u));
	ts_url_free(&u);
	CU_ASSERT(ts_url_set(&u, "http", "h", 1, 0, "/public/../ServicesAPI/x", 24,
			     0) == 0);
	CU_ASSERT(ts_pattern_match(&p, &u));
	ts_url_free(&u);
	CU_ASSERT(ts_url_set(&u, "HTTP", "[::1]", 5, 0, "", 0, 0) == 0);
	CU_ASSERT(!strcmp(u.host, "::1") && !strcmp(u.path, "/") && u.port == 80 &&
		  !strcmp(u.scheme, "http"));
	ts_url_free(&u);
	ts_pattern_free(&p);
}

void add_match_suite(void)
{
	CU_pSuite s = unit_suite("match", NULL, NULL);

	unit_test(s, "path globs", test_path_glob);
	unit_test(s, "host and port", test_host_and_port);
	unit_test(s, "subdomain wildcard", test_subdomains);
	unit_test(s, "bad patterns", test_bad_patterns);
	unit_test(s, "specificity", test_weight);
	unit_test(s, "url parsing", test_url_parse);
	unit_test(s, "paths as the server reads them", test_path_as_sent);
}
