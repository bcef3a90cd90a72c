/*
 * handle: what tokenshim remembers about each easy handle. libcurl cannot
 * be asked for an option's value, so the hooks note the few options that
 * injection must merge with and restore: the URL, the header list, the
 * cookie string and the error buffer. State is created on first sight of a
 * handle (git makes its handles with curl_easy_duphandle) and freed by
 * curl_easy_cleanup.
 */
#ifndef TS_HANDLE_H
#define TS_HANDLE_H

#include <curl/curl.h>

#include "util/ptrmap.h"

struct ts_profile;
struct ts_pattern;

struct ts_handle {
	struct ts_pnode node;		/* keyed by the CURL pointer */
	char *url;			/* CURLOPT_URL, copied */
	struct curl_slist *headers;	/* CURLOPT_HTTPHEADER, the app's */
	char *cookie;			/* CURLOPT_COOKIE, copied */
	char *errbuf;			/* CURLOPT_ERRORBUFFER, the app's */
	char *referer;			/* CURLOPT_REFERER, copied */
	long autoreferer;		/* CURLOPT_AUTOREFERER */
	long follow;			/* CURLOPT_FOLLOWLOCATION */
	curl_prereq_callback prereq;	/* CURLOPT_PREREQFUNCTION */
	void *prereq_data;		/* CURLOPT_PREREQDATA */
	/* what a replay must chain to, or rewind */
	curl_write_callback write_fn;	/* CURLOPT_WRITEFUNCTION */
	void *write_data;		/* CURLOPT_WRITEDATA */
	int write_data_set;
	curl_write_callback header_fn;	/* CURLOPT_HEADERFUNCTION */
	void *header_data;		/* CURLOPT_HEADERDATA */
	curl_read_callback read_fn;	/* CURLOPT_READFUNCTION */
	void *read_data;		/* CURLOPT_READDATA */
	int read_data_set;
	curl_seek_callback seek_fn;	/* CURLOPT_SEEKFUNCTION */
	void *seek_data;		/* CURLOPT_SEEKDATA */
	long upload;			/* CURLOPT_UPLOAD */
	long post;			/* CURLOPT_POST */
	int has_postfields;		/* POSTFIELDS, COPYPOSTFIELDS, MIMEPOST */
	unsigned app_auth;		/* USERPWD, USERNAME, XOAUTH2_BEARER set */
	CURLU *curlu;			/* CURLOPT_CURLU, the app's */
	long port;			/* CURLOPT_PORT */
	int path_as_is;			/* CURLOPT_PATH_AS_IS */
	/* the app's way out, which logins take too */
	char *proxy;			/* CURLOPT_PROXY, copied */
	long proxytype;			/* CURLOPT_PROXYTYPE; -1: unset */
	char *proxyuserpwd;		/* CURLOPT_PROXYUSERPWD, copied (wiped) */
	char *noproxy;			/* CURLOPT_NOPROXY, copied */
	char *proxy_cainfo;		/* CURLOPT_PROXY_CAINFO, copied */
	long headeropt;			/* CURLOPT_HEADEROPT; -1: unset */
	struct curl_slist *proxyheaders;	/* CURLOPT_PROXYHEADER, the app's */
	int born;			/* the defaults above are set */
	struct ts_mlink *mlink;		/* its transfer in a multi handle */
	struct ts_multi *held;		/* the multi holding its message */
	struct ts_xfer *xfer;		/* our transfer under way on it */
	/* the profile url matched (NULL: none), kept until the URL, the
	   CURLU, the port or PATH_AS_IS change: a handle reused for the
	   same URL is not parsed and matched again on every perform */
	int match_known;
	struct ts_profile *match_p;
	const struct ts_pattern *match_pat;
	/* xfer/transfer.c's write, header and pre-request callbacks are
	   on the handle, with this record as their data (prereq_on: the
	   pre-request one took) */
	int wrapped_on;
	int prereq_on;
};

/* The state of h, created when create is set. NULL when unknown (or out of
   memory). A handle is used by one thread at a time, so the returned state
   needs no lock of its own. */
struct ts_handle *ts_handle_get(CURL *h, int create);
/* Notes an option the app set successfully; other options are ignored.
   value is the pointer argument, or for long options the long itself
   through lvalue. */
void ts_handle_note(CURL *h, CURLoption opt, const void *value, long lvalue);
/* Forgets everything about h (curl_easy_cleanup). */
void ts_handle_forget(CURL *h);
/* Forgets the options of h (curl_easy_reset). */
void ts_handle_reset(CURL *h);
/* Copies from's notes to to (curl_easy_duphandle). */
void ts_handle_dup(CURL *from, CURL *to);
/* Non-zero when the option is one ts_handle_note keeps. */
int ts_handle_tracks(CURLoption opt);

/* Puts the app's own write, header and pre-request callbacks (and their
   data), as hs noted them, on h: a duplicate of hs's handle, which
   libcurl gave a copy of our wrappers. libcurl's defaults where the app
   set none. */
struct ts_curl;
void ts_handle_unwrap(const struct ts_curl *c, CURL *h, struct ts_handle *hs);

#endif
