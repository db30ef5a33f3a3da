/*
 * pool.c - a warm pool against `runc run` and exec_container_run(), round by
 * round: the time from the call to the container's process running (it
 * wrote a byte to a pipe) and to its exit; and what a ready container of a
 * pool costs in memory while it waits (`runc init` blocked on its exec fifo).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/** Ready containers kept by each timed pool, and held for the memory rows. */
enum { TIMED_POOL = 2, MEMORY_POOL = 20 };

/** The variants of a round, each timed to running and to exit. */
enum { V_RUNC, V_RUN, V_TAKE, NVARIANTS };

static const char *const running_names[NVARIANTS] = {
	"runc run: to running", "lib C run: to running", "lib C pool take: to running",
};
static const char *const exit_names[NVARIANTS] = {
	"runc run: to exit", "lib C run: to exit", "lib C pool take: to exit",
};

/** What one round's measurements share. */
struct pool_bench {
	char runc_root[PATH_MAX];
	char bundle_echo[PATH_MAX];
	exec_runtime *rt;
	exec_pool *echo;  /* a pool of `echo`: to running */
	exec_pool *truth; /* a pool of `true`: to exit */
};

static double ms_between(long long from, long long to)
{
	return (double)(to - from) / 1e6;
}

/* Read the one byte `echo` writes; die on EOF. */
static void read_byte(int fd, const char *what)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("%s: no byte from the container", what);
}

/* Wait until both pools hold their size, so that no refill runs while timed. */
static void settle(struct pool_bench *b)
{
	check(exec_pool_fill(b->echo, -1), "exec_pool_fill");
	check(exec_pool_fill(b->truth, -1), "exec_pool_fill");
}

/* `runc run` in the foreground, its stdout (the container's) to out_fd or
 * /dev/null; ms to the first byte (out_fd given) or to its exit. */
static double runc_run(struct pool_bench *b, const char *bundle, int to_running)
{
	char id[64];
	int p[2] = { -1, -1 }, status;
	long long t0, t1;
	pid_t pid;

	new_id(id, sizeof(id));
	const char *argv[] = { cfg.runc, "--root", b->runc_root, "run", "--bundle", bundle, id, NULL };
	if (to_running && pipe2(p, O_CLOEXEC) != 0)
		die("pipe failed");
	t0 = now_ns();
	pid = spawn_out(argv, p[1]);
	if (pid < 0)
		die("spawn runc run failed");
	if (to_running) {
		close(p[1]);
		read_byte(p[0], "runc run");
		t1 = now_ns();
		close(p[0]);
		status = reap(pid);
	} else {
		status = reap(pid);
		t1 = now_ns();
	}
	if (status != 0)
		die("runc run %s exited with %d (see %s/spawn.log)", id, status, cfg.work);
	return ms_between(t0, t1);
}

/* The container of a run or take: its byte read (to_running) or its exit
 * waited for; then deleted. ms from t0. */
static double finish(exec_container *c, long long t0, int to_running, const char *what)
{
	exec_exit ex = EXEC_EXIT_INIT;
	long long t1;
	int out;

	if (to_running) {
		check(exec_container_stdio(c, EXEC_STDOUT, &out), "exec_container_stdio");
		read_byte(out, what);
		t1 = now_ns();
		close(out);
		check(exec_container_wait(c, -1, &ex), "exec_container_wait");
	} else {
		check(exec_container_wait(c, -1, &ex), "exec_container_wait");
		t1 = now_ns();
	}
	check(exec_container_delete(c, 0), "exec_container_delete");
	exec_container_free(c);
	return ms_between(t0, t1);
}

static double lib_run(struct pool_bench *b, const char *bundle, int to_running)
{
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	char id[64];
	long long t0;

	new_id(id, sizeof(id));
	if (to_running)
		io.stdout_fd = EXEC_IO_PIPE;
	t0 = now_ns();
	check(exec_container_run(b->rt, id, bundle, &io, &c), "exec_container_run");
	return finish(c, t0, to_running, "exec_container_run");
}

static double lib_take(struct pool_bench *b, int to_running)
{
	exec_container *c = NULL;
	long long t0 = now_ns();

	check(exec_pool_take(to_running ? b->echo : b->truth, -1, &c), "exec_pool_take");
	return finish(c, t0, to_running, "exec_pool_take");
}

static double measure(struct pool_bench *b, int variant, int to_running)
{
	settle(b);
	switch (variant) {
	case V_RUNC:
		return runc_run(b, to_running ? b->bundle_echo : bundle_true, to_running);
	case V_RUN:
		return lib_run(b, to_running ? b->bundle_echo : bundle_true, to_running);
	default:
		return lib_take(b, to_running);
	}
}

static exec_pool *open_pool(exec_runtime *rt, const char *bundle, unsigned size, int pipe_out)
{
	exec_pool_options opts = EXEC_POOL_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_pool *pool = NULL;
	char prefix[64];

	new_id(prefix, sizeof(prefix));
	strcat(prefix, "-");
	if (pipe_out)
		io.stdout_fd = EXEC_IO_PIPE;
	opts.bundle = bundle;
	opts.size = size;
	opts.io = &io;
	opts.id_prefix = prefix;
	check(exec_pool_new(rt, &opts, &pool), "exec_pool_new");
	check(exec_pool_fill(pool, -1), "exec_pool_fill");
	return pool;
}

/* Pss of process pid in MiB, from smaps_rollup; -1 when unreadable. */
static double pss_mib_of(int pid)
{
	char path[64], line[256];
	double kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %lf kB", &kib) == 1)
			break;
	fclose(f);
	return kib < 0 ? -1 : kib / 1024;
}

/* The pids of the monitor's children (the inits of the root's containers). */
static int children_of(int pid, int *out, int cap)
{
	char path[64];
	int n = 0, child;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (n < cap && fscanf(f, "%d", &child) == 1)
		out[n++] = child;
	fclose(f);
	return n;
}

/* RSS and PSS of each ready container's `runc init`, and the monitor's
 * growth per ready container, with a pool of MEMORY_POOL on a fresh root. */
static void memory_rows(void)
{
	char root[PATH_MAX];
	samples rss = { 0 }, pss = { 0 }, monitor = { 0 };
	int pids[MEMORY_POOL], n, mon;
	exec_runtime *rt;
	exec_pool *pool;
	double before;

	make_root(NULL, "pool-memory", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	mon = monitor_of(root);
	before = rss_mib_of(mon);
	pool = open_pool(rt, bundle_true, MEMORY_POOL, 0);
	n = children_of(mon, pids, MEMORY_POOL);
	if (n != MEMORY_POOL)
		die("the monitor has %d children, not the %d ready containers", n, MEMORY_POOL);
	for (int i = 0; i < n; i++) {
		samples_add(&rss, rss_mib_of(pids[i]));
		samples_add(&pss, pss_mib_of(pids[i]));
	}
	samples_add(&monitor, (rss_mib_of(mon) - before) / MEMORY_POOL);
	emit_row("pool-memory", "ready container: runc init RSS", "MiB", &rss, NULL,
	         "each ready container of a pool of 20, its init blocked on the exec fifo");
	emit_row("pool-memory", "ready container: runc init PSS", "MiB", &pss, NULL,
	         "shared pages (the runc binary) split between the 20");
	emit_row("pool-memory", "ready container: monitor RSS", "MiB", &monitor, NULL,
	         "the root's monitor's growth per ready container");
	exec_pool_free(pool);
	exec_runtime_free(rt);
	samples_free(&rss);
	samples_free(&pss);
	samples_free(&monitor);
}

void group_pool(void)
{
	const char *const echo_argv[] = { "echo", NULL };
	struct pool_bench b;
	samples running[NVARIANTS] = { { 0 } }, exits[NVARIANTS] = { { 0 } };
	char root[PATH_MAX];

	pathf(b.bundle_echo, sizeof(b.bundle_echo), "%s/bundles/echo", cfg.work);
	if (access(b.bundle_echo, F_OK) != 0)
		make_bundle("echo", echo_argv, b.bundle_echo, sizeof(b.bundle_echo));
	make_root(cfg.runc, "pool-runc", b.runc_root, sizeof(b.runc_root));
	make_root(NULL, "pool", root, sizeof(root));
	b.rt = open_runtime(cfg.runc, root);
	b.echo = open_pool(b.rt, b.bundle_echo, TIMED_POOL, 1);
	b.truth = open_pool(b.rt, bundle_true, TIMED_POOL, 0);
	/* One warm-up round, not counted; then each round in an order shifted by one. */
	for (int r = -1; r < cfg.rounds && !bench_stopping; r++) {
		for (int k = 0; k < NVARIANTS; k++) {
			int v = (r + 1 + k) % NVARIANTS;
			double run = measure(&b, v, 1), exit = measure(&b, v, 0);

			if (r >= 0) {
				samples_add(&running[v], run);
				samples_add(&exits[v], exit);
			}
		}
	}
	for (int v = 0; v < NVARIANTS; v++) {
		emit_paired("pool", running_names[v], "ms", &running[v],
		            v == V_RUNC ? NULL : running_names[V_RUNC],
		            v == V_RUNC ? NULL : &running[V_RUNC],
		            v == V_RUNC ? "busybox echo: the byte it writes read from a pipe" : NULL);
		emit_paired("pool", exit_names[v], "ms", &exits[v],
		            v == V_RUNC ? NULL : exit_names[V_RUNC],
		            v == V_RUNC ? NULL : &exits[V_RUNC],
		            v == V_RUNC ? "busybox true: the whole `runc run` process" : NULL);
	}
	for (int v = 0; v < NVARIANTS; v++) {
		samples_free(&running[v]);
		samples_free(&exits[v]);
	}
	exec_pool_free(b.echo);
	exec_pool_free(b.truth);
	exec_runtime_free(b.rt);
	memory_rows();
}
