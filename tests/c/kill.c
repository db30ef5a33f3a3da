/*
 * kill.c - signals to a container's init or to all its processes.
 */
#include <signal.h>

#include "fixture.h"
#include "harness.h"

/* Two background sleeps under a shell that exits 9 once they are gone. */
#define FAMILY "sleep 100 & sleep 100 & wait; exit 9"

/* Run FAMILY and wait until both sleeps run. */
static exec_container *family(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh(FAMILY, 0);
	exec_container *c = NULL;
	int pid = -1;
	long long end = fx_now_ms() + 10000;

	REQUIRE_R(rt && bundle && id, NULL);
	CHECK_RC_R(exec_container_run(rt, id, bundle, NULL, &c), EXEC_OK, NULL);
	CHECK_RC_R(exec_container_pid(c, &pid), EXEC_OK, NULL);
	while (fx_children_of(pid, NULL) < 2 && fx_now_ms() < end)
		fx_sleep_ms(20);
	CHECK_INT_R(fx_children_of(pid, NULL), ==, 2, NULL);
	return c;
}

/*
 * SIGTERM to init alone does nothing (a pid-namespace init without a handler
 * ignores it); with `all` it reaches the sleeps, and the shell exits 9.
 */
static void all_reaches_every_process(void)
{
	exec_container *c = family();
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	CHECK_OK(exec_container_kill(c, SIGTERM, 0));
	CHECK_RC(exec_container_wait(c, 300, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_container_kill(c, SIGTERM, 1));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 9);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* SIGKILL to all ends the container. */
static void all_sigkill(void)
{
	exec_container *c = family();
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(c);
	CHECK_OK(exec_container_kill(c, SIGKILL, 1));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	CHECK_INT(ex.signal, ==, SIGKILL);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A stopped container cannot be signalled; a bad signal is EINVAL. */
static void wrong_state_and_signal(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.3", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_kill(c, 999, 0), EXEC_EINVAL);
	CHECK_RC(exec_container_kill(c, -1, 1), EXEC_EINVAL);
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 0);
	CHECK_RC(exec_container_kill(c, SIGKILL, 0), EXEC_ESTATE);
	CHECK_RC(exec_container_kill(c, SIGKILL, 1), EXEC_ESTATE);
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_kill(c, SIGKILL, 0), EXEC_ENOTFOUND);
	exec_container_free(c);
}

const test_case kill_tests[] = {
	{ "kill.all_reaches_every_process", all_reaches_every_process },
	{ "kill.all_sigkill", all_sigkill },
	{ "kill.wrong_state_and_signal", wrong_state_and_signal },
	{ NULL, NULL },
};
