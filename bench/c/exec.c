/*
 * exec.c - exec latency into a running container (library with its exec
 * agent, library without, against `runc exec`), and the delay from a container's exit to exec_container_wait()
 * returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/* One exec of `true` through the library, waited for and deleted. */
static double lib_exec(exec_container *c, int n)
{
	exec_process *p = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	char process_id[32];
	long long t0;

	pathf(process_id, sizeof(process_id), "p%d", n);
	t0 = now_ns();
	check(exec_container_exec(c, process_id, "{\"args\": [\"true\"]}", NULL, &p), "exec_container_exec");
	check(exec_process_wait(p, -1, &e), "exec_process_wait");
	check(exec_process_delete(p), "exec_process_delete");
	exec_process_free(p);
	if (e.status != 0)
		die("exec'd true exited with %d", e.status);
	return (double)(now_ns() - t0) / 1e6;
}

/* One `runc exec <id> true`. */
static double cli_exec(const char *runtime_root, const char *id)
{
	const char *argv[] = { cfg.runc, "--root", runtime_root, "exec", id, "true", NULL };
	long long t0 = now_ns();
	int rc = run_cmd(argv);

	if (rc != 0)
		die("runc exec exited with %d", rc);
	return (double)(now_ns() - t0) / 1e6;
}

/* A second runtime on root whose execs are all runtime calls. */
static exec_runtime *open_runtime_no_agent(const char *root)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;

	opts.root = root;
	opts.runtime_path = cfg.runc;
	opts.no_agent = 1;
	check(exec_runtime_new(&opts, &rt), "exec_runtime_new");
	return rt;
}

/* Exec into one running container through the library with its exec agent
 * (the default), through the library with every exec a runtime call, and
 * with `runc exec`: interleaved, each round in an order shifted by one. */
static void exec_latency(exec_runtime *rt, const char *root, const char *runtime_root)
{
	samples agent = { 0 }, runtime = { 0 }, cli = { 0 };
	exec_runtime *rt_runtime = open_runtime_no_agent(root);
	exec_container *c = NULL, *c_runtime = NULL;
	char id[64];
	int k;

	new_id(id, sizeof(id));
	check(exec_container_run(rt, id, bundle_sleep, NULL, &c), "exec_container_run");
	check(exec_container_load(rt_runtime, id, &c_runtime), "exec_container_load");
	for (k = -1; k < cfg.exec_samples && !bench_stopping; k++) {
		double t[3] = { 0 };

		for (int i = 0; i < 3; i++) {
			int which = (i + k + 3) % 3;

			if (which == 0)
				t[0] = lib_exec(c, 2 * (k + 1));
			else if (which == 1)
				t[1] = lib_exec(c_runtime, 2 * (k + 1) + 1);
			else
				t[2] = cli_exec(runtime_root, id);
		}
		if (k >= 0) {
			samples_add(&agent, t[0]);
			samples_add(&runtime, t[1]);
			samples_add(&cli, t[2]);
		}
	}
	exec_container_free(c_runtime);
	exec_runtime_free(rt_runtime);
	check(exec_container_delete(c, 1), "exec_container_delete");
	exec_container_free(c);
	if (bench_stopping)
		die("interrupted");
	emit_row("exec", "runc exec true", "ms", &cli, NULL, NULL);
	emit_paired("exec", "lib C exec true + wait + delete", "ms", &agent, "runc exec true", &cli,
	            "through the container's exec agent (the default)");
	emit_paired("exec", "lib C exec true + wait + delete, no agent", "ms", &runtime,
	            "runc exec true", &cli, "no_agent: a runtime call per exec");
	samples_free(&agent);
	samples_free(&runtime);
	samples_free(&cli);
}

struct waiter {
	exec_container *c;
	long long returned;
	int rc;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	exec_exit e = EXEC_EXIT_INIT;

	w->rc = exec_container_wait(w->c, -1, &e);
	w->returned = now_ns();
	return NULL;
}

/* Raise (or restore) this thread's priority so that it runs first when the
 * exit wakes it and the library's threads alike; returns whether it could. */
static int realtime(int on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	return pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &sp) == 0;
}

/* Take the events there are; the time the exit event was taken, or 0. */
static long long exit_event(exec_events *events)
{
	exec_event ev = EXEC_EVENT_INIT;
	int rc;

	while ((rc = exec_events_next(events, 0, &ev)) == EXEC_OK)
		if (ev.type == EXEC_EVENT_EXITED)
			return now_ns();
	if (rc != EXEC_ETIMEDOUT)
		check(rc, "exec_events_next");
	return 0;
}

static void drain_events(exec_events *events)
{
	exec_event ev = EXEC_EVENT_INIT;

	while (exec_events_next(events, 0, &ev) == EXEC_OK)
		;
}

/* The time from the init's exit to exec_container_wait() returning in
 * another thread, from two points of the exit: EOF on a pipe whose write end
 * only the init holds (its stdout), as the kernel closes the dying process's
 * files; and its pidfd turning readable, as the kernel reports the exit to
 * its parent, after tearing down the container's namespaces. This thread
 * watches both at real-time priority, to see each at once. */
static void wait_delay(exec_runtime *rt)
{
	samples from_eof = { 0 }, from_pidfd = { 0 }, teardown = { 0 }, to_event = { 0 };
	exec_events *events = NULL;
	int k, rt_ok = 1, events_fd;

	check(exec_events_open(rt, 0, &events), "exec_events_open");
	check(exec_events_fd(events, &events_fd), "exec_events_fd");

	for (k = -1; k < cfg.exec_samples && !bench_stopping; k++) {
		exec_io io = EXEC_IO_INIT;
		struct waiter w = { 0 };
		struct pollfd pfd[3];
		pthread_t tid;
		long long eof = 0, exited = 0, event = 0;
		char id[64], buf[64];
		int fds[2], pid, pidfd;

		if (pipe2(fds, O_CLOEXEC) != 0)
			die("pipe: %s", strerror(errno));
		io.stdout_fd = fds[1];
		new_id(id, sizeof(id));
		check(exec_container_run(rt, id, bundle_short, &io, &w.c), "exec_container_run");
		close(fds[1]);
		check(exec_container_pid(w.c, &pid), "exec_container_pid");
		pfd[0].fd = fds[0];
		pfd[0].events = POLLIN;
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0)
			die("pidfd_open: %s", strerror(errno));
		pfd[1].fd = pidfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = events_fd;
		pfd[2].events = POLLIN;
		if (pthread_create(&tid, NULL, wait_thread, &w) != 0)
			die("pthread_create failed");
		rt_ok &= realtime(1);
		while (!eof || !exited || !event) {
			if (poll(pfd, 3, -1) < 0) {
				if (errno == EINTR)
					continue;
				die("poll: %s", strerror(errno));
			}
			if (!eof && pfd[0].revents && read(fds[0], buf, sizeof(buf)) == 0) {
				eof = now_ns();
				pfd[0].fd = -1;
			}
			if (!exited && pfd[1].revents) {
				exited = now_ns();
				pfd[1].fd = -1;
			}
			if (!event && pfd[2].revents)
				event = exit_event(events);
		}
		realtime(0);
		pthread_join(tid, NULL);
		close(fds[0]);
		close(pidfd);
		check(w.rc, "exec_container_wait");
		check(exec_container_delete(w.c, 0), "exec_container_delete");
		exec_container_free(w.c);
		if (k >= 0) {
			samples_add(&from_eof, (double)(w.returned - eof) / 1e3);
			samples_add(&from_pidfd, (double)(w.returned - exited) / 1e3);
			samples_add(&teardown, (double)(exited - eof) / 1e3);
			samples_add(&to_event, (double)(event - eof) / 1e3);
		}
		/* The delete's event, and any other, before the next round. */
		drain_events(events);
	}
	exec_events_free(events);
	if (bench_stopping)
		die("interrupted");
	emit_row("exec", "exit to wait() return", "us", &from_eof, NULL,
	         "from EOF on a pipe only the init held");
	emit_row("exec", "  kernel: EOF to pidfd readable", "us", &teardown, NULL,
	         "the kernel's exit path, namespaces torn down");
	emit_row("exec", "  library: pidfd readable to wait() return", "us", &from_pidfd, NULL,
	         rt_ok ? "observer at SCHED_FIFO" : "observer at normal priority: may read low");
	emit_row("exec", "exit to its exec_events_next() event", "us", &to_event, NULL,
	         "from EOF on a pipe only the init held; poll() on the stream's fd");
	samples_free(&from_eof);
	samples_free(&from_pidfd);
	samples_free(&teardown);
	samples_free(&to_event);
}

void group_exec(void)
{
	char root[PATH_MAX], runtime_root[PATH_MAX];
	exec_runtime *rt;

	make_root(NULL, "lib-exec", root, sizeof(root));
	rt = open_runtime(cfg.runc, root);
	pathf(runtime_root, sizeof(runtime_root), "%s/runc", root);
	fprintf(stderr, "bench: exec: %d samples\n", cfg.exec_samples);
	exec_latency(rt, root, runtime_root);
	wait_delay(rt);
	exec_runtime_free(rt);
}
