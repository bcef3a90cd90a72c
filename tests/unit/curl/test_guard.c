/*
 * test_guard: the re-entry state (src/curl/guard.c): set for the length
 * of tokenshim's own performs, so that the hooks pass what libcurl does
 * then straight on, and nested calls unwind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "curl/guard.h"
#include "../units.h"

static int seen_own, seen_pass;

static size_t probe(char *b, size_t size, size_t n, void *up)
{
	seen_own = ts_guard_own();
	seen_pass = ts_guard_passthrough();
	return size * n;
}

static void test_perform(void)
{
	const struct ts_curl *c = ts_real();
	char path[] = "/tmp/ts-unit-guard.XXXXXX", url[64];
	int fd = mkstemp(path);
	CURL *h;

	CU_ASSERT_FATAL(c != NULL && fd >= 0);
	CU_ASSERT_FATAL(write(fd, "body\n", 5) == 5);
	close(fd);
	snprintf(url, sizeof(url), "file://%s", path);
	h = c->real_curl_easy_init();
	CU_ASSERT_FATAL(h != NULL);
	/* a transfer that needs no network: its callback runs inside */
	c->real_curl_easy_setopt(h, CURLOPT_URL, url);
	c->real_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, probe);
	CU_ASSERT(!ts_guard_own() && !ts_guard_passthrough());
	CU_ASSERT_EQUAL(ts_guard_perform(c, h), CURLE_OK);
	CU_ASSERT(seen_own && seen_pass);
	CU_ASSERT(!ts_guard_own() && !ts_guard_passthrough());
	c->real_curl_easy_cleanup(h);
	unlink(path);
}

static void test_adds(void)
{
	int a, b;
	CURL *h = (CURL *)&a, *other = (CURL *)&b, *was;

	CU_ASSERT(!ts_guard_own_add(h));
	was = ts_guard_easy(h);
	/* the easy perform's own handle is libcurl's add; another is the
	   app's, even from inside a callback */
	CU_ASSERT(ts_guard_own_add(h));
	CU_ASSERT(!ts_guard_own_add(other));
	CU_ASSERT(ts_guard_passthrough());
	ts_guard_end(was);
	CU_ASSERT(!ts_guard_own_add(h) && !ts_guard_passthrough());
	ts_guard_enter();
	CU_ASSERT(ts_guard_passthrough() && !ts_guard_own_add(h));
	ts_guard_leave();
}

void add_guard_suite(void)
{
	CU_pSuite s = unit_suite("guard", NULL, NULL);

	unit_test(s, "tokenshim's own performs", test_perform);
	unit_test(s, "whose multi add it is", test_adds);
}
