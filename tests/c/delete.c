/*
 * delete.c - removing containers and their state.
 */
#include <signal.h>

#include "fixture.h"
#include "harness.h"

/* A running container needs force; force kills it and removes everything. */
static void running_needs_force(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1;
	long long end;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_RC(exec_container_delete(c, 0), EXEC_ESTATE);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK(fx_exists(fx_str("%s/containers/%s", root, id)));

	CHECK_OK(exec_container_delete(c, 1));
	CHECK(!fx_exists(fx_str("%s/containers/%s", root, id)));
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
	CHECK_RC(exec_container_state(c, &st), EXEC_ENOTFOUND);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	/* Killed and reaped: not even a zombie. */
	end = fx_now_ms() + 2000;
	while (fx_exists(fx_str("/proc/%d", pid)) && fx_now_ms() < end)
		fx_sleep_ms(20);
	CHECK(!fx_exists(fx_str("/proc/%d", pid)));
	exec_container_free(c);
}

/* Deleting twice is ENOTFOUND, with or without force. */
static void twice(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_delete(c, 0), EXEC_ENOTFOUND);
	CHECK_RC(exec_container_delete(c, 1), EXEC_ENOTFOUND);
	exec_container_free(c);
}

/* A created container is deleted without force, its waiting init with it. */
static void created(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	fx_snapshot before;
	int pid = -1;

	REQUIRE(rt && bundle && id);
	fx_snap(&before, root, NULL);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK(fx_exists(fx_str("/proc/%d", pid)));
	CHECK_OK(exec_container_delete(c, 0));
	NOTHING_LEFT(&before, root, id);
	CHECK(!fx_exists(fx_str("/proc/%d", pid)));
	exec_container_free(c);
}

const test_case delete_tests[] = {
	{ "delete.running_needs_force", running_needs_force },
	{ "delete.twice", twice },
	{ "delete.created", created },
	{ NULL, NULL },
};
