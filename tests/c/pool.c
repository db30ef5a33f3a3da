/*
 * pool.c - warm pools: take, refill, free, threads, refill errors, a dead
 * ready container, a crashed pool's leftovers, bad arguments.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* A pool of `size` on rt, its ids beginning with a fresh test id, filled. */
static exec_pool *filled_pool(exec_runtime *rt, const char *bundle, unsigned size,
                              unsigned concurrency, const exec_io *io)
{
	exec_pool_options opts = EXEC_POOL_OPTIONS_INIT;
	exec_pool *pool = NULL;

	opts.bundle = bundle;
	opts.size = size;
	opts.concurrency = concurrency;
	opts.io = io;
	opts.id_prefix = fx_str("%s-", fx_id());
	CHECK_RC_R(exec_pool_new(rt, &opts, &pool), EXEC_OK, NULL);
	CHECK_RC_R(exec_pool_fill(pool, 60000), EXEC_OK, pool);
	return pool;
}

/* Take a container, wait for it, check its status, delete and free it. */
static int take_wait_delete(exec_pool *pool, int status)
{
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	CHECK_RC_R(exec_pool_take(pool, 60000, &c), EXEC_OK, -1);
	CHECK_RC_R(exec_container_wait(c, 20000, &ex), EXEC_OK, -1);
	CHECK_INT_R(ex.status, ==, status, -1);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, -1);
	exec_container_free(c);
	return 0;
}

/*
 * A taken container is an ordinary one: output through its pipe, its exit
 * code, listed once taken (never before), deleted like any other.
 */
static void take_output_exit(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("echo hello; exit 7", 0);
	exec_io io = EXEC_IO_INIT;
	exec_pool *pool;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_state st;
	char **ids = NULL, buf[64];
	size_t n = 9;
	int out = -1, pid = 0;

	REQUIRE(rt && bundle);
	io.stdout_fd = EXEC_IO_PIPE;
	REQUIRE((pool = filled_pool(rt, bundle, 2, 1, &io)) != NULL);
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 0);
	exec_strings_free(ids, n);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 2);

	CHECK_OK(exec_pool_take(pool, -1, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_INT(pid, >, 0);
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 20000), ==, 6);
	close(out);
	CHECK_STR(buf, "hello\n");
	CHECK_OK(exec_container_wait(c, 20000, &ex));
	CHECK_INT(ex.status, ==, 7);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_STOPPED);
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 1);
	if (n == 1)
		CHECK_STR(ids[0], exec_container_id(c));
	exec_strings_free(ids, n);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	exec_pool_free(pool);
}

/*
 * Takes are refilled in the background; free deletes the untaken ones and
 * leaves nothing in the root, the runtime, the cgroups or the monitor.
 */
static void refill_and_free(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_pool *pool;
	exec_container *c = NULL;
	fx_snapshot before;

	REQUIRE(rt && bundle);
	/* One lifecycle first, so that the monitor and what stays open are there. */
	REQUIRE((pool = filled_pool(rt, bundle, 1, 1, NULL)) != NULL);
	REQUIRE(take_wait_delete(pool, 0) == 0);
	exec_pool_free(pool);
	fx_snap(&before, root, NULL);

	REQUIRE((pool = filled_pool(rt, bundle, 2, 2, NULL)) != NULL);
	for (int i = 0; i < 3; i++)
		REQUIRE(take_wait_delete(pool, 0) == 0);
	CHECK_OK(exec_pool_fill(pool, 60000));
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 2);
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 2);
	/* A poll takes one that is ready without waiting. */
	CHECK_OK(exec_pool_take(pool, 0, &c));
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	exec_pool_free(pool);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
	CHECK_INT(fx_count_dir(fx_str("%s/pools", root)), ==, 0);
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, NULL, 1) == 0);
	CHECK_RC(exec_pool_take(pool, 0, &c), EXEC_ECLOSED);
}

struct taker {
	exec_pool *pool;
	char ids[2][96];
	int done;
};

/* Take two containers, keeping their ids. */
static void *take_two(void *arg)
{
	struct taker *t = arg;

	for (int i = 0; i < 2; i++) {
		exec_container *c = NULL;
		exec_exit ex = EXEC_EXIT_INIT;

		CHECK_RC_R(exec_pool_take(t->pool, -1, &c), EXEC_OK, NULL);
		snprintf(t->ids[i], sizeof(t->ids[i]), "%s", exec_container_id(c));
		CHECK_RC_R(exec_container_wait(c, 20000, &ex), EXEC_OK, NULL);
		CHECK_INT_R(ex.status, ==, 3, NULL);
		CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, NULL);
		exec_container_free(c);
		t->done++;
	}
	return NULL;
}

/* Takes from several threads at once each get a container of their own. */
static void threads(void)
{
	enum { THREADS = 4 };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_sh("exit 3", 0);
	static struct taker t[THREADS];
	pthread_t th[THREADS];
	int started = 0;
	exec_pool *pool;

	REQUIRE(rt && bundle);
	t_set_timeout(180);
	REQUIRE((pool = filled_pool(rt, bundle, 2, 2, NULL)) != NULL);
	for (; started < THREADS; started++) {
		memset(&t[started], 0, sizeof(t[started]));
		t[started].pool = pool;
		if (pthread_create(&th[started], NULL, take_two, &t[started]) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	exec_pool_free(pool);
	CHECK_INT(started, ==, THREADS);
	for (int i = 0; i < THREADS * 2; i++) {
		CHECK_INT(t[i / 2].done, ==, 2);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(t[i / 2].ids[i % 2], t[j / 2].ids[j % 2]) != 0);
	}
}

/* A refill that fails is the next take's error, with what went wrong. */
static void refill_error(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_pool *pool;
	exec_container *c = NULL;

	REQUIRE(rt && bundle);
	REQUIRE((pool = filled_pool(rt, bundle, 1, 1, NULL)) != NULL);
	CHECK(unlink(fx_str("%s/config.json", bundle)) == 0);
	REQUIRE(take_wait_delete(pool, 0) == 0);
	CHECK_RC(exec_pool_take(pool, 60000, &c), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "config.json");
	CHECK(c == NULL);
	CHECK_RC(exec_pool_fill(pool, 60000), EXEC_EINVAL);
	exec_pool_free(pool);
}

/* A runtime that fails every create: the take says what it said. */
static void runtime_fails(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *argv[] = { "true", NULL };
	const char *root, *bundle = fx_bundle(argv, 0);
	char path[PATH_MAX];
	exec_runtime *rt;
	exec_pool_options po = EXEC_POOL_OPTIONS_INIT;
	exec_pool *pool = NULL;
	exec_container *c = NULL;

	REQUIRE(realpath("tests/c/fixtures/failing-runtime", path) != NULL);
	opts.runtime_path = path;
	REQUIRE(bundle && (rt = fx_runtime(&opts, &root)) != NULL);
	po.bundle = bundle;
	po.id_prefix = fx_str("%s-", fx_id());
	CHECK_OK(exec_pool_new(rt, &po, &pool));
	CHECK_RC(exec_pool_take(pool, -1, &c), EXEC_ERUNTIME);
	CHECK_CONTAINS(exec_last_error(), "deliberate failure");
	CHECK_RC(exec_pool_take(pool, -1, &c), EXEC_ERUNTIME);
	exec_pool_free(pool);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
}

/* A ready container that died is not handed out: another is. */
static void dead_ready_skipped(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_pool_options opts = EXEC_POOL_OPTIONS_INIT;
	exec_pool *pool = NULL;
	exec_container *c = NULL;
	const char *prefix = fx_str("%s-", fx_id());
	char **ids = NULL, record[4096] = "", dead[96] = "";
	const char *pid;
	size_t n = 0;
	int fd;

	REQUIRE(rt && bundle);
	opts.bundle = bundle;
	opts.id_prefix = prefix;
	CHECK_OK(exec_pool_new(rt, &opts, &pool));
	CHECK_OK(exec_pool_fill(pool, 60000));
	/* The one ready container, found by its state dir. */
	{
		char out[4096] = "";
		const char *ls[] = { "ls", fx_str("%s/containers", root), NULL };

		CHECK_INT(fx_command(ls, out, sizeof(out)), ==, 0);
		CHECK(sscanf(out, "%95s", dead) == 1);
	}
	fd = open(fx_str("%s/containers/%s/container.json", root, dead), O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	CHECK(read(fd, record, sizeof(record) - 1) > 0);
	close(fd);
	REQUIRE((pid = strstr(record, "\"pid\":")) != NULL);
	CHECK(kill(atoi(pid + 6), SIGKILL) == 0);
	CHECK_OK(exec_pool_take(pool, 60000, &c));
	CHECK(strcmp(exec_container_id(c), dead) != 0);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	CHECK(!fx_exists(fx_str("%s/containers/%s", root, dead)));
	CHECK(!fx_exists(fx_str("%s/runc/%s", root, dead)));
	exec_pool_free(pool);
	CHECK_OK(exec_container_list(rt, &ids, &n));
	CHECK_INT(n, ==, 0);
	exec_strings_free(ids, n);
}

/* A pool whose process was SIGKILLed: the next runtime on the root deletes its containers. */
static void crash_leftovers(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *again = NULL;

	REQUIRE(rt && bundle);
	REQUIRE(fx_run_and_kill_host("--child-pool", root, fx_str("%s-", fx_id()), bundle, NULL) == 0);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 2);
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 2);
	opts.root = root;
	CHECK_OK(exec_runtime_new(&opts, &again));
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
	CHECK_INT(fx_count_dir(fx_str("%s/pools", root)), ==, 0);
	exec_runtime_free(again);
}

/* Bad arguments: a clear code, nothing made; a freed pool is EXEC_ECLOSED. */
static void bad_arguments(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_pool_options opts = EXEC_POOL_OPTIONS_INIT;
	exec_io terminal = EXEC_IO_INIT;
	exec_pool *pool = NULL;
	exec_container *c = NULL;

	REQUIRE(rt && bundle);
	CHECK_RC(exec_pool_options_init(NULL, EXEC_POOL_OPTIONS_VERSION), EXEC_EINVAL);
	CHECK_RC(exec_pool_options_init(&opts, EXEC_POOL_OPTIONS_VERSION + 1), EXEC_EINVAL);
	CHECK_OK(exec_pool_options_init(&opts, EXEC_POOL_OPTIONS_VERSION));
	CHECK_INT(opts.size, ==, 1);
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL); /* no bundle */
	opts.bundle = bundle;
	CHECK_RC(exec_pool_new(NULL, &opts, &pool), EXEC_EINVAL);
	CHECK_RC(exec_pool_new(rt, NULL, &pool), EXEC_EINVAL);
	CHECK_RC(exec_pool_new(rt, &opts, NULL), EXEC_EINVAL);
	CHECK_RC(exec_pool_new((exec_runtime *)(uintptr_t)0x1234, &opts, &pool), EXEC_ECLOSED);
	opts.size = 0;
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	opts.size = 1;
	opts.id_prefix = "-x";
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	opts.id_prefix = "a/b";
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	opts.id_prefix = NULL;
	terminal.terminal = 1;
	opts.io = &terminal;
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "terminal");
	opts.io = NULL;
	opts.bundle = fx_str("%s/missing", bundle);
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	opts.version = 0;
	CHECK_RC(exec_pool_new(rt, &opts, &pool), EXEC_EINVAL);
	CHECK(pool == NULL);
	CHECK_INT(fx_count_dir(fx_str("%s/pools", root)), ==, 0);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);

	CHECK_RC(exec_pool_take(NULL, 0, &c), EXEC_EINVAL);
	CHECK_RC(exec_pool_take((exec_pool *)(uintptr_t)0x1234, 0, &c), EXEC_ECLOSED);
	CHECK_RC(exec_pool_fill((exec_pool *)(uintptr_t)0x1234, 0), EXEC_ECLOSED);
	CHECK_RC(exec_pool_take((exec_pool *)rt, 0, &c), EXEC_ECLOSED);
	exec_pool_free((exec_pool *)(uintptr_t)0x1234);
	exec_pool_free(NULL);

	opts = (exec_pool_options)EXEC_POOL_OPTIONS_INIT;
	opts.bundle = bundle;
	opts.id_prefix = fx_str("%s-", fx_id());
	CHECK_OK(exec_pool_new(rt, &opts, &pool));
	CHECK_RC(exec_pool_take(pool, 0, NULL), EXEC_EINVAL);
	exec_pool_free(pool);
	exec_pool_free(pool);
	CHECK_RC(exec_pool_take(pool, 0, &c), EXEC_ECLOSED);
	CHECK_RC(exec_pool_fill(pool, 0), EXEC_ECLOSED);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
	CHECK_INT(fx_runc_count(fx_str("%s/runc", root)), ==, 0);
}

const test_case pool_tests[] = {
	{ "pool.take_output_exit", take_output_exit },
	{ "pool.refill_and_free", refill_and_free },
	{ "pool.threads", threads },
	{ "pool.refill_error", refill_error },
	{ "pool.runtime_fails", runtime_fails },
	{ "pool.dead_ready_skipped", dead_ready_skipped },
	{ "pool.crash_leftovers", crash_leftovers },
	{ "pool.bad_arguments", bad_arguments },
	{ NULL, NULL },
};
