/*
 * rootless.c - the library run by an unprivileged user (the rootless
 * suite, `make test-rootless`, runs these as one): rootless configs, the
 * lifecycle, exec, reattach, and a clear EXEC_ENOTSUP for what needs a
 * cgroup the user cannot have. Only run when not root.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define CGROUP2_MAGIC 0x63677270

/* Fails the test when run as root: these tests mean nothing there. */
static int unprivileged(void)
{
	if (geteuid() == 0) {
		t_fail(__FILE__, __LINE__, "the rootless tests run as a user who is not root "
		                           "(make test-rootless)");
		return 0;
	}
	return 1;
}

/* Whether the host has the unified cgroup hierarchy (v2). */
static int cgroup_v2(void)
{
	struct statfs fs;

	return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_MAGIC;
}

/* Root inside is the caller outside; the exit is exact. */
static void lifecycle(void)
{
	exec_runtime *rt;
	const char *bundle, *id = fx_id(), *root = NULL;
	char buf[4096];
	exec_exit ex = EXEC_EXIT_INIT;
	fx_snapshot before;

	REQUIRE(unprivileged());
	rt = fx_runtime(NULL, &root);
	bundle = fx_bundle_sh("id -u; cat /proc/self/uid_map; exit 7", 0);
	REQUIRE(rt && bundle);
	fx_snap(&before, root, NULL);
	REQUIRE(fx_run_output(rt, id, bundle, buf, sizeof(buf), &ex) == 0);
	CHECK_CONTAINS(buf, "0\n");
	CHECK_CONTAINS(buf, fx_str("%10u %10u %10u\n", 0u, (unsigned)geteuid(), 1u));
	CHECK_INT(ex.status, ==, 7);
	CHECK_INT(ex.code, ==, 7);
	NOTHING_LEFT(&before, root, id);
}

/* With no root, the runtime takes $XDG_RUNTIME_DIR/libexecution. */
static void default_root(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *bundle = fx_bundle_sh("exit 5", 0);
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(unprivileged());
	REQUIRE(xdg && bundle);
	CHECK_OK(exec_runtime_new(&opts, &rt));
	CHECK_STR(exec_runtime_root(rt), fx_str("%s/libexecution", xdg));
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 5);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	exec_runtime_free(rt);
}

/* exec, kill, wait and delete; a second runtime on the root reattaches. */
static void exec_and_reattach(void)
{
	const char *root = NULL, *id = fx_id();
	exec_runtime *rt, *rt2 = NULL;
	exec_container *c = NULL, *again = NULL;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_state st;
	const char *bundle;
	int pid = 0, pid2 = 0;

	REQUIRE(unprivileged());
	rt = fx_runtime(NULL, &root);
	bundle = fx_bundle_sh("sleep 60", 0);
	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_exec(c, "five", "{\"args\":[\"sh\",\"-c\",\"exit 5\"],\"cwd\":\"/\"}",
	                             NULL, &p));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 5);
	CHECK_OK(exec_process_delete(p));
	exec_process_free(p);
	CHECK_OK(exec_container_pid(c, &pid));
	exec_container_free(c);

	{
		exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
		opts.root = root;
		CHECK_OK(exec_runtime_new(&opts, &rt2));
	}
	CHECK_OK(exec_container_load(rt2, id, &again));
	CHECK_OK(exec_container_state(again, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_pid(again, &pid2));
	CHECK_INT(pid2, ==, pid);
	CHECK_OK(exec_container_kill(again, SIGKILL, 0));
	CHECK_OK(exec_container_wait(again, 10000, &ex));
	CHECK_INT(ex.status, ==, 128 + SIGKILL);
	CHECK_INT(ex.signal, ==, SIGKILL);
	CHECK_OK(exec_container_delete(again, 0));
	exec_container_free(again);
	exec_runtime_free(rt2);
}

/* Without a cgroup of its own, stats, ps, pause, update and limits say so. */
static void no_cgroup_not_supported(void)
{
	const char *argv[] = { "true", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt;
	exec_container *c = NULL;
	exec_stats stats = EXEC_STATS_INIT;
	const char *bundle, *dir;
	int *pids = NULL;
	size_t n = 0;

	REQUIRE(unprivileged());
	if (cgroup_v2())
		return; /* a delegated v2 cgroup serves them: the main suite's tests apply */
	rt = fx_runtime(NULL, NULL);
	bundle = fx_bundle_sh("sleep 60", 0);
	dir = fx_tempdir();
	REQUIRE(rt && bundle && dir);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_RC(exec_container_stats(c, &stats), EXEC_ENOTSUP);
	CHECK_CONTAINS(exec_last_error(), "no cgroup of its own");
	CHECK_RC(exec_container_ps(c, &pids, &n), EXEC_ENOTSUP);
	CHECK_RC(exec_container_pause(c), EXEC_ENOTSUP);
	CHECK_RC(exec_container_update(c, "{\"pids\":{\"limit\":10}}"), EXEC_ENOTSUP);
	CHECK(fx_kill_delete(c) == 0);

	CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
	opts.memory_limit = 64 << 20;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_ENOTSUP);
	CHECK(!fx_exists(fx_str("%s/config.json", dir)));
	CHECK_STR(exec_strerror(EXEC_ENOTSUP), "not supported for this user or host");
}

/*
 * EXEC_USERNS_SUBIDS maps the user's /etc/subuid range from 1 on: uid 1000
 * inside is the range's 1000th id outside, as the host sees it.
 */
static void subids(void)
{
	const char *argv[] = { "sleep", "60", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt;
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_io io = EXEC_IO_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	const char *bundle, *line;
	char buf[4096] = "", status[4096];
	unsigned inside = 0, start = 0, count = 0, uid = 0;
	int out = -1, pid = 0;

	REQUIRE(unprivileged());
	opts.userns = EXEC_USERNS_SUBIDS;
	rt = fx_runtime(NULL, NULL);
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "u1000", "{\"args\":[\"sh\",\"-c\",\"id -u; cat /proc/self/uid_map; "
	                             "exec sleep 60\"],\"cwd\":\"/\",\"user\":{\"uid\":1000,\"gid\":1000}}",
	                             &io, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK(fx_read_until(out, buf, sizeof(buf), "65536\n", 10000) == 0);
	close(out);
	CHECK_CONTAINS(buf, fx_str("1000\n%10u %10u %10u\n", 0u, (unsigned)geteuid(), 1u));
	line = strstr(buf, "\n         1 ");
	REQUIRE(line && sscanf(line, "%u %u %u", &inside, &start, &count) == 3);
	CHECK_INT(count, ==, 65536);
	CHECK_OK(exec_process_pid(p, &pid));
	{
		const char *cat[] = { "cat", fx_str("/proc/%d/status", pid), NULL };
		CHECK_INT(fx_command(cat, status, sizeof(status)), ==, 0);
	}
	line = strstr(status, "\nUid:");
	REQUIRE(line && sscanf(line, "\nUid:\t%u", &uid) == 1);
	CHECK_INT(uid, ==, start + 999);
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	exec_process_free(p);
	CHECK(fx_kill_delete(c) == 0);
}

/* No user namespace is for root only; refused before anything is written. */
static void userns_none_refused(void)
{
	const char *argv[] = { "true", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	const char *dir = fx_tempdir();

	REQUIRE(unprivileged() && dir);
	CHECK_INT(symlink(fx_rootfs(), fx_str("%s/rootfs", dir)), ==, 0);
	opts.userns = EXEC_USERNS_NONE;
	CHECK_RC(exec_bundle_init_ext(dir, argv, &opts), EXEC_EINVAL);
	CHECK(!fx_exists(fx_str("%s/config.json", dir)));
}

/* A caller of the same user in a user and mount namespace of its own
 * shares the root: it gets a monitor of its own (its confinement is not
 * the root monitor's), its container runs, and this process loads it and
 * reads its exact exit. */
static void other_namespaces_share_root(void)
{
	exec_runtime *rt;
	const char *bundle, *id = fx_id(), *root = NULL;
	char exe[4096], buf[4096];
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	fx_snapshot before;
	ssize_t n;
	size_t got = 0;
	FILE *p;
	int status;

	REQUIRE(unprivileged());
	rt = fx_runtime(NULL, &root);
	bundle = fx_bundle_sh("exit 3", 0);
	REQUIRE(rt && bundle);
	/* this process's runtime starts the root's monitor */
	REQUIRE(fx_run_output(rt, fx_id(), bundle, buf, sizeof(buf), &ex) == 0);
	CHECK_INT(ex.status, ==, 3);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	REQUIRE(n > 0);
	exe[n] = '\0';
	fx_snap(&before, root, NULL);
	p = popen(fx_str("unshare --user --mount --map-current-user %s --child-run-wait %s %s %s 2>&1",
	                 exe, root, id, bundle), "r");
	REQUIRE(p != NULL);
	while (got < sizeof(buf) - 1 && (n = (ssize_t)fread(buf + got, 1, sizeof(buf) - 1 - got, p)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	status = pclose(p);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		t_fail(__FILE__, __LINE__, "the caller in namespaces of its own: status %#x: %s", status, buf);
	CHECK_OK(exec_container_load(rt, id, &c));
	ex = (exec_exit)EXEC_EXIT_INIT;
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 3);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	NOTHING_LEFT(&before, root, id);
}

const test_case rootless_tests[] = {
	{ "rootless.default_root", default_root },
	{ "rootless.lifecycle", lifecycle },
	{ "rootless.exec_and_reattach", exec_and_reattach },
	{ "rootless.no_cgroup_not_supported", no_cgroup_not_supported },
	{ "rootless.subids", subids },
	{ "rootless.userns_none_refused", userns_none_refused },
	{ "rootless.other_namespaces_share_root", other_namespaces_share_root },
	{ NULL, NULL },
};
