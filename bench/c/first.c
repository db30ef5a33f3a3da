/*
 * first.c - one lifecycle in a fresh process, the first of its process: what
 * a CLI tool, a CI step or a short-lived job pays for one container. The
 * library's is this driver run again as `bench --first-lib ROOT ID BUNDLE`:
 * the loader maps and relocates libexecution.so, Go starts, exec_runtime_new
 * starts the fresh root's monitor, then create/start/wait/delete. go-runc's
 * is the peer run as `gorunc --first` doing the same calls; `runc run` is
 * the runtime alone. Each is timed from spawn to exit, interleaved round by
 * round in shifted order, each round on fresh roots, each process after
 * the previous one's have ended and the machine has settled.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* The library's lifecycle in this fresh process: exit 0, or 1 with the
 * library's message on stderr. */
int first_lib_main(const char *root, const char *id, const char *bundle)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	int rc;

	opts.root = root;
	rc = exec_runtime_new(&opts, &rt);
	if (rc == EXEC_OK)
		rc = exec_container_create(rt, id, bundle, NULL, &c);
	if (rc == EXEC_OK)
		rc = exec_container_start(c);
	if (rc == EXEC_OK)
		rc = exec_container_wait(c, -1, &e);
	if (rc == EXEC_OK && e.status != 0) {
		fprintf(stderr, "bench --first-lib: %s exited with %d\n", id, e.status);
		return 1;
	}
	if (rc == EXEC_OK)
		rc = exec_container_delete(c, 0);
	if (rc != EXEC_OK) {
		fprintf(stderr, "bench --first-lib: %s\n", exec_last_error());
		return 1;
	}
	exec_container_free(c);
	exec_runtime_free(rt);
	return 0;
}

enum { FIRST_LIB, FIRST_GORUNC, FIRST_RUNC, NFIRST };

/* The dir of this run's fresh roots, removed at the end: each round's roots
 * live beneath it, too many to track one by one. */
static char first_dir[PATH_MAX];

/* Let what a fresh process left running end before the next starts: the
 * root's monitor, which leaves its cgroup as it exits, once idle, and
 * then SETTLE_MS of quiet. The kernel lets a cgroup move that comes within
 * a grace period of another skip its wait, so a process started at once
 * would ride the previous one's moves. */
#define SETTLE_MS 100
static void settle(const char *root, bool monitored)
{
	char sock[PATH_MAX];
	pathf(sock, sizeof(sock), "%s/monitor.sock", root);
	for (int i = 0; monitored && i < 200 && access(sock, F_OK) == 0; i++)
		usleep(10000);
	usleep(SETTLE_MS * 1000);
}

/* One fresh process of variant k, timed from spawn to exit, in ms. */
static double first_once(int k)
{
	static const char *const kinds[NFIRST] = { "lib", "gorunc", "runc" };
	static int counter;
	char root[PATH_MAX], runtime_root[PATH_MAX], id[64];
	const char *argv[16];
	long long t0;
	double ms;
	int rc, n = 0;

	new_id(id, sizeof(id));
	pathf(root, sizeof(root), "%s/%s-%d", first_dir, kinds[k], counter++);
	mkdir_p(root);
	switch (k) {
	case FIRST_LIB:
		argv[n++] = cfg.self;
		argv[n++] = "--first-lib";
		argv[n++] = root;
		break;
	case FIRST_GORUNC:
		argv[n++] = cfg.gorunc;
		argv[n++] = "--first";
		argv[n++] = "--root";
		argv[n++] = root;
		argv[n++] = "--runtime";
		argv[n++] = cfg.runc;
		break;
	default:
		argv[n++] = cfg.runc;
		argv[n++] = "--root";
		argv[n++] = root;
		argv[n++] = "run";
		argv[n++] = "--bundle";
		argv[n++] = bundle_true;
		break;
	}
	argv[n++] = id;
	if (k != FIRST_RUNC)
		argv[n++] = bundle_true;
	argv[n] = NULL;
	t0 = now_ns();
	rc = run_cmd(argv);
	if (rc != 0) {
		/* What it left is deleted through the runtime at exit. */
		if (k == FIRST_LIB) {
			pathf(runtime_root, sizeof(runtime_root), "%s/runc", root);
			track_root(cfg.runc, runtime_root);
		} else {
			track_root(cfg.runc, root);
		}
		die("%s's first lifecycle exited with %d (see %s/spawn.log)", argv[0], rc, cfg.work);
	}
	ms = (double)(now_ns() - t0) / 1e6;
	settle(root, k == FIRST_LIB);
	return ms;
}

void group_first(void)
{
	static const char *const names[NFIRST] = {
		"lib C first lifecycle", "go-runc first lifecycle", "runc run (fresh process)",
	};
	samples s[NFIRST] = { { 0 } };
	int round, i;

	make_root(NULL, "first", first_dir, sizeof(first_dir));

	/* One warm-up round, not counted: the page cache holds every program. */
	for (round = -1; round < cfg.rounds && !bench_stopping; round++) {
		for (i = 0; i < NFIRST; i++) {
			int k = (i + (round < 0 ? 0 : round)) % NFIRST;
			double ms;

			if (k == FIRST_GORUNC && !cfg.gorunc)
				continue;
			ms = first_once(k);
			if (round >= 0)
				samples_add(&s[k], ms);
		}
	}
	if (cfg.gorunc) {
		emit_row("first", names[FIRST_GORUNC], "ms", &s[FIRST_GORUNC], NULL,
		         "the go-runc peer run for one create/start/wait/delete");
		emit_paired("first", names[FIRST_LIB], "ms", &s[FIRST_LIB], names[FIRST_GORUNC],
		            &s[FIRST_GORUNC], "library load, Go start, monitor start included");
	} else {
		emit_row("first", names[FIRST_LIB], "ms", &s[FIRST_LIB], NULL,
		         "library load, Go start, monitor start included");
	}
	emit_row("first", names[FIRST_RUNC], "ms", &s[FIRST_RUNC], NULL,
	         "the whole lifecycle as one runtime process");
	for (i = 0; i < NFIRST; i++)
		samples_free(&s[i]);
}
