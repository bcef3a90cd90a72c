/*
 * multi: transfers driven through a multi handle (curl -Z, git, pycurl's
 * CurlMulti, event loops on curl_multi_socket_action).
 *
 * A handle gets its token when it is added. Its transfer then runs inside
 * the app's own loop, so what the easy path does in one call is spread
 * over the multi calls: an attempt the server refused (HTTP 401) ends
 * inside curl_multi_perform or curl_multi_socket_action; before that call
 * returns, its CURLMSG_DONE is taken out of libcurl's queue, the handle is
 * re-added with a new token, and the running count the app is told
 * includes it again. The app sees the final result once.
 *
 * Once a refused attempt has been taken out of the queue, every message
 * behind it is kept here in order, and curl_multi_info_read hands them
 * out first. Messages are libcurl's own (a result is rewritten in place),
 * so each stays valid exactly as long as libcurl says: until its handle
 * is removed or cleaned up. A multi handle is used by one thread at a time (libcurl's
 * rule), so its state needs no lock of its own; the map that finds it has one.
 */
#include <stdlib.h>
#include <string.h>

#include "curl/real.h"
#include "util/fork.h"
#include "util/log.h"
#include "util/ptrmap.h"
#include "xfer/handle.h"
#include "xfer/multi.h"
#include "xfer/transfer.h"

struct ts_multi;

/* A transfer of ours in a multi handle, found from its easy handle. */
struct ts_mlink {
	CURL *h;
	struct ts_xfer *x;
	struct ts_multi *ms;
	struct ts_mlink *prev, *next;
};

struct ts_multi {
	struct ts_pnode node;	/* keyed by the CURLM pointer */
	CURLM *m;
	int replays;		/* attempts refused since the last look */
	struct ts_mlink *xfers;
	CURLMsg **q;		/* messages held back, in order */
	size_t qhead, qlen, qcap;
};

static struct ts_pnode *buckets[64];
static struct ts_ptrmap multis = TS_PTRMAP_INIT(buckets);

static void fork_prepare(void)
{
	ts_ptrmap_lock(&multis);
}

static void fork_parent(void)
{
	ts_ptrmap_unlock(&multis);
}

static void fork_child(void)
{
	ts_ptrmap_unlock(&multis);
}

static struct ts_fork_hooks fork_hooks = { fork_prepare, fork_parent,
					   fork_child, 0 };
TS_FORK_AT_LOAD(fork_hooks)

static struct ts_multi *find(CURLM *m, int create)
{
	struct ts_multi *s = ts_ptrmap_get(&multis, m, create ? sizeof(*s) : 0);

	if(s && !s->m)
		s->m = m;	/* a new record */
	return s;
}

static void unlink_multi(struct ts_multi *ms)
{
	ts_ptrmap_unlink(&multis, ms);
}

/* Our transfer on h in ms, if any. */
static struct ts_mlink *link_of(CURL *h, struct ts_multi *ms)
{
	struct ts_handle *hs = ts_handle_get(h, 0);

	if(!hs || !hs->mlink || (ms && hs->mlink->ms != ms))
		return NULL;
	return hs->mlink;
}

/* Ends our part in the transfer: the app's settings go back on h. */
static CURLcode finish(struct ts_mlink *l, CURLcode result)
{
	struct ts_handle *hs = ts_handle_get(l->h, 0);

	result = ts_xfer_end(l->x, result);
	if(hs)
		hs->mlink = NULL;
	if(l->prev)
		l->prev->next = l->next;
	else
		l->ms->xfers = l->next;
	if(l->next)
		l->next->prev = l->prev;
	free(l);
	return result;
}

CURLMcode ts_multi_add(const struct ts_curl *c, CURLM *m, CURL *h)
{
	struct ts_handle *hs;
	struct ts_multi *ms;
	struct ts_mlink *l;
	struct ts_xfer *x;
	CURLMcode rc;

	/* a handle already in a multi handle: libcurl says so, and the
	   transfer under way keeps its token */
	hs = ts_handle_get(h, 0);
	if(hs && hs->mlink)
		return c->real_curl_multi_add_handle(m, h);
	x = ts_xfer_start(h);
	if(!x)
		return c->real_curl_multi_add_handle(m, h);
	/* only a multi handle that has carried a token gets state here */
	ms = find(m, 1);
	l = calloc(1, sizeof(*l));
	hs = ts_handle_get(h, 1);
	rc = ms && l && hs ? c->real_curl_multi_add_handle(m, h) :
			     CURLM_OUT_OF_MEMORY;
	if(rc != CURLM_OK) {
		ts_xfer_end(x, CURLE_OK);
		free(l);
		return rc;
	}
	ts_xfer_count_replays(x, &ms->replays);
	l->x = x;
	l->h = h;
	l->ms = ms;
	l->next = ms->xfers;
	if(l->next)
		l->next->prev = l;
	ms->xfers = l;
	hs->mlink = l;
	return CURLM_OK;
}

/* Sends a refused attempt once more, with a new token (or, when there is
   none, as a transfer that ends at once with the reason). Returns 0 when
   the handle is back in the multi handle. */
static int replay(const struct ts_curl *c, struct ts_mlink *l)
{
	if(c->real_curl_multi_remove_handle(l->ms->m, l->h) != CURLM_OK)
		return -1;
	if(ts_xfer_again(l->x) != CURLE_OK ||
	   c->real_curl_multi_add_handle(l->ms->m, l->h) != CURLM_OK) {
		/* not even the failure can run its course: say so now */
		return -1;
	}
	return 0;
}

/* What the app is told of a message libcurl queued: NULL when it was a
   refused attempt, now sent again; else the message, with the final
   result. */
static CURLMsg *settle(const struct ts_curl *c, struct ts_multi *ms,
		       CURLMsg *msg)
{
	struct ts_mlink *l;

	if(msg->msg != CURLMSG_DONE || !(l = link_of(msg->easy_handle, ms)))
		return msg;
	if(ts_xfer_refused(l->x)) {
		if(replay(c, l) == 0)
			return NULL;
		/* the token was refused and no replay could be queued (the
		   handle may be out of the multi handle already, which the
		   app's remove_handle accepts) */
		msg->data.result = CURLE_LOGIN_DENIED;
	}
	msg->data.result = finish(l, msg->data.result);
	return msg;
}

/* Notes on the message's handle where its message waits, so that a
   curl_easy_cleanup without curl_multi_remove_handle can withdraw it.
   Every handle the app gave a URL has its notes; no others are made here,
   since libcurl frees its internal handles without telling us. */
static void hold(struct ts_multi *ms, CURL *h)
{
	struct ts_handle *hs = ts_handle_get(h, 0);

	if(hs)
		hs->held = ms;
}

static int push(struct ts_multi *ms, CURLMsg *msg)
{
	if(ms->qhead + ms->qlen == ms->qcap) {
		if(ms->qhead) {
			memmove(ms->q, ms->q + ms->qhead,
				ms->qlen * sizeof(*ms->q));
			ms->qhead = 0;
		}
		else {
			size_t cap = ms->qcap ? ms->qcap * 2 : 16;
			CURLMsg **q = realloc(ms->q, cap * sizeof(*q));

			if(!q)
				return -1;
			ms->q = q;
			ms->qcap = cap;
		}
	}
	ms->q[ms->qhead + ms->qlen++] = msg;
	hold(ms, msg->easy_handle);
	return 0;
}

/* Takes libcurl's queue over after a refused attempt: replays leave it,
   every other message keeps its place. Returns how many transfers were
   put back in the multi handle. */
static int drain(const struct ts_curl *c, struct ts_multi *ms)
{
	CURLMsg *msg, *shown;
	int left, back = 0;

	ms->replays = 0;
	while((msg = c->real_curl_multi_info_read(ms->m, &left))) {
		shown = settle(c, ms, msg);
		if(!shown)
			back++;
		else if(push(ms, shown)) {
			ts_log("out of memory: a transfer's end was not reported");
			break;
		}
	}
	return back;
}

void ts_multi_after(const struct ts_curl *c, CURLM *m, CURLMcode rc,
		    int *running)
{
	struct ts_multi *ms;
	int back;

	if(rc != CURLM_OK || !(ms = find(m, 0)))
		return;
	if(!ms->replays && !ms->qlen)
		return;
	back = drain(c, ms);
	if(running)
		*running += back;
}

CURLMsg *ts_multi_info_read(const struct ts_curl *c, CURLM *m, int *left)
{
	struct ts_multi *ms = find(m, 0);
	CURLMsg *msg, *shown;
	int dummy;

	if(!left)
		left = &dummy;
	if(!ms)
		return c->real_curl_multi_info_read(m, left);
	if(ms->qlen) {
		msg = ms->q[ms->qhead++];
		ms->qlen--;
		if(!ms->qlen)
			ms->qhead = 0;
		*left = (int)ms->qlen;
		hold(NULL, msg->easy_handle);
		return msg;
	}
	while((msg = c->real_curl_multi_info_read(m, left)))
		if((shown = settle(c, ms, msg)))
			return shown;
	return NULL;
}

/* Drops the messages held for h: libcurl forgets a removed handle's too. */
static void unqueue(struct ts_multi *ms, CURL *h)
{
	size_t i, j = ms->qhead;

	for(i = ms->qhead; i < ms->qhead + ms->qlen; i++)
		if(ms->q[i]->easy_handle != h)
			ms->q[j++] = ms->q[i];
	ms->qlen = j - ms->qhead;
	hold(NULL, h);
}

CURLMcode ts_multi_remove(const struct ts_curl *c, CURLM *m, CURL *h)
{
	struct ts_multi *ms = find(m, 0);
	struct ts_mlink *l;
	CURLMcode rc;

	rc = c->real_curl_multi_remove_handle(m, h);
	if(rc != CURLM_OK || !ms)
		return rc;
	unqueue(ms, h);
	/* removed before its end: the transfer was abandoned */
	if((l = link_of(h, ms)))
		finish(l, CURLE_ABORTED_BY_CALLBACK);
	return rc;
}

CURLMcode ts_multi_cleanup(const struct ts_curl *c, CURLM *m)
{
	struct ts_multi *ms = find(m, 0);

	if(ms) {
		while(ms->xfers)
			finish(ms->xfers, CURLE_ABORTED_BY_CALLBACK);
		for(; ms->qlen; ms->qlen--)
			hold(NULL, ms->q[ms->qhead++]->easy_handle);
		unlink_multi(ms);
		free(ms->q);
		free(ms);
	}
	return c->real_curl_multi_cleanup(m);
}

void ts_multi_forget(CURL *h)
{
	struct ts_handle *hs = ts_handle_get(h, 0);
	struct ts_mlink *l = link_of(h, NULL);

	if(hs && hs->held)
		unqueue(hs->held, h);
	if(l)
		finish(l, CURLE_ABORTED_BY_CALLBACK);
}
