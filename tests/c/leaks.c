/*
 * leaks.c - fifty lifecycles leave no fd, zombie, child or state dir.
 */
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define LIFECYCLES 50

/* run `true` with stdout and stderr piped, read both to EOF, wait, delete, free. */
static int lifecycle(exec_runtime *rt, const char *bundle)
{
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	const char *id = fx_id();
	char buf[64];
	exec_exit ex = EXEC_EXIT_INIT;
	int out = -1, err = -1;

	REQUIRE_R(id, -1);
	io.stdout_fd = EXEC_IO_PIPE;
	io.stderr_fd = EXEC_IO_PIPE;
	CHECK_RC_R(exec_container_run(rt, id, bundle, &io, &c), EXEC_OK, -1);
	CHECK_RC_R(exec_container_stdio(c, EXEC_STDOUT, &out), EXEC_OK, -1);
	CHECK_RC_R(exec_container_stdio(c, EXEC_STDERR, &err), EXEC_OK, -1);
	CHECK_INT_R(fx_read_all(out, buf, sizeof(buf), 10000), ==, 0, -1);
	CHECK_INT_R(fx_read_all(err, buf, sizeof(buf), 10000), ==, 0, -1);
	close(out);
	close(err);
	CHECK_RC_R(exec_container_wait(c, 10000, &ex), EXEC_OK, -1);
	CHECK_INT_R(ex.status, ==, 0, -1);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, -1);
	exec_container_free(c);
	return 0;
}

static void fifty_lifecycles(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	const char *containers = fx_str("%s/containers", root);
	int fds, children, zombies, dirs, now_children = -1, now_zombies = -1;
	long long end;

	REQUIRE(rt && bundle && containers);
	t_set_timeout(240);
	/* Warm up: what the library opens once for good is open before counting. */
	for (int i = 0; i < 2; i++)
		REQUIRE(lifecycle(rt, bundle) == 0);
	fds = fx_count_fds();
	children = fx_count_children(&zombies);
	dirs = fx_count_dir(containers);

	for (int i = 0; i < LIFECYCLES; i++)
		REQUIRE(lifecycle(rt, bundle) == 0);

	end = fx_now_ms() + 2000;
	do {
		now_children = fx_count_children(&now_zombies);
		if (now_zombies <= zombies && now_children <= children &&
		    fx_count_fds() <= fds)
			break;
		fx_sleep_ms(50);
	} while (fx_now_ms() < end);
	CHECK_INT(fx_count_fds(), <=, fds); /* fewer: an earlier test's fd went */
	CHECK_INT(now_zombies, ==, zombies);
	CHECK_INT(now_children, ==, children);
	CHECK_INT(fx_count_dir(containers), ==, dirs);
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
}

const test_case leak_tests[] = {
	{ "leaks.fifty_lifecycles", fifty_lifecycles },
	{ NULL, NULL },
};
