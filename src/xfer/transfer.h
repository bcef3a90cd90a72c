/*
 * The xfer layer: one request of the application's. It matches the
 * request to a profile, asks the engine for the token, puts it on the
 * handle (inject.c), replays a refused attempt once, and puts the app's
 * own settings back (handle.c keeps what the app set; multi.c spreads the
 * same steps over the multi interface).
 *
 * transfer: one request through tokenshim. Match the URL against the
 * profiles, get a token, inject it into copies of the app's settings,
 * perform, then put the app's own settings back.
 */
#ifndef TS_TRANSFER_H
#define TS_TRANSFER_H

#include <stddef.h>
#include <curl/curl.h>

/* Performs h as curl_easy_perform would, with a token when its URL belongs
   to a profile. */
CURLcode ts_transfer(CURL *h);

/* Called by the setopt hook: the process's libcurl calls reach tokenshim,
   so every option of every handle is seen. A host that dlopen'ed us sees
   only what it passes through tokenshim_easy_setopt, and its own write,
   header and pre-request callbacks must then be left alone. */
void ts_transfer_hooked(void);

/* ---- helpers of the per-request path -------------------------------- */

/* The status code of a response's first line ("HTTP/1.1 401 ..."), or 0
   when b is no status line. */
long ts_xfer_status(const char *b, size_t len);
/* Non-zero when a header line is the blank one that ends a response's
   headers. */
int ts_xfer_header_end(const char *b, size_t len);
/* "scheme://host:port" of url, for traces: a URL may carry secrets in
   its user info, path or query, so it is never printed whole. */
void ts_xfer_origin(const char *url, char *out, size_t len);

/* ---- the multi interface (multi.c) ----------------------------------- */
struct ts_xfer;

/* Prepares h when it is added to a multi handle: match, token, injection.
   NULL when h goes out exactly as the app set it. When no token could be
   had, h is set up to fail at once and ts_xfer_end reports why. */
struct ts_xfer *ts_xfer_start(CURL *h);
/* *replays goes up by one whenever an attempt ends refused (HTTP 401)
   and should be sent again. */
void ts_xfer_count_replays(struct ts_xfer *x, int *replays);
/* Non-zero when the attempt that just ended was refused and hidden from
   the app; ts_xfer_again then prepares the one replay. */
int ts_xfer_refused(const struct ts_xfer *x);
CURLcode ts_xfer_again(struct ts_xfer *x);
/* curl_easy_duphandle(from) returned copy: a copy made while a transfer
   of ours is on from (an easy one, from inside a callback, or one in a
   multi handle), or of a handle that carries our callbacks, gets the
   app's own settings, exactly as without tokenshim, and nothing of
   ours. */
void ts_xfer_dup(CURL *from, CURL *copy);
/* After the app set opt on h (and it was noted): where h carries our
   callbacks and opt is one of them or their data, ours goes back. */
void ts_xfer_setopt_done(CURL *h, CURLoption opt);
/* The transfer is over: puts the app's settings back, frees x and returns
   the result the app must see. */
CURLcode ts_xfer_end(struct ts_xfer *x, CURLcode result);

/* A fresh token for the named profile, for the C API: 0 with *tok (free
   with ts_free_secret), else non-zero with a one-line reason in err. */
int ts_xfer_token(const char *profile, char **tok, size_t *len, char *err,
		  size_t errlen);

#endif
