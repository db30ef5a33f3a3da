/*
 * pull.c - images pulled from a registry, then run.
 *
 * The registry is Debian's docker-registry on 127.0.0.1, started for each
 * test by $EXEC_TEST_REGISTRY (make test-registry), which pushes the
 * busybox image of $EXEC_TEST_IMAGES to it and stops it when its stdin
 * closes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

extern char **environ;

/* A running test registry: its helper's pid, the pipe that keeps it up. */
typedef struct {
	pid_t pid;
	int keep;
	char host[64];
} registry;

/* Start a registry with the busybox image as busybox:latest; 0 or -1. */
static int registry_start(registry *r)
{
	const char *helper = getenv("EXEC_TEST_REGISTRY"), *images = getenv("EXEC_TEST_IMAGES");
	posix_spawn_file_actions_t fa;
	int in[2], out[2];
	char *argv[4];
	int n;

	if (!helper || !images) {
		t_fail(__FILE__, __LINE__, "set EXEC_TEST_REGISTRY and EXEC_TEST_IMAGES (make test-c)");
		return -1;
	}
	CHECK_R(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, -1);
	argv[0] = (char *)helper;
	argv[1] = (char *)fx_tempdir();
	argv[2] = (char *)fx_str("%s/busybox", images);
	argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	CHECK_R(posix_spawn(&r->pid, helper, &fa, NULL, argv, environ) == 0, -1);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	r->keep = in[1];
	n = fx_read_until(out[0], r->host, sizeof(r->host), "\n", 30000);
	close(out[0]);
	CHECK_R(n == 0, -1);
	*strchr(r->host, '\n') = '\0';
	return 0;
}

/* Stop the registry: close its pipe, reap its helper. */
static void registry_stop(registry *r)
{
	if (r->pid <= 0)
		return;
	close(r->keep);
	waitpid(r->pid, NULL, 0);
	r->pid = 0;
}

/* What the progress callback saw. */
typedef struct {
	pthread_t thread;
	int calls, other_thread, finished, cancel;
} progress_seen;

static int on_progress(const char *blob, long long done, long long total, void *payload)
{
	progress_seen *s = payload;

	s->calls++;
	if (!pthread_equal(pthread_self(), s->thread))
		s->other_thread++;
	if (strncmp(blob, "sha256:", 7) == 0 && done == total)
		s->finished++;
	return s->cancel;
}

/* Pull by tag with progress, then make a bundle and run it. */
static void run(void)
{
	registry r = { 0 };
	const char *tmp = fx_tempdir(), *layout, *bundle, *ref;
	exec_pull_options opts;
	progress_seen seen = { 0 };
	exec_exit ex = EXEC_EXIT_INIT;
	char *digest = NULL, out[256];

	REQUIRE(registry_start(&r) == 0);
	layout = fx_str("%s/layout", tmp);
	bundle = fx_str("%s/bundle", tmp);
	ref = fx_str("%s/busybox:latest", r.host);
	CHECK_OK(exec_pull_options_init(&opts, EXEC_PULL_OPTIONS_VERSION));
	seen.thread = pthread_self();
	opts.progress = on_progress;
	opts.progress_payload = &seen;
	opts.parallel = 2;
	CHECK_OK(exec_image_pull(ref, layout, &opts, &digest));
	registry_stop(&r);
	CHECK(digest && strncmp(digest, "sha256:", 7) == 0);
	exec_free(digest);
	CHECK_INT(seen.calls, >, 0);
	CHECK_INT(seen.other_thread, ==, 0);
	CHECK_INT(seen.finished, >=, 3);
	CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s:%s", layout, ref), NULL));
	CHECK_INT(fx_run_output(fx_runtime(NULL, NULL), fx_id(), bundle, out, sizeof(out), &ex), ==, 0);
	CHECK_INT(ex.status, ==, 0);
	CHECK_STR(out, "hello from the second layer\n");
	CHECK_OK(exec_bundle_remove(bundle));
}

/* A callback returning non-zero cancels; a missing tag is not found. */
static void failures(void)
{
	registry r = { 0 };
	const char *tmp = fx_tempdir(), *layout;
	exec_pull_options opts = EXEC_PULL_OPTIONS_INIT;
	progress_seen seen = { 0 };

	REQUIRE(registry_start(&r) == 0);
	layout = fx_str("%s/layout", tmp);
	seen.thread = pthread_self();
	seen.cancel = 1;
	opts.progress = on_progress;
	opts.progress_payload = &seen;
	CHECK_RC(exec_image_pull(fx_str("%s/busybox:latest", r.host), layout, &opts, NULL),
	         EXEC_ECANCELED);
	CHECK_INT(seen.calls, ==, 1);
	CHECK(!fx_exists(fx_str("%s/index.json", layout)));
	CHECK_RC(exec_image_pull(fx_str("%s/busybox:nope", r.host), layout, NULL, NULL),
	         EXEC_ENOTFOUND);
	CHECK_RC(exec_image_pull(fx_str("%s/busybox@sha256:%064d", r.host, 0), layout, NULL, NULL),
	         EXEC_ENOTFOUND);
	registry_stop(&r);
	CHECK_STR(exec_strerror(EXEC_ECANCELED), "cancelled");
}

/* examples/c/pull.c pulls and runs the image ($EXEC_TEST_PULL_EXAMPLE). */
static void example(void)
{
	const char *prog = getenv("EXEC_TEST_PULL_EXAMPLE");
	registry r = { 0 };
	char out[256] = "";
	size_t n;
	FILE *f;

	REQUIRE(prog && prog[0] == '/');
	REQUIRE(registry_start(&r) == 0);
	f = popen(fx_str("%s %s/busybox:latest 2>/dev/null", prog, r.host), "r");
	REQUIRE(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	CHECK_INT(pclose(f), ==, 0);
	registry_stop(&r);
	CHECK_STR(out, "hello from the second layer\nexited with status 0\n");
}

/* Bad arguments never reach a registry. */
static void bad_args(void)
{
	const char *layout = fx_str("%s/layout", fx_tempdir());
	exec_pull_options opts = EXEC_PULL_OPTIONS_INIT;

	CHECK_RC(exec_image_pull(NULL, layout, NULL, NULL), EXEC_EINVAL);
	CHECK_RC(exec_image_pull("127.0.0.1:1/x:1", NULL, NULL, NULL), EXEC_EINVAL);
	CHECK_RC(exec_image_pull("Not A Ref", layout, NULL, NULL), EXEC_EINVAL);
	opts.version = 99;
	CHECK_RC(exec_image_pull("127.0.0.1:1/x:1", layout, &opts, NULL), EXEC_EINVAL);
	CHECK_RC(exec_pull_options_init(&opts, 99), EXEC_EINVAL);
	CHECK_RC(exec_pull_options_init(NULL, EXEC_PULL_OPTIONS_VERSION), EXEC_EINVAL);
	CHECK_OK(exec_pull_options_init(&opts, EXEC_PULL_OPTIONS_VERSION));
	opts.platform = "windows/amd64";
	CHECK_RC(exec_image_pull("127.0.0.1:1/x:1", layout, &opts, NULL), EXEC_EINVAL);
	/* Nothing listens on port 1. */
	CHECK_RC(exec_image_pull("127.0.0.1:1/x:1", layout, NULL, NULL), EXEC_ESYS);
}

const test_case pull_tests[] = {
	{ "pull.run", run },
	{ "pull.failures", failures },
	{ "pull.example", example },
	{ "pull.bad_args", bad_args },
	{ NULL, NULL },
};
