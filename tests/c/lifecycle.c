/*
 * lifecycle.c - create, start, run, state, pid, id, wait, delete.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* create -> CREATED -> start -> RUNNING -> wait -> STOPPED -> delete -> gone. */
static void create_start_wait_delete(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("sleep 0.5; exit 0", 0);
	exec_container *c = NULL;
	exec_state st = 0;
	exec_exit ex = { EXEC_EXIT_VERSION, -5, -5, -5, -5, -5 };

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK(c != NULL);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_CREATED);
	CHECK(fx_exists(fx_str("%s/containers/%s", root, id)));
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 1);

	CHECK_OK(exec_container_start(c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);

	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_INT(ex.code, ==, 0);
	CHECK_INT(ex.signal, ==, 0);
	CHECK_INT(ex.core_dumped, ==, 0);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);

	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_state(c, &st), EXEC_ENOTFOUND);
	CHECK(!fx_exists(fx_str("%s/containers/%s", root, id)));
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
	exec_container_free(c);
}

/* run is create + start in one call: RUNNING at once. */
static void run(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.5; exit 0", 0);
	exec_container *c = NULL;
	exec_state st = 0;
	exec_exit ex = { EXEC_EXIT_VERSION, -5, -5, -5, -5, -5 };

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Read /proc/<pid>/cmdline's first argument. */
static int proc_arg0(int pid, char *buf, size_t cap)
{
	FILE *f = fopen(fx_str("/proc/%d/cmdline", pid), "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* The init pid is a host pid, a child of the monitor, not of this process. */
static void pid_matches_proc(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "30", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1, pid2 = -1;
	char arg0[256] = "";
	long long end;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_INT(pid, >, 1);
	CHECK(fx_exists(fx_str("/proc/%d", pid)));
	CHECK_INT(fx_ppid(pid), !=, getpid());
	CHECK(fx_is_monitor(fx_ppid(pid)));

	CHECK_OK(exec_container_start(c));
	CHECK_OK(exec_container_pid(c, &pid2));
	CHECK_INT(pid2, ==, pid);
	/* The init execs the process a moment after start returns. */
	end = fx_now_ms() + 5000;
	while (proc_arg0(pid, arg0, sizeof(arg0)) == 0 && strcmp(arg0, "sleep") != 0 &&
	       fx_now_ms() < end)
		fx_sleep_ms(10);
	CHECK_STR(arg0, "sleep");
	CHECK(fx_is_monitor(fx_ppid(pid)));

	CHECK_OK(exec_container_kill(c, 9, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK(!fx_exists(fx_str("/proc/%d", pid)));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* The id getter returns the handle's own copy of the id. */
static void id(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL, *c2 = NULL;
	const char *got;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	got = exec_container_id(c);
	CHECK_STR(got, id);
	CHECK(got != id);
	CHECK(exec_container_id(c) == got);
	CHECK_OK(exec_container_load(rt, id, &c2));
	CHECK_STR(exec_container_id(c2), id);
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_STR(exec_container_id(c), id);
	exec_container_free(c2);
	exec_container_free(c);
}

/* start is only for created containers. */
static void start_wrong_state(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.3", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_start(c), EXEC_ESTATE);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_RC(exec_container_start(c), EXEC_ESTATE);
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_start(c), EXEC_ENOTFOUND);
	exec_container_free(c);
}

/* A container handle outlives the runtime handle it came from. */
static void outlives_runtime(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *id = fx_id();
	const char *bundle = fx_bundle_sh("sleep 0.3; exit 4", 0);
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	char **ids = NULL;
	size_t n = 0;

	REQUIRE(bundle && id);
	REQUIRE((opts.root = fx_tempdir()) != NULL);
	fx_track_runc_root(fx_str("%s/runc", opts.root));
	CHECK_OK(exec_runtime_new(&opts, &rt));
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	exec_runtime_free(rt);
	CHECK_RC(exec_container_list(rt, &ids, &n), EXEC_ECLOSED);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 4);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

const test_case lifecycle_tests[] = {
	{ "lifecycle.create_start_wait_delete", create_start_wait_delete },
	{ "lifecycle.run", run },
	{ "lifecycle.pid_matches_proc", pid_matches_proc },
	{ "lifecycle.id", id },
	{ "lifecycle.start_wrong_state", start_wrong_state },
	{ "lifecycle.outlives_runtime", outlives_runtime },
	{ NULL, NULL },
};
