/*
 * args.c - bad arguments of every kind: NULL pointers, bad ids, missing or
 * broken bundles, bad stream options, duplicate ids. Each is refused with the
 * documented code and a message, and leaves nothing behind.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* Check a result without leaving the test, so that every call runs. */
static void expect(const char *file, int line, const char *expr, int rc, int want, int alt)
{
	const char *msg = exec_last_error();

	if (rc != want && rc != alt)
		t_fail_rc(file, line, expr, rc, want, msg);
	else if (msg == NULL || msg[0] == '\0')
		t_fail(file, line, "%s = %d but exec_last_error() is empty", expr, rc);
}

#define EXPECT(call, want) expect(__FILE__, __LINE__, #call, (call), (want), (want))
/* A NULL handle is a NULL argument: EINVAL (a garbage one is ECLOSED). */
#define EXPECT_NULL_HANDLE(call) EXPECT(call, EXEC_EINVAL)

/* Every pointer parameter of every function, NULL in turn. */
static void null_pointers(void)
{
	const char *root, *id = fx_id(), *unused = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	const char *json = "{\"args\":[\"sleep\",\"100\"],\"env\":[\"PATH=/bin\"]}";
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_runtime *rt2 = NULL;
	exec_container *c = NULL, *c2 = NULL;
	exec_process *p = NULL, *p2 = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_stats stats = EXEC_STATS_INIT;
	char **ids = NULL;
	int *pids = NULL;
	size_t n;
	int fd = -1, pid;
	fx_snapshot before;

	REQUIRE(rt && bundle && id && unused);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	io.stdout_fd = EXEC_IO_NULL;
	io.stdin_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_exec(c, "proc", json, &io, &p));
	fx_snap(&before, root, NULL);

	exec_free(NULL);
	exec_strings_free(NULL, 0);
	exec_strings_free(NULL, 3);
	EXPECT(exec_runtime_options_init(NULL, EXEC_RUNTIME_OPTIONS_VERSION), EXEC_EINVAL);
	EXPECT(exec_io_init(NULL, EXEC_IO_VERSION), EXEC_EINVAL);
	EXPECT(exec_exit_init(NULL, EXEC_EXIT_VERSION), EXEC_EINVAL);
	EXPECT(exec_stats_init(NULL, EXEC_STATS_VERSION), EXEC_EINVAL);
	EXPECT(exec_bundle_options_init(NULL, EXEC_BUNDLE_OPTIONS_VERSION), EXEC_EINVAL);
	EXPECT(exec_bundle_init(NULL, argv, 0), EXEC_EINVAL);
	EXPECT(exec_bundle_init(fx_tempdir(), NULL, 0), EXEC_EINVAL);
	EXPECT(exec_bundle_init_ext(NULL, argv, NULL), EXEC_EINVAL);
	EXPECT(exec_bundle_init_ext(fx_tempdir(), NULL, NULL), EXEC_EINVAL);
	EXPECT(exec_runtime_new(NULL, &rt2), EXEC_EINVAL);
	opts.root = fx_tempdir();
	EXPECT(exec_runtime_new(&opts, NULL), EXEC_EINVAL);
	exec_runtime_free(NULL);

	EXPECT_NULL_HANDLE(exec_container_create(NULL, unused, bundle, NULL, &c2));
	EXPECT(exec_container_create(rt, NULL, bundle, NULL, &c2), EXEC_EINVAL);
	EXPECT(exec_container_create(rt, unused, NULL, NULL, &c2), EXEC_EINVAL);
	EXPECT(exec_container_create(rt, unused, bundle, NULL, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_run(NULL, unused, bundle, NULL, &c2));
	EXPECT(exec_container_run(rt, NULL, bundle, NULL, &c2), EXEC_EINVAL);
	EXPECT(exec_container_run(rt, unused, NULL, NULL, &c2), EXEC_EINVAL);
	EXPECT(exec_container_run(rt, unused, bundle, NULL, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_start(NULL));
	EXPECT_NULL_HANDLE(exec_container_load(NULL, id, &c2));
	EXPECT(exec_container_load(rt, NULL, &c2), EXEC_EINVAL);
	EXPECT(exec_container_load(rt, id, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_list(NULL, &ids, &n));
	EXPECT(exec_container_list(rt, NULL, &n), EXEC_EINVAL);
	EXPECT(exec_container_list(rt, &ids, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_state(NULL, &st));
	EXPECT(exec_container_state(c, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_pid(NULL, &pid));
	EXPECT(exec_container_pid(c, NULL), EXEC_EINVAL);
	CHECK(exec_container_id(NULL) == NULL);
	EXPECT_NULL_HANDLE(exec_container_pause(NULL));
	EXPECT_NULL_HANDLE(exec_container_resume(NULL));
	EXPECT_NULL_HANDLE(exec_container_kill(NULL, SIGKILL, 0));
	EXPECT_NULL_HANDLE(exec_container_wait(NULL, 0, &ex));
	EXPECT(exec_container_wait(c, 0, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_stdio(NULL, EXEC_STDOUT, &fd));
	EXPECT(exec_container_stdio(c, EXEC_STDOUT, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_resize(NULL, 24, 80));
	EXPECT_NULL_HANDLE(exec_container_stats(NULL, &stats));
	EXPECT(exec_container_stats(c, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_ps(NULL, &pids, &n));
	EXPECT(exec_container_ps(c, NULL, &n), EXEC_EINVAL);
	EXPECT(exec_container_ps(c, &pids, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_update(NULL, "{}"));
	EXPECT(exec_container_update(c, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_container_delete(NULL, 1));
	exec_container_free(NULL);

	EXPECT_NULL_HANDLE(exec_container_exec(NULL, "p2", json, NULL, &p2));
	EXPECT(exec_container_exec(c, NULL, json, NULL, &p2), EXEC_EINVAL);
	EXPECT(exec_container_exec(c, "p2", NULL, NULL, &p2), EXEC_EINVAL);
	EXPECT(exec_container_exec(c, "p2", json, NULL, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_process_load(NULL, "proc", &p2));
	EXPECT(exec_process_load(c, NULL, &p2), EXEC_EINVAL);
	EXPECT(exec_process_load(c, "proc", NULL), EXEC_EINVAL);
	CHECK(exec_process_id(NULL) == NULL);
	EXPECT_NULL_HANDLE(exec_process_pid(NULL, &pid));
	EXPECT(exec_process_pid(p, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_process_signal(NULL, SIGKILL));
	EXPECT_NULL_HANDLE(exec_process_wait(NULL, 0, &ex));
	EXPECT(exec_process_wait(p, 0, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_process_stdio(NULL, EXEC_STDIN, &fd));
	EXPECT(exec_process_stdio(p, EXEC_STDIN, NULL), EXEC_EINVAL);
	EXPECT_NULL_HANDLE(exec_process_resize(NULL, 24, 80));
	EXPECT_NULL_HANDLE(exec_process_delete(NULL));
	exec_process_free(NULL);

	CHECK(c2 == NULL && p2 == NULL && rt2 == NULL && ids == NULL);
	REQUIRE(!t_failed());
	NOTHING_LEFT(&before, root, unused);

	/* The failed calls took nothing: the streams are still there to hand over. */
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &fd));
	close(fd);
	CHECK_OK(exec_process_stdio(p, EXEC_STDIN, &fd));
	close(fd);
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_RC(exec_process_wait(p, 0, &ex), EXEC_ETIMEDOUT);
	CHECK_OK(exec_process_signal(p, SIGKILL));
	CHECK_OK(exec_process_wait(p, 10000, &ex));
	exec_process_free(p);
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
}

/* Malformed ids are refused before any path is built from them. */
static void bad_ids(void)
{
	static char long_id[2001], over_limit[1026];
	const char *const bad[] = { "", ".", "..", "../x", "a/b", "/abs", "a b", "x\n",
	                            "caf\xc3\xa9", long_id, over_limit };
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	fx_snapshot before;

	REQUIRE(rt && bundle);
	memset(long_id, 'a', 2000);
	memset(over_limit, 'b', 1025);
	fx_snap(&before, root, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *what[] = { "create", "run", "load" };

		for (int k = 0; k < 3; k++) {
			int rc = k == 0 ? exec_container_create(rt, bad[i], bundle, NULL, &c)
			       : k == 1 ? exec_container_run(rt, bad[i], bundle, NULL, &c)
			                : exec_container_load(rt, bad[i], &c);

			if (rc != EXEC_EINVAL)
				t_fail(__FILE__, __LINE__,
				       "%s with id \"%.40s\" (%zu bytes): %d (%s), want EXEC_EINVAL; %s",
				       what[k], bad[i], strlen(bad[i]), rc, exec_strerror(rc),
				       exec_last_error());
		}
	}
	CHECK(c == NULL);
	REQUIRE(!t_failed());
	NOTHING_LEFT(&before, root, NULL);
	CHECK(!fx_exists(fx_str("%s/x", root)));
	CHECK(!fx_exists(fx_str("%s/containers/a", root)));
	CHECK(!fx_exists("/abs"));
}

/* Missing, config-less and broken bundles: EINVAL, nothing left. */
static void bad_bundles(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *missing = fx_str("%s/no-such-bundle", fx_tempdir());
	const char *no_config = fx_tempdir();
	const char *broken = fx_tempdir();
	const char *not_spec = fx_tempdir();
	exec_container *c = NULL;
	fx_snapshot before;
	FILE *f;

	REQUIRE(rt && id && missing && no_config && broken && not_spec && fx_rootfs());
	CHECK(symlink(fx_rootfs(), fx_str("%s/rootfs", no_config)) == 0);
	CHECK(symlink(fx_rootfs(), fx_str("%s/rootfs", broken)) == 0);
	CHECK(symlink(fx_rootfs(), fx_str("%s/rootfs", not_spec)) == 0);
	CHECK((f = fopen(fx_str("%s/config.json", broken), "w")) != NULL);
	fputs("{ \"ociVersion\": \"1.0.2\", this is not JSON", f);
	fclose(f);
	CHECK((f = fopen(fx_str("%s/config.json", not_spec), "w")) != NULL);
	fputs("[1, 2, 3]", f);
	fclose(f);

	fx_snap(&before, root, NULL);
	const char *const bundles[] = { missing, no_config, broken, not_spec };
	for (size_t i = 0; i < 4; i++) {
		int rc = exec_container_create(rt, id, bundles[i], NULL, &c);

		if (rc != EXEC_EINVAL)
			t_fail(__FILE__, __LINE__, "create with bundle #%zu: %d (%s), want EXEC_EINVAL; %s",
			       i, rc, exec_strerror(rc), exec_last_error());
		rc = exec_container_run(rt, id, bundles[i], NULL, &c);
		if (rc != EXEC_EINVAL)
			t_fail(__FILE__, __LINE__, "run with bundle #%zu: %d (%s), want EXEC_EINVAL; %s",
			       i, rc, exec_strerror(rc), exec_last_error());
		CHECK(exec_last_error()[0] != '\0');
	}
	CHECK(c == NULL);
	REQUIRE(!t_failed());
	NOTHING_LEFT(&before, root, id);
}

/* Stream options: unknown versions and fds that are neither valid nor special. */
static void bad_io(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_container *c = NULL;
	fx_snapshot before;
	exec_io io;

	REQUIRE(rt && bundle && id);
	CHECK(fcntl(1000, F_GETFD) == -1);
	fx_snap(&before, root, NULL);
	for (int i = 0; i < 6; i++) {
		exec_io init = EXEC_IO_INIT;
		int rc, alt = EXEC_EINVAL;

		io = init;
		switch (i) {
		case 0: io.version = 0; break;
		case 1: io.version = 999; break;
		case 2: io.stdout_fd = -7; break;
		case 3: io.stdin_fd = -3; break;
		case 4: io.stderr_fd = -1000; break;
		case 5: io.stdout_fd = 1000; alt = EXEC_ESYS; break;
		}
		rc = exec_container_run(rt, id, bundle, &io, &c);
		if (rc != EXEC_EINVAL && rc != alt)
			t_fail(__FILE__, __LINE__, "run with bad io #%d: %d (%s), want EXEC_EINVAL; %s",
			       i, rc, exec_strerror(rc), exec_last_error());
	}
	CHECK(c == NULL);
	REQUIRE(!t_failed());
	NOTHING_LEFT(&before, root, id);
}

/* A second container with a live id is EEXIST; the first is untouched. */
static void duplicate_id(void)
{
	exec_runtime_options same_root = EXEC_RUNTIME_OPTIONS_INIT;
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("read x; echo got $x; exit 3", 0);
	exec_runtime *rt2;
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL, *c2 = NULL;
	exec_state st;
	exec_exit ex = EXEC_EXIT_INIT;
	int in = -1, out = -1, pid = -1, pid2 = -1;
	char buf[256];

	REQUIRE(rt && bundle && id);
	same_root.root = root;
	REQUIRE((rt2 = fx_runtime(&same_root, NULL)) != NULL);
	io.stdin_fd = EXEC_IO_PIPE;
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_OK(exec_container_run(rt, id, bundle, &io, &c));
	CHECK_OK(exec_container_pid(c, &pid));
	CHECK_RC(exec_container_create(rt, id, bundle, &io, &c2), EXEC_EEXIST);
	CHECK_RC(exec_container_run(rt, id, bundle, NULL, &c2), EXEC_EEXIST);
	CHECK_RC(exec_container_run(rt2, id, bundle, NULL, &c2), EXEC_EEXIST);
	CHECK(c2 == NULL);

	CHECK(fx_exists(fx_str("%s/containers/%s", root, id)));
	CHECK_OK(exec_container_state(c, &st));
	CHECK_INT(st, ==, EXEC_STATE_RUNNING);
	CHECK_OK(exec_container_pid(c, &pid2));
	CHECK_INT(pid2, ==, pid);
	CHECK_OK(exec_container_stdio(c, EXEC_STDIN, &in));
	CHECK_OK(exec_container_stdio(c, EXEC_STDOUT, &out));
	CHECK(fx_write_all(in, "hi\n") == 0);
	close(in);
	CHECK_INT(fx_read_all(out, buf, sizeof(buf), 10000), >=, 0);
	close(out);
	CHECK_STR(buf, "got hi\n");
	CHECK_OK(exec_container_wait(c, 10000, &ex));
	CHECK_INT(ex.status, ==, 3);

	/* Stopped but not deleted: still taken. Deleted: free again. */
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c2), EXEC_EEXIST);
	CHECK_OK(exec_container_delete(c, 0));
	exec_container_free(c);
	CHECK_OK(exec_container_create(rt, id, bundle, NULL, &c2));
	CHECK_OK(exec_container_delete(c2, 0));
	exec_container_free(c2);
}

/* exec_bundle_init's own checks. */
static void bundle_init(void)
{
	const char *dir = fx_tempdir();
	const char *argv[] = { "echo", "bundle-init-arg", NULL };
	const char *empty[] = { NULL };
	char config[65536];
	size_t n;
	FILE *f;

	REQUIRE(dir);
	CHECK_RC(exec_bundle_init(dir, empty, 0), EXEC_EINVAL);
	CHECK_RC(exec_bundle_init(fx_str("%s/missing", dir), argv, 0), EXEC_EINVAL);
	CHECK(!fx_exists(fx_str("%s/config.json", dir)));
	CHECK_OK(exec_bundle_init(dir, argv, 0));
	CHECK((f = fopen(fx_str("%s/config.json", dir), "r")) != NULL);
	n = fread(config, 1, sizeof(config) - 1, f);
	fclose(f);
	config[n] = '\0';
	CHECK_CONTAINS(config, "\"bundle-init-arg\"");
	CHECK_CONTAINS(config, "\"rootfs\"");
	CHECK_CONTAINS(config, "\"ociVersion\"");
	CHECK_RC(exec_bundle_init(dir, argv, 0), EXEC_EEXIST);
}

const test_case args_tests[] = {
	{ "args.null_pointers", null_pointers },
	{ "args.bad_ids", bad_ids },
	{ "args.bad_bundles", bad_bundles },
	{ "args.bad_io", bad_io },
	{ "args.duplicate_id", duplicate_id },
	{ "args.bundle_init", bundle_init },
	{ NULL, NULL },
};
