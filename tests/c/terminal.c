/*
 * terminal.c - containers with a pty: the master, output, window size.
 */
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/*
 * The container prints its tty, waits for a line, then prints its window
 * size: the size set by exec_container_resize() in between.
 */
static void output_and_resize(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("tty; read line; stty size", 1);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int master = -1, fd;
	char buf[1024] = "";
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	io.terminal = 1;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDIN, &master));
	CHECK(isatty(master));
	CHECK_RC(exec_container_stdio(c, EXEC_STDIN, &fd), EXEC_ESTATE);
	CHECK_RC(exec_container_stdio(c, EXEC_STDOUT, &fd), EXEC_EINVAL);
	CHECK(fx_read_until(master, buf, sizeof(buf), "/dev/pts/", 10000) == 0);
	CHECK_OK(exec_container_resize(c, 40, 100));
	CHECK(fx_write_all(master, "go\n") == 0);
	CHECK_INT(fx_read_all(master, buf, sizeof(buf), 10000), >=, 0);
	CHECK_CONTAINS(buf, "40 100");
	close(master);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* io.terminal must match the config's process.terminal, both ways. */
static void mismatch(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *tty_bundle = fx_bundle_sh("exit 0", 1);
	const char *plain_bundle = fx_bundle_sh("exit 0", 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	fx_snapshot before;

	REQUIRE(rt && tty_bundle && plain_bundle && id);
	fx_snap(&before, root, NULL);
	CHECK_RC(exec_container_create(rt, id, tty_bundle, &io, &c), EXEC_EINVAL);
	CHECK_RC(exec_container_run(rt, id, tty_bundle, NULL, &c), EXEC_EINVAL);
	io.terminal = 1;
	CHECK_RC(exec_container_create(rt, id, plain_bundle, &io, &c), EXEC_EINVAL);
	CHECK_RC(exec_container_run(rt, id, plain_bundle, &io, &c), EXEC_EINVAL);
	NOTHING_LEFT(&before, root, id);
}

/* resize needs a terminal. */
static void resize_without_terminal(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.3", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_resize(c, 40, 100), EXEC_EINVAL);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

const test_case terminal_tests[] = {
	{ "terminal.output_and_resize", output_and_resize },
	{ "terminal.mismatch", mismatch },
	{ "terminal.resize_without_terminal", resize_without_terminal },
	{ NULL, NULL },
};
