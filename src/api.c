/*
 * api: the C API for hosts that dlopen libtokenshim.so (tokenshim.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "real.h"
#include "tokenshim.h"
#include "tokenshim_provider.h"
#include "transfer.h"
#include "vforward.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT int tokenshim_api_version(void)
{
	return TOKENSHIM_API_VERSION;
}

EXPORT CURLcode tokenshim_easy_perform(CURL *curl)
{
	return ts_transfer(curl);
}

EXPORT CURLcode tokenshim_easy_setopt(CURL *curl, CURLoption option, ...)
{
	const struct ts_curl *c = ts_real();
	CURLcode rc;
	va_list ap;

	if(!c)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	rc = ts_setopt_forward(c->curl_easy_setopt, curl, option, ap);
	va_end(ap);
	return rc;
}

EXPORT int tokenshim_token(const char *profile, char *buf, size_t len,
			   char *errbuf)
{
	struct ts_engine *e = ts_engine();
	struct ts_profile *p;
	char err[512], *tok = NULL;
	size_t tlen = 0;
	int rc;

	if(!profile || !buf || !errbuf) {
		if(errbuf)
			snprintf(errbuf, TOKENSHIM_ERROR_SIZE,
				 "tokenshim_token: NULL argument");
		return -1;
	}
	p = ts_config_profile(&e->cfg, profile);
	if(!p) {
		snprintf(errbuf, TOKENSHIM_ERROR_SIZE, "no profile named '%s'",
			 profile);
		return -1;
	}
	rc = ts_engine_token(p, NULL, 0, &tok, &tlen, err, sizeof(err));
	if(rc != TOKENSHIM_OK) {
		snprintf(errbuf, TOKENSHIM_ERROR_SIZE, "%s", err);
		return rc;
	}
	if(tlen + 1 > len) {
		snprintf(errbuf, TOKENSHIM_ERROR_SIZE,
			 "profile %s: the token has %zu bytes; the buffer holds %zu",
			 profile, tlen, len);
		ts_free_secret(&tok);
		return -1;
	}
	memcpy(buf, tok, tlen + 1);
	ts_free_secret(&tok);
	return 0;
}
