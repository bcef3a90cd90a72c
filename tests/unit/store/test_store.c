/*
 * test_store: sealed entries over the local backend (src/store/store.c,
 * src/store/seal.c): what comes back is what went in, only under its own
 * identity and key; a tampered, cut, renamed or old-format entry is a
 * miss, never an error; writes are compare-and-set on the generation.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "store/seal.h"
#include "store/store.h"
#include "../units.h"

static char dir[] = "/tmp/ts-unit-store.XXXXXX";
static char cache[300], keyfile[300];

static int init(void)
{
	if(!mkdtemp(dir))
		return -1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/cache.key", dir);
	setenv("TOKENSHIM_CACHE_DIR", cache, 1);
	setenv("TOKENSHIM_CACHE_KEY_FILE", keyfile, 1);
	return ts_store_local() ? 0 : -1;
}

static int fini(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void entry(struct ts_store_entry *e, const char *tok)
{
	memset(e, 0, sizeof(*e));
	e->token = strdup(tok);
	e->token_len = strlen(tok);
	e->extra = strdup("refresh-1");
	e->extra_len = 9;
	e->expires_at = 2000000000;
	e->obtained = 1999990000;
	e->life = 10000;
	e->logins = 3;
	e->refreshes = 4;
}

static void entry_path(const struct ts_store_ref *r, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", cache, r->name);
}

static void test_round_trip(void)
{
	struct ts_store_ref r, other;
	struct ts_store_entry e, got;
	char path[400];
	struct stat st;

	ts_store_ref_init(&r, ts_store_local(), "id-a", 4);
	ts_store_ref_init(&other, ts_store_local(), "id-b", 4);
	CU_ASSERT_EQUAL(strlen(r.name), 64);
	CU_ASSERT(strcmp(r.name, other.name) != 0);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_MISS);
	entry(&e, "tok-A");
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_OK);
	CU_ASSERT_EQUAL(e.gen, 1);
	CU_ASSERT_EQUAL_FATAL(ts_store_get(&r, &got), TS_STORE_OK);
	CU_ASSERT(got.token_len == 5 && !memcmp(got.token, "tok-A", 5));
	CU_ASSERT(got.extra_len == 9 && !memcmp(got.extra, "refresh-1", 9));
	CU_ASSERT(got.expires_at == 2000000000 && got.obtained == 1999990000 &&
		  got.life == 10000 && got.logins == 3 && got.refreshes == 4);
	CU_ASSERT_EQUAL(got.gen, 1);
	ts_store_entry_clear(&got);
	/* the file is the owner's alone, and holds no token in clear */
	entry_path(&r, path, sizeof(path));
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	{
		char buf[4096];
		FILE *f = fopen(path, "rb");
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

		if(f)
			fclose(f);
		CU_ASSERT(n > 0 && !memmem(buf, n, "tok-A", 5) &&
			  !memmem(buf, n, "refresh-1", 9));
	}
	/* another identity does not see it */
	CU_ASSERT_EQUAL(ts_store_get(&other, &got), TS_STORE_MISS);
	ts_store_entry_clear(&e);
}

static void copy_file(const char *from, const char *to)
{
	char buf[8192];
	FILE *f = fopen(from, "rb"), *t = fopen(to, "wb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if(t) {
		fwrite(buf, 1, n, t);
		fclose(t);
	}
	if(f)
		fclose(f);
	chmod(to, 0600);
}

static void flip_byte(const char *path, long at)
{
	int fd = open(path, O_RDWR);
	unsigned char c = 0;

	if(fd < 0)
		return;
	if(pread(fd, &c, 1, at) == 1) {
		c ^= 0x01;
		if(pwrite(fd, &c, 1, at) != 1)
			c = 0;
	}
	close(fd);
}

static void test_tamper_and_identity(void)
{
	struct ts_store_ref r, other;
	struct ts_store_entry e, got;
	char path[400], opath[400];

	ts_store_ref_init(&r, ts_store_local(), "id-t", 4);
	ts_store_ref_init(&other, ts_store_local(), "id-u", 4);
	entry(&e, "tok-T");
	CU_ASSERT_EQUAL_FATAL(ts_store_put(&r, &e), TS_STORE_OK);
	entry_path(&r, path, sizeof(path));
	entry_path(&other, opath, sizeof(opath));
	/* copied to another identity's name: fails authentication */
	copy_file(path, opath);
	CU_ASSERT_EQUAL(ts_store_get(&other, &got), TS_STORE_MISS);
	/* a flipped bit in the ciphertext, and in the generation */
	flip_byte(opath, 40);
	CU_ASSERT_EQUAL(ts_store_get(&other, &got), TS_STORE_MISS);
	copy_file(path, opath);
	flip_byte(path, 11);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_MISS);
	/* cut short */
	CU_ASSERT(truncate(opath, 20) == 0);
	CU_ASSERT_EQUAL(ts_store_get(&other, &got), TS_STORE_MISS);
	CU_ASSERT(truncate(opath, 0) == 0);
	CU_ASSERT_EQUAL(ts_store_get(&other, &got), TS_STORE_MISS);
	ts_store_entry_clear(&e);
}

static void test_old_format(void)
{
	struct ts_store_ref r;
	struct ts_store_entry e, got;
	char path[400];
	FILE *f;

	ts_store_ref_init(&r, ts_store_local(), "id-old", 6);
	entry_path(&r, path, sizeof(path));
	/* an entry as the first format wrote it: a miss, not an error, and
	   a write over it starts from no entry */
	f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL);
	fputs("TSC1 a nonce, ciphertext and tag of an older version", f);
	fclose(f);
	chmod(path, 0600);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_MISS);
	entry(&e, "tok-new");
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_OK);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_OK);
	CU_ASSERT(got.gen == 1 && got.token_len == 7);
	ts_store_entry_clear(&got);
	ts_store_entry_clear(&e);

	/* the second format ("TSC2", OpenSSL's AES-256-GCM, the same
	   layout): a miss too, at whatever generation it was */
	entry(&e, "tok-v2");
	e.gen = 1;
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_OK);	/* gen 2 */
	f = fopen(path, "r+b");
	CU_ASSERT_FATAL(f != NULL);
	fputs("TSC2", f);
	fclose(f);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_MISS);
	e.gen = 0;
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_OK);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_OK);
	CU_ASSERT(got.gen == 1 && got.token_len == 6);
	ts_store_entry_clear(&got);
	ts_store_entry_clear(&e);
}

static void test_generations(void)
{
	struct ts_store_ref r;
	struct ts_store_entry a, b, got;

	ts_store_ref_init(&r, ts_store_local(), "id-g", 4);
	entry(&a, "tok-1");
	entry(&b, "tok-2");
	CU_ASSERT_EQUAL(ts_store_put(&r, &a), TS_STORE_OK);	/* gen 1 */
	/* b was read before a was written: its write is refused */
	CU_ASSERT_EQUAL(ts_store_put(&r, &b), TS_STORE_CONFLICT);
	CU_ASSERT_EQUAL(b.gen, 0);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_OK);
	CU_ASSERT(got.token_len == 5 && !memcmp(got.token, "tok-1", 5));
	b.gen = got.gen;
	ts_store_entry_clear(&got);
	CU_ASSERT_EQUAL(ts_store_put(&r, &b), TS_STORE_OK);	/* gen 2 */
	CU_ASSERT_EQUAL(b.gen, 2);
	/* removing what is no longer current does nothing */
	CU_ASSERT_EQUAL(ts_store_remove(&r, 1), TS_STORE_CONFLICT);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_OK);
	CU_ASSERT(got.token_len == 5 && !memcmp(got.token, "tok-2", 5));
	ts_store_entry_clear(&got);
	CU_ASSERT_EQUAL(ts_store_remove(&r, 2), TS_STORE_OK);
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_MISS);
	/* nothing there: removing is done, writing starts again at 0 */
	CU_ASSERT_EQUAL(ts_store_remove(&r, 0), TS_STORE_OK);
	a.gen = 0;
	CU_ASSERT_EQUAL(ts_store_put(&r, &a), TS_STORE_OK);
	ts_store_entry_clear(&a);
	ts_store_entry_clear(&b);
}

static void test_no_store(void)
{
	struct ts_store_ref r;
	struct ts_store_entry e, got;
	struct ts_lease *l = NULL;

	ts_store_ref_init(&r, NULL, "id", 2);
	entry(&e, "tok");
	CU_ASSERT_EQUAL(ts_store_get(&r, &got), TS_STORE_FAIL);
	CU_ASSERT_EQUAL(ts_store_put(&r, &e), TS_STORE_FAIL);
	CU_ASSERT_EQUAL(ts_store_remove(&r, 0), TS_STORE_FAIL);
	CU_ASSERT_EQUAL(ts_store_lease(&r, 0, &l), TS_STORE_FAIL);
	CU_ASSERT(l == NULL);
	ts_store_release(&r, &l);
	ts_store_entry_clear(&e);
}

void add_store_suite(void)
{
	CU_pSuite s = unit_suite("store", init, fini);

	unit_test(s, "an entry comes back as written, and sealed", test_round_trip);
	unit_test(s, "tampered, cut and renamed entries", test_tamper_and_identity);
	unit_test(s, "an entry of the older format is a miss", test_old_format);
	unit_test(s, "compare-and-set on the generation", test_generations);
	unit_test(s, "no store: every call fails cleanly", test_no_store);
}
