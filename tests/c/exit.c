/*
 * exit.c - exit statuses and the semantics of exec_container_wait().
 */
#include <pthread.h>
#include <signal.h>

#include "fixture.h"
#include "harness.h"

/* Run `sh -c script` to its end and return how it exited (status -100 on failure). */
static exec_exit run_to_exit(const char *script)
{
	exec_exit ex = { EXEC_EXIT_VERSION, -100, -100, -100, -100, -100 };
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh(script, 0);
	exec_container *c = NULL;

	REQUIRE_R(rt && bundle && id, ex);
	CHECK_RC_R(exec_container_run(rt, id, bundle, NULL, &c), EXEC_OK, ex);
	CHECK_RC_R(exec_container_wait(c, 10000, &ex), EXEC_OK, ex);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, ex);
	exec_container_free(c);
	return ex;
}

static void code(const char *script, int want)
{
	exec_exit ex = run_to_exit(script);

	REQUIRE(!t_failed());
	CHECK_INT(ex.status, ==, want);
	CHECK_INT(ex.code, ==, want);
	CHECK_INT(ex.signal, ==, 0);
	CHECK_INT(ex.core_dumped, ==, 0);
}

static void code_0(void)
{
	code("exit 0", 0);
}

static void code_3(void)
{
	code("exit 3", 3);
}

static void code_255(void)
{
	code("exit 255", 255);
}

/* SIGKILL from outside: status 128+9, code -1, signal 9. */
static void signaled(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "30", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_exit ex = { EXEC_EXIT_VERSION, 0, 0, 0, 0, 0 };

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 128 + SIGKILL);
	CHECK_INT(ex.code, ==, -1);
	CHECK_INT(ex.signal, ==, SIGKILL);
	CHECK_INT(ex.core_dumped, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Waits from several threads during the run and again after: one result. */
static void wait_many(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("sleep 0.5; exit 3", 0);
	exec_container *c = NULL;
	static fx_waiter w[4];
	pthread_t th[4];
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	for (int i = 0; i < 4; i++) {
		w[i].c = c;
		w[i].rc = -100;
		CHECK(pthread_create(&th[i], NULL, fx_wait_forever, &w[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		CHECK_INT(w[i].rc, ==, EXEC_OK);
		CHECK_INT(w[i].ex.status, ==, 3);
		CHECK_INT(w[i].ex.code, ==, 3);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_OK(exec_container_wait(c, i == 0 ? 0 : -1, &ex));
		CHECK_INT(ex.status, ==, 3);
		CHECK_INT(ex.code, ==, 3);
		CHECK_INT(ex.signal, ==, 0);
	}
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_OK(exec_container_wait(c, 0, &ex));
	CHECK_INT(ex.status, ==, 3);
	exec_container_free(c);
}

/* Timeout 0 polls; a short timeout runs out; the exit still comes after. */
static void wait_timeout(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "sleep", "10", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	long long t0, elapsed;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_run(rt, id, bundle, NULL, &c));
	t0 = fx_now_ms();
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_INT(fx_now_ms() - t0, <, 1000);
	t0 = fx_now_ms();
	CHECK_RC(exec_container_wait(c, 200, &ex), EXEC_ETIMEDOUT);
	elapsed = fx_now_ms() - t0;
	CHECK_INT(elapsed, >=, 190);
	CHECK_INT(elapsed, <, 3000);
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 137);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A created container's wait times out; once started it gives the exit. */
static void wait_created(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 4", 0);
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_RC(exec_container_wait(c, 200, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_container_start(c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 4);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A wait begun before start returns the exit of the process started later. */
static void wait_before_start(void)
{
	const char *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 6", 0);
	exec_container *c = NULL;
	static fx_waiter w;
	pthread_t th;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	w.c = c;
	w.rc = -100;
	CHECK(pthread_create(&th, NULL, fx_wait_forever, &w) == 0);
	fx_sleep_ms(300);
	/* The waiter is still waiting: it returned nothing before the start. */
	CHECK_INT(__atomic_load_n(&w.rc, __ATOMIC_SEQ_CST), ==, -100);
	CHECK_OK(exec_container_start(c));
	pthread_join(th, NULL);
	CHECK_INT(w.rc, ==, EXEC_OK);
	CHECK_INT(w.ex.status, ==, 6);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

const test_case exit_tests[] = {
	{ "exit.code_0", code_0 },
	{ "exit.code_3", code_3 },
	{ "exit.code_255", code_255 },
	{ "exit.signaled", signaled },
	{ "exit.wait_many", wait_many },
	{ "exit.wait_timeout", wait_timeout },
	{ "exit.wait_created", wait_created },
	{ "exit.wait_before_start", wait_before_start },
	{ NULL, NULL },
};
