/*
 * target: where a request really goes, read as libcurl reads it, so that
 * what tokenshim matches cannot disagree with what the transport does:
 * the handle's CURLU when the app set one (libcurl then ignores
 * CURLOPT_URL), else its URL, through the host libcurl's own URL parser;
 * the port from CURLOPT_PORT when the app set one.
 */
#ifndef TS_TARGET_H
#define TS_TARGET_H

#include <curl/curl.h>

#include "curl/real.h"
#include "engine/match.h"

/* Fills u with the destination of url, or of cu when not NULL. port: the
   app's CURLOPT_PORT (0: none); as_is: its CURLOPT_PATH_AS_IS. Returns
   0, or -1 when the destination cannot be known (then no token goes). */
int ts_target(const struct ts_curl *c, const char *url, CURLU *cu, long port,
	      int as_is, struct ts_url *u);

#endif
