/*
 * observe.c - limits written at bundle time, stats, ps, update, and exits
 * that tell an OOM kill.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define MIB (1024 * 1024)

/* Run argv under opts; NULL on failure. */
static exec_container *run_limited(const char *const *argv, const exec_bundle_options *opts,
                                   const exec_io *io)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle_ext(argv, opts);
	const char *id = fx_id();
	exec_container *c = NULL;

	REQUIRE_R(rt && bundle && id, NULL);
	CHECK_RC_R(exec_container_run(rt, id, bundle, io, &c), EXEC_OK, NULL);
	return c;
}

/* Read stats until cpu and memory use reach the given floors, within 20 s. */
static int poll_stats(exec_container *c, exec_stats *s, uint64_t cpu_ns, uint64_t memory)
{
	long long end = fx_now_ms() + 20000;

	do {
		CHECK_RC_R(exec_container_stats(c, s), EXEC_OK, -1);
		if (s->cpu_usage_ns >= cpu_ns && s->memory_usage >= memory)
			return 0;
		fx_sleep_ms(20);
	} while (fx_now_ms() < end);
	t_fail(__FILE__, __LINE__, "stats never reached %llu ns CPU and %llu bytes: %llu ns, %llu bytes",
	       (unsigned long long)cpu_ns, (unsigned long long)memory,
	       (unsigned long long)s->cpu_usage_ns, (unsigned long long)s->memory_usage);
	return -1;
}

/* The options land in config.json as linux.resources. */
static void bundle_limits(void)
{
	const char *argv[] = { "true", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	const char *dir;
	char text[65536];
	FILE *f;
	size_t n;

	opts.memory_limit = 64 * MIB;
	opts.memory_swap_limit = -1;
	opts.cpus = 1.5;
	opts.cpu_shares = 512;
	opts.pids_limit = 20;
	REQUIRE((dir = fx_bundle_ext(argv, &opts)) != NULL);
	REQUIRE((f = fopen(fx_str("%s/config.json", dir), "r")) != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK_CONTAINS(text, "\"limit\": 67108864");
	CHECK_CONTAINS(text, "\"swap\": -1");
	CHECK_CONTAINS(text, "\"quota\": 150000");
	CHECK_CONTAINS(text, "\"period\": 100000");
	CHECK_CONTAINS(text, "\"shares\": 512");
	CHECK_CONTAINS(text, "\"limit\": 20");
}

/* Bad options are EXEC_EINVAL, and no config is written. */
static void bundle_limits_invalid(void)
{
	const char *argv[] = { "true", NULL };
	exec_bundle_options bad[6];
	const char *dir = fx_tempdir();
	size_t i;

	REQUIRE(dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_OK(exec_bundle_options_init(&bad[i], EXEC_BUNDLE_OPTIONS_VERSION));
	bad[0].memory_limit = -1;
	bad[1].memory_swap_limit = 64 * MIB; /* without a memory limit */
	bad[2].cpus = 1;
	bad[2].cpu_quota = 50000;
	bad[3].cpu_shares = 1;
	bad[4].pids_limit = -2;
	bad[5].version = EXEC_BUNDLE_OPTIONS_VERSION + 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_RC(exec_bundle_init_ext(dir, argv, &bad[i]), EXEC_EINVAL);
		CHECK(!fx_exists(fx_str("%s/config.json", dir)));
	}
	CHECK_RC(exec_bundle_options_init(NULL, EXEC_BUNDLE_OPTIONS_VERSION), EXEC_EINVAL);
	CHECK_RC(exec_bundle_options_init(&bad[0], 0), EXEC_EINVAL);
	CHECK_OK(exec_bundle_init_ext(dir, argv, NULL));
	CHECK(fx_exists(fx_str("%s/config.json", dir)));
	CHECK_RC(exec_bundle_init_ext(dir, argv, NULL), EXEC_EEXIST);
}

/* CPU and memory use rise while a container burns CPU and fills a tmpfs. */
static void stats_rise(void)
{
	const char *argv[] = { "sh", "-c",
		"busybox dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_stats s = EXEC_STATS_INIT;
	exec_container *c;
	int *pids = NULL, pid;
	size_t count = 0, i, found = 0;

	opts.memory_limit = 128 * MIB;
	opts.pids_limit = 50;
	REQUIRE((c = run_limited(argv, &opts, NULL)) != NULL);
	REQUIRE(poll_stats(c, &s, 50000000, 24 * MIB) == 0);
	CHECK_INT(s.version, ==, EXEC_STATS_VERSION);
	CHECK(s.memory_limit == 128 * MIB);
	CHECK(s.pids_limit == 50);
	CHECK(s.pids_current >= 1);
	CHECK(s.memory_peak >= s.memory_usage);
	CHECK(s.memory_cache >= 24 * MIB);
	CHECK(s.cpu_user_ns + s.cpu_system_ns > 0);
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_OK(exec_container_ps(c, &pids, &count));
	for (i = 0; i < count; i++)
		found += pids[i] == pid;
	exec_free(pids);
	CHECK_INT(found, ==, 1);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* No limits set: EXEC_UNLIMITED. */
static void stats_unlimited(void)
{
	const char *argv[] = { "sleep", "30", NULL };
	exec_stats s = EXEC_STATS_INIT;
	exec_container *c;

	REQUIRE((c = run_limited(argv, NULL, NULL)) != NULL);
	/* Tasks, not processes: the runtime's init has threads until its exec. */
	for (long long end = fx_now_ms() + 10000; fx_now_ms() < end; fx_sleep_ms(20)) {
		CHECK_OK(exec_container_stats(c, &s));
		if (s.pids_current == 1)
			break;
	}
	CHECK(s.memory_limit == EXEC_UNLIMITED);
	CHECK(s.pids_limit == EXEC_UNLIMITED);
	CHECK(s.pids_current == 1);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* Bad arguments: EXEC_EINVAL, and the out struct untouched. */
static void args(void)
{
	const char *argv[] = { "sleep", "30", NULL };
	exec_stats s = EXEC_STATS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c;
	int *pids = NULL;
	size_t count = 0;

	REQUIRE((c = run_limited(argv, NULL, NULL)) != NULL);
	CHECK_RC(exec_container_stats(c, NULL), EXEC_EINVAL);
	s.version = 0;
	CHECK_RC(exec_container_stats(c, &s), EXEC_EINVAL);
	s.version = EXEC_STATS_VERSION + 1;
	CHECK_RC(exec_container_stats(c, &s), EXEC_EINVAL);
	CHECK(s.cpu_usage_ns == 0);
	CHECK_RC(exec_container_ps(c, NULL, &count), EXEC_EINVAL);
	CHECK_RC(exec_container_ps(c, &pids, NULL), EXEC_EINVAL);
	CHECK_RC(exec_container_update(c, NULL), EXEC_EINVAL);
	CHECK_RC(exec_container_update(c, "{"), EXEC_EINVAL);
	CHECK_RC(exec_container_update(c, "null"), EXEC_EINVAL);
	CHECK_RC(exec_container_update(c, "[1]"), EXEC_EINVAL);
	CHECK_RC(exec_container_update(c, "{\"memroy\":{}}"), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "memroy");
	CHECK_RC(exec_container_stats(NULL, &s), EXEC_EINVAL);
	CHECK_RC(exec_container_ps((exec_container *)(uintptr_t)0x5a5a, &pids, &count), EXEC_ECLOSED);
	ex.version = 0;
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_EINVAL);
	ex.version = EXEC_EXIT_VERSION + 1;
	CHECK_RC(exec_container_wait(c, 0, &ex), EXEC_EINVAL);
	CHECK_RC(exec_exit_init(NULL, EXEC_EXIT_VERSION), EXEC_EINVAL);
	CHECK_RC(exec_exit_init(&ex, EXEC_EXIT_VERSION + 1), EXEC_EINVAL);
	CHECK_OK(exec_exit_init(&ex, EXEC_EXIT_VERSION));
	CHECK_INT(ex.version, ==, EXEC_EXIT_VERSION);
	CHECK_INT(ex.oom_killed, ==, 0);
	CHECK_RC(exec_stats_init(&s, 0), EXEC_EINVAL);
	CHECK_OK(exec_stats_init(&s, EXEC_STATS_VERSION));
	CHECK_INT(s.version, ==, EXEC_STATS_VERSION);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* A live memory limit lowered, then read back; stopped and deleted refuse. */
static void update(void)
{
	const char *argv[] = { "sleep", "30", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_stats s = EXEC_STATS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c;
	int *pids = NULL;
	size_t count = 0;

	opts.memory_limit = 64 * MIB;
	REQUIRE((c = run_limited(argv, &opts, NULL)) != NULL);
	CHECK_OK(exec_container_stats(c, &s));
	CHECK(s.memory_limit == 64 * MIB);
	CHECK_OK(exec_container_update(c, "{\"memory\":{\"limit\":33554432},\"pids\":{\"limit\":7}}"));
	CHECK_OK(exec_container_stats(c, &s));
	CHECK(s.memory_limit == 32 * MIB);
	CHECK(s.pids_limit == 7);
	CHECK_RC(exec_container_update(c, "{\"memory\":{\"limit\":4096}}"), EXEC_ERUNTIME);
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_RC(exec_container_update(c, "{\"pids\":{\"limit\":9}}"), EXEC_ESTATE);
	CHECK_OK(exec_container_stats(c, &s));
	CHECK_OK(exec_container_ps(c, &pids, &count));
	CHECK(count == 0 && pids == NULL);
	CHECK_OK(exec_container_delete(c, 0));
	CHECK_RC(exec_container_stats(c, &s), EXEC_ENOTFOUND);
	CHECK_RC(exec_container_ps(c, &pids, &count), EXEC_ENOTFOUND);
	CHECK_RC(exec_container_update(c, "{}"), EXEC_ENOTFOUND);
	exec_container_free(c);
}

/* A stopped container whose cgroup the runtime removed: EXEC_ESTATE. */
static void cgroup_gone(void)
{
	const char *argv[] = { "true", NULL };
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_ext(argv, NULL);
	exec_stats s = EXEC_STATS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c = NULL;
	int *pids = NULL;
	size_t count = 0;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_start(c));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_OK(exec_container_stats(c, &s));
	{
		const char *del[] = { "runc", "--root", fx_str("%s/runc", root), "delete", id, NULL };
		CHECK_INT(fx_command(del, NULL, 0), ==, 0);
	}
	CHECK_RC(exec_container_stats(c, &s), EXEC_ESTATE);
	CHECK_RC(exec_container_ps(c, &pids, &count), EXEC_ESTATE);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A pids limit stops a fork loop. */
static void pids_limit(void)
{
	const char *argv[] = { "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all started >&2", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_stats s = EXEC_STATS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c;
	char err[4096];
	int fd;

	opts.pids_limit = 4;
	io.stderr_fd = EXEC_IO_PIPE;
	REQUIRE((c = run_limited(argv, &opts, &io)) != NULL);
	CHECK_OK(exec_container_stdio(c, EXEC_STDERR, &fd));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, !=, 0);
	CHECK_INT(fx_read_all(fd, err, sizeof(err), 10000), >, 0);
	close(fd);
	CHECK_CONTAINS(err, "fork");
	CHECK(strstr(err, "all started") == NULL);
	CHECK_OK(exec_container_stats(c, &s));
	CHECK(s.pids_limit == 4);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Allocating past a memory limit: killed by the OOM killer, and the exit says so. */
static void oom_killed(void)
{
	const char *argv[] = { "busybox", "tail", "/dev/zero", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_stats s = EXEC_STATS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c;

	opts.memory_limit = 16 * MIB;
	opts.memory_swap_limit = 16 * MIB;
	REQUIRE((c = run_limited(argv, &opts, NULL)) != NULL);
	CHECK_OK(exec_container_wait(c, 20000, &ex));
	CHECK_INT(ex.oom_killed, ==, 1);
	CHECK_INT(ex.signal, ==, SIGKILL);
	CHECK_INT(ex.status, ==, 128 + SIGKILL);
	CHECK_OK(exec_container_stats(c, &s));
	CHECK(s.oom_kills >= 1);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* A SIGKILL that is not the OOM killer's: oom_killed stays 0. */
static void plain_kill(void)
{
	const char *argv[] = { "sleep", "30", NULL };
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_container *c;

	opts.memory_limit = 16 * MIB;
	REQUIRE((c = run_limited(argv, &opts, NULL)) != NULL);
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.signal, ==, SIGKILL);
	CHECK_INT(ex.oom_killed, ==, 0);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Many stats, ps and update calls leave no fd behind. */
static void no_fd_leak(void)
{
	const char *argv[] = { "sleep", "30", NULL };
	exec_stats s = EXEC_STATS_INIT;
	exec_container *c;
	int *pids, i, fds;
	size_t count;

	REQUIRE((c = run_limited(argv, NULL, NULL)) != NULL);
	CHECK_OK(exec_container_stats(c, &s));
	fds = fx_count_fds();
	for (i = 0; i < 200; i++) {
		CHECK_OK(exec_container_stats(c, &s));
		CHECK_OK(exec_container_ps(c, &pids, &count));
		exec_free(pids);
	}
	CHECK_OK(exec_container_update(c, "{\"pids\":{\"limit\":64}}"));
	CHECK_INT(fx_count_fds(), ==, fds);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

const test_case observe_tests[] = {
	{ "observe.bundle_limits", bundle_limits },
	{ "observe.bundle_limits_invalid", bundle_limits_invalid },
	{ "observe.stats_rise", stats_rise },
	{ "observe.stats_unlimited", stats_unlimited },
	{ "observe.args", args },
	{ "observe.update", update },
	{ "observe.cgroup_gone", cgroup_gone },
	{ "observe.pids_limit", pids_limit },
	{ "observe.oom_killed", oom_killed },
	{ "observe.plain_kill", plain_kill },
	{ "observe.no_fd_leak", no_fd_leak },
	{ NULL, NULL },
};
