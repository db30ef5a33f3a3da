/*
 * fork.c - the host's own children and fork(): the library never takes the
 * host's exit statuses, fails fast in a forked child, and reports a status
 * the host stole instead of making one up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * A child of the host exits 42 while containers run and are waited for; an
 * orphaned grandchild (re-parented to the host, a subreaper) exits 43. The
 * host reaps both with their statuses: the library reaped neither.
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
			nap_ms(600);
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
	fx_sleep_ms(700);
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
	CHECK(fx_wait_child(child, 5000, &status) == 0);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), ==, 42);
	CHECK(fx_wait_child(grandchild, 5000, &status) == 0);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), ==, 43);
}

#define FORKED_CALLS 11

/* In a child forked after the library started, every call fails at once. */
static void forked_child_fails_fast(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &opts.root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	int results[FORKED_CALLS], p[2], status;
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
		exec_container_free(c);
		exec_runtime_free(rt);
		if (write(p[1], r, sizeof(r)) != sizeof(r))
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
	close(p[0]);
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
 * The host reaps a container's init itself with waitpid(-1): the library
 * must say so with EXEC_ESYS, not invent a status, not hang. The host and
 * the library race for the status; a round the library wins is retried.
 */
static void stolen_exit(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "0.3", NULL };
	const char *bundle = fx_bundle(argv, 0);
	int stolen = 0, rounds = 0;

	REQUIRE(rt && bundle);
	for (; rounds < 30 && !stolen; rounds++) {
		exec_container *c = NULL;
		exec_exit ex = { EXEC_EXIT_VERSION, -100, -100, -100, -100, -100 };
		long long t0;
		int pid = -1, status, rc;

		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
		CHECK_OK(exec_container_pid(c, &pid));
		for (;;) {
			pid_t r = waitpid(-1, &status, 0);

			if (r == pid)
				stolen = 1;
			if (r == pid || (r < 0 && errno == ECHILD))
				break;
		}
		t0 = fx_now_ms();
		rc = exec_container_wait(c, 5000, &ex);
		if (stolen) {
			CHECK_INT(fx_now_ms() - t0, <, 4000);
			if (rc != EXEC_ESYS)
				t_fail(__FILE__, __LINE__,
				       "wait after a stolen exit: %d (%s), status %d; want EXEC_ESYS; %s",
				       rc, exec_strerror(rc), ex.status, exec_last_error());
			REQUIRE(!t_failed());
			CHECK_CONTAINS(exec_last_error(), "reaped");
		} else {
			CHECK_OK(rc);
			CHECK_INT(ex.status, ==, 0);
		}
		CHECK_OK(exec_container_delete(c, 0));
		exec_container_free(c);
	}
	CHECK(stolen);
	if (getenv("EXEC_TEST_VERBOSE"))
		fprintf(stderr, "stolen_exit: the host won in round %d\n", rounds);
}

const test_case fork_tests[] = {
	{ "fork.host_children_keep_status", host_children_keep_status },
	{ "fork.forked_child_fails_fast", forked_child_fails_fast },
	{ "fork.stolen_exit", stolen_exit },
	{ NULL, NULL },
};
