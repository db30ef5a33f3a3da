/*
 * io.c - standard streams: library pipes, caller fds, /dev/null, handover.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* stdout and stderr through pipes; each reader sees EOF once the container exits. */
static void pipe_stdout_stderr(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("echo out; echo err >&2; exit 0", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int out = -1, err = -1;
	char buf[256];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	io.stdout_fd = EXEC_IO_PIPE;
	io.stderr_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK_OK(exec_container_stdio(c, EXEC_STDERR, &err));
	CHECK(out >= 0 && err >= 0 && out != err);
	CHECK(fcntl(out, F_GETFD) & FD_CLOEXEC);
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), ==, 4);
	CHECK_STR(buf, "out\n");
	CHECK_INT(fx_read_all(err, buf, sizeof(buf), 10000), ==, 4);
	CHECK_STR(buf, "err\n");
	close(out);
	close(err);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A megabyte through the pipe arrives whole. */
static void pipe_large_output(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("yes abcdefgh | head -c 1000000", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int out = -1;
	char buf[32];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 20000), ==, 1000000);
	CHECK_STR(buf, "abcdefgh\nabcdefgh\nabcdefgh\nabcd");
	close(out);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* stdin through a pipe: cat echoes while running and exits 0 at EOF. */
static void pipe_stdin(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "cat", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int in = -1, out = -1;
	char buf[256] = "";
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	io.stdin_fd = EXEC_IO_PIPE;
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDIN, &in));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK(fx_write_all(in, "hello\n") == 0);
	CHECK(fx_read_until(out, buf, sizeof(buf), "hello\n", 10000) == 0);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK(fx_write_all(in, "world\n") == 0);
	close(in);
	CHECK(fx_read_all(out, buf, sizeof(buf), 10000) >= 0);
	CHECK_STR(buf, "world\n");
	close(out);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A pipe of the caller's: the library dups the write end and drops its copy. */
static void caller_pipe(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("echo via-caller-pipe", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int p[2], fd;
	char buf[256];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	io.stdout_fd = p[1];
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK(fcntl(p[1], F_GETFD) != -1);
	close(p[1]);
	CHECK_INT(fx_read_all(p[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "via-caller-pipe\n");
	close(p[0]);
	CHECK_RC(exec_container_stdio(c, EXEC_STDOUT, &fd), EXEC_EINVAL);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

static int temp_file(const char *content)
{
	char path[] = "/tmp/ect-file-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		return -1;
	unlink(path);
	if (fx_write_all(fd, content) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Files of the caller as stdin and stdout. */
static void caller_file(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("cat; echo end", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int in = temp_file("line1\nline2\n"), out = temp_file("");
	char buf[256];
	ssize_t n;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK(in >= 0 && out >= 0);
	io.stdin_fd = in;
	io.stdout_fd = out;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	n = pread(out, buf, sizeof(buf) - 1, 0);
	CHECK(n >= 0);
	buf[n] = '\0';
	CHECK_STR(buf, "line1\nline2\nend\n");
	close(in);
	close(out);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* EXEC_IO_NULL and io == NULL connect the streams to /dev/null (char 1,3). */
static void null_streams(void)
{
	const char *id = fx_id(), *id2 = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh(
		"stat -L -c %t,%T /proc/self/fd/0 /proc/self/fd/2; cat; echo done", 0);
	/* The shell's own fds ($$), not those of the $(...) capture. */
	const char *all_null = fx_bundle_sh(
		"for f in 0 1 2; do [ \"$(stat -L -c %t,%T /proc/$$/fd/$f)\" = 1,3 ] || exit 1$f; done", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL, *c2 = NULL;
	int out = -1, fd;
	char buf[256];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && all_null && id && id2);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	close(out);
	CHECK_STR(buf, "1,3\n1,3\ndone\n");
	CHECK_RC(exec_container_stdio(c, EXEC_STDIN, &fd), EXEC_EINVAL);
	CHECK_RC(exec_container_stdio(c, EXEC_STDERR, &fd), EXEC_EINVAL);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);

	CHECK_OK(exec_container_run(rt, id2, all_null, NULL, &c2));
	CHECK_OK(exec_container_wait(c2, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c2, 0));
	exec_container_free(c2);
}

/* Each end is handed over once; a bad stream number is EINVAL. */
static void stdio_handover(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("echo x", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int out = -1, fd = -1;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK_RC(exec_container_stdio(c, EXEC_STDOUT, &fd), EXEC_ESTATE);
	CHECK_RC(exec_container_stdio(c, 3, &fd), EXEC_EINVAL);
	CHECK_RC(exec_container_stdio(c, -1, &fd), EXEC_EINVAL);
	CHECK_INT(fd, ==, -1);
	close(out);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Ends never handed over are closed by exec_container_free(). */
static void free_closes_unclaimed(void)
{
	const char *id = fx_id(), *warm = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_io io = { EXEC_IO_VERSION, EXEC_IO_PIPE, EXEC_IO_PIPE, EXEC_IO_PIPE, 0, NULL, 0 };
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int before;

	REQUIRE(rt && bundle && id && warm);
	/* One lifecycle first, so that fds the library keeps for good exist. */
	CHECK_OK(exec_container_run(rt, warm, bundle, &io, &c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);

	before = fx_count_fds();
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_INT(fx_count_fds(), >, before);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	CHECK_INT(fx_count_fds(), ==, before);
}

const test_case io_tests[] = {
	{ "io.pipe_stdout_stderr", pipe_stdout_stderr },
	{ "io.pipe_large_output", pipe_large_output },
	{ "io.pipe_stdin", pipe_stdin },
	{ "io.caller_pipe", caller_pipe },
	{ "io.caller_file", caller_file },
	{ "io.null_streams", null_streams },
	{ "io.stdio_handover", stdio_handover },
	{ "io.free_closes_unclaimed", free_closes_unclaimed },
	{ NULL, NULL },
};
