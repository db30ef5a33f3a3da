/*
 * errors.c - result codes, messages, versions, and runtime options.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* Every code has its own description; an unknown one a fixed text. */
static void strerror_codes(void)
{
	const int codes[] = { EXEC_OK, EXEC_EINVAL, EXEC_ENOTFOUND, EXEC_EEXIST,
	                      EXEC_ESTATE, EXEC_ERUNTIME, EXEC_ETIMEDOUT, EXEC_ECLOSED,
	                      EXEC_ESYS, EXEC_EINTERNAL, EXEC_ENOTSUP, EXEC_ECANCELED };
	const size_t n = sizeof(codes) / sizeof(codes[0]);
	const int unknown[] = { 1, 42, -12, -100, -2147483647 - 1 };

	for (size_t i = 0; i < n; i++) {
		const char *s = exec_strerror(codes[i]);

		CHECK(s != NULL && s[0] != '\0');
		CHECK(strcmp(s, "unknown error") != 0);
		CHECK(exec_strerror(codes[i]) == s);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(s, exec_strerror(codes[j])) != 0);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		CHECK_STR(exec_strerror(unknown[i]), "unknown error");
}

struct probe {
	int empty_at_start;
	char message[512];
};

/* On a fresh thread: "" first, then its own failure's message. */
static void *fresh_thread(void *arg)
{
	struct probe *pr = arg;
	exec_container *c = NULL;
	const char *msg = exec_last_error();

	pr->empty_at_start = msg != NULL && msg[0] == '\0';
	exec_container_load(NULL, "x", &c);
	snprintf(pr->message, sizeof(pr->message), "%s", exec_last_error());
	return NULL;
}

/* The last error is per thread, never NULL. */
static void last_error(void)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_container *c = NULL;
	static struct probe pr;
	char mine[512];
	pthread_t th;

	REQUIRE(rt);
	CHECK(exec_last_error() != NULL);
	CHECK_RC(exec_container_load(rt, "../x", &c), EXEC_EINVAL);
	snprintf(mine, sizeof(mine), "%s", exec_last_error());
	CHECK(mine[0] != '\0');

	CHECK(pthread_create(&th, NULL, fresh_thread, &pr) == 0);
	pthread_join(th, NULL);
	CHECK(pr.empty_at_start);
	CHECK(pr.message[0] != '\0');
	CHECK(strcmp(pr.message, mine) != 0);
	CHECK_STR(exec_last_error(), mine);
}

static void version(void)
{
	CHECK_STR(exec_version(), EXEC_VERSION);
	CHECK_STR(exec_version(), fx_str("%d.%d.%d", EXEC_VERSION_MAJOR, EXEC_VERSION_MINOR,
	                                 EXEC_VERSION_PATCH));
}

/* The *_init functions fill the defaults and check the version. */
static void options_init(void)
{
	exec_runtime_options opts;
	exec_io io;

	memset(&opts, 0xab, sizeof(opts));
	CHECK_RC(exec_runtime_options_init(&opts, 0), EXEC_EINVAL);
	CHECK_RC(exec_runtime_options_init(&opts, 999), EXEC_EINVAL);
	CHECK_OK(exec_runtime_options_init(&opts, EXEC_RUNTIME_OPTIONS_VERSION));
	CHECK_INT(opts.version, ==, EXEC_RUNTIME_OPTIONS_VERSION);
	CHECK(opts.root == NULL && opts.runtime_path == NULL && opts.runtime_root == NULL);
	CHECK(opts.log_path == NULL);
	CHECK(opts.systemd_cgroup == 0 && opts.debug == 0 && opts.timeout_ms == 0);

	memset(&io, 0xab, sizeof(io));
	CHECK_RC(exec_io_init(&io, 0), EXEC_EINVAL);
	CHECK_RC(exec_io_init(&io, 999), EXEC_EINVAL);
	CHECK_OK(exec_io_init(&io, EXEC_IO_VERSION));
	CHECK_INT(io.version, ==, EXEC_IO_VERSION);
	CHECK_INT(io.stdin_fd, ==, EXEC_IO_NULL);
	CHECK_INT(io.stdout_fd, ==, EXEC_IO_NULL);
	CHECK_INT(io.stderr_fd, ==, EXEC_IO_NULL);
	CHECK_INT(io.terminal, ==, 0);
}

/* exec_runtime_new refuses what it cannot use, and creates a missing root. */
static void runtime_new(void)
{
	const char *dir = fx_tempdir();
	exec_runtime_options opts;
	exec_runtime *rt = NULL;
	struct stat st;

	REQUIRE(dir);
	for (int i = 0; i < 7; i++) {
		exec_runtime_options init = EXEC_RUNTIME_OPTIONS_INIT;
		int want = EXEC_EINVAL, rc;

		opts = init;
		opts.root = fx_str("%s/root%d", dir, i);
		switch (i) {
		case 0: opts.version = 0; break;
		case 1: opts.version = 999; break;
		case 2: opts.root = NULL; break;
		case 3: opts.root = ""; break;
		case 4: opts.runtime_path = "/nonexistent/runc"; break;
		case 5: opts.runtime_path = "no-such-oci-runtime-binary"; break;
		case 6: opts.root = "/proc/no-such-dir/root"; want = EXEC_ESYS; break;
		}
		rc = exec_runtime_new(&opts, &rt);
		if (rc != want)
			t_fail(__FILE__, __LINE__, "exec_runtime_new case %d: %d (%s), want %d; %s",
			       i, rc, exec_strerror(rc), want, exec_last_error());
		else if (exec_last_error()[0] == '\0')
			t_fail(__FILE__, __LINE__, "exec_runtime_new case %d: no message", i);
		CHECK(rt == NULL);
	}

	opts.version = EXEC_RUNTIME_OPTIONS_VERSION;
	opts.root = fx_str("%s/made", dir);
	opts.runtime_path = NULL;
	CHECK_OK(exec_runtime_new(&opts, &rt));
	CHECK(stat(opts.root, &st) == 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 07777, ==, 0700);
	exec_runtime_free(rt);
}

/* As root a runtime needs a root; the root it reports is absolute. */
static void root_required_and_reported(void)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;
	const char *dir = fx_tempdir();
	char cwd[4096];

	REQUIRE(dir && getcwd(cwd, sizeof(cwd)));
	if (geteuid() == 0) {
		CHECK_RC(exec_runtime_new(&opts, &rt), EXEC_EINVAL);
		CHECK_CONTAINS(exec_last_error(), "root is required");
	}
	opts.root = "";
	CHECK_RC(exec_runtime_new(&opts, &rt), EXEC_EINVAL);
	CHECK(exec_runtime_root(NULL) == NULL);
	REQUIRE(chdir(dir) == 0);
	opts.root = "relative-root";
	CHECK_OK(exec_runtime_new(&opts, &rt));
	CHECK(chdir(cwd) == 0);
	CHECK_STR(exec_runtime_root(rt), fx_str("%s/relative-root", dir));
	exec_runtime_free(rt);
	CHECK(exec_runtime_root(rt) == NULL);
}

/* exec_runtime_new leaves the host as it was: no child subreaper. */
static void not_subreaper(void)
{
	int on = -1;

	REQUIRE(fx_runtime(NULL, NULL));
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0);
	CHECK_INT(on, ==, 0);
}

const test_case error_tests[] = {
	{ "errors.strerror", strerror_codes },
	{ "errors.last_error", last_error },
	{ "errors.version", version },
	{ "runtime.options_init", options_init },
	{ "runtime.new", runtime_new },
	{ "runtime.not_subreaper", not_subreaper },
	{ "runtime.root_required_and_reported", root_required_and_reported },
	{ NULL, NULL },
};
