/*
 * target_host: a request whose destination is not the URL first set.
 * Usage:
 *
 *   target_host curlu URL OTHER   CURLOPT_URL = URL, then CURLOPT_CURLU =
 *                                 OTHER, which libcurl uses instead
 *   target_host port URL PORT     CURLOPT_URL = URL, CURLOPT_PORT = PORT
 *   target_host unified URL PROXY through the HTTP proxy, with the app's
 *                                 header "X-App: 1" and
 *                                 CURLOPT_HEADEROPT = CURLHEADER_UNIFIED
 *                                 (TLS not verified: a test origin)
 *   target_host doh URL DOHURL    six fresh handles, one after another,
 *                                 each resolving URL's host through
 *                                 DNS-over-HTTPS at DOHURL
 *
 * Prints the HTTP status, or "error: ..."; exits 0 on a 200.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "host.h"

int main(int argc, char **argv)
{
	CURL *h;
	CURLU *u = NULL;
	CURLcode rc;
	long code = 0;

	if(argc != 4 || (strcmp(argv[1], "curlu") && strcmp(argv[1], "port") &&
			 strcmp(argv[1], "doh") && strcmp(argv[1], "unified"))) {
		fprintf(stderr, "usage: target_host curlu|port|doh|unified URL ARG\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if(!strcmp(argv[1], "doh")) {
		/* libcurl makes (and frees) handles of its own for each lookup;
		   the app's handles stay alive, so a fresh one comes at the
		   address of one of libcurl's */
		CURL *keep[6];
		int i, bad = 0;

		for(i = 0; i < 6; i++) {
			char url[1024];

			snprintf(url, sizeof(url), "%s%d", argv[2], i);
			h = host_handle(url);
			curl_easy_setopt(h, CURLOPT_DOH_URL, argv[3]);
			/* the test DoH server's certificate is its own */
			curl_easy_setopt(h, CURLOPT_DOH_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(h, CURLOPT_DOH_SSL_VERIFYHOST, 0L);
			rc = curl_easy_perform(h);
			code = 0;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			printf("%ld\n", rc == CURLE_OK ? code : -1L);
			bad += rc != CURLE_OK || code != 200;
			keep[i] = h;
		}
		for(i = 0; i < 6; i++)
			curl_easy_cleanup(keep[i]);
		curl_global_cleanup();
		return bad ? 1 : 0;
	}
	h = host_handle(argv[2]);
	if(!strcmp(argv[1], "unified")) {
		static struct curl_slist one = { (char *)"X-App: 1", NULL };

		curl_easy_setopt(h, CURLOPT_PROXY, argv[3]);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, &one);
		curl_easy_setopt(h, CURLOPT_HEADEROPT, (long)CURLHEADER_UNIFIED);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	else if(!strcmp(argv[1], "curlu")) {
		u = curl_url();
		if(!u || curl_url_set(u, CURLUPART_URL, argv[3], 0) != CURLUE_OK)
			return 2;
		curl_easy_setopt(h, CURLOPT_CURLU, u);
	}
	else
		curl_easy_setopt(h, CURLOPT_PORT, atol(argv[3]));
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if(rc != CURLE_OK)
		printf("error: %s\n", curl_easy_strerror(rc));
	else
		printf("%ld\n", code);
	curl_easy_cleanup(h);
	curl_url_cleanup(u);
	curl_global_cleanup();
	return rc == CURLE_OK && code == 200 ? 0 : 1;
}
