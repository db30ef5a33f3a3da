/*
 * exec.c - extra processes in a running container.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define SLEEPER "{\"args\":[\"sleep\",\"100\"],\"env\":[\"PATH=/bin\"]}"

/* A running container to exec into: `sleep 100`. */
static exec_container *sleeper(exec_runtime **rt_out, const char **root)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;

	REQUIRE_R(rt && bundle && id, NULL);
	CHECK_RC_R(exec_container_run(rt, id, bundle, NULL, &c), EXEC_OK, NULL);
	if (rt_out)
		*rt_out = rt;
	return c;
}

static void cleanup(exec_container *c)
{
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* env, cwd and user of the process JSON apply; stdout comes through a pipe. */
static void env_cwd_user(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_io io = EXEC_IO_INIT;
	exec_process *p = NULL;
	int out = -1;
	char buf[256];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "env-cwd-user",
		"{\"args\":[\"sh\",\"-c\",\"echo $FOO; pwd; id -u; id -g\"],"
		"\"env\":[\"FOO=bar\",\"PATH=/bin\"],\"cwd\":\"/etc\","
		"\"user\":{\"uid\":65534,\"gid\":65534}}", &io, &p));
	CHECK_STR(exec_process_id(p), "env-cwd-user");
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	close(out);
	CHECK_STR(buf, "bar\n/etc\n65534\n65534\n");
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_process_delete(p));
	exec_process_free(p);
	cleanup(c);
}

/* The exit code and stderr of an exec'd process; cwd defaults to "/". */
static void exit_code_and_stderr(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_io io = EXEC_IO_INIT;
	exec_process *p = NULL;
	int out = -1, err = -1;
	char buf[256];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	io.stdout_fd = EXEC_IO_PIPE;
	io.stderr_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "exit5",
		"{\"args\":[\"/bin/sh\",\"-c\",\"pwd; echo oops >&2; exit 5\"]}", &io, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDOUT, &out));
	CHECK_OK(exec_process_stdio(p, EXEC_STDERR, &err));
	CHECK_RC(exec_process_stdio(p, EXEC_STDERR, &err), EXEC_ESTATE);
	CHECK_RC(exec_process_stdio(p, EXEC_STDIN, &err), EXEC_EINVAL);
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "/\n");
	CHECK_INT(fx_read_all(err, buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "oops\n");
	close(out);
	close(err);
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 5);
	CHECK_INT(ex.code, ==, 5);
	CHECK_INT(ex.signal, ==, 0);
	exec_process_free(p);
	cleanup(c);
}

/* exec_process_signal reaches the process; its death by signal is reported. */
static void signal_and_wait(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1;

	REQUIRE(c);
	CHECK_OK(exec_container_exec(c, "sleeper", SLEEPER, NULL, &p));
	CHECK_OK(exec_process_pid(p, &pid));
	CHECK_INT(pid, >, 1);
	CHECK(fx_is_monitor(fx_ppid(pid)));
	CHECK_RC(exec_process_wait(p, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_RC(exec_process_wait(p, 200, &ex), EXEC_ETIMEDOUT);
	CHECK_RC(exec_process_signal(p, 999), EXEC_EINVAL);
	CHECK_OK(exec_process_signal(p, SIGTERM));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 128 + SIGTERM);
	CHECK_INT(ex.code, ==, -1);
	CHECK_INT(ex.signal, ==, SIGTERM);
	CHECK_OK(exec_process_wait(p, 0, &ex));
	CHECK_INT(ex.status, ==, 128 + SIGTERM);
	CHECK_RC(exec_process_signal(p, SIGTERM), EXEC_ESTATE);
	CHECK(!fx_exists(fx_str("/proc/%d", pid)));
	exec_process_free(p);
	cleanup(c);
}

/* A running process cannot be deleted; an exited one once; then its id is free. */
static void delete_process(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_process *p = NULL, *p2 = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	CHECK_OK(exec_container_exec(c, "proc", SLEEPER, NULL, &p));
	CHECK_RC(exec_process_delete(p), EXEC_ESTATE);
	CHECK_RC(exec_process_wait(p, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	CHECK_OK(exec_process_delete(p));
	CHECK_RC(exec_process_delete(p), EXEC_ENOTFOUND);
	CHECK_RC(exec_process_load(c, "proc", &p2), EXEC_ENOTFOUND);
	exec_process_free(p);

	CHECK_OK(exec_container_exec(c, "proc", "{\"args\":[\"/bin/true\"]}", NULL, &p));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_process_delete(p));
	exec_process_free(p);
	cleanup(c);
}

/* A second process with a live id is EEXIST and leaves the first alone. */
static void duplicate_id(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_process *p = NULL, *p2 = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int pid = -1;

	REQUIRE(c);
	CHECK_OK(exec_container_exec(c, "dup", SLEEPER, NULL, &p));
	CHECK_RC(exec_container_exec(c, "dup", "{\"args\":[\"/bin/true\"]}", NULL, &p2),
	         EXEC_EEXIST);
	CHECK(p2 == NULL);
	CHECK_OK(exec_process_pid(p, &pid));
	CHECK(fx_exists(fx_str("/proc/%d", pid)));
	CHECK_RC(exec_process_wait(p, 100, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	exec_process_free(p);
	cleanup(c);
}

/* No exec into a created container: its init has not started. */
static void into_created(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	exec_process *p = NULL;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_exec(c, "p", SLEEPER, NULL, &p), EXEC_ESTATE);
	CHECK(p == NULL);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* No exec into a stopped or a deleted container. */
static void into_stopped(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_RC(exec_container_exec(c, "p", SLEEPER, NULL, &p), EXEC_ESTATE);
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_exec(c, "p", SLEEPER, NULL, &p), EXEC_ENOTFOUND);
	CHECK(p == NULL);
	exec_container_free(c);
}

/* An exec'd process with a pty (io.terminal) and its window size. */
static void terminal_resize(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_io io = EXEC_IO_INIT;
	exec_process *p = NULL, *plain = NULL;
	int master = -1;
	char buf[1024] = "";
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	io.terminal = 1;
	CHECK_OK(exec_container_exec(c, "tty",
		"{\"args\":[\"sh\",\"-c\",\"tty; read line; stty size\"],\"env\":[\"PATH=/bin\"]}",
		&io, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDIN, &master));
	CHECK(isatty(master));
	CHECK(fx_read_until(master, buf, sizeof(buf), "/dev/pts/", 10000) == 0);
	CHECK_OK(exec_process_resize(p, 25, 90));
	CHECK(fx_write_all(master, "go\n") == 0);
	CHECK_INT(fx_read_all(master, buf, sizeof(buf), 10000), >=, 0);
	CHECK_CONTAINS(buf, "25 90");
	close(master);
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	exec_process_free(p);

	CHECK_OK(exec_container_exec(c, "plain", SLEEPER, NULL, &plain));
	CHECK_RC(exec_process_resize(plain, 25, 90), EXEC_EINVAL);
	CHECK_OK(exec_process_signal(plain, SIGKILL));
	CHECK_OK(exec_process_wait(plain, 10000, &ex));
	exec_process_free(plain);
	cleanup(c);
}

/* process.terminal in the JSON alone also gives a pty. */
static void terminal_from_json(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_process *p = NULL;
	int master = -1;
	char buf[1024];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	CHECK_OK(exec_container_exec(c, "tty",
		"{\"args\":[\"tty\"],\"env\":[\"PATH=/bin\"],\"terminal\":true}", NULL, &p));
	CHECK_OK(exec_process_stdio(p, EXEC_STDIN, &master));
	CHECK_INT(fx_read_all(master, buf, sizeof(buf), 10000), >=, 0);
	CHECK_CONTAINS(buf, "/dev/pts/");
	close(master);
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	exec_process_free(p);
	cleanup(c);
}

/* exec_process_load gives a second handle to the same process. */
static void load(void)
{
	exec_container *c = sleeper(NULL, NULL);
	exec_process *p = NULL, *p2 = NULL, *p3 = NULL;
	exec_exit ex = EXEC_EXIT_INIT, ex2 = EXEC_EXIT_INIT;
	int pid = -1, pid2 = -2;

	REQUIRE(c);
	CHECK_OK(exec_container_exec(c, "loaded", SLEEPER, NULL, &p));
	CHECK_OK(exec_process_load(c, "loaded", &p2));
	CHECK(p2 != NULL && p2 != p);
	CHECK_STR(exec_process_id(p2), "loaded");
	CHECK_OK(exec_process_pid(p, &pid));
	CHECK_OK(exec_process_pid(p2, &pid2));
	CHECK_INT(pid, ==, pid2);
	CHECK_OK(exec_process_signal(p2, SIGKILL));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_OK(exec_process_wait(p2, 10000, &ex2));
	CHECK_INT(ex.status, ==, 137);
	CHECK_INT(ex2.status, ==, 137);
	CHECK_RC(exec_process_load(c, "nope", &p3), EXEC_ENOTFOUND);
	CHECK_RC(exec_process_load(c, "../x", &p3), EXEC_EINVAL);
	CHECK(p3 == NULL);
	exec_process_free(p2);
	exec_process_free(p);
	cleanup(c);
}

/* Bad process JSON and bad process ids leave nothing behind. */
static void bad_input(void)
{
	static const char *const bad_json[] = {
		"", "not json", "{", "[1,2]", "{}", "{\"args\":[]}", "{\"args\":\"sh\"}",
		"{\"args\":[\"sh\"],\"user\":\"root\"}", "null",
	};
	const char *root;
	exec_container *c = sleeper(NULL, &root);
	exec_process *p = NULL;
	static char long_id[2001];
	const char *const bad_ids[] = { "", ".", "..", "../x", "a/b", "a b", long_id };
	fx_snapshot before;
	int files;

	REQUIRE(c);
	memset(long_id, 'p', 2000);
	fx_snap(&before, root, NULL);
	files = fx_count_tree(fx_str("%s/containers", root));
	for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		int rc = exec_container_exec(c, "p", bad_json[i], NULL, &p);

		if (rc != EXEC_EINVAL)
			t_fail(__FILE__, __LINE__, "exec with JSON '%s': %d (%s), want EXEC_EINVAL; %s",
			       bad_json[i], rc, exec_strerror(rc), exec_last_error());
		CHECK(exec_last_error()[0] != '\0');
	}
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		int rc = exec_container_exec(c, bad_ids[i], SLEEPER, NULL, &p);

		if (rc != EXEC_EINVAL)
			t_fail(__FILE__, __LINE__, "exec with id '%.40s': %d (%s), want EXEC_EINVAL; %s",
			       bad_ids[i], rc, exec_strerror(rc), exec_last_error());
	}
	CHECK(p == NULL);
	REQUIRE(!t_failed());
	NOTHING_LEFT(&before, root, NULL);
	CHECK_INT(fx_count_tree(fx_str("%s/containers", root)), ==, files);
	cleanup(c);
}

/* Count the container's exec agents ("/proc/self/fd/3" processes), and
 * with kill, kill them: the output of one exec. */
#define AGENTS_SH "n=0; for p in /proc/[0-9]*; do " \
	"if [ \\\"$(tr -d '\\\\0' < $p/cmdline 2>/dev/null)\\\" = /proc/self/fd/3 ]; then " \
	"n=$((n+1)); [ -z \\\"$KILL\\\" ] || kill -9 ${p#/proc/}; fi; done; echo $n"

/* The output of process json exec'd into c, waited for and deleted. */
static const char *exec_output(exec_container *c, const char *id, const char *json, int *status)
{
	exec_io io = EXEC_IO_INIT;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	static char buf[256];
	int out = -1;

	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_RC_R(exec_container_exec(c, id, json, &io, &p), EXEC_OK, "");
	CHECK_RC_R(exec_process_stdio(p, EXEC_STDOUT, &out), EXEC_OK, "");
	buf[0] = 0;
	CHECK_INT_R(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0, "");
	close(out);
	CHECK_RC_R(exec_process_wait(p, 10000, &ex), EXEC_OK, "");
	*status = ex.status;
	CHECK_RC_R(exec_process_delete(p), EXEC_OK, "");
	exec_process_free(p);
	return buf;
}

/* Agent on (the default), an exec like the container's process leaves the
 * container's agent behind for the next; off, there is none. */
static void agent_serves(void)
{
	exec_container *c = sleeper(NULL, NULL);
	int status = -1, off = getenv("EXEC_TEST_NO_AGENT") != NULL;

	REQUIRE(c);
	exec_output(c, "first", "{\"args\":[\"true\"]}", &status);
	CHECK_INT(status, ==, 0);
	CHECK_STR(exec_output(c, "count", "{\"args\":[\"sh\",\"-c\",\"" AGENTS_SH "\"]}", &status),
	          off ? "0\n" : "1\n");
	CHECK_INT(status, ==, 0);
	cleanup(c);
}

/* Code in the container that kills the agent does not stop the next execs:
 * they run, and a new agent serves them. */
static void agent_killed(void)
{
	exec_container *c = sleeper(NULL, NULL);
	int status = -1, off = getenv("EXEC_TEST_NO_AGENT") != NULL;

	REQUIRE(c);
	exec_output(c, "first", "{\"args\":[\"true\"]}", &status);
	CHECK_STR(exec_output(c, "killer", "{\"args\":[\"sh\",\"-c\",\"" AGENTS_SH "\"],"
	                      "\"env\":[\"KILL=1\",\"PATH=/bin\"]}", &status),
	          off ? "0\n" : "1\n");
	for (int i = 0; i < 2; i++) {
		CHECK_STR(exec_output(c, fx_str("again%d", i), "{\"args\":[\"echo\",\"again\"]}", &status),
		          "again\n");
		CHECK_INT(status, ==, 0);
	}
	CHECK_STR(exec_output(c, "count", "{\"args\":[\"sh\",\"-c\",\"" AGENTS_SH "\"]}", &status),
	          off ? "0\n" : "1\n");
	cleanup(c);
}

const test_case exec_tests[] = {
	{ "exec.env_cwd_user", env_cwd_user },
	{ "exec.exit_code_and_stderr", exit_code_and_stderr },
	{ "exec.signal_and_wait", signal_and_wait },
	{ "exec.delete", delete_process },
	{ "exec.duplicate_id", duplicate_id },
	{ "exec.into_created", into_created },
	{ "exec.into_stopped", into_stopped },
	{ "exec.terminal_resize", terminal_resize },
	{ "exec.terminal_from_json", terminal_from_json },
	{ "exec.load", load },
	{ "exec.bad_input", bad_input },
	{ "exec.agent_serves", agent_serves },
	{ "exec.agent_killed", agent_killed },
	{ NULL, NULL },
};
