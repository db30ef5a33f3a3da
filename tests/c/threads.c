/*
 * threads.c - many threads running lifecycles at once on one runtime handle.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define THREADS 8
#define ROUNDS 5

struct worker {
	exec_runtime *rt;
	const char *bundle;
	int index;
	int done;
};

/* ROUNDS times: run `echo <index>`, read it through a pipe, wait, delete. */
static void *work(void *arg)
{
	struct worker *w = arg;
	char want[32], buf[64];

	snprintf(want, sizeof(want), "thread-%d\n", w->index);
	for (int i = 0; i < ROUNDS; i++) {
		exec_io io = EXEC_IO_INIT;
		exec_container *c = NULL;
		const char *id = fx_id();
		exec_exit ex = EXEC_EXIT_INIT;
		int out = -1;

		REQUIRE_R(id, NULL);
		io.stdout_fd = EXEC_IO_PIPE;
		CHECK_RC_R(exec_container_run(w->rt, id, w->bundle, &io, &c), EXEC_OK, NULL);
		CHECK_RC_R(exec_container_stdio(c, EXEC_STDOUT, &out), EXEC_OK, NULL);
		CHECK_INT_R(fx_read_all(out, buf, sizeof(buf), 20000), >=, 0, NULL);
		close(out);
		CHECK_STR_R(buf, want, NULL);
		CHECK_RC_R(exec_container_wait(c, 20000, &ex), EXEC_OK, NULL);
		CHECK_INT_R(ex.status, ==, w->index, NULL);
		CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, NULL);
		exec_container_free(c);
		w->done++;
	}
	return NULL;
}

static void lifecycles(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	static struct worker w[THREADS];
	pthread_t th[THREADS];
	int started = 0;

	REQUIRE(rt);
	t_set_timeout(180);
	for (int i = 0; i < THREADS; i++) {
		w[i].rt = rt;
		w[i].index = i;
		w[i].done = 0;
		w[i].bundle = fx_bundle_sh(fx_str("echo thread-%d; exit %d", i, i), 0);
		REQUIRE(w[i].bundle);
	}
	for (; started < THREADS; started++)
		if (pthread_create(&th[started], NULL, work, &w[started]) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(started, ==, THREADS);
	for (int i = 0; i < THREADS; i++)
		CHECK_INT(w[i].done, ==, ROUNDS);
}

const test_case thread_tests[] = {
	{ "threads.lifecycles", lifecycles },
	{ NULL, NULL },
};
