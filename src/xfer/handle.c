/*
 * handle: per-handle notes, in a map keyed by the CURL pointer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl/real.h"
#include "util/buf.h"
#include "util/fork.h"
#include "util/ptrmap.h"
#include "xfer/handle.h"

static struct ts_pnode *buckets[1024];
static struct ts_ptrmap handles = TS_PTRMAP_INIT(buckets);

/* The map's lock is held only for a lookup: a fork waits for it, and
   the child gets a consistent map. */
static void fork_prepare(void)
{
	ts_ptrmap_lock(&handles);
}

static void fork_parent(void)
{
	ts_ptrmap_unlock(&handles);
}

static void fork_child(void)
{
	ts_ptrmap_unlock(&handles);
}

static struct ts_fork_hooks fork_hooks = { fork_prepare, fork_parent,
					   fork_child, 0 };
TS_FORK_AT_LOAD(fork_hooks)

int ts_handle_tracks(CURLoption opt)
{
	return opt == CURLOPT_URL || opt == CURLOPT_HTTPHEADER ||
	       opt == CURLOPT_COOKIE || opt == CURLOPT_ERRORBUFFER ||
	       opt == CURLOPT_REFERER || opt == CURLOPT_AUTOREFERER ||
	       opt == CURLOPT_FOLLOWLOCATION ||
	       opt == CURLOPT_PREREQFUNCTION || opt == CURLOPT_PREREQDATA ||
	       opt == CURLOPT_WRITEFUNCTION || opt == CURLOPT_WRITEDATA ||
	       opt == CURLOPT_HEADERFUNCTION || opt == CURLOPT_HEADERDATA ||
	       opt == CURLOPT_READFUNCTION || opt == CURLOPT_READDATA ||
	       opt == CURLOPT_SEEKFUNCTION || opt == CURLOPT_SEEKDATA ||
	       opt == CURLOPT_UPLOAD || opt == CURLOPT_POST ||
	       opt == CURLOPT_POSTFIELDS || opt == CURLOPT_COPYPOSTFIELDS ||
	       opt == CURLOPT_MIMEPOST || opt == CURLOPT_HTTPPOST ||
	       opt == CURLOPT_HTTPGET || opt == CURLOPT_USERPWD ||
	       opt == CURLOPT_USERNAME || opt == CURLOPT_XOAUTH2_BEARER ||
	       opt == CURLOPT_CURLU || opt == CURLOPT_PORT ||
	       opt == CURLOPT_PATH_AS_IS || opt == CURLOPT_PROXY ||
	       opt == CURLOPT_PROXYTYPE || opt == CURLOPT_PROXYUSERPWD ||
	       opt == CURLOPT_NOPROXY || opt == CURLOPT_PROXY_CAINFO ||
	       opt == CURLOPT_HEADEROPT || opt == CURLOPT_PROXYHEADER;
}

/* Each thread's last lookup: a program works a handle through many calls
   in a row (setopt, perform, getinfo), and each would take the map's
   lock. It holds while no record has left the map since (gone counts
   them): a record is freed only after leaving, and a handle is used by
   one thread at a time, so a hit is a record still alive. */
static unsigned long gone;
static __thread struct {
	CURL *h;
	struct ts_handle *s;
	unsigned long gone;
} last __attribute__((tls_model("initial-exec")));

struct ts_handle *ts_handle_get(CURL *h, int create)
{
	unsigned long g = __atomic_load_n(&gone, __ATOMIC_ACQUIRE);
	struct ts_handle *s;

	if(last.s && last.h == h && last.gone == g)
		return last.s;
	if(!create)
		s = ts_ptrmap_get(&handles, h, 0);
	else {
		s = ts_ptrmap_get(&handles, h, sizeof(*s));
		if(s && !s->born) {
			/* a new record: what libcurl leaves unset */
			s->born = 1;
			s->proxytype = -1;
			s->headeropt = -1;
		}
	}
	if(s) {
		last.h = h;
		last.s = s;
		last.gone = g;
	}
	return s;
}

static void clear(struct ts_handle *s)
{
	free(s->url);
	free(s->referer);
	ts_free_secret(&s->cookie);
	s->url = NULL;
	s->referer = NULL;
	s->headers = NULL;
	s->errbuf = NULL;
	s->autoreferer = 0;
	s->follow = 0;
	s->prereq = NULL;
	s->prereq_data = NULL;
	s->write_fn = s->header_fn = NULL;
	s->write_data = s->header_data = s->read_data = s->seek_data = NULL;
	s->read_fn = NULL;
	s->seek_fn = NULL;
	s->write_data_set = s->read_data_set = 0;
	s->upload = s->post = 0;
	s->has_postfields = 0;
	s->app_auth = 0;
	s->curlu = NULL;
	s->port = 0;
	s->path_as_is = 0;
	s->match_known = 0;
	s->wrapped_on = s->prereq_on = 0;	/* libcurl reset them too */
	free(s->proxy);
	ts_free_secret(&s->proxyuserpwd);
	free(s->noproxy);
	free(s->proxy_cainfo);
	s->proxy = s->noproxy = s->proxy_cainfo = NULL;
	s->proxytype = -1;
	s->headeropt = -1;
	s->proxyheaders = NULL;
}

void ts_handle_note(CURL *h, CURLoption opt, const void *value, long lvalue)
{
	struct ts_handle *s;
	char *copy = NULL;

	if(!ts_handle_tracks(opt))
		return;
	s = ts_handle_get(h, 1);
	if(!s)
		return;
	if(opt == CURLOPT_URL || opt == CURLOPT_CURLU || opt == CURLOPT_PORT ||
	   opt == CURLOPT_PATH_AS_IS)
		s->match_known = 0;	/* what a request goes to changed */
	switch(opt) {
	case CURLOPT_URL:
		copy = value ? strdup(value) : NULL;
		free(s->url);
		s->url = copy;
		break;
	case CURLOPT_COOKIE:
		copy = value ? strdup(value) : NULL;
		ts_free_secret(&s->cookie);
		s->cookie = copy;
		break;
	case CURLOPT_HTTPHEADER:
		s->headers = (struct curl_slist *)value;
		break;
	case CURLOPT_ERRORBUFFER:
		s->errbuf = (char *)value;
		break;
	case CURLOPT_REFERER:
		copy = value ? strdup(value) : NULL;
		free(s->referer);
		s->referer = copy;
		break;
	case CURLOPT_AUTOREFERER:
		s->autoreferer = lvalue;
		break;
	case CURLOPT_FOLLOWLOCATION:
		s->follow = lvalue;
		break;
	case CURLOPT_PREREQFUNCTION:
		s->prereq = (curl_prereq_callback)value;
		break;
	case CURLOPT_PREREQDATA:
		s->prereq_data = (void *)value;
		break;
	case CURLOPT_WRITEFUNCTION:
		s->write_fn = (curl_write_callback)value;
		break;
	case CURLOPT_WRITEDATA:
		s->write_data = (void *)value;
		s->write_data_set = 1;
		break;
	case CURLOPT_HEADERFUNCTION:
		s->header_fn = (curl_write_callback)value;
		break;
	case CURLOPT_HEADERDATA:
		s->header_data = (void *)value;
		break;
	case CURLOPT_READFUNCTION:
		s->read_fn = (curl_read_callback)value;
		break;
	case CURLOPT_READDATA:
		s->read_data = (void *)value;
		s->read_data_set = 1;
		break;
	case CURLOPT_SEEKFUNCTION:
		s->seek_fn = (curl_seek_callback)value;
		break;
	case CURLOPT_SEEKDATA:
		s->seek_data = (void *)value;
		break;
	case CURLOPT_UPLOAD:
		s->upload = lvalue;
		break;
	case CURLOPT_POST:
		s->post = lvalue;
		break;
	case CURLOPT_HTTPGET:
		if(lvalue) {
			s->post = s->upload = 0;
			s->has_postfields = 0;
		}
		break;
	case CURLOPT_CURLU:
		s->curlu = (CURLU *)value;
		break;
	case CURLOPT_PROXY:
		copy = value ? strdup(value) : NULL;
		free(s->proxy);
		s->proxy = copy;
		break;
	case CURLOPT_PROXYUSERPWD:
		copy = value ? strdup(value) : NULL;
		ts_free_secret(&s->proxyuserpwd);
		s->proxyuserpwd = copy;
		break;
	case CURLOPT_NOPROXY:
		copy = value ? strdup(value) : NULL;
		free(s->noproxy);
		s->noproxy = copy;
		break;
	case CURLOPT_PROXY_CAINFO:
		copy = value ? strdup(value) : NULL;
		free(s->proxy_cainfo);
		s->proxy_cainfo = copy;
		break;
	case CURLOPT_PROXYTYPE:
		s->proxytype = lvalue;
		break;
	case CURLOPT_HEADEROPT:
		s->headeropt = lvalue;
		break;
	case CURLOPT_PROXYHEADER:
		s->proxyheaders = (struct curl_slist *)value;
		break;
	case CURLOPT_PORT:
		s->port = lvalue;
		break;
	case CURLOPT_PATH_AS_IS:
		s->path_as_is = lvalue != 0;
		break;
	case CURLOPT_USERPWD:
	case CURLOPT_USERNAME:
	case CURLOPT_XOAUTH2_BEARER: {
		/* one bit per option: clearing one leaves the others */
		unsigned bit = opt == CURLOPT_USERPWD ? 1 :
			       opt == CURLOPT_USERNAME ? 2 : 4;

		if(value)
			s->app_auth |= bit;
		else
			s->app_auth &= ~bit;
		break;
	}
	case CURLOPT_POSTFIELDS:
	case CURLOPT_COPYPOSTFIELDS:
	case CURLOPT_MIMEPOST:
	case CURLOPT_HTTPPOST:
		/* libcurl re-sends these by itself on a new perform */
		s->has_postfields = value != NULL;
		if(value)
			s->upload = 0;
		break;
	default:
		break;
	}
}

void ts_handle_unwrap(const struct ts_curl *c, CURL *h, struct ts_handle *hs)
{
	if(!c)
		return;
	c->real_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, hs->write_fn);
	c->real_curl_easy_setopt(h, CURLOPT_WRITEDATA,
				 hs->write_data_set ? hs->write_data : stdout);
	c->real_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hs->header_fn);
	c->real_curl_easy_setopt(h, CURLOPT_HEADERDATA, hs->header_data);
	if(hs->prereq_on) {
		c->real_curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, hs->prereq);
		c->real_curl_easy_setopt(h, CURLOPT_PREREQDATA, hs->prereq_data);
	}
}

void ts_handle_forget(CURL *h)
{
	struct ts_handle *s = ts_ptrmap_take(&handles, h);

	if(s) {
		/* before the free: no thread's last lookup may hold it then */
		__atomic_add_fetch(&gone, 1, __ATOMIC_ACQ_REL);
		clear(s);
		free(s);
	}
}

void ts_handle_reset(CURL *h)
{
	struct ts_handle *s = ts_handle_get(h, 0);

	if(s)
		clear(s);
}

void ts_handle_dup(CURL *from, CURL *to)
{
	struct ts_handle *f = ts_handle_get(from, 0), *t;

	if(!f || !to)
		return;
	t = ts_handle_get(to, 1);
	if(!t)
		return;
	clear(t);
	t->url = f->url ? strdup(f->url) : NULL;
	t->referer = f->referer ? strdup(f->referer) : NULL;
	t->autoreferer = f->autoreferer;
	t->follow = f->follow;
	t->prereq = f->prereq;
	t->prereq_data = f->prereq_data;
	t->write_fn = f->write_fn;
	t->write_data = f->write_data;
	t->write_data_set = f->write_data_set;
	t->header_fn = f->header_fn;
	t->header_data = f->header_data;
	t->read_fn = f->read_fn;
	t->read_data = f->read_data;
	t->read_data_set = f->read_data_set;
	t->seek_fn = f->seek_fn;
	t->seek_data = f->seek_data;
	t->upload = f->upload;
	t->post = f->post;
	t->has_postfields = f->has_postfields;
	t->app_auth = f->app_auth;
	/* libcurl's duphandle shares the app's CURLU pointer too */
	t->curlu = f->curlu;
	t->port = f->port;
	t->path_as_is = f->path_as_is;
	t->proxy = f->proxy ? strdup(f->proxy) : NULL;
	t->proxyuserpwd = f->proxyuserpwd ? strdup(f->proxyuserpwd) : NULL;
	t->noproxy = f->noproxy ? strdup(f->noproxy) : NULL;
	t->proxy_cainfo = f->proxy_cainfo ? strdup(f->proxy_cainfo) : NULL;
	t->proxytype = f->proxytype;
	t->headeropt = f->headeropt;
	t->proxyheaders = f->proxyheaders;
	t->cookie = f->cookie ? strdup(f->cookie) : NULL;
	/* libcurl's duphandle shares the app's list pointer, and so do we */
	t->headers = f->headers;
	/* libcurl copies the error buffer pointer along with the options */
	t->errbuf = f->errbuf;
}
