/*
 * test_handle: what is noted of each easy handle (src/xfer/handle.c):
 * the options injection merges with and restores, copied on dup, cleared
 * on reset, gone on cleanup.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "xfer/handle.h"
#include "../units.h"

static size_t sink(char *b, size_t size, size_t n, void *up)
{
	return size * n;
}

static void test_note(void)
{
	int a, b;	/* stand-ins for CURL handles: only their address counts */
	CURL *h = (CURL *)&a, *d = (CURL *)&b;
	struct curl_slist hdr = { (char *)"X-App: 1", NULL };
	char url[] = "https://nb.corp/x", errbuf[CURL_ERROR_SIZE];
	struct ts_handle *s;

	CU_ASSERT(ts_handle_get(h, 0) == NULL);
	CU_ASSERT(!ts_handle_tracks(CURLOPT_VERBOSE));
	CU_ASSERT(ts_handle_tracks(CURLOPT_URL));
	ts_handle_note(h, CURLOPT_VERBOSE, NULL, 1);
	CU_ASSERT(ts_handle_get(h, 0) == NULL);
	ts_handle_note(h, CURLOPT_URL, url, 0);
	ts_handle_note(h, CURLOPT_HTTPHEADER, &hdr, 0);
	ts_handle_note(h, CURLOPT_COOKIE, "a=1", 0);
	ts_handle_note(h, CURLOPT_ERRORBUFFER, errbuf, 0);
	ts_handle_note(h, CURLOPT_FOLLOWLOCATION, NULL, 1);
	ts_handle_note(h, CURLOPT_WRITEFUNCTION, (const void *)sink, 0);
	ts_handle_note(h, CURLOPT_POST, NULL, 1);
	ts_handle_note(h, CURLOPT_POSTFIELDS, "x=1", 0);
	s = ts_handle_get(h, 0);
	CU_ASSERT_FATAL(s != NULL);
	/* the URL is a copy: the app may reuse its buffer */
	url[8] = 'X';
	CU_ASSERT_STRING_EQUAL(s->url, "https://nb.corp/x");
	CU_ASSERT(s->headers == &hdr);
	CU_ASSERT_STRING_EQUAL(s->cookie, "a=1");
	CU_ASSERT(s->errbuf == errbuf && s->follow == 1 && s->write_fn == sink);
	CU_ASSERT(s->post == 1 && s->has_postfields);
	ts_handle_note(h, CURLOPT_HTTPGET, NULL, 1);
	CU_ASSERT(!s->post && !s->has_postfields);
	/* the app's own credentials, one option at a time */
	ts_handle_note(h, CURLOPT_USERPWD, "u:p", 0);
	ts_handle_note(h, CURLOPT_XOAUTH2_BEARER, "b", 0);
	ts_handle_note(h, CURLOPT_USERPWD, NULL, 0);
	CU_ASSERT(s->app_auth != 0);
	ts_handle_note(h, CURLOPT_XOAUTH2_BEARER, NULL, 0);
	CU_ASSERT(s->app_auth == 0);
	ts_handle_note(h, CURLOPT_USERNAME, "u", 0);

	ts_handle_dup(h, d);
	{
		struct ts_handle *t = ts_handle_get(d, 0);

		CU_ASSERT_FATAL(t != NULL && t != s);
		CU_ASSERT(t->url != s->url && !strcmp(t->url, s->url));
		CU_ASSERT(t->headers == &hdr && t->follow == 1 && t->app_auth);
		CU_ASSERT(t->mlink == NULL);
	}
	ts_handle_reset(h);
	CU_ASSERT(ts_handle_get(h, 0) == s);
	CU_ASSERT(s->url == NULL && s->headers == NULL && s->cookie == NULL &&
		  s->follow == 0 && s->write_fn == NULL && !s->app_auth);
	ts_handle_forget(h);
	CU_ASSERT(ts_handle_get(h, 0) == NULL);
	CU_ASSERT_STRING_EQUAL(ts_handle_get(d, 0)->url, "https://nb.corp/x");
	ts_handle_forget(d);
	CU_ASSERT(ts_handle_get(d, 0) == NULL);
	/* dup of an unknown handle notes nothing */
	ts_handle_dup(h, d);
	CU_ASSERT(ts_handle_get(d, 0) == NULL);
}

void add_handle_suite(void)
{
	CU_pSuite s = unit_suite("handle", NULL, NULL);

	unit_test(s, "noting, dup, reset and cleanup", test_note);
}
