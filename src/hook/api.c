/*
 * api: the C API for hosts that dlopen libtokenshim.so (tokenshim.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hook/hook.h"
#include "hook/tokenshim.h"
#include "util/buf.h"
#include "xfer/transfer.h"

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
	CURLcode rc;
	va_list ap;

	va_start(ap, option);
	rc = ts_hook_setopt(curl, option, ap);
	va_end(ap);
	return rc;
}

EXPORT int tokenshim_token(const char *profile, char *buf, size_t len,
			   char *errbuf)
{
	char err[512], *tok = NULL;
	size_t tlen = 0;
	int rc;

	if(!profile || !buf || !errbuf) {
		if(errbuf)
			snprintf(errbuf, TOKENSHIM_ERROR_SIZE,
				 "tokenshim_token: NULL argument");
		return -1;
	}
	rc = ts_xfer_token(profile, &tok, &tlen, err, sizeof(err));
	if(rc) {
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
