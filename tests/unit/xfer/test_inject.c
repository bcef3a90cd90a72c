/*
 * test_inject: merging a token with the app's own settings
 * (src/xfer/inject.c).
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "util/buf.h"
#include "xfer/inject.h"
#include "../units.h"

static struct curl_slist *list(const char *a, const char *b)
{
	static struct curl_slist n2, n1;

	n2.data = (char *)b;
	n2.next = NULL;
	n1.data = (char *)a;
	n1.next = b ? &n2 : NULL;
	return &n1;
}

static void test_app_has(void)
{
	struct ts_inject h, c, q;
	char err[256];

	ts_inject_parse("header", "token: {token}", &h, err, sizeof(err));
	ts_inject_parse("cookie", "token={token}", &c, err, sizeof(err));
	ts_inject_parse("query", "token={token}", &q, err, sizeof(err));
	CU_ASSERT(ts_inject_app_has(&h, list("Accept: x", "TOKEN: mine"), NULL, NULL));
	CU_ASSERT(ts_inject_app_has(&h, list("token:", NULL), NULL, NULL));
	CU_ASSERT(!ts_inject_app_has(&h, list("tokens: x", "X-token: y"), NULL, NULL));
	CU_ASSERT(!ts_inject_app_has(&h, NULL, NULL, NULL));
	CU_ASSERT(ts_inject_app_has(&c, NULL, "a=1; token=x", NULL));
	CU_ASSERT(!ts_inject_app_has(&c, NULL, "a=1; xtoken=x", NULL));
	CU_ASSERT(ts_inject_app_has(&c, list("Cookie: token=1", NULL), NULL, NULL));
	CU_ASSERT(ts_inject_app_has(&q, NULL, NULL, "http://h/p?a=1&token=x"));
	CU_ASSERT(!ts_inject_app_has(&q, NULL, NULL, "http://h/p?a=1&mytoken=x"));
	CU_ASSERT(!ts_inject_app_has(&q, NULL, NULL, "http://h/p#token=x"));
	ts_inject_free(&h);
	ts_inject_free(&c);
	ts_inject_free(&q);
}

static void test_app_authorizes(void)
{
	struct ts_inject a, t, c;
	char err[256];

	ts_inject_parse("header", "authorization: Bearer {token}", &a, err,
			sizeof(err));
	ts_inject_parse("header", "token: {token}", &t, err, sizeof(err));
	ts_inject_parse("cookie", "Authorization={token}", &c, err, sizeof(err));
	/* the app's user and password or bearer win over Authorization */
	CU_ASSERT(ts_inject_app_authorizes(&a, 1));
	CU_ASSERT(ts_inject_app_authorizes(&a, 4));
	CU_ASSERT(!ts_inject_app_authorizes(&a, 0));
	/* a token in another header goes beside them */
	CU_ASSERT(!ts_inject_app_authorizes(&t, 1));
	CU_ASSERT(!ts_inject_app_authorizes(&c, 1));
	ts_inject_free(&a);
	ts_inject_free(&t);
	ts_inject_free(&c);
}

static void test_header_node(void)
{
	struct curl_slist *app = list("Accept: application/json", "X-App: 1");
	struct curl_slist *m = ts_header_node("token", "T", app);

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_STRING_EQUAL(m->data, "token: T");
	/* in front of the app's list, which is borrowed, not copied */
	CU_ASSERT(m->next == app);
	CU_ASSERT(app->next->next == NULL);
	ts_node_free(&m);
	CU_ASSERT(m == NULL);
	CU_ASSERT_STRING_EQUAL(app->data, "Accept: application/json");
	m = ts_header_node("token", "", NULL);
	CU_ASSERT_STRING_EQUAL(m->data, "token:");	/* sends no such header */
	CU_ASSERT(m->next == NULL);
	ts_node_free(&m);
	ts_node_free(&m);	/* NULL is fine */
}

static void test_merge_cookie_header(void)
{
	struct curl_slist *m;

	CU_ASSERT(!ts_app_cookie_header(list("Accept: x", "Cookies: a=1")));
	CU_ASSERT(!ts_app_cookie_header(list("Cookie:", "Cookie;")));
	CU_ASSERT(ts_app_cookie_header(list("Accept: x", "cookie: a=1")));
	CU_ASSERT(ts_merge_cookie_header(list("Accept: x", NULL), "token", "T") ==
		  NULL);
	m = ts_merge_cookie_header(list("Accept: x", "Cookie: a=1;"), "token", "T");
	CU_ASSERT_FATAL(m != NULL && m->next != NULL);
	CU_ASSERT_STRING_EQUAL(m->data, "Accept: x");
	CU_ASSERT_STRING_EQUAL(m->next->data, "Cookie: a=1; token=T");
	CU_ASSERT(m->next->next == NULL);
	ts_slist_free(&m);
}

static void test_merge_cookie_query(void)
{
	char *s;

	s = ts_merge_cookie(NULL, "token", "T");
	CU_ASSERT_STRING_EQUAL(s, "token=T");
	ts_free_secret(&s);
	s = ts_merge_cookie("a=1; ", "token", "T");
	CU_ASSERT_STRING_EQUAL(s, "a=1; token=T");
	ts_free_secret(&s);
	s = ts_merge_query("http://h/p", "token", "T");
	CU_ASSERT_STRING_EQUAL(s, "http://h/p?token=T");
	ts_free_secret(&s);
	s = ts_merge_query("http://h/p?a=1#frag", "token", "T");
	CU_ASSERT_STRING_EQUAL(s, "http://h/p?a=1&token=T#frag");
	ts_free_secret(&s);
	s = ts_merge_query("http://h/p?", "token", "T");
	CU_ASSERT_STRING_EQUAL(s, "http://h/p?token=T");
	ts_free_secret(&s);
}

void add_inject_suite(void)
{
	CU_pSuite s = unit_suite("inject", NULL, NULL);

	unit_test(s, "the app's own header, cookie or parameter", test_app_has);
	unit_test(s, "the app's own credentials", test_app_authorizes);
	unit_test(s, "the token in the app's Cookie: header", test_merge_cookie_header);
	unit_test(s, "merging header lists", test_header_node);
	unit_test(s, "merging cookies and queries", test_merge_cookie_query);
}
