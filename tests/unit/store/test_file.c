/*
 * test_file: the local backend (src/store/file.c): compare-and-set on
 * the blobs' generations, and leases that belong to whoever took them,
 * one thread against another as one process against another.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "store/store.h"
#include "../units.h"

static char dir[] = "/tmp/ts-unit-file.XXXXXX";
static void *st;

static int init(void)
{
	char where[300];

	if(!mkdtemp(dir))
		return -1;
	snprintf(where, sizeof(where), "%s/entries", dir);
	return ts_store_file.open(where, &st) == TS_STORE_OK ? 0 : -1;
}

static int fini(void)
{
	char cmd[400];

	ts_store_file.close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A blob as seal.c would frame it, with a body of our own. */
static struct ts_blob blob(uint64_t gen, const char *body)
{
	static unsigned char b[256];
	struct ts_blob x = { b, 0 };
	size_t n = strlen(body);
	int i;

	memcpy(b, TS_BLOB_MAGIC, 4);
	for(i = TS_BLOB_HEAD - 1; i >= 4; i--, gen >>= 8)
		b[i] = (unsigned char)gen;
	memcpy(b + TS_BLOB_HEAD, body, n);
	x.len = TS_BLOB_HEAD + n;
	return x;
}

static void test_cas(void)
{
	struct ts_blob in = blob(1, "one"), out = {0};

	CU_ASSERT_STRING_EQUAL(ts_store_file.name, "file");
	CU_ASSERT(ts_store_file.where(st) != NULL);
	CU_ASSERT_EQUAL(ts_store_file.get(st, "e1", &out), TS_STORE_MISS);
	CU_ASSERT_EQUAL(ts_store_file.put(st, "e1", 1, &in, 0), TS_STORE_CONFLICT);
	CU_ASSERT_EQUAL(ts_store_file.put(st, "e1", 0, &in, 0), TS_STORE_OK);
	CU_ASSERT_EQUAL_FATAL(ts_store_file.get(st, "e1", &out), TS_STORE_OK);
	CU_ASSERT(out.len == in.len && !memcmp(out.p, in.p, in.len));
	CU_ASSERT_EQUAL(ts_blob_gen(out.p, out.len), 1);
	ts_blob_free(&out);
	in = blob(2, "two");
	CU_ASSERT_EQUAL(ts_store_file.put(st, "e1", 0, &in, 0), TS_STORE_CONFLICT);
	CU_ASSERT_EQUAL(ts_store_file.put(st, "e1", 1, &in, 0), TS_STORE_OK);
	CU_ASSERT_EQUAL(ts_store_file.remove(st, "e1", 1), TS_STORE_CONFLICT);
	CU_ASSERT_EQUAL(ts_store_file.get(st, "e1", &out), TS_STORE_OK);
	ts_blob_free(&out);
	CU_ASSERT_EQUAL(ts_store_file.remove(st, "e1", 2), TS_STORE_OK);
	CU_ASSERT_EQUAL(ts_store_file.get(st, "e1", &out), TS_STORE_MISS);
}

static void test_not_regular(void)
{
	char path[400];
	struct ts_blob out = {0};

	/* a FIFO or a directory where an entry should be: a miss at once,
	   never a wait */
	snprintf(path, sizeof(path), "%s/entries/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	CU_ASSERT_EQUAL(ts_store_file.get(st, "fifo", &out), TS_STORE_MISS);
	snprintf(path, sizeof(path), "%s/entries/adir", dir);
	CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
	CU_ASSERT_EQUAL(ts_store_file.get(st, "adir", &out), TS_STORE_MISS);
}

struct other {
	int rc_wait;		/* taking the lease while the main thread has it */
	int rc_after;		/* after the main thread gave it back */
	pthread_barrier_t *sync;
};

static void *other_thread(void *arg)
{
	struct other *o = arg;
	struct ts_lease *l = NULL;

	o->rc_wait = ts_store_file.lease(st, "L", 100, 0, &l);
	if(l)
		ts_store_file.release(st, &l);
	pthread_barrier_wait(o->sync);	/* main: hand it over */
	pthread_barrier_wait(o->sync);	/* main: given back */
	o->rc_after = ts_store_file.lease(st, "L", 1000, 0, &l);
	ts_store_file.release(st, &l);
	return NULL;
}

static void test_two_threads(void)
{
	pthread_barrier_t sync;
	struct other o = { -9, -9, &sync };
	struct ts_lease *mine = NULL, *again = NULL;
	pthread_t t;

	pthread_barrier_init(&sync, NULL, 2);
	CU_ASSERT_EQUAL_FATAL(ts_store_file.lease(st, "L", 0, 0, &mine), TS_STORE_OK);
	CU_ASSERT_FATAL(mine != NULL);
	/* even this thread's second lease waits: leases are not shared */
	CU_ASSERT_EQUAL(ts_store_file.lease(st, "L", 0, 0, &again), TS_STORE_BUSY);
	CU_ASSERT(again == NULL);
	/* another entry's lease is independent */
	CU_ASSERT_EQUAL(ts_store_file.lease(st, "M", 0, 0, &again), TS_STORE_OK);
	ts_store_file.release(st, &again);
	CU_ASSERT(again == NULL);
	pthread_create(&t, NULL, other_thread, &o);
	pthread_barrier_wait(&sync);
	/* the other thread's attempt must not have let go of ours */
	CU_ASSERT_EQUAL(ts_store_file.lease(st, "L", 0, 0, &again), TS_STORE_BUSY);
	ts_store_file.release(st, &mine);
	CU_ASSERT(mine == NULL);
	pthread_barrier_wait(&sync);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&sync);
	CU_ASSERT_EQUAL(o.rc_wait, TS_STORE_BUSY);
	CU_ASSERT_EQUAL(o.rc_after, TS_STORE_OK);
}

static void test_other_process(void)
{
	struct ts_lease *mine = NULL, *l = NULL;
	int status = -1;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(ts_store_file.lease(st, "P", 0, 0, &mine), TS_STORE_OK);
	pid = fork();
	if(pid == 0) {
		/* a child that shares the parent's descriptions first lets
		   go of them: it does not hold the parent's lease */
		ts_store_file.fork_child(st);
		_exit(ts_store_file.lease(st, "P", 0, 0, &l) == TS_STORE_BUSY ? 0 : 1);
	}
	CU_ASSERT_FATAL(pid > 0);
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ts_store_file.release(st, &mine);
	pid = fork();
	if(pid == 0) {
		ts_store_file.fork_child(st);
		_exit(ts_store_file.lease(st, "P", 0, 0, &l) == TS_STORE_OK ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void add_file_suite(void)
{
	CU_pSuite s = unit_suite("file", init, fini);

	unit_test(s, "compare-and-set on generations", test_cas);
	unit_test(s, "FIFOs and directories are no entries", test_not_regular);
	unit_test(s, "two leases from two threads", test_two_threads);
	unit_test(s, "a lease against another process", test_other_process);
}
