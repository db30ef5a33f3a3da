/*
 * fleet.c - what a supervisor pays with many containers running: the state,
 * list, pid, stats and ps calls it polls against the runtime CLI it would
 * otherwise spawn, and the resident memory of the process holding them. Run in a
 * process of its own, so that its memory is the library's and nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static double rss_mib(void)
{
	return rss_mib_of(0);
}

/* Five readings of the monitor's RSS. */
static void monitor_rss_samples(samples *s, int pid)
{
	for (int i = 0; i < 5; i++) {
		samples_add(s, rss_mib_of(pid));
		usleep(20000);
	}
}

/* Five readings 20 ms apart: RSS moves as the Go runtime scavenges. */
static void rss_samples(samples *s)
{
	int i;

	for (i = 0; i < 5; i++) {
		samples_add(s, rss_mib());
		usleep(20000);
	}
}

static double median_of(samples *s)
{
	double m;
	size_t i, j;
	double *v = malloc(s->n * sizeof(*v));

	memcpy(v, s->v, s->n * sizeof(*v));
	for (i = 1; i < s->n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	m = v[s->n / 2];
	free(v);
	return m;
}

static void run_sleepers(exec_runtime *rt, exec_container **cs, char (*ids)[64], int from, int to)
{
	int i;

	for (i = from; i < to && !bench_stopping; i++) {
		new_id(ids[i], sizeof(ids[i]));
		check(exec_container_run(rt, ids[i], bundle_sleep, NULL, &cs[i]), "exec_container_run");
	}
	if (bench_stopping)
		die("interrupted");
}

void group_fleet(void)
{
	int n = cfg.fleet, small = n < 10 ? n : 10, i, k;
	int state_calls = 20 * n, list_calls = n, cli_state_calls = n / 2 > 5 ? n / 2 : 5;
	int cli_list_calls = n / 5 > 5 ? n / 5 : 5;
	exec_container **cs = calloc((size_t)n, sizeof(*cs));
	char (*ids)[64] = calloc((size_t)n, sizeof(*ids));
	char root[PATH_MAX], runtime_root[PATH_MAX], out[65536], label[64];
	samples rss0 = { 0 }, rss_small = { 0 }, rss_n = { 0 }, per = { 0 };
	samples mon1 = { 0 }, mon_n = { 0 };
	int monitor;
	samples state = { 0 }, list = { 0 }, pid = { 0 }, cli_state = { 0 }, cli_list = { 0 };
	samples stats = { 0 }, ps = { 0 }, cli_stats = { 0 }, cli_ps = { 0 };
	exec_runtime *rt;
	exec_container *warm = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	char id[64];

	if (!cs || !ids)
		die("out of memory");
	make_root(NULL, "lib-fleet", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	pathf(runtime_root, sizeof(runtime_root), "%s/runc", root);

	/* One whole lifecycle first, so the library's one-time costs are in the baseline. */
	new_id(id, sizeof(id));
	check(exec_container_run(rt, id, bundle_true, NULL, &warm), "exec_container_run");
	check(exec_container_wait(warm, -1, &e), "exec_container_wait");
	check(exec_container_delete(warm, 0), "exec_container_delete");
	exec_container_free(warm);

	fprintf(stderr, "bench: fleet: %d running containers\n", n);
	monitor = monitor_of(root);
	rss_samples(&rss0);
	run_sleepers(rt, cs, ids, 0, 1);
	monitor_rss_samples(&mon1, monitor);
	run_sleepers(rt, cs, ids, 1, small);
	rss_samples(&rss_small);
	run_sleepers(rt, cs, ids, small, n);
	rss_samples(&rss_n);
	monitor_rss_samples(&mon_n, monitor);

	for (k = 0; k < state_calls && !bench_stopping; k++) {
		exec_state st;
		long long t0 = now_ns();

		check(exec_container_state(cs[k % n], &st), "exec_container_state");
		samples_add(&state, (double)(now_ns() - t0) / 1e3);
		if (st != EXEC_STATE_RUNNING)
			die("container %s is in state %d, not running", ids[k % n], (int)st);
	}
	for (k = 0; k < state_calls && !bench_stopping; k++) {
		int p;
		long long t0 = now_ns();

		check(exec_container_pid(cs[k % n], &p), "exec_container_pid");
		samples_add(&pid, (double)(now_ns() - t0) / 1e3);
	}
	for (k = 0; k < list_calls && !bench_stopping; k++) {
		char **v = NULL;
		size_t count = 0;
		long long t0 = now_ns();

		check(exec_container_list(rt, &v, &count), "exec_container_list");
		exec_strings_free(v, count);
		samples_add(&list, (double)(now_ns() - t0) / 1e3);
		if (count != (size_t)n)
			die("exec_container_list gave %zu ids, not %d", count, n);
	}
	for (k = 0; k < state_calls && !bench_stopping; k++) {
		exec_stats st = EXEC_STATS_INIT;
		long long t0 = now_ns();

		check(exec_container_stats(cs[k % n], &st), "exec_container_stats");
		samples_add(&stats, (double)(now_ns() - t0) / 1e3);
		if (st.pids_current == 0)
			die("container %s has no task", ids[k % n]);
	}
	for (k = 0; k < state_calls && !bench_stopping; k++) {
		int *v = NULL;
		size_t count = 0;
		long long t0 = now_ns();

		check(exec_container_ps(cs[k % n], &v, &count), "exec_container_ps");
		exec_free(v);
		samples_add(&ps, (double)(now_ns() - t0) / 1e3);
		if (count != 1)
			die("exec_container_ps gave %zu pids for %s, not 1", count, ids[k % n]);
	}
	for (k = 0; k < cli_state_calls && !bench_stopping; k++) {
		const char *argv[] = { cfg.runc, "--root", runtime_root, "events", "--stats", ids[k % n], NULL };
		long long t0 = now_ns();

		if (run_capture(argv, out, sizeof(out)) != 0 || !strstr(out, "\"pids\""))
			die("runc events --stats %s failed", ids[k % n]);
		samples_add(&cli_stats, (double)(now_ns() - t0) / 1e3);
	}
	for (k = 0; k < cli_state_calls && !bench_stopping; k++) {
		const char *argv[] = { cfg.runc, "--root", runtime_root, "ps", "--format", "json", ids[k % n], NULL };
		long long t0 = now_ns();

		if (run_capture(argv, out, sizeof(out)) != 0)
			die("runc ps %s failed", ids[k % n]);
		samples_add(&cli_ps, (double)(now_ns() - t0) / 1e3);
	}
	for (k = 0; k < cli_state_calls && !bench_stopping; k++) {
		const char *argv[] = { cfg.runc, "--root", runtime_root, "state", ids[k % n], NULL };
		long long t0 = now_ns();

		if (run_capture(argv, out, sizeof(out)) != 0 || !strstr(out, "\"running\""))
			die("runc state %s failed or says it is not running", ids[k % n]);
		samples_add(&cli_state, (double)(now_ns() - t0) / 1e3);
	}
	for (k = 0; k < cli_list_calls && !bench_stopping; k++) {
		const char *argv[] = { cfg.runc, "--root", runtime_root, "list", "-q", NULL };
		long long t0 = now_ns();

		if (run_capture(argv, out, sizeof(out)) != 0)
			die("runc list failed");
		samples_add(&cli_list, (double)(now_ns() - t0) / 1e3);
	}
	if (bench_stopping)
		die("interrupted");

	for (i = 0; i < n; i++) {
		check(exec_container_delete(cs[i], 1), "exec_container_delete");
		exec_container_free(cs[i]);
	}
	exec_runtime_free(rt);

	pathf(label, sizeof(label), "with %d running", n);
	emit_row("fleet", "exec_container_state()", "us", &state, "runc state (spawned)", label);
	emit_row("fleet", "exec_container_pid()", "us", &pid, NULL, label);
	emit_row("fleet", "exec_container_list()", "us", &list, "runc list (spawned)", label);
	emit_row("fleet", "exec_container_stats()", "us", &stats, "runc events --stats (spawned)", label);
	emit_row("fleet", "exec_container_ps()", "us", &ps, "runc ps (spawned)", label);
	emit_row("fleet", "runc state (spawned)", "us", &cli_state, NULL, label);
	emit_row("fleet", "runc list (spawned)", "us", &cli_list, NULL, label);
	emit_row("fleet", "runc events --stats (spawned)", "us", &cli_stats, NULL, label);
	emit_row("fleet", "runc ps (spawned)", "us", &cli_ps, NULL, label);

	emit_row("memory", "host RSS, 0 containers", "MiB", &rss0, NULL, NULL);
	pathf(label, sizeof(label), "host RSS, %d containers", small);
	if (small < n)
		emit_row("memory", label, "MiB", &rss_small, "host RSS, 0 containers", NULL);
	pathf(label, sizeof(label), "host RSS, %d containers", n);
	emit_row("memory", label, "MiB", &rss_n, "host RSS, 0 containers", NULL);
	samples_add(&per, (median_of(&rss_n) - median_of(&rss0)) / n);
	pathf(label, sizeof(label), "(RSS with %d - RSS with 0) / %d", n, n);
	emit_row("memory", "library RSS per running container", "MiB", &per, NULL, label);
	emit_row("memory", "monitor RSS, 1 container", "MiB", &mon1, NULL,
	         "one monitor per root, for every container of the root");
	pathf(label, sizeof(label), "monitor RSS, %d containers", n);
	emit_row("memory", label, "MiB", &mon_n, "monitor RSS, 1 container", NULL);
	emit_quoted("memory", "containerd-shim per running container", "MiB", 13, NULL,
	            "quoted, not measured here");
	emit_quoted("memory", "conmon per running container", "MiB", 2, NULL,
	            "quoted, not measured here");

	samples_free(&rss0);
	samples_free(&rss_small);
	samples_free(&rss_n);
	samples_free(&mon1);
	samples_free(&mon_n);
	samples_free(&per);
	samples_free(&state);
	samples_free(&list);
	samples_free(&pid);
	samples_free(&cli_state);
	samples_free(&cli_list);
	samples_free(&stats);
	samples_free(&ps);
	samples_free(&cli_stats);
	samples_free(&cli_ps);
	free(cs);
	free(ids);
}
