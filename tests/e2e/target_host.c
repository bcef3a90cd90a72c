/*
 * target_host: a request whose destination is not the URL first set.
 * Usage:
 *
 *   target_host curlu URL OTHER   CURLOPT_URL = URL, then CURLOPT_CURLU =
 *                                 OTHER, which libcurl uses instead
 *   target_host port URL PORT     CURLOPT_URL = URL, CURLOPT_PORT = PORT
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

	if(argc != 4 || (strcmp(argv[1], "curlu") && strcmp(argv[1], "port"))) {
		fprintf(stderr, "usage: target_host curlu|port URL OTHER|PORT\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = host_handle(argv[2]);
	if(!strcmp(argv[1], "curlu")) {
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
