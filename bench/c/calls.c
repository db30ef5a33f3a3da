/*
 * calls.c - nanoseconds per trivial call: exec_version (no Go) and
 * exec_container_pid on a live handle (one crossing into Go), from C and
 * through the Python and Rust workers.
 */
#include <string.h>

#include "bench.h"

static volatile const char *sink_str;
static volatile int sink_int;

static double version_batch(long iters)
{
	long long t0 = now_ns();
	long i;

	for (i = 0; i < iters; i++)
		sink_str = exec_version();
	return (double)(now_ns() - t0) / (double)iters;
}

static double pid_batch(exec_container *c, long iters)
{
	long long t0 = now_ns();
	long i;
	int pid;

	for (i = 0; i < iters; i++) {
		if (exec_container_pid(c, &pid) != EXEC_OK)
			die("exec_container_pid: %s", exec_last_error());
		sink_int = pid;
	}
	return (double)(now_ns() - t0) / (double)iters;
}

/* Batches of `verb` in worker w, `iters` calls each; its row if it answers. */
static void worker_calls(worker *w, const char *verb, long iters, const char *name,
                         const char *ratio_vs)
{
	samples s = { 0 };
	double ns;
	int b;

	if (!w || w->pid < 0)
		return;
	for (b = 0; b < cfg.call_batches; b++) {
		if (worker_ask(w, &ns, "%s %ld", verb, iters) != 0)
			die("the %s worker failed %s", w->name, verb);
		samples_add(&s, ns);
	}
	emit_row("calls", name, "ns", &s, ratio_vs, NULL);
	samples_free(&s);
}

/* Have worker w hold a running container for its pid calls. */
static void worker_hold(worker *w)
{
	char id[64];

	if (!w || w->pid < 0)
		return;
	new_id(id, sizeof(id));
	if (worker_ask(w, NULL, "hold %s %s", id, bundle_sleep) != 0)
		die("the %s worker could not run a container", w->name);
}

static void worker_release(worker *w)
{
	if (w && w->pid >= 0 && worker_ask(w, NULL, "release") != 0)
		die("the %s worker could not delete its container", w->name);
}

void group_calls(void)
{
	samples version = { 0 }, pid = { 0 };
	exec_container *c = NULL;
	exec_runtime *rt;
	char root[PATH_MAX], id[64];
	long python_iters = cfg.call_iters / 10 > 0 ? cfg.call_iters / 10 : 1;
	int b;

	make_root(NULL, "lib-calls", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	new_id(id, sizeof(id));
	check(exec_container_run(rt, id, bundle_sleep, NULL, &c), "exec_container_run");
	fprintf(stderr, "bench: calls: %d batches of %ld calls\n", cfg.call_batches, cfg.call_iters);
	version_batch(cfg.call_iters / 10 + 1);
	pid_batch(c, cfg.call_iters / 10 + 1);
	for (b = 0; b < cfg.call_batches && !bench_stopping; b++) {
		samples_add(&version, version_batch(cfg.call_iters));
		samples_add(&pid, pid_batch(c, cfg.call_iters));
	}
	check(exec_container_delete(c, 1), "exec_container_delete");
	exec_container_free(c);
	exec_runtime_free(rt);
	if (bench_stopping)
		die("interrupted");
	emit_row("calls", "C exec_version()", "ns", &version, NULL, NULL);
	emit_row("calls", "C exec_container_pid()", "ns", &pid, NULL, NULL);
	samples_free(&version);
	samples_free(&pid);

	worker_calls(workers.python, "version", python_iters, "Python execution.version()",
	             "C exec_version()");
	worker_hold(workers.python);
	worker_calls(workers.python, "pid", python_iters, "Python Container.pid", "C exec_container_pid()");
	worker_release(workers.python);
	worker_calls(workers.rust, "version", cfg.call_iters, "Rust execution::version()",
	             "C exec_version()");
	worker_hold(workers.rust);
	worker_calls(workers.rust, "pid", cfg.call_iters, "Rust Container::pid()", "C exec_container_pid()");
	worker_release(workers.rust);
}
