/*
 * file: the local backend. One file per entry, in a directory of the
 * user's that nobody else may enter, as ssh wants ~/.ssh.
 *
 * Writers go through a temporary file, fsync and rename, so readers see
 * the old entry or the new one, never half of one. Two locks per entry,
 * both open-file-description locks on NAME.lock, so that each holder has
 * its own and the kernel drops it when the holder dies:
 *  - byte 0 is the lease, held for the length of a login;
 *  - byte 1 is held for the instant of a compare-and-set.
 * A lease opens the lock file anew: two threads of one process exclude
 * each other as two processes do, and one cannot release the other's.
 *
 * When a write fails (a full or read-only disk), one line says so and the
 * backend refuses everything from then on: the process keeps its tokens
 * in memory only.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/files.h"
#include "util/fork.h"
#include "util/log.h"

struct ts_lease {
	int fd;			/* -1 once given up in a forked child */
	int linked;
	struct ts_lease *prev, *next;
};

struct fstate {
	char dir[4096];
	pthread_mutex_t lock;	/* guards ok and the lease list */
	int ok;			/* 0 once a write failed */
	struct ts_lease *leases;	/* held in this process */
};

/* Every open state, so that a fork finds their locks. */
static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fstate *states[8];

/* Each state's lock is held for instants: a fork waits for them, and the
   child gives them back as the parent does (f_fork_child then drops the
   leases). */
static void fork_prepare(void)
{
	size_t i;

	pthread_mutex_lock(&states_lock);
	for(i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if(states[i])
			pthread_mutex_lock(&states[i]->lock);
}

static void fork_parent(void)
{
	size_t i;

	for(i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if(states[i])
			pthread_mutex_unlock(&states[i]->lock);
	pthread_mutex_unlock(&states_lock);
}

/* the child's one thread took them: it gives them back, as the parent */
static struct ts_fork_hooks fork_hooks = { fork_prepare, fork_parent,
					   fork_parent, 0 };
TS_FORK_AT_LOAD(fork_hooks)

static void track(struct fstate *f, struct fstate *gone)
{
	size_t i;

	pthread_mutex_lock(&states_lock);
	for(i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if(states[i] == gone) {
			states[i] = f;
			break;
		}
	pthread_mutex_unlock(&states_lock);
}

static int usable(struct fstate *f)
{
	int ok;

	pthread_mutex_lock(&f->lock);
	ok = f->ok;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static void go_memory_only(struct fstate *f, const char *what, int err)
{
	int was;

	pthread_mutex_lock(&f->lock);
	was = f->ok;
	f->ok = 0;
	pthread_mutex_unlock(&f->lock);
	if(was)
		ts_store_off(what, f->dir, strerror(err));
}

/* The directory must be ours and closed to others. */
static int safe_dir(const char *path)
{
	struct stat st;

	if(ts_make_dirs(path)) {
		ts_store_off("cache directory %s cannot be created (%s)", path,
			     strerror(errno));
		return -1;
	}
	if(lstat(path, &st)) {
		ts_store_off("cache directory %s: %s", path, strerror(errno));
		return -1;
	}
	if(!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	   (st.st_mode & 077)) {
		ts_store_off("cache directory %s is %s",
		       path, !S_ISDIR(st.st_mode) ? "not a directory" :
		       st.st_uid != geteuid() ? "owned by someone else" :
		       "open to group or others (it must be 0700)");
		return -1;
	}
	return 0;
}

static int f_open(const char *where, void **state)
{
	const char *v = getenv("TOKENSHIM_CACHE_DIR"), *home = getenv("HOME");
	struct fstate *f = calloc(1, sizeof(*f));

	if(!f)
		return TS_STORE_FAIL;
	if(where)
		snprintf(f->dir, sizeof(f->dir), "%s", where);
	else if(v && *v)
		snprintf(f->dir, sizeof(f->dir), "%s", v);
	else if((v = getenv("XDG_RUNTIME_DIR")) && *v)
		snprintf(f->dir, sizeof(f->dir), "%s/tokenshim", v);
	else if((v = getenv("XDG_CACHE_HOME")) && *v)
		snprintf(f->dir, sizeof(f->dir), "%s/tokenshim", v);
	else if(home && *home)
		snprintf(f->dir, sizeof(f->dir), "%s/.cache/tokenshim", home);
	else
		/* cron, some services: nowhere to share tokens */
		ts_store_off("no place for the shared cache (TOKENSHIM_CACHE_DIR, "
			     "XDG_RUNTIME_DIR, XDG_CACHE_HOME and HOME are unset)");
	if(!f->dir[0] || safe_dir(f->dir)) {
		free(f);
		return TS_STORE_FAIL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->ok = 1;
	track(f, NULL);
	*state = f;
	return TS_STORE_OK;
}

static void f_close(void *state)
{
	struct fstate *f = state;

	track(NULL, f);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void path_of(const struct fstate *f, const char *name,
		    const char *suffix, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s", f->dir, name, suffix);
}

/* Reads up to max bytes of the regular file at path, which must be ours.
   A FIFO or a device is never waited for. */
static int read_entry(const char *path, size_t max, struct ts_blob *out)
{
	struct stat st;
	unsigned char *b;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if(fd < 0)
		return TS_STORE_MISS;
	if(fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	   st.st_size <= 0 || (size_t)st.st_size > TS_BLOB_MAX) {
		close(fd);
		return TS_STORE_MISS;
	}
	if((size_t)st.st_size < max)
		max = (size_t)st.st_size;
	b = malloc(max);
	if(!b) {
		close(fd);
		return TS_STORE_FAIL;
	}
	n = read(fd, b, max);
	close(fd);
	if(n <= 0) {
		free(b);
		return TS_STORE_MISS;
	}
	out->p = b;
	out->len = (size_t)n;
	return TS_STORE_OK;
}

static int f_get(void *state, const char *name, struct ts_blob *out)
{
	struct fstate *f = state;
	char path[4200];

	if(!usable(f))
		return TS_STORE_FAIL;
	path_of(f, name, "", path, sizeof(path));
	return read_entry(path, TS_BLOB_MAX, out);
}

/* The generation of name's entry now: 0 when there is none. */
static uint64_t current_gen(struct fstate *f, const char *name)
{
	struct ts_blob b = {0};
	char path[4200];
	uint64_t g;

	path_of(f, name, "", path, sizeof(path));
	if(read_entry(path, TS_BLOB_HEAD, &b) != TS_STORE_OK)
		return 0;
	g = ts_blob_gen(b.p, b.len);
	ts_blob_free(&b);
	return g;
}

/* An exclusive lock on byte `byte` of name's lock file, on a descriptor
   of its own; polls rather than blocks, so that a holder that hangs
   cannot hang us. Returns the descriptor, -2 when still held by another
   after wait_ms, -1 on failure. */
static int lock_byte(struct fstate *f, const char *name, int byte,
		     long wait_ms)
{
	struct flock fl;
	char path[4200];
	long waited = 0;
	int fd;

	path_of(f, name, ".lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		  0600);
	if(fd < 0)
		return -1;
	for(;;) {
		struct timespec ts = {0, 20 * 1000000L};

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = byte;
		fl.l_len = 1;
		if(fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return fd;
		if(errno != EAGAIN && errno != EACCES && errno != EINTR) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		if(waited >= wait_ms) {
			close(fd);
			return -2;
		}
		nanosleep(&ts, NULL);
		waited += 20;
	}
}

/* Long enough for any other writer's compare-and-set to finish. */
#define CAS_WAIT_MS 2000

static int f_put(void *state, const char *name, uint64_t gen,
		 const struct ts_blob *in, long ttl_s)
{
	struct fstate *f = state;
	char path[4200], tmp[4200];
	int fd, lk, err, rc = TS_STORE_FAIL;

	if(!usable(f))
		return TS_STORE_FAIL;
	lk = lock_byte(f, name, 1, CAS_WAIT_MS);
	if(lk == -1)
		go_memory_only(f, "cache directory %s is not writable (%s)",
			       errno);
	if(lk < 0)
		return TS_STORE_FAIL;
	if(current_gen(f, name) != gen) {
		rc = TS_STORE_CONFLICT;
		goto out;
	}
	path_of(f, name, "", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", f->dir, name);
	fd = mkstemp(tmp);
	if(fd < 0) {
		go_memory_only(f, "cache directory %s is not writable (%s)",
			       errno);
		goto out;
	}
	if(write(fd, in->p, in->len) != (ssize_t)in->len || fsync(fd)) {
		err = errno ? errno : ENOSPC;
		close(fd);
		unlink(tmp);
		go_memory_only(f, "cannot write the token cache in %s (%s)",
			       err);
		goto out;
	}
	close(fd);
	if(rename(tmp, path)) {
		err = errno;
		unlink(tmp);
		go_memory_only(f, "cannot write the token cache in %s (%s)",
			       err);
		goto out;
	}
	rc = TS_STORE_OK;
out:
	close(lk);
	return rc;
}

static int f_remove(void *state, const char *name, uint64_t gen)
{
	struct fstate *f = state;
	char path[4200];
	uint64_t now;
	int lk, rc = TS_STORE_OK;

	if(!usable(f))
		return TS_STORE_FAIL;
	lk = lock_byte(f, name, 1, CAS_WAIT_MS);
	if(lk < 0)
		return TS_STORE_FAIL;
	now = current_gen(f, name);
	path_of(f, name, "", path, sizeof(path));
	if(now != gen)
		rc = TS_STORE_CONFLICT;
	else if(now)
		unlink(path);
	close(lk);
	return rc;
}

static int f_lease(void *state, const char *name, long wait_ms,
		   long hold_ms, struct ts_lease **out)
{
	struct fstate *f = state;
	struct ts_lease *l;
	int fd;

	if(!usable(f))
		return TS_STORE_FAIL;
	l = calloc(1, sizeof(*l));
	if(!l)
		return TS_STORE_FAIL;
	fd = lock_byte(f, name, 0, wait_ms);
	if(fd < 0) {
		free(l);
		return fd == -2 ? TS_STORE_BUSY : TS_STORE_FAIL;
	}
	l->fd = fd;
	pthread_mutex_lock(&f->lock);
	l->next = f->leases;
	if(l->next)
		l->next->prev = l;
	f->leases = l;
	l->linked = 1;
	pthread_mutex_unlock(&f->lock);
	*out = l;
	return TS_STORE_OK;
}

static void f_release(void *state, struct ts_lease **lp)
{
	struct fstate *f = state;
	struct ts_lease *l = *lp;

	if(!l)
		return;
	pthread_mutex_lock(&f->lock);
	if(l->linked) {
		if(l->prev)
			l->prev->next = l->next;
		else
			f->leases = l->next;
		if(l->next)
			l->next->prev = l->prev;
	}
	pthread_mutex_unlock(&f->lock);
	/* the lock lives on this descriptor's open file description: closing
	   it is the release */
	if(l->fd >= 0)
		close(l->fd);
	free(l);
	*lp = NULL;
}

static void f_fork_child(void *state)
{
	struct fstate *f = state;
	struct ts_lease *l, *next;

	/* The parent's leases live on open file descriptions the child
	   shares: the child lets go of its references, so the lock ends
	   when the parent's holder gives it back. A lease the forking thread
	   held is released later as usual; the others' threads are gone. */
	for(l = f->leases; l; l = next) {
		next = l->next;
		if(l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->linked = 0;
		l->prev = l->next = NULL;
	}
	f->leases = NULL;
}

static const char *f_where(void *state)
{
	struct fstate *f = state;

	return usable(f) ? f->dir : NULL;
}

const struct ts_store_backend ts_store_file = {
	.name = "file",
	.open = f_open,
	.close = f_close,
	.get = f_get,
	.put = f_put,
	.remove = f_remove,
	.lease = f_lease,
	.release = f_release,
	.fork_child = f_fork_child,
	.where = f_where,
};
