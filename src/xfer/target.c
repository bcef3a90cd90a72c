/*
 * target: request URLs through the host's curl_url_* functions; a
 * libcurl older than 7.62 has none, and then tokenshim's own reader
 * stands in (for URLs only: a CURLU needs the URL API).
 */
#include <stdlib.h>
#include <string.h>

#include "xfer/target.h"

int ts_target(const struct ts_curl *c, const char *url, CURLU *cu, long port,
	      int as_is, struct ts_url *u)
{
	char *scheme = NULL, *host = NULL, *portstr = NULL, *path = NULL;
	CURLU *h = cu;
	int rc = -1;

	if(!c->real_curl_url || !c->real_curl_url_set || !c->real_curl_url_get ||
	   !c->real_curl_url_cleanup || !c->real_curl_free) {
		if(cu || !url || ts_url_parse(url, u))
			return -1;
		if(port > 0 && port < 65536)
			u->port = (int)port;
		return 0;
	}
	if(!h) {
		if(!url || !(h = c->real_curl_url()))
			return -1;
		/* the flags libcurl's transfer parses a URL with */
		if(c->real_curl_url_set(h, CURLUPART_URL, url,
					CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME |
					(as_is ? CURLU_PATH_AS_IS : 0)) != CURLUE_OK)
			goto out;
	}
	if(c->real_curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	   c->real_curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	   c->real_curl_url_get(h, CURLUPART_PORT, &portstr,
				CURLU_DEFAULT_PORT) != CURLUE_OK ||
	   c->real_curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if(!(port > 0 && port < 65536))
		port = strtol(portstr, NULL, 10);
	rc = ts_url_set(u, scheme, host, strlen(host), (int)port, path,
			strlen(path), as_is);
out:
	c->real_curl_free(scheme);
	c->real_curl_free(host);
	c->real_curl_free(portstr);
	c->real_curl_free(path);
	if(h != cu)
		c->real_curl_url_cleanup(h);
	return rc;
}
