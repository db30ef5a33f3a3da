/*
 * pause.c - freezing and thawing a container.
 */
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define COUNTER "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"

/* Read whatever comes until `fd` stays quiet for `quiet_ms`; bytes read, or -1. */
static long drain(int fd, int quiet_ms)
{
	char buf[4096];
	long total = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, quiet_ms) == 0)
			return total;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		total += n;
	}
}

/* A paused container's output stops; after resume it goes on. */
static void freezes_and_resumes(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh(COUNTER, 0);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int out = -1;
	char buf[4096] = "";

	REQUIRE(rt && bundle && id);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK(fx_read_until(out, buf, sizeof(buf), "3\n", 10000) == 0);

	CHECK_OK(exec_container_pause(c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_PAUSED);
	CHECK_INT(drain(out, 150), >=, 0);
	CHECK_INT(drain(out, 600), ==, 0);
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_ETIMEDOUT);

	CHECK_OK(exec_container_resume(c));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	buf[0] = '\0';
	CHECK(fx_read_until(out, buf, sizeof(buf), "\n", 5000) == 0);

	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	close(out);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* pause needs a running container, resume a paused one. */
static void wrong_state(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_pause(c), EXEC_ESTATE);
	CHECK_RC(exec_container_resume(c), EXEC_ESTATE);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_CREATED);
	CHECK_OK(exec_container_start(c));
	CHECK_RC(exec_container_resume(c), EXEC_ESTATE);
	CHECK_OK(exec_container_pause(c));
	CHECK_RC(exec_container_pause(c), EXEC_ESTATE);
	CHECK_OK(exec_container_resume(c));
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_RC(exec_container_pause(c), EXEC_ESTATE);
	CHECK_RC(exec_container_resume(c), EXEC_ESTATE);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A paused container needs force to be deleted, and force works. */
static void delete_paused(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_pause(c));
	CHECK_RC(exec_container_delete(c, 0), EXEC_ESTATE);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_PAUSED);
	CHECK_OK(exec_container_delete(c, 1));
	CHECK_RC(exec_container_state(c, &st), EXEC_ENOTFOUND);
	CHECK(!fx_exists(fx_str("%s/containers/%s", root, id)));
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.signal, ==, SIGKILL);
	exec_container_free(c);
}

const test_case pause_tests[] = {
	{ "pause.freezes_and_resumes", freezes_and_resumes },
	{ "pause.wrong_state", wrong_state },
	{ "pause.delete_paused", delete_paused },
	{ NULL, NULL },
};
