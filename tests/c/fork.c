/*
 * fork.c - the host's own children, signals and fork(): the library never
 * takes the host's exit statuses nor lets the host take a container's,
 * whatever the host does with SIGCHLD; it fails fast in a forked child; and
 * containers keep their exits when the host dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A child of the host exits 42 while containers run and are waited for; its
 * orphaned child is not re-parented to the host, which is no subreaper. The
 * host reaps its child with its status: the library reaped nothing of it.
 */
static void host_children_keep_status(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.2; exit 1", 0);
	exec_container *c[3] = { NULL, NULL, NULL };
	exec_exit ex = EXEC_EXIT_INIT;
	pid_t child, grandchild = -1;
	int p[2], status = 0;

	REQUIRE(rt && bundle);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			nap_ms(1500);
			_exit(43);
		}
		if (write(p[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		nap_ms(300);
		_exit(42);
	}
	close(p[1]);
	CHECK(read(p[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild));
	close(p[0]);

	for (int i = 0; i < 3; i++)
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c[i]));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_wait(c[i], 10000, &ex));
		CHECK_INT(ex.status, ==, 1);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
	CHECK(fx_wait_child(child, 5000, &status) == 0);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), ==, 42);
	CHECK_INT(fx_ppid(grandchild), !=, getpid());
}

#define FORKED_CALLS 14

/* In a child forked after the library started, every call fails at once. */
static void forked_child_fails_fast(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &opts.root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	int results[FORKED_CALLS], nogo[3] = { 0, 0, 0 }, p[2], status;
	exec_state st;
	pid_t child;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		exec_runtime *rt2 = NULL;
		exec_container *c2 = NULL;
		char **ids = NULL;
		size_t n;
		int r[FORKED_CALLS], pid;
		exec_exit ex = EXEC_EXIT_INIT;
		exec_stats stats = EXEC_STATS_INIT;
		int *pids;
		exec_events *events = NULL;
		exec_event event = EXEC_EVENT_INIT;

		r[0] = exec_container_list(rt, &ids, &n);
		r[1] = exec_container_pid(c, &pid);
		r[2] = exec_container_state(c, &st);
		r[3] = exec_container_wait(c, -1, &ex);
		r[4] = exec_container_kill(c, SIGKILL, 0);
		r[5] = exec_runtime_new(&opts, &rt2);
		r[6] = exec_container_run(rt, "forked", bundle, NULL, &c2);
		r[7] = exec_container_delete(c, 1);
		r[8] = exec_container_stats(c, &stats);
		r[9] = exec_container_ps(c, &pids, &n);
		r[10] = exec_container_update(c, "{}");
		r[11] = exec_container_exit_fd(c, &pid);
		r[12] = exec_events_open(rt, 0, &events);
		r[13] = exec_events_next(events, 0, &event);
		/* Getters give NULL; what needs no Go keeps working. */
		nogo[0] = exec_container_id(c) == NULL && exec_runtime_root(rt) == NULL;
		nogo[1] = strcmp(exec_version(), EXEC_VERSION) == 0 &&
		          strcmp(exec_strerror(EXEC_ENOTFOUND), exec_strerror(EXEC_EINVAL)) != 0;
		nogo[2] = exec_last_error() != NULL && exec_exit_init(&ex, EXEC_EXIT_VERSION) == EXEC_OK;
		exec_free(NULL);
		exec_container_free(c);
		exec_runtime_free(rt);
		if (write(p[1], r, sizeof(r)) != sizeof(r) || write(p[1], nogo, sizeof(nogo)) != sizeof(nogo))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (fx_wait_child(child, 10000, &status) != 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		close(p[0]);
		CHECK(!"the forked child hung in a library call");
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(read(p[0], results, sizeof(results)) == sizeof(results));
	CHECK(read(p[0], nogo, sizeof(nogo)) == sizeof(nogo));
	close(p[0]);
	CHECK(nogo[0] && nogo[1] && nogo[2]);
	for (int i = 0; i < FORKED_CALLS; i++)
		if (results[i] != EXEC_ESTATE)
			t_fail(__FILE__, __LINE__, "call #%d in the forked child: %d (%s), want EXEC_ESTATE",
			       i, results[i], exec_strerror(results[i]));
	REQUIRE(!t_failed());

	/* Nothing the child asked for happened. */
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/*
 * The host reaps with waitpid(-1) in a loop while containers run: it finds
 * no child of the library's, and every container's exit is exact.
 */
static void waitpid_loop(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.3; exit 11", 0);
	exec_container *c[4] = { NULL, NULL, NULL, NULL };
	exec_exit ex = EXEC_EXIT_INIT;
	int status, reaped = 0;
	long long end;

	REQUIRE(rt && bundle);
	for (int i = 0; i < 4; i++)
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c[i]));
	end = fx_now_ms() + 1000;
	while (fx_now_ms() < end) {
		pid_t r = waitpid(-1, &status, WNOHANG);

		if (r > 0)
			reaped++;
		nap_ms(5);
	}
	CHECK_INT(reaped, ==, 0);
	for (int i = 0; i < 4; i++) {
		CHECK_OK(exec_container_wait(c[i], 10000, &ex));
		CHECK_INT(ex.status, ==, 11);
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
}

/* Run `n` containers exiting 0..n-1 on a fresh root; check each exit. */
static void exits_exact(int n)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_container *c[8];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && n <= 8);
	for (int i = 0; i < n; i++) {
		const char *bundle = fx_bundle_sh(fx_str("sleep 0.2; exit %d", i + 20), 0);

		REQUIRE(bundle);
		c[i] = NULL;
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c[i]));
	}
	for (int i = 0; i < n; i++) {
		CHECK_OK(exec_container_wait(c[i], 10000, &ex));
		CHECK_INT(ex.status, ==, i + 20);
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
}

/* A host that ignores SIGCHLD (children reaped by the kernel) loses nothing. */
static void sigchld_ignored(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	CHECK(sigaction(SIGCHLD, &ign, &old) == 0);
	exits_exact(4);
	sigaction(SIGCHLD, &old, NULL);
}

static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig)
{
	(void)sig;
	sigchld_seen++;
}

/*
 * A host handler for SIGCHLD without SA_ONSTACK, as a C program or Python
 * 3.9 installs it: the library adds SA_ONSTACK and keeps the rest; the
 * host's own children still raise it, and every exit is exact.
 */
static void handler_without_onstack(void)
{
	struct sigaction act = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART }, now, old;
	pid_t child;
	int status = 0;

	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGUSR2);
	CHECK(sigaction(SIGCHLD, &act, &old) == 0);
	exits_exact(4);
	CHECK(sigaction(SIGCHLD, NULL, &now) == 0);
	CHECK(now.sa_handler == on_sigchld);
	CHECK(now.sa_flags & SA_ONSTACK);
	CHECK(now.sa_flags & SA_RESTART);
	CHECK(sigismember(&now.sa_mask, SIGUSR2));
	sigchld_seen = 0;
	child = fork();
	if (child == 0)
		_exit(3);
	CHECK(fx_wait_child(child, 5000, &status) == 0);
	CHECK_INT(WEXITSTATUS(status), ==, 3);
	CHECK_INT(sigchld_seen, >=, 1);
	sigaction(SIGCHLD, &old, NULL);
}

/*
 * The host is SIGKILLed with its container running: the container lives
 * on, the monitor records its exit, and this process, which is not the
 * container's parent, loads it.
 */
static void host_killed(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("sleep 1; exit 12", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_state st;

	REQUIRE(rt && bundle && id);
	REQUIRE(fx_run_and_kill_host("--child-run-hang", root, id, bundle, NULL) == 0);
	CHECK_OK(exec_container_load(rt, id, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 12);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/*
 * With kill_on_exit, a host SIGKILLed with its container running takes the
 * container with it: killed and deleted, from the runtime and the root.
 */
static void host_killed_kill_on_exit(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	long long end;
	int rc;

	REQUIRE(rt && bundle && id);
	REQUIRE(fx_run_and_kill_host("--child-run-kill", root, id, bundle, NULL) == 0);
	end = fx_now_ms() + 10000;
	while ((rc = exec_container_load(rt, id, &c)) == EXEC_OK && fx_now_ms() < end) {
		exec_container_free(c);
		fx_sleep_ms(20);
	}
	CHECK_INT(rc, ==, EXEC_ENOTFOUND);
	while (fx_exists(fx_str("%s/runc/%s", root, id)) && fx_now_ms() < end)
		fx_sleep_ms(20);
	CHECK(!fx_exists(fx_str("%s/runc/%s", root, id)));
}

/*
 * A host in a v2 cgroup of its own starts the root's monitor and runs a
 * container; then everything in the host's cgroup is killed, as systemd
 * stopping the host's unit does. The monitor, in a cgroup of its own beside
 * the host's, records the container's exit, which another process loads;
 * once nothing holds it, it exits and removes its cgroup. As root only:
 * without a delegated cgroup the monitor stays in the host's.
 */
static void host_cgroup_killed(void)
{
	const char *v2 = fx_exists("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified"
	                                                                      : "/sys/fs/cgroup";
	const char *parent = fx_str("%s/libexecution-test-%s", v2, fx_id());
	const char *host = fx_str("%s/host", parent);
	const char *root = fx_tempdir(), *id = fx_id();
	const char *bundle = fx_bundle_sh("sleep 1; exit 12", 0);
	char self[PATH_MAX], out[128] = "";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	long long end;

	if (geteuid() != 0)
		return;
	REQUIRE(root && bundle && id && n > 0);
	self[n] = '\0';
	CHECK(mkdir(parent, 0755) == 0);
	CHECK(mkdir(host, 0755) == 0);
	CHECK(fx_exists(fx_str("%s/cgroup.kill", host)));
	if (!t_failed() && fx_run_and_kill_host("--child-run-hang", root, id, bundle, host) == 0) {
		const char *argv[] = { self, "--child-load-wait", root, id, "-", NULL };

		CHECK_INT(fx_command(argv, out, sizeof(out)), ==, 0);
		CHECK_STR(out, "exit 12\n");
	}
	end = fx_now_ms() + 10000;
	while (fx_monitor_of(root) > 0 && fx_now_ms() < end)
		fx_sleep_ms(20);
	rmdir(host);
	CHECK(rmdir(parent) == 0 || errno == ENOENT);
}

const test_case fork_tests[] = {
	{ "fork.host_children_keep_status", host_children_keep_status },
	{ "fork.forked_child_fails_fast", forked_child_fails_fast },
	{ "fork.waitpid_loop", waitpid_loop },
	{ "fork.sigchld_ignored", sigchld_ignored },
	{ "fork.handler_without_onstack", handler_without_onstack },
	{ "fork.host_killed", host_killed },
	{ "fork.host_killed_kill_on_exit", host_killed_kill_on_exit },
	{ "fork.host_cgroup_killed", host_cgroup_killed },
	{ NULL, NULL },
};
