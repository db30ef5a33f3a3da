/*
 * handles.c - freed, double-freed, garbage and mistyped handles: EXEC_ECLOSED,
 * never a crash; freeing releases the handle only.
 */
#include <signal.h>
#include <stdint.h>

#include "fixture.h"
#include "harness.h"

#define JSON "{\"args\":[\"sleep\",\"100\"],\"env\":[\"PATH=/bin\"]}"

/* Every runtime call on `rt` is ECLOSED; freeing it is a no-op. */
static int runtime_closed(exec_runtime *rt)
{
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	char **ids = NULL;
	size_t n = 0;

	REQUIRE_R(bundle, -1);
	CHECK_RC_R(exec_container_list(rt, &ids, &n), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_create(rt, fx_id(), bundle, NULL, &c), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_run(rt, fx_id(), bundle, NULL, &c), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_load(rt, "anything", &c), EXEC_ECLOSED, -1);
	CHECK_R(c == NULL && ids == NULL, -1);
	exec_runtime_free(rt);
	return 0;
}

/* Every container call on `c` is ECLOSED; freeing it is a no-op. */
static int container_closed(exec_container *c)
{
	exec_process *p = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_stats stats = EXEC_STATS_INIT;
	int pid, fd, *pids = NULL;
	size_t n;

	CHECK_RC_R(exec_container_start(c), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_state(c, &st), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_pid(c, &pid), EXEC_ECLOSED, -1);
	CHECK_R(exec_container_id(c) == NULL, -1);
	CHECK_RC_R(exec_container_pause(c), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_resume(c), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_kill(c, SIGKILL, 1), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_wait(c, 0, &ex), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_wait(c, -1, &ex), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_stdio(c, EXEC_STDOUT, &fd), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_resize(c, 24, 80), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_stats(c, &stats), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_ps(c, &pids, &n), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_update(c, "{}"), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_exit_fd(c, &fd), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_exec(c, "p", JSON, NULL, &p), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_load(c, "p", &p), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_container_delete(c, 1), EXEC_ECLOSED, -1);
	CHECK_R(p == NULL && pids == NULL, -1);
	exec_container_free(c);
	return 0;
}

/* Every process call on `p` is ECLOSED; freeing it is a no-op. */
static int process_closed(exec_process *p)
{
	exec_exit ex = EXEC_EXIT_INIT;
	int pid, fd;

	CHECK_R(exec_process_id(p) == NULL, -1);
	CHECK_RC_R(exec_process_pid(p, &pid), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_exit_fd(p, &fd), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_signal(p, SIGKILL), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_wait(p, 0, &ex), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_wait(p, -1, &ex), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_stdio(p, EXEC_STDIN, &fd), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_resize(p, 24, 80), EXEC_ECLOSED, -1);
	CHECK_RC_R(exec_process_delete(p), EXEC_ECLOSED, -1);
	exec_process_free(p);
	return 0;
}

/* Freed handles are closed, freeing twice is harmless, and nothing is killed. */
static void freed(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root), *rt2 = NULL;
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL, *c2 = NULL;
	exec_process *p = NULL, *p2 = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1, ppid = -1;

	REQUIRE(rt && bundle && id);
	opts.root = root;
	CHECK_OK(exec_runtime_new(&opts, &rt2));
	exec_runtime_free(rt2);
	REQUIRE(runtime_closed(rt2) == 0);

	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_exec(c, "p", JSON, NULL, &p));
	CHECK_OK(exec_process_pid(p, &ppid));
	CHECK_OK(exec_container_load(rt, id, &c2));

	exec_process_free(p);
	REQUIRE(process_closed(p) == 0);
	exec_container_free(c);
	REQUIRE(container_closed(c) == 0);

	/* The container and its process live on, reachable through new handles. */
	CHECK_OK(exec_container_state(c2, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_process_load(c2, "p", &p2));
	CHECK_OK(exec_process_pid(p2, &pid));
	CHECK_INT(pid, ==, ppid);
	CHECK(fx_exists(fx_str("/proc/%d", pid)));
	CHECK_RC(exec_process_wait(p2, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_process_signal(p2, SIGKILL));
	CHECK_OK(exec_process_wait(p2, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	exec_process_free(p2);
	CHECK_OK(exec_container_delete(c2, 1));
	exec_container_free(c2);
	exec_container_free(c2);
}

/* Values that were never handles. */
static void garbage(void)
{
	static char junk[64];
	uintptr_t values[] = { 0x1234, (uintptr_t)junk, (uintptr_t)-1, 0xdeadbeef };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		REQUIRE(runtime_closed((exec_runtime *)values[i]) == 0);
		REQUIRE(container_closed((exec_container *)values[i]) == 0);
		REQUIRE(process_closed((exec_process *)values[i]) == 0);
	}
}

/* A live handle of one type passed as another. */
static void wrong_type(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_state st;
	char **ids = NULL;
	size_t n;
	int pid;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_exec(c, "p", JSON, NULL, &p));

	CHECK_RC(exec_container_state((exec_container *)rt, &st), EXEC_ECLOSED);
	CHECK_RC(exec_container_pid((exec_container *)p, &pid), EXEC_ECLOSED);
	CHECK(exec_container_id((exec_container *)p) == NULL);
	CHECK_RC(exec_process_pid((exec_process *)c, &pid), EXEC_ECLOSED);
	CHECK(exec_process_id((exec_process *)c) == NULL);
	CHECK_RC(exec_process_signal((exec_process *)rt, SIGKILL), EXEC_ECLOSED);
	CHECK_RC(exec_container_list((exec_runtime *)c, &ids, &n), EXEC_ECLOSED);
	CHECK_RC(exec_container_list((exec_runtime *)p, &ids, &n), EXEC_ECLOSED);
	/* Mistyped frees release nothing. */
	exec_container_free((exec_container *)rt);
	exec_container_free((exec_container *)p);
	exec_process_free((exec_process *)c);
	exec_runtime_free((exec_runtime *)c);

	CHECK_OK(exec_container_list(rt, &ids, &n));
	exec_strings_free(ids, n);
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	exec_process_free(p);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

const test_case handle_tests[] = {
	{ "handles.freed", freed },
	{ "handles.garbage", garbage },
	{ "handles.wrong_type", wrong_type },
	{ NULL, NULL },
};
