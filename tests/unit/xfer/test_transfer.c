/*
 * test_transfer: the per-request path's helpers (src/xfer/transfer.c):
 * reading a response's status line, the end of its headers, and the part
 * of a URL that traces may show. The transfers themselves run end to end
 * (tests/e2e/).
 */
#include <string.h>
#include <CUnit/CUnit.h>

#include "xfer/transfer.h"
#include "../units.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_status(void)
{
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.1 401 Unauthorized\r\n")), 401);
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/2 200 \r\n")), 200);
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.1 100 Continue\r\n")), 100);
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.0   302 Found\r\n")), 302);
	/* not a status line, or too short to be one */
	CU_ASSERT_EQUAL(ts_xfer_status(S("Content-Type: text/html\r\n")), 0);
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.1 20")), 0);
	CU_ASSERT_EQUAL(ts_xfer_status(S("http/1.1 401 x\r\n")), 0);
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.1 abc def\r\n")), 0);
	/* a hostile run of digits stops before it could overflow, and is
	   no 401 */
	CU_ASSERT_EQUAL(ts_xfer_status(S("HTTP/1.1 40199999999999999999999\r\n")),
			4019);
}

static void test_header_end(void)
{
	CU_ASSERT(ts_xfer_header_end(S("\r\n")));
	CU_ASSERT(ts_xfer_header_end(S("\n")));
	CU_ASSERT(!ts_xfer_header_end(S("X: y\r\n")));
	CU_ASSERT(!ts_xfer_header_end(S(" \r\n")));
	CU_ASSERT(!ts_xfer_header_end(S("")));
}

static void test_origin(void)
{
	char out[300];

	ts_xfer_origin("https://svc:hunter2@NB.Corp:8443/api?token=s3cret#f", out,
		       sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "https://nb.corp:8443");
	CU_ASSERT(strstr(out, "hunter2") == NULL && strstr(out, "s3cret") == NULL);
	ts_xfer_origin("http://[::1]/x", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "http://::1:80");
	ts_xfer_origin("nb.corp/x", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "http://nb.corp:80");
	ts_xfer_origin("https:///nohost", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "(unparsable URL)");
}

void add_transfer_suite(void)
{
	CU_pSuite s = unit_suite("transfer", NULL, NULL);

	unit_test(s, "status lines", test_status);
	unit_test(s, "the end of a response's headers", test_header_end);
	unit_test(s, "what a trace shows of a URL", test_origin);
}
