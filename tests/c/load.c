/*
 * load.c - listing containers and reattaching to them, in this process and
 * from a second one.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* Ids come sorted; an empty root lists nothing. */
static void list_sorted(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *base = fx_id();
	const char *bundle = fx_bundle_sh("exit 0", 0);
	const char *suffix[] = { "c", "a", "b" };
	exec_container *c[3] = { NULL, NULL, NULL };
	char **ids = (char **)1;
	size_t n = 99;

	REQUIRE(rt && base && bundle);
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 0);
	CHECK(ids == NULL);
	for (int i = 0; i < 3; i++)
		CHECK_OK(exec_container_create(rt, fx_str("%s-%s", base, suffix[i]), bundle,
		                               NULL, &c[i]));
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 3);
	CHECK_STR(ids[0], fx_str("%s-a", base));
	CHECK_STR(ids[1], fx_str("%s-b", base));
	CHECK_STR(ids[2], fx_str("%s-c", base));
	exec_strings_free(ids, n);
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 0);
}

/* Two handles to one container in one process see the same exit. */
static void same_process(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.5; exit 5", 0);
	exec_container *c = NULL, *c2 = NULL;
	static fx_waiter w;
	pthread_t th;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1, pid2 = -2;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_load(rt, id, &c2));
	CHECK(c2 != NULL && c2 != c);
	CHECK_OK(exec_container_state(c2, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_OK(exec_container_pid(c2, &pid2));
	CHECK_INT(pid, ==, pid2);
	w.c = c2;
	w.rc = -100;
	CHECK(pthread_create(&th, NULL, fx_wait_forever, &w) == 0);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	pthread_join(th, NULL);
	CHECK_INT(ex.status, ==, 5);
	CHECK_INT(w.rc, ==, EXEC_OK);
	CHECK_INT(w.ex.status, ==, 5);
	CHECK_OK(exec_container_delete(c2, 0));
	CHECK_RC(exec_container_delete(c, 0), EXEC_ENOTFOUND);
	exec_container_free(c2);
	exec_container_free(c);
}

/*
 * A second process runs a container and exits without deleting it. Its init
 * stays the monitor's child; this process, not its parent, loads the
 * container and gets its exit status.
 */
static void second_process_running(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("sleep 1; exit 7", 0);
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1;

	REQUIRE(rt && bundle && id);
	REQUIRE(fx_child("--child-run", root, id, bundle) == 0);
	CHECK_OK(exec_container_load(rt, id, &c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK(fx_is_monitor(fx_ppid(pid)));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 7);
	CHECK_INT(ex.code, ==, 7);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/*
 * As above, but the container exits while no library process is alive to
 * watch it: the monitor records its exit, and load reports it. Nothing
 * re-parents to this process.
 */
static void second_process_orphan_exited(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("sleep 0.5; exit 8", 0);
	const char *record;
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int zombies = 0;
	long long end = fx_now_ms() + 5000;

	REQUIRE(rt && bundle && id);
	REQUIRE(fx_child("--child-run", root, id, bundle) == 0);
	record = fx_str("%s/containers/%s/exit.json", root, id);
	while (fx_file_size(record) <= 0 && fx_now_ms() < end)
		fx_sleep_ms(20);
	CHECK_INT(fx_file_size(record), >, 0);
	CHECK_INT(fx_count_children(&zombies), ==, 0);
	CHECK_OK(exec_container_load(rt, id, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 8);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	CHECK_INT(fx_count_children(&zombies) >= 0 ? zombies : -1, ==, 0);
}

/* The second process waited: the exit it recorded is what load reports. */
static void second_process_stopped(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("exit 5", 0);
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	REQUIRE(fx_child("--child-run-wait", root, id, bundle) == 0);
	CHECK_OK(exec_container_load(rt, id, &c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_wait(c, 0, &ex));
	CHECK_INT(ex.status, ==, 5);
	CHECK_INT(ex.code, ==, 5);
	CHECK_INT(ex.signal, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Unknown, deleted and malformed ids. */
static void unknown(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL, *c2 = NULL;

	REQUIRE(rt && bundle && id);
	CHECK_RC(exec_container_load(rt, "no-such-container", &c2), EXEC_ENOTFOUND);
	CHECK(c2 == NULL);
	CHECK_RC(exec_container_load(rt, "../x", &c2), EXEC_EINVAL);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_load(rt, id, &c2), EXEC_ENOTFOUND);
	CHECK(c2 == NULL);
	exec_container_free(c);
}

const test_case load_tests[] = {
	{ "list.sorted", list_sorted },
	{ "load.same_process", same_process },
	{ "load.second_process_running", second_process_running },
	{ "load.second_process_orphan_exited", second_process_orphan_exited },
	{ "load.second_process_stopped", second_process_stopped },
	{ "load.unknown", unknown },
	{ NULL, NULL },
};
