/*
 * promises.c - promises of the header that no other group checks: handles
 * that answer after delete, out-parameters left alone on failure, fds
 * handed over close-on-exec, the options' defaults, and state read without
 * running the runtime.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* A runtime script named `name` that appends its arguments to `log`, then
 * runs runc (after `pre`, a shell line). */
static const char *logging_runtime(const char *name, const char *log, const char *pre)
{
	const char *dir = fx_tempdir();
	const char *path = dir ? fx_str("%s/%s", dir, name) : NULL;
	FILE *f = path ? fopen(path, "we") : NULL;

	if (f == NULL)
		return NULL;
	fprintf(f, "#!/bin/sh\necho \"$*\" >>%s\n%s\n"
	           "exec $(command -v runc || echo /usr/sbin/runc) \"$@\"\n", log, pre);
	fclose(f);
	chmod(path, 0755);
	return path;
}

/* Lines in `path` containing `needle`. */
static int count_in(const char *path, const char *needle)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* After delete, a process handle still gives its id, pid, exit and stream. */
static void deleted_process_answers(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_io io = EXEC_IO_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	char buf[64];
	int pid = -1, pid2 = -1, out = -1;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "echo", "{\"args\":[\"echo\",\"still here\"]}", &io, &p));
	CHECK_OK(exec_process_pid(p, &pid));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_OK(exec_process_delete(p));
	CHECK_STR(exec_process_id(p), "echo");
	CHECK_OK(exec_process_pid(p, &pid2));
	CHECK_INT(pid2, ==, pid);
	CHECK_OK(exec_process_wait(p, 0, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 5000), >, 0);
	CHECK_CONTAINS(buf, "still here");
	close(out);
	CHECK_RC(exec_process_signal(p, 9), EXEC_ENOTFOUND);
	CHECK_RC(exec_process_delete(p), EXEC_ENOTFOUND);
	exec_process_free(p);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* A failing call writes nothing through its out-parameters. */
static void outputs_untouched_on_failure(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 100", 0);
	exec_container *c = NULL;
	exec_exit ex = { EXEC_EXIT_VERSION, 11, 22, 33, 44, 55 };
	exec_state st = (exec_state)77;
	int pid = 55;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_ETIMEDOUT);
	CHECK(ex.status == 11 && ex.code == 22 && ex.signal == 33 && ex.core_dumped == 44 &&
	      ex.oom_killed == 55);
	CHECK_OK(exec_container_delete(c, 1));
	CHECK_RC(exec_container_state(c, &st), EXEC_ENOTFOUND);
	CHECK_INT(st, ==, 77);
	exec_container_free(c);
	CHECK_RC(exec_container_pid(c, &pid), EXEC_ECLOSED);
	CHECK_INT(pid, ==, 55);
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_ECLOSED);
	CHECK_INT(ex.status, ==, 11);
}

/* Pipe ends and pty masters handed over are close-on-exec. */
static void handed_over_fds_cloexec(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sh", NULL };
	const char *bundle = fx_bundle(argv, 0);
	const char *tty_bundle = fx_bundle(argv, 1);
	exec_container *c = NULL, *t = NULL;
	exec_io io = EXEC_IO_INIT, tio = EXEC_IO_INIT;
	int fds[3] = { -1, -1, -1 }, master = -1;

	REQUIRE(rt && bundle && tty_bundle);
	io.stdin_fd = io.stdout_fd = io.stderr_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, &io, &c));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_stdio(c, i, &fds[i]));
		CHECK(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		close(fds[i]);
	}
	/* With a terminal the three fds are ignored, even invalid ones. */
	tio.terminal = 1;
	tio.stdin_fd = 9999;
	tio.stdout_fd = -77;
	CHECK_OK(exec_container_run(rt, fx_id(), tty_bundle, &tio, &t));
	CHECK_OK(exec_container_stdio(t, EXEC_STDIN, &master));
	CHECK(fcntl(master, F_GETFD) & FD_CLOEXEC);
	close(master);
	CHECK_OK(exec_container_delete(c, 1));
	CHECK_OK(exec_container_delete(t, 1));
	exec_container_free(c);
	exec_container_free(t);
}

/* Freeing a process handle closes the stream ends it never handed over. */
static void process_free_closes_unclaimed_ends(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_io io = EXEC_IO_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	int before;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	io.stdin_fd = io.stdout_fd = io.stderr_fd = EXEC_IO_PIPE;
	/* The first exec starts the container's agent, whose socket stays. */
	before = -1;
	for (int i = 0; i < 6; i++) {
		if (i == 1)
			before = fx_count_fds();
		exec_process *p = NULL;

		CHECK_OK(exec_container_exec(c, fx_str("p%d", i), "{\"args\":[\"true\"]}", &io, &p));
		CHECK_OK(exec_process_wait(p, 10000, &ex));
		exec_process_free(p);
	}
	CHECK_INT(fx_count_fds(), ==, before);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* A paused container takes no exec. */
static void exec_into_paused(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_process *p = NULL;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_pause(c));
	CHECK_RC(exec_container_exec(c, "p", "{\"args\":[\"true\"]}", NULL, &p), EXEC_ESTATE);
	CHECK(p == NULL);
	CHECK_OK(exec_container_resume(c));
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* Ids with `_ + . -` are accepted. */
static void id_charset(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 4", 0);
	const char *id = fx_str("a_b+c.d-%d", (int)getpid());
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_STR(exec_container_id(c), id);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 4);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* timeout_ms 0 is the default (60 s), not "no time": a runtime that takes
 * 1.5 s per call works with it, and times out with 1000. */
static void timeout_zero_is_default(void)
{
	const char *log = fx_str("%s/calls", fx_tempdir());
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	exec_runtime *rt;

	REQUIRE(log && bundle);
	opts.runtime_path = logging_runtime("slow-runtime", log, "sleep 1.5");
	REQUIRE(opts.runtime_path);
	rt = fx_runtime(&opts, NULL);
	REQUIRE(rt);
	CHECK_OK(exec_container_create(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);

	opts.root = NULL;
	opts.timeout_ms = 1000;
	rt = fx_runtime(&opts, NULL);
	REQUIRE(rt);
	CHECK_RC(exec_container_create(rt, fx_id(), bundle, NULL, &c), EXEC_ETIMEDOUT);
}

/* systemd_cgroup and debug reach the runtime's command line. */
static void flags_reach_the_runtime(void)
{
	const char *log = fx_str("%s/calls", fx_tempdir());
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt;
	exec_container *c = NULL;

	REQUIRE(log);
	opts.runtime_path = logging_runtime("flag-runtime", log, "exit 1");
	opts.systemd_cgroup = 1;
	opts.debug = 1;
	REQUIRE(opts.runtime_path);
	rt = fx_runtime(&opts, NULL);
	REQUIRE(rt);
	CHECK_RC(exec_container_create(rt, fx_id(), fx_bundle_sh("exit 0", 0), NULL, &c),
	         EXEC_ERUNTIME);
	CHECK_INT(count_in(log, "--systemd-cgroup"), >=, 1);
	CHECK_INT(count_in(log, "--debug"), >=, 1);
}

/* With runc, state comes from the freezer cgroup and the exec fifo: polling
 * it never runs the runtime; nor does a start, which the monitor makes
 * through the exec fifo. */
static void state_and_start_run_no_runtime(void)
{
	const char *log = fx_str("%s/calls", fx_tempdir());
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_runtime *rt;
	exec_container *c = NULL;
	exec_state st;
	int calls;

	REQUIRE(log && bundle);
	/* Named runc, so the library knows its state layout. */
	opts.runtime_path = logging_runtime("runc", log, "");
	REQUIRE(opts.runtime_path);
	rt = fx_runtime(&opts, NULL);
	REQUIRE(rt);
	CHECK_OK(exec_container_create(rt, fx_id(), bundle, NULL, &c));
	calls = count_in(log, "");
	for (int i = 0; i < 20; i++) {
		CHECK_OK(exec_container_state(c, &st));
		CHECK_INT(st, ==, EXEC_STATE_CREATED);
	}
	CHECK_OK(exec_container_start(c));
	for (int i = 0; i < 20; i++) {
		CHECK_OK(exec_container_state(c, &st));
		CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	}
	CHECK_INT(count_in(log, ""), ==, calls);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

const test_case promise_tests[] = {
	{ "promises.deleted_process_answers", deleted_process_answers },
	{ "promises.outputs_untouched_on_failure", outputs_untouched_on_failure },
	{ "promises.handed_over_fds_cloexec", handed_over_fds_cloexec },
	{ "promises.process_free_closes_unclaimed_ends", process_free_closes_unclaimed_ends },
	{ "promises.exec_into_paused", exec_into_paused },
	{ "promises.id_charset", id_charset },
	{ "promises.timeout_zero_is_default", timeout_zero_is_default },
	{ "promises.flags_reach_the_runtime", flags_reach_the_runtime },
	{ "promises.state_and_start_run_no_runtime", state_and_start_run_no_runtime },
	{ NULL, NULL },
};
