/*
 * exec: a token from any program, in any language: for vendors no other
 * provider knows. The command runs without a shell, with TOKENSHIM_PROFILE
 * in its environment, and prints {"token": "...", "expires_at": "RFC 3339"}
 * or {"token": "...", "expires_in": seconds} on stdout. A non-zero exit or
 * unusable output fails the login with the program's stderr as the reason;
 * a command that hangs is killed after the profile's timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvutil.h"
#include "tokenshim_provider.h"

static const struct tokenshim_key keys[] = {
	{"command", NULL, TOKENSHIM_KEY_REQUIRED},
	{NULL, NULL, 0}
};

/* RFC 3339: 2026-11-22T20:15:00Z, with optional fractions and an offset
   instead of Z. Returns 0 for anything else. */
static time_t rfc3339(const char *s)
{
	struct tm tm;
	const char *p;
	time_t t;
	int sign, oh, om;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if(!p)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if(!p)
		return 0;
	if(*p == '.')
		for(p++; isdigit((unsigned char)*p); p++)
			;
	t = timegm(&tm);
	if(*p == 'Z' || *p == 'z')
		return p[1] ? 0 : t;
	if((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 &&
	   strlen(p) == 6) {
		sign = *p == '+' ? 1 : -1;
		return t - sign * (oh * 3600 + om * 60);
	}
	return 0;
}

/* The first line of a program's stderr, for a one-line message. */
static const char *first_line(char *s)
{
	char *nl;

	if(!s)
		return "";
	while(*s == '\n' || *s == ' ')
		s++;
	nl = strchr(s, '\n');
	if(nl)
		*nl = '\0';
	return s;
}

static int ex_acquire(tokenshim_ctx *ctx, const struct tokenshim_services *svc,
		      struct tokenshim_token *out, char *errbuf)
{
	char *o = NULL, *e = NULL, *tok = NULL, *s = NULL;
	char rerr[TOKENSHIM_ERRBUF_SIZE] = "", jerr[TOKENSHIM_ERRBUF_SIZE] = "";
	size_t olen = 0, tlen = 0, n;
	time_t expires_at = 0;
	double in;
	int status = 0, rc;

	if(svc->run(ctx, svc->config(ctx, "command"), &o, &olen, &e, &status,
		    rerr)) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE, "login: %s", rerr);
		return strstr(rerr, "killed") ? TOKENSHIM_ECONNECT :
						TOKENSHIM_ECONFIG;
	}
	if(status != 0) {
		const char *why = first_line(e);

		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: command exited with status %d%s%s", status,
			 *why ? ": " : "", why);
		rc = TOKENSHIM_EDENIED;
		goto out;
	}
	rc = svc->json_string(o, olen, "token", &tok, &tlen, jerr);
	if(rc) {
		const char *why = first_line(e);

		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: command printed %s%s%s",
			 rc == -3 ? (jerr[0] ? jerr : "no JSON") :
			 rc == -2 ? "a token that is not a string" :
				    "JSON without a token",
			 *why ? "; it said: " : "", why);
		rc = TOKENSHIM_EPROTO;
		goto out;
	}
	rc = svc->json_string(o, olen, "expires_at", &s, &n, jerr);
	if(rc == 0) {
		expires_at = rfc3339(s);
		if(!expires_at) {
			snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
				 "login: expires_at '%.64s' is not an RFC 3339 time", s);
			rc = TOKENSHIM_EPROTO;
			goto out;
		}
		/* (svc->set_token caps it at a year) */
	}
	else if(rc != -1) {
		snprintf(errbuf, TOKENSHIM_ERRBUF_SIZE,
			 "login: expires_at is not an RFC 3339 time string");
		rc = TOKENSHIM_EPROTO;
		goto out;
	}
	else if((rc = pv_number(svc, o, olen, "expires_in", "login", &in,
				errbuf)) < 0) {
		rc = TOKENSHIM_EPROTO;
		goto out;
	}
	else if(rc == 0)
		expires_at = pv_expires_in(in);
	rc = svc->set_token(out, tok, tlen, expires_at) ? TOKENSHIM_ENOMEM :
							  TOKENSHIM_OK;
out:
	svc->free(s);
	svc->free(tok);
	svc->free(o);
	svc->free(e);
	return rc;
}

static const struct tokenshim_provider provider = {
	.name = "exec",
	.keys = keys,
	.inject = "header = Authorization: Bearer {token}",
	.lifetime = 3600,
	.acquire = ex_acquire,
};

PV_PROVIDER(provider)
