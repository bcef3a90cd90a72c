/*
 * test_fork: a module's fork handlers, registered once however often it
 * asks (src/util/fork.c).
 */
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>

#include "util/fork.h"
#include "../units.h"

static int prepared, parented, childed;

static void prepare(void)
{
	prepared++;
}

static void parent(void)
{
	parented++;
}

static void child(void)
{
	childed++;
}

static void test_once(void)
{
	static struct ts_fork_hooks h = { prepare, parent, child, 0 };
	int status = -1;
	pid_t pid;

	ts_fork_register(&h);
	ts_fork_register(&h);
	CU_ASSERT(h.registered);
	pid = fork();
	if(pid == 0)
		_exit(childed == 1 && prepared == 1 ? 0 : 1);
	CU_ASSERT_FATAL(pid > 0);
	waitpid(pid, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(prepared, 1);
	CU_ASSERT_EQUAL(parented, 1);
	CU_ASSERT_EQUAL(childed, 0);
}

void add_fork_suite(void)
{
	CU_pSuite s = unit_suite("fork", NULL, NULL);

	unit_test(s, "handlers registered once, run once per fork", test_once);
}
