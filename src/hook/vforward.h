/*
 * vforward: passing a variadic curl_easy_setopt call on. The argument's
 * type follows from the option's number range (CURLOPTTYPE_*), which is how
 * libcurl itself reads it; options that injection merges with are noted.
 */
#ifndef TS_VFORWARD_H
#define TS_VFORWARD_H

#include <stdarg.h>
#include <curl/curl.h>

#include "xfer/handle.h"

typedef CURLcode ts_setopt_fn(CURL *, CURLoption, ...);

static inline CURLcode ts_setopt_forward(ts_setopt_fn *fn, CURL *h,
					 CURLoption opt, va_list ap)
{
	CURLcode rc;

	if(opt < CURLOPTTYPE_OBJECTPOINT) {
		long v = va_arg(ap, long);

		rc = fn(h, opt, v);
		if(rc == CURLE_OK && ts_handle_tracks(opt))
			ts_handle_note(h, opt, NULL, v);
		return rc;
	}
	if(opt < CURLOPTTYPE_FUNCTIONPOINT) {
		void *v = va_arg(ap, void *);

		rc = fn(h, opt, v);
		if(rc == CURLE_OK && ts_handle_tracks(opt))
			ts_handle_note(h, opt, v, 0);
		return rc;
	}
	if(opt < CURLOPTTYPE_OFF_T) {
		void (*v)(void) = va_arg(ap, void (*)(void));

		rc = fn(h, opt, v);
		if(rc == CURLE_OK && ts_handle_tracks(opt))
			ts_handle_note(h, opt, (const void *)v, 0);
		return rc;
	}
	if(opt < CURLOPTTYPE_BLOB) {
		curl_off_t v = va_arg(ap, curl_off_t);

		return fn(h, opt, v);
	}
	{
		void *v = va_arg(ap, void *);	/* struct curl_blob * */

		return fn(h, opt, v);
	}
}

#endif
