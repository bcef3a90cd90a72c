/*
 * test_target: where a request goes, read by the host libcurl's URL
 * parser (src/xfer/target.c).
 */
#include <string.h>
#include <CUnit/CUnit.h>

#include "curl/real.h"
#include "xfer/target.h"
#include "../units.h"

static void test_target(void)
{
	const struct ts_curl *c = ts_real();
	struct ts_url u;
	CURLU *cu;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_FATAL(ts_target(c, "HTTP://NB.Corp:8080/a/../b?q#f", NULL, 0, 0,
				  &u) == 0);
	CU_ASSERT_STRING_EQUAL(u.scheme, "http");
	CU_ASSERT_STRING_EQUAL(u.host, "nb.corp");
	CU_ASSERT_EQUAL(u.port, 8080);
	CU_ASSERT_STRING_EQUAL(u.path, "/b");
	ts_url_free(&u);
	/* CURLOPT_PORT wins over the URL's port; a URL without a scheme is http */
	CU_ASSERT(ts_target(c, "nb.corp/x", NULL, 9443, 0, &u) == 0);
	CU_ASSERT(!strcmp(u.scheme, "http") && u.port == 9443);
	ts_url_free(&u);
	CU_ASSERT(ts_target(c, "https://[::1]/%2e%2e/x", NULL, 0, 0, &u) == 0);
	CU_ASSERT(!strcmp(u.host, "::1") && u.port == 443 && !strcmp(u.path, "/x"));
	ts_url_free(&u);
	/* as-is: libcurl keeps the dot segments, and both readings count */
	CU_ASSERT(ts_target(c, "http://h/a/../b", NULL, 0, 1, &u) == 0);
	CU_ASSERT(!strcmp(u.path, "/b") && u.alt && !strcmp(u.alt, "/a/../b"));
	ts_url_free(&u);
	/* a CURLU is read as it is, the URL beside it ignored */
	cu = c->real_curl_url();
	CU_ASSERT_FATAL(cu != NULL);
	CU_ASSERT(c->real_curl_url_set(cu, CURLUPART_URL, "https://other.corp/p",
				       0) == CURLUE_OK);
	CU_ASSERT(ts_target(c, "https://nb.corp/x", cu, 0, 0, &u) == 0);
	CU_ASSERT(!strcmp(u.host, "other.corp") && !strcmp(u.path, "/p"));
	ts_url_free(&u);
	c->real_curl_url_cleanup(cu);
	/* what libcurl cannot parse is no destination */
	CU_ASSERT(ts_target(c, "http://", NULL, 0, 0, &u) == -1);
	CU_ASSERT(ts_target(c, NULL, NULL, 0, 0, &u) == -1);
}

void add_target_suite(void)
{
	CU_pSuite s = unit_suite("target", NULL, NULL);

	unit_test(s, "destinations as libcurl reads them", test_target);
}
