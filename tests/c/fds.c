/*
 * fds.c - extra fds of the caller (exec_io.extra_fds) reach a container
 * or an exec'd process as 3, 4, ... and nothing else of the host does.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* A pipe's write end passed at create is the container's fd 3 once started;
 * the caller's copy stays its own. */
static void pipe_is_fd_3(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("echo through-fd-3 >&3", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int p[2];
	char buf[256];

	REQUIRE(rt && bundle && id);
	REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	io.extra_fds = &p[1];
	io.extra_fds_count = 1;
	CHECK_OK(exec_container_create(rt, id, bundle, &io, &c));
	CHECK(fcntl(p[1], F_GETFD) != -1);
	close(p[1]);
	CHECK_OK(exec_container_start(c));
	CHECK_INT(fx_read_all(p[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "through-fd-3\n");
	close(p[0]);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Two fds arrive as 3 and 4, in the order given. */
static void two_in_order(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("echo three >&3; echo four >&4", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int a[2], b[2], fds[2];
	char buf[256];

	REQUIRE(rt && bundle && id);
	REQUIRE(pipe2(a, O_CLOEXEC) == 0 && pipe2(b, O_CLOEXEC) == 0);
	/* The second pipe first: the order given counts, not the fd numbers. */
	fds[0] = b[1];
	fds[1] = a[1];
	io.extra_fds = fds;
	io.extra_fds_count = 2;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	close(a[1]);
	close(b[1]);
	CHECK_INT(fx_read_all(b[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "three\n");
	CHECK_INT(fx_read_all(a[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "four\n");
	close(a[0]);
	close(b[0]);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* With a terminal, the extra fds follow the pty's three. */
static void with_a_terminal(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("tty >&3", 1);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int p[2], master = -1;
	char buf[256];

	REQUIRE(rt && bundle && id);
	REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	io.terminal = 1;
	io.extra_fds = &p[1];
	io.extra_fds_count = 1;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	close(p[1]);
	CHECK_OK(exec_container_stdio(c, EXEC_STDIN, &master));
	CHECK_INT(fx_read_all(p[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_CONTAINS(buf, "/dev/pts/");
	close(p[0]);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	close(master);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* An exec'd process gets its own extra fd; the host's fds opened without
 * O_CLOEXEC still reach neither it nor the container. */
static void exec_and_nothing_else(void)
{
	const char *argv[] = { "sh", "-c", "probe fds >&3; sleep 60", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *rootfs = fx_probe_rootfs();
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	const char *bundle;
	char buf[256] = "";
	int leaky, init_pipe[2], exec_pipe[2];

	REQUIRE(rt && rootfs);
	bundle = fx_bundle_ext_in(rootfs, argv, NULL);
	REQUIRE(bundle);
	leaky = open("/dev/null", O_RDONLY);
	REQUIRE(leaky >= 0);
	REQUIRE(pipe2(init_pipe, O_CLOEXEC) == 0 && pipe2(exec_pipe, O_CLOEXEC) == 0);
	io.extra_fds = &init_pipe[1];
	io.extra_fds_count = 1;
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, &io, &c));
	close(init_pipe[1]);
	CHECK(fx_read_until(init_pipe[0], buf, sizeof(buf), "\n", 10000) == 0);
	CHECK_STR(buf, "fds=0 1 2 3 \n");

	io.extra_fds = &exec_pipe[1];
	CHECK_OK(exec_container_exec(c, "fds", "{\"args\":[\"sh\",\"-c\",\"probe fds >&3\"]}", &io, &p));
	close(exec_pipe[1]);
	CHECK_INT(fx_read_all(exec_pipe[0], buf, sizeof(buf), 10000), >=, 0);
	CHECK_STR(buf, "fds=0 1 2 3 \n");
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	exec_process_free(p);
	close(leaky);
	close(init_pipe[0]);
	close(exec_pipe[0]);
	CHECK(fx_kill_delete(c) == 0);
}

/* Bad extra fds are EXEC_EINVAL for create, run and exec, before anything
 * starts: no state dir, child, runc container or fd is left. */
static void bad_fds_refused(void)
{
	const char *root = NULL, *id = fx_id(), *pid_ = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("sleep 60", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL, *bad = NULL;
	exec_process *p = NULL;
	exec_events *ev = NULL;
	fx_snapshot before;
	int many[EXEC_IO_MAX_EXTRA_FDS + 1];
	int one[1], closed_fd, own_fd = -1;
	size_t i;

	REQUIRE(rt && bundle && id && pid_);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_events_open(rt, 0, &ev));
	CHECK_OK(exec_events_fd(ev, &own_fd));
	closed_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	REQUIRE(closed_fd >= 0);
	close(closed_fd);
	for (i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = 2;
	REQUIRE(!t_failed());
	fx_snap(&before, root, NULL);

	io.extra_fds = one;
	io.extra_fds_count = 1;
	one[0] = -1;
	CHECK_RC(exec_container_create(rt, fx_id(), bundle, &io, &bad), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "not an fd");
	one[0] = closed_fd;
	CHECK_RC(exec_container_run(rt, fx_id(), bundle, &io, &bad), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "bad file descriptor");
	one[0] = own_fd;
	CHECK_RC(exec_container_run(rt, fx_id(), bundle, &io, &bad), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "the library's own");
	CHECK_RC(exec_container_exec(c, pid_, "{\"args\":[\"true\"]}", &io, &p), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "the library's own");
	one[0] = closed_fd;
	CHECK_RC(exec_container_exec(c, pid_, "{\"args\":[\"true\"]}", &io, &p), EXEC_EINVAL);
	io.extra_fds = many;
	io.extra_fds_count = EXEC_IO_MAX_EXTRA_FDS + 1;
	CHECK_RC(exec_container_run(rt, fx_id(), bundle, &io, &bad), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "EXEC_IO_MAX_EXTRA_FDS");
	CHECK_RC(exec_container_exec(c, pid_, "{\"args\":[\"true\"]}", &io, &p), EXEC_EINVAL);
	io.extra_fds = NULL;
	io.extra_fds_count = 1;
	CHECK_RC(exec_container_run(rt, fx_id(), bundle, &io, &bad), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "NULL");
	CHECK(bad == NULL && p == NULL);
	REQUIRE(!t_failed());
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, NULL, 1) == 0);
	CHECK(!fx_exists(fx_str("%s/containers/%s/processes/%s", root, id, pid_)));

	/* The cap itself is allowed. */
	io.extra_fds = many;
	io.extra_fds_count = EXEC_IO_MAX_EXTRA_FDS;
	CHECK_OK(exec_container_exec(c, pid_, "{\"args\":[\"true\"]}", &io, &p));
	exec_process_free(p);
	exec_events_free(ev);
	CHECK(fx_kill_delete(c) == 0);
}

/* A version 1 exec_io, from a program built against it, passes no fds. */
static void version_1_io(void)
{
	exec_io io;

	CHECK_OK(exec_io_init(&io, 1));
	CHECK_INT(io.version, ==, 1);
	CHECK_OK(exec_io_init(&io, EXEC_IO_VERSION));
	CHECK(io.extra_fds == NULL && io.extra_fds_count == 0);
}

const test_case fds_tests[] = {
	{ "fds.pipe_is_fd_3", pipe_is_fd_3 },
	{ "fds.two_in_order", two_in_order },
	{ "fds.with_a_terminal", with_a_terminal },
	{ "fds.exec_and_nothing_else", exec_and_nothing_else },
	{ "fds.bad_fds_refused", bad_fds_refused },
	{ "fds.version_1_io", version_1_io },
	{ NULL, NULL },
};
