/*
 * log.c - exec_log_set(): what reaches the receiver, turning it off,
 * receivers that call back into the library, and a flood that drops.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

#define FAILING_RUNTIME "tests/c/fixtures/failing-runtime"
#define MAX_MESSAGES 8192

/* What the receiver was given, in order. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int count;
	int levels[MAX_MESSAGES];
	char *messages[MAX_MESSAGES];
	/* For reentrant(): the runtime the receiver asks for its root. */
	exec_runtime *rt;
	int reentered;
	/* For flood(): the receiver waits while `hold` is set. */
	int hold;
} got = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, {0}, NULL, 0, 0 };

static void collect(int level, const char *message, void *payload)
{
	(void)payload;
	pthread_mutex_lock(&got.lock);
	while (got.hold)
		pthread_cond_wait(&got.changed, &got.lock);
	if (got.count < MAX_MESSAGES) {
		got.levels[got.count] = level;
		got.messages[got.count++] = strdup(message);
	}
	pthread_cond_broadcast(&got.changed);
	pthread_mutex_unlock(&got.lock);
}

/* Set the receiver to collect, with nothing collected yet. */
static void start_collecting(int max_level)
{
	pthread_mutex_lock(&got.lock);
	for (int i = 0; i < got.count; i++)
		free(got.messages[i]);
	got.count = 0;
	got.rt = NULL;
	got.reentered = 0;
	got.hold = 0;
	pthread_cond_broadcast(&got.changed);
	pthread_mutex_unlock(&got.lock);
	CHECK_RC(exec_log_set(collect, max_level, NULL), EXEC_OK);
}

/* How many messages at level contain text. */
static int count_of(int level, const char *text)
{
	int n = 0;

	pthread_mutex_lock(&got.lock);
	for (int i = 0; i < got.count; i++)
		if (got.levels[i] == level && strstr(got.messages[i], text))
			n++;
	pthread_mutex_unlock(&got.lock);
	return n;
}

/* Wait (up to 30 s, a hang guard only) for a message at level with text. */
static int arrived(int level, const char *text)
{
	for (int i = 0; i < 3000; i++) {
		if (count_of(level, text) > 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static exec_runtime *failing_runtime(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	static char path[PATH_MAX];

	if (realpath(FAILING_RUNTIME, path) == NULL)
		return NULL;
	opts.runtime_path = path;
	return fx_runtime(&opts, NULL);
}

/* A failed runtime call's stderr comes as a warning; a monitor start as info. */
static void failing_runtime_warns(void)
{
	const char *bundle = fx_bundle_sh("exit 0", 0), *id = fx_id();
	exec_runtime *rt;
	exec_container *c = NULL;

	start_collecting(EXEC_LOG_DEBUG);
	REQUIRE(bundle && id && (rt = failing_runtime()) != NULL);
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	CHECK(arrived(EXEC_LOG_WARN, "deliberate failure in create"));
	CHECK(arrived(EXEC_LOG_INFO, "started the monitor of "));
	CHECK_RC(exec_log_set(NULL, 0, NULL), EXEC_OK);
}

/* Above max_level nothing comes; once turned off, nothing at all. */
static void levels_and_off(void)
{
	const char *bundle = fx_bundle_sh("exit 0", 0), *id = fx_id();
	exec_runtime *rt;
	exec_container *c = NULL;
	int before;

	start_collecting(EXEC_LOG_ERROR);
	REQUIRE(bundle && id && (rt = failing_runtime()) != NULL);
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	CHECK_RC(exec_log_set(collect, EXEC_LOG_WARN, NULL), EXEC_OK);
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	CHECK(arrived(EXEC_LOG_WARN, "deliberate failure"));
	CHECK_INT(count_of(EXEC_LOG_WARN, "deliberate failure"), ==, 1);
	CHECK_RC(exec_log_set(NULL, EXEC_LOG_DEBUG, NULL), EXEC_OK);
	pthread_mutex_lock(&got.lock);
	before = got.count;
	pthread_mutex_unlock(&got.lock);
	for (int i = 0; i < 3; i++)
		CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	usleep(100000);
	pthread_mutex_lock(&got.lock);
	CHECK_INT(got.count, ==, before);
	pthread_mutex_unlock(&got.lock);
}

/* A receiver that calls into the library, exec_log_set() included. */
static void reenter(int level, const char *message, void *payload)
{
	const char *root = exec_runtime_root(got.rt);

	CHECK(root != NULL);
	CHECK_RC(exec_log_set(reenter, EXEC_LOG_DEBUG, payload), EXEC_OK);
	pthread_mutex_lock(&got.lock);
	got.reentered++;
	pthread_mutex_unlock(&got.lock);
	collect(level, message, payload);
}

static void reentrant(void)
{
	const char *bundle = fx_bundle_sh("exit 0", 0), *id = fx_id();
	exec_runtime *rt;
	exec_container *c = NULL;

	start_collecting(EXEC_LOG_DEBUG);
	REQUIRE(bundle && id && (rt = failing_runtime()) != NULL);
	got.rt = rt;
	CHECK_RC(exec_log_set(reenter, EXEC_LOG_DEBUG, NULL), EXEC_OK);
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	CHECK(arrived(EXEC_LOG_WARN, "deliberate failure"));
	CHECK_RC(exec_log_set(NULL, 0, NULL), EXEC_OK);
	pthread_mutex_lock(&got.lock);
	CHECK_INT(got.reentered, >, 0);
	pthread_mutex_unlock(&got.lock);
}

/* How many chatty lines came, and how many messages were said dropped. */
static void flood_counts(int *lines, int *dropped)
{
	*lines = *dropped = 0;
	pthread_mutex_lock(&got.lock);
	for (int i = 0; i < got.count; i++) {
		int n;

		if (strstr(got.messages[i], "chatty line"))
			(*lines)++;
		else if (sscanf(got.messages[i], "%d log messages dropped", &n) == 1)
			*dropped += n;
	}
	pthread_mutex_unlock(&got.lock);
}

/*
 * A runtime whose log has thousands of lines in a call that succeeds,
 * while the receiver is stuck: the call does not wait for the receiver,
 * and what the queue could not hold is dropped and counted.
 */
static void flood(void)
{
	const char *dir = fx_tempdir(), *script, *id = fx_id();
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_runtime *rt;
	exec_container *c = NULL;
	FILE *f;
	int dropped = 0, lines = 0, rc;

	REQUIRE(dir && bundle && id);
	script = fx_str("%s/chatty-runtime", dir);
	REQUIRE((f = fopen(script, "w")) != NULL);
	fputs("#!/bin/sh\n"
	      "# runc, with 3000 more lines in its log\n"
	      "log= prev=\n"
	      "for a in \"$@\"; do\n"
	      "\t[ \"$prev\" = --log ] && log=$a\n"
	      "\tcase $a in --log=*) log=${a#--log=} ;; esac\n"
	      "\tprev=$a\n"
	      "done\n"
	      "if [ -n \"$log\" ]; then\n"
	      "\ti=0\n"
	      "\twhile [ $i -lt 3000 ]; do\n"
	      "\t\techo \"{\\\"level\\\":\\\"info\\\",\\\"msg\\\":\\\"chatty line $i\\\"}\"\n"
	      "\t\ti=$((i + 1))\n"
	      "\tdone >>\"$log\"\n"
	      "fi\n"
	      "exec runc \"$@\"\n", f);
	fclose(f);
	REQUIRE(chmod(script, 0755) == 0);
	opts.runtime_path = script;
	REQUIRE((rt = fx_runtime(&opts, NULL)) != NULL);

	start_collecting(EXEC_LOG_DEBUG);
	pthread_mutex_lock(&got.lock);
	got.hold = 1;
	pthread_mutex_unlock(&got.lock);
	rc = exec_container_run(rt, id, bundle, NULL, &c);
	pthread_mutex_lock(&got.lock);
	got.hold = 0;
	pthread_cond_broadcast(&got.changed);
	pthread_mutex_unlock(&got.lock);
	CHECK_RC(rc, EXEC_OK);
	CHECK_RC(exec_container_wait(c, -1, &ex), EXEC_OK);
	CHECK(arrived(EXEC_LOG_WARN, "log messages dropped"));
	/* The messages queued before the count may still be on their way. */
	for (int tries = 0; tries < 3000 && lines + dropped < 3000; tries++) {
		usleep(10000);
		flood_counts(&lines, &dropped);
	}
	CHECK_RC(exec_log_set(NULL, 0, NULL), EXEC_OK);
	CHECK_INT(dropped, >, 0);
	CHECK_INT(lines, >, 0);
	CHECK_INT(lines + dropped, >=, 3000);
	CHECK_RC(exec_container_delete(c, 0), EXEC_OK);
	exec_container_free(c);
}

const test_case log_tests[] = {
	{ "log.failing_runtime_warns", failing_runtime_warns },
	{ "log.levels_and_off", levels_and_off },
	{ "log.reentrant", reentrant },
	{ "log.flood", flood },
	{ NULL, NULL },
};
