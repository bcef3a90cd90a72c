/*
 * json: jsmn-based lookup and JSON string encoding.
 *
 * jsmn never copies: tokens are offsets into the caller's text. Values are
 * skipped by counting the tokens their subtree consumed, never by size + 1,
 * so nested objects and arrays inside an answer cannot derail a lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
/* With parent links, closing a container climbs the open ones rather than
   scanning back over every token so far. */
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "util/json.h"

/* Deeper than any vendor answer; bounds the work a hostile one makes. */
#define JSON_MAX_DEPTH 64
/* Numbers beyond a signed 64-bit integer are refused before anyone can
   convert them: nothing a vendor sends us is meant to be larger. */
#define JSON_NUM_MAX 9223372036854775808.0	/* 2^63, itself refused */

/* Non-zero when brackets nest more than JSON_MAX_DEPTH deep, read before
   jsmn sees the text: closing a container costs jsmn a walk over the
   ones still open (with or without parent links), so a hostile answer of
   nested arrays would make its parse quadratic. One pass, strings
   skipped. */
static int too_deep(const char *js, size_t len)
{
	size_t i;
	int depth = 0, in_str = 0;

	for(i = 0; i < len; i++) {
		char c = js[i];

		if(in_str) {
			if(c == '\\')
				i++;
			else if(c == '"')
				in_str = 0;
		}
		else if(c == '"')
			in_str = 1;
		else if(c == '[' || c == '{') {
			if(++depth > JSON_MAX_DEPTH)
				return 1;
		}
		else if((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return 0;
}

int ts_json_parse(struct ts_json *j, const char *js, size_t len,
		  char *errbuf, size_t errlen)
{
	jsmn_parser p;
	jsmntok_t *tok;
	int n;
	size_t i;

	memset(j, 0, sizeof(*j));
	for(i = 0; i < len && (js[i] == ' ' || js[i] == '\t' || js[i] == '\r' ||
			       js[i] == '\n'); i++)
		;
	if(i == len) {
		snprintf(errbuf, errlen, "empty body");
		return -1;
	}
	if(too_deep(js, len)) {
		snprintf(errbuf, errlen, "JSON nested deeper than %d levels",
			 JSON_MAX_DEPTH);
		return -1;
	}
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, NULL, 0);
	if(n == JSMN_ERROR_PART) {
		snprintf(errbuf, errlen, "truncated JSON");
		return -1;
	}
	if(n < 1) {
		snprintf(errbuf, errlen, "invalid JSON");
		return -1;
	}
	tok = calloc((size_t)n, sizeof(*tok));
	if(!tok) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	jsmn_init(&p);
	i = (size_t)n;
	n = jsmn_parse(&p, js, len, tok, (unsigned)i);
	if(n != (int)i) {
		/* only a parse with tokens can see an object left open */
		free(tok);
		snprintf(errbuf, errlen, n == JSMN_ERROR_PART ? "truncated JSON" :
			 "invalid JSON");
		return -1;
	}
	if(tok[0].type != JSMN_OBJECT) {
		free(tok);
		snprintf(errbuf, errlen, "not a JSON object");
		return -1;
	}

	j->js = js;
	j->len = len;
	j->tok = tok;
	j->ntok = n;
	return 0;
}

void ts_json_free(struct ts_json *j)
{
	free(j->tok);
	j->tok = NULL;
	j->ntok = 0;
}

/* Index of the first token after the subtree rooted at i. */
static int skip(const jsmntok_t *t, int n, int i)
{
	int pending = t[i].size;

	i++;
	while(pending > 0 && i < n) {
		pending--;
		pending += t[i].size;
		i++;
	}
	return i;
}

/* Member named key[0..klen) of the object at index obj, or -1. */
static int member(const struct ts_json *j, int obj, const char *key,
		  size_t klen)
{
	const jsmntok_t *t = j->tok;
	int i, k;

	if(t[obj].type != JSMN_OBJECT)
		return -1;
	i = obj + 1;
	for(k = 0; k < t[obj].size && i < j->ntok; k++) {
		const jsmntok_t *key_tok = &t[i];
		size_t len = (size_t)(key_tok->end - key_tok->start);

		if(i + 1 >= j->ntok)
			return -1;
		if(key_tok->type == JSMN_STRING && len == klen &&
		   !memcmp(j->js + key_tok->start, key, klen))
			return i + 1;
		i = skip(t, j->ntok, i + 1);
	}
	return -1;
}

static int find(const struct ts_json *j, const char *path)
{
	int cur = 0;

	if(!j->tok)
		return -1;
	for(;;) {
		const char *dot = strchr(path, '.');
		size_t klen = dot ? (size_t)(dot - path) : strlen(path);

		cur = member(j, cur, path, klen);
		if(cur < 0 || !dot)
			return cur;
		path = dot + 1;
	}
}

static int hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if(c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_u4(const char *s, const char *end, unsigned *out)
{
	int i;

	if(end - s < 4)
		return -1;
	*out = 0;
	for(i = 0; i < 4; i++) {
		int v = hexval(s[i]);

		if(v < 0)
			return -1;
		*out = (*out << 4) | (unsigned)v;
	}
	return 0;
}

static int put_utf8(struct ts_buf *b, unsigned cp)
{
	unsigned char u[4];
	size_t n;

	if(cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	}
	else if(cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	}
	else if(cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return ts_buf_add(b, u, n);
}

static int decode(const char *s, const char *end, struct ts_buf *b)
{
	while(s < end) {
		char c = *s++;
		unsigned cp, lo;

		if(c != '\\') {
			if(ts_buf_add(b, &c, 1))
				return TS_JSON_NOMEM;
			continue;
		}
		if(s >= end)
			return TS_JSON_BAD;
		c = *s++;
		switch(c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if(read_u4(s, end, &cp))
				return TS_JSON_BAD;
			s += 4;
			if(cp >= 0xD800 && cp <= 0xDBFF) {
				if(end - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				   read_u4(s + 2, end, &lo) ||
				   lo < 0xDC00 || lo > 0xDFFF)
					return TS_JSON_BAD;
				s += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			else if(cp >= 0xDC00 && cp <= 0xDFFF)
				return TS_JSON_BAD;
			if(put_utf8(b, cp))
				return TS_JSON_NOMEM;
			continue;
		default:
			return TS_JSON_BAD;
		}
		if(ts_buf_add(b, &c, 1))
			return TS_JSON_NOMEM;
	}
	return TS_JSON_OK;
}

int ts_json_string(const struct ts_json *j, const char *path,
		   char **out, size_t *outlen)
{
	const jsmntok_t *t;
	struct ts_buf b = {0};
	int i = find(j, path), rc;

	if(i < 0)
		return TS_JSON_MISSING;
	t = &((const jsmntok_t *)j->tok)[i];
	if(t->type != JSMN_STRING)
		return TS_JSON_TYPE;
	rc = decode(j->js + t->start, j->js + t->end, &b);
	if(rc == TS_JSON_OK && ts_buf_add(&b, "", 0))
		rc = TS_JSON_NOMEM;
	if(rc != TS_JSON_OK) {
		ts_buf_free(&b);
		return rc;
	}
	*outlen = b.len;
	*out = ts_buf_steal(&b);
	return TS_JSON_OK;
}

/* Non-zero when s[0..len) is a number as RFC 8259 spells it; jsmn lets
   any primitive through ("-nan", "0x10", "1e"), and strtod would take
   several of them. */
static int json_number_syntax(const char *s, size_t len)
{
	size_t i = 0, d;

	if(i < len && s[i] == '-')
		i++;
	if(i < len && s[i] == '0')
		i++;
	else {
		for(d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	if(i < len && s[i] == '.') {
		for(d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	if(i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if(i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for(d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if(i == d)
			return 0;
	}
	return i == len;
}

int ts_json_number(const struct ts_json *j, const char *path, double *out)
{
	const jsmntok_t *t;
	char tmp[64], *end;
	size_t len;
	double v;
	int i = find(j, path);

	if(i < 0)
		return TS_JSON_MISSING;
	t = &((const jsmntok_t *)j->tok)[i];
	len = (size_t)(t->end - t->start);
	if(t->type != JSMN_PRIMITIVE)
		return TS_JSON_TYPE;
	if(len == 0 || len >= sizeof(tmp))
		return TS_JSON_BAD;
	memcpy(tmp, j->js + t->start, len);
	tmp[len] = '\0';
	if(!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
		return TS_JSON_TYPE;	/* true, false, null */
	if(!json_number_syntax(tmp, len))
		return TS_JSON_BAD;
	errno = 0;
	v = strtod(tmp, &end);
	/* an underflow to 0 is harmless; an overflow is out of range */
	if(*end || !(v > -JSON_NUM_MAX && v < JSON_NUM_MAX))
		return TS_JSON_BAD;
	*out = v;
	return TS_JSON_OK;
}

int ts_json_add_string(struct ts_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	ts_buf_add(b, "\"", 1);
	for(; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch(c) {
		case '"': ts_buf_add(b, "\\\"", 2); break;
		case '\\': ts_buf_add(b, "\\\\", 2); break;
		case '\b': ts_buf_add(b, "\\b", 2); break;
		case '\f': ts_buf_add(b, "\\f", 2); break;
		case '\n': ts_buf_add(b, "\\n", 2); break;
		case '\r': ts_buf_add(b, "\\r", 2); break;
		case '\t': ts_buf_add(b, "\\t", 2); break;
		default:
			if(c < 0x20) {
				char u[6] = {'\\', 'u', '0', '0',
					     hex[c >> 4], hex[c & 15]};
				ts_buf_add(b, u, 6);
			}
			else
				ts_buf_add(b, s, 1);
		}
	}
	return ts_buf_add(b, "\"", 1);
}
