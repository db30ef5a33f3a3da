/*
 * events.c - the event stream of a root, and the pollable exit fds of
 * containers and processes.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

#define LIFECYCLES 20

/* Whether fd polls readable within timeout_ms. */
static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* Read the next event into ev, within 20 s. */
static int next_event(exec_events *evs, exec_event *ev)
{
	*ev = (exec_event)EXEC_EVENT_INIT;
	CHECK_RC_R(exec_events_next(evs, 20000, ev), EXEC_OK, -1);
	return 0;
}

/* Read the next event and check its type and ids. */
static int expect(exec_events *evs, exec_event *ev, int type, const char *id, const char *process)
{
	REQUIRE_R(next_event(evs, ev) == 0, -1);
	CHECK_INT_R(ev->type, ==, type, -1);
	CHECK_STR_R(ev->container_id, id, -1);
	CHECK_STR_R(ev->process_id, process, -1);
	return 0;
}

/* A container's whole life, and each event of it in order. */
static void lifecycle(void)
{
	const char *argv[] = { "sleep", "100", NULL };
	const char *job[] = { "sh", "-c", "exit 3", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle(argv, 0);
	const char *id = fx_id();
	exec_events *evs = NULL;
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	exec_event ev;
	uint64_t last = 0;
	int pid, ppid;

	REQUIRE(rt && bundle && id);
	CHECK_OK(exec_events_open(rt, 0, &evs));
	REQUIRE(evs != NULL);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c));
	CHECK_OK(exec_container_start(c));
	CHECK_OK(exec_container_pause(c));
	CHECK_OK(exec_container_resume(c));
	CHECK_OK(exec_container_exec(c, "job", fx_str("{\"args\":[\"%s\",\"%s\",\"%s\"],\"cwd\":\"/\"}",
	                                              job[0], job[1], job[2]), NULL, &p));
	CHECK_OK(exec_process_wait(p, 20000, &e));
	CHECK_OK(exec_process_pid(p, &ppid));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 20000, &e));
	CHECK_OK(exec_container_delete(c, 0));

	REQUIRE(expect(evs, &ev, EXEC_EVENT_CREATED, id, "") == 0);
	last = ev.time_ns;
	REQUIRE(expect(evs, &ev, EXEC_EVENT_STARTED, id, "") == 0);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_PAUSED, id, "") == 0);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_RESUMED, id, "") == 0);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_EXEC_ADDED, id, "job") == 0);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_PROCESS_EXITED, id, "job") == 0);
	CHECK_INT(ev.pid, ==, ppid);
	CHECK_INT(ev.exit.version, ==, EXEC_EXIT_VERSION);
	CHECK_INT(ev.exit.status, ==, 3);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_EXITED, id, "") == 0);
	CHECK_INT(ev.pid, ==, pid);
	CHECK_INT(ev.exit.signal, ==, SIGKILL);
	CHECK_INT(ev.exit.status, ==, 128 + SIGKILL);
	CHECK(ev.time_ns >= last);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_DELETED, id, "") == 0);
	ev = (exec_event)EXEC_EVENT_INIT;
	CHECK_RC(exec_events_next(evs, 0, &ev), EXEC_ETIMEDOUT);
	exec_process_free(p);
	exec_container_free(c);
	exec_events_free(evs);
}

struct life {
	exec_runtime *rt;
	const char *bundle;
	const char *id;
	int failed;
};

static void *live(void *arg)
{
	struct life *l = arg;
	exec_container *c = NULL;
	exec_exit e = EXEC_EXIT_INIT;

	l->failed = exec_container_run(l->rt, l->id, l->bundle, NULL, &c) ||
	            exec_container_wait(c, 20000, &e) || exec_container_delete(c, 0);
	exec_container_free(c);
	return NULL;
}

/* 20 lifecycles at once: two streams see every event, each container's in
 * order, and nothing lost. */
static void concurrent(void)
{
	const char *argv[] = { "true", NULL };
	static const int order[] = { EXEC_EVENT_CREATED, EXEC_EVENT_STARTED, EXEC_EVENT_EXITED,
		                     EXEC_EVENT_DELETED };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle(argv, 0);
	struct life lives[LIFECYCLES];
	pthread_t th[LIFECYCLES];
	exec_events *evs[2] = { NULL, NULL };
	exec_event ev;
	int seen[2][LIFECYCLES] = { { 0 } };

	REQUIRE(rt && bundle);
	CHECK_OK(exec_events_open(rt, 0, &evs[0]));
	CHECK_OK(exec_events_open(rt, 0, &evs[1]));
	for (int i = 0; i < LIFECYCLES; i++) {
		lives[i] = (struct life){ rt, bundle, fx_id(), 0 };
		REQUIRE(pthread_create(&th[i], NULL, live, &lives[i]) == 0);
	}
	for (int i = 0; i < LIFECYCLES; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(lives[i].failed, ==, 0);
	}
	for (int s = 0; s < 2; s++) {
		for (int n = 0; n < 4 * LIFECYCLES; n++) {
			int k = -1;

			REQUIRE(next_event(evs[s], &ev) == 0);
			for (int i = 0; i < LIFECYCLES; i++)
				if (strcmp(ev.container_id, lives[i].id) == 0)
					k = i;
			REQUIRE(k >= 0);
			REQUIRE(seen[s][k] < 4);
			CHECK_INT(ev.type, ==, order[seen[s][k]]);
			seen[s][k]++;
		}
		ev = (exec_event)EXEC_EVENT_INIT;
		CHECK_RC(exec_events_next(evs[s], 0, &ev), EXEC_ETIMEDOUT);
		exec_events_free(evs[s]);
	}
}

/* A reader that falls behind loses the newest events, told how many. */
static void overflow(void)
{
	const char *argv[] = { "true", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle(argv, 0);
	exec_events *evs = NULL;
	exec_event ev;
	int fd;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_events_open(rt, 3, &evs));
	CHECK_OK(exec_events_fd(evs, &fd));
	CHECK(!readable(fd, 0));
	for (int i = 0; i < 2; i++) {
		exec_container *c = NULL;
		exec_exit e = EXEC_EXIT_INIT;

		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
		CHECK_OK(exec_container_wait(c, 20000, &e));
		CHECK_OK(exec_container_delete(c, 0));
		exec_container_free(c);
	}
	CHECK(readable(fd, 0));
	for (int i = 0; i < 3; i++)
		REQUIRE(next_event(evs, &ev) == 0);
	CHECK_INT(ev.type, ==, EXEC_EVENT_EXITED);
	REQUIRE(next_event(evs, &ev) == 0);
	CHECK_INT(ev.type, ==, EXEC_EVENT_OVERFLOW);
	CHECK_INT(ev.dropped, ==, 5);
	CHECK_STR(ev.container_id, "");
	CHECK(!readable(fd, 0));
	exec_events_free(evs);
}

/* Run argv with a 16 MiB limit under a new stream, and read its created
 * and started events; the container, or NULL. */
static exec_container *run_starved(const char *const *argv, exec_events **evs, const char *id)
{
	exec_bundle_options opts = EXEC_BUNDLE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_container *c = NULL;
	exec_event ev;
	const char *bundle;

	opts.memory_limit = 16 << 20;
	opts.memory_swap_limit = 16 << 20;
	bundle = fx_bundle_ext(argv, &opts);
	REQUIRE_R(rt && bundle && id, NULL);
	CHECK_RC_R(exec_events_open(rt, 0, evs), EXEC_OK, NULL);
	CHECK_RC_R(exec_container_run(rt, id, bundle, NULL, &c), EXEC_OK, NULL);
	REQUIRE_R(expect(*evs, &ev, EXEC_EVENT_CREATED, id, "") == 0, c);
	REQUIRE_R(expect(*evs, &ev, EXEC_EVENT_STARTED, id, "") == 0, c);
	return c;
}

/* An OOM kill is an event just before the exit it caused. */
static void oom(void)
{
	const char *argv[] = { "busybox", "tail", "/dev/zero", NULL };
	const char *id = fx_id();
	exec_events *evs = NULL;
	exec_container *c = run_starved(argv, &evs, id);
	exec_exit e = EXEC_EXIT_INIT;
	exec_event ev;

	REQUIRE(c != NULL);
	CHECK_OK(exec_container_wait(c, 20000, &e));
	CHECK(e.oom_killed);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_OOM, id, "") == 0);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_EXITED, id, "") == 0);
	CHECK(ev.exit.oom_killed);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	exec_events_free(evs);
}

/* An OOM kill of a child is an event as it happens, the container running
 * on; its init's exit then tells it without a second OOM event. */
static void oom_running(void)
{
	const char *argv[] = { "sh", "-c", "sleep 0.3; busybox tail /dev/zero; sleep 100", NULL };
	const char *id = fx_id();
	exec_events *evs = NULL;
	exec_container *c = run_starved(argv, &evs, id);
	exec_exit e = EXEC_EXIT_INIT;
	exec_event ev;
	exec_state st;

	REQUIRE(c != NULL);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_OOM, id, "") == 0);
	CHECK_INT(ev.pid, ==, 0);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK_OK(exec_container_wait(c, 20000, &e));
	CHECK(e.oom_killed);
	REQUIRE(expect(evs, &ev, EXEC_EVENT_EXITED, id, "") == 0);
	CHECK(ev.exit.oom_killed);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	exec_events_free(evs);
}

/* The exit fds poll readable once the exit is known, not before. */
static void exit_fds(void)
{
	const char *argv[] = { "sleep", "100", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_process *p = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	int cfd, cfd2, pfd;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_exec(c, "nap", "{\"args\":[\"sleep\",\"100\"],\"cwd\":\"/\"}", NULL, &p));
	CHECK_OK(exec_container_exit_fd(c, &cfd));
	CHECK_OK(exec_container_exit_fd(c, &cfd2));
	CHECK_INT(cfd, ==, cfd2);
	CHECK_OK(exec_process_exit_fd(p, &pfd));
	CHECK(!readable(cfd, 0));
	CHECK(!readable(pfd, 0));
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK(readable(pfd, 20000));
	CHECK(!readable(cfd, 0));
	CHECK_OK(exec_process_wait(p, 0, &e));
	CHECK_OK(exec_container_kill(c, SIGKILL, 0));
	CHECK(readable(cfd, 20000));
	CHECK_OK(exec_container_wait(c, 0, &e));
	CHECK(readable(cfd, 0));
	exec_process_free(p);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
}

/* Bad arguments are refused, and a freed stream is closed. */
static void bad_args(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_events *evs = NULL;
	exec_event ev = EXEC_EVENT_INIT;
	int fd;

	REQUIRE(rt);
	CHECK_RC(exec_events_open(NULL, 0, &evs), EXEC_EINVAL);
	CHECK_RC(exec_events_open(rt, 0, NULL), EXEC_EINVAL);
	CHECK_RC(exec_events_open(rt, (1u << 20) + 1, &evs), EXEC_EINVAL);
	CHECK(evs == NULL);
	CHECK_OK(exec_events_open(rt, 0, &evs));
	CHECK_RC(exec_events_fd(evs, NULL), EXEC_EINVAL);
	CHECK_RC(exec_events_next(evs, 0, NULL), EXEC_EINVAL);
	ev.version = 99;
	CHECK_RC(exec_events_next(evs, 0, &ev), EXEC_EINVAL);
	CHECK_RC(exec_events_next((exec_events *)rt, 0, &ev), EXEC_ECLOSED);
	CHECK_RC(exec_event_init(&ev, 99), EXEC_EINVAL);
	CHECK_OK(exec_event_init(&ev, EXEC_EVENT_VERSION));
	CHECK_INT(ev.exit.version, ==, EXEC_EXIT_VERSION);
	CHECK_RC(exec_container_exit_fd(NULL, &fd), EXEC_EINVAL);
	CHECK_RC(exec_process_exit_fd(NULL, &fd), EXEC_EINVAL);
	exec_events_free(evs);
	CHECK_RC(exec_events_fd(evs, &fd), EXEC_ECLOSED);
	CHECK_RC(exec_events_next(evs, 0, &ev), EXEC_ECLOSED);
	exec_events_free(evs);
	exec_events_free(NULL);
}

/* Streams and exit fds leave no fd behind once freed. */
static void no_fd_leak(void)
{
	const char *argv[] = { "true", NULL };
	exec_runtime *rt = fx_runtime(NULL, NULL);
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	exec_exit e = EXEC_EXIT_INIT;
	int fds, fd;

	REQUIRE(rt && bundle);
	CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
	CHECK_OK(exec_container_wait(c, 20000, &e));
	fds = fx_count_fds();
	for (int i = 0; i < 50; i++) {
		exec_events *evs = NULL;

		CHECK_OK(exec_events_open(rt, 0, &evs));
		CHECK_OK(exec_events_fd(evs, &fd));
		exec_events_free(evs);
	}
	CHECK_OK(exec_container_exit_fd(c, &fd));
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	CHECK_INT(fx_count_fds(), <=, fds);
}

const test_case event_tests[] = {
	{ "events.lifecycle", lifecycle },
	{ "events.concurrent", concurrent },
	{ "events.overflow", overflow },
	{ "events.oom", oom },
	{ "events.oom_running", oom_running },
	{ "events.exit_fds", exit_fds },
	{ "events.bad_args", bad_args },
	{ "events.no_fd_leak", no_fd_leak },
	{ NULL, NULL },
};
