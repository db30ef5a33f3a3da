/*
 * failing.c - an OCI runtime that fails (tests/c/fixtures/failing-runtime):
 * EXEC_ERUNTIME with the runtime's own message, and nothing left behind.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "harness.h"

#define FAILING_RUNTIME "tests/c/fixtures/failing-runtime"

/* create and run fail with the runtime's message; no fd, dir or process stays. */
static void check_failing(const char *log_path)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	char path[PATH_MAX];
	const char *root, *id = fx_id();
	const char *bundle = fx_bundle_sh("exit 0", 0);
	exec_runtime *rt;
	exec_container *c = NULL;
	fx_snapshot before;

	CHECK(realpath(FAILING_RUNTIME, path) != NULL);
	opts.runtime_path = path;
	opts.log_path = log_path;
	REQUIRE(bundle && id && (rt = fx_runtime(&opts, &root)) != NULL);

	/* Once first, so that what the library keeps for good is open already. */
	CHECK_RC(exec_container_create(rt, id, bundle, NULL, &c), EXEC_ERUNTIME);
	fx_snap(&before, root, NULL);
	for (int i = 0; i < 3; i++) {
		exec_io io = { EXEC_IO_VERSION, EXEC_IO_PIPE, EXEC_IO_PIPE, EXEC_IO_PIPE, 0, NULL, 0 };

		CHECK_RC(exec_container_create(rt, id, bundle, &io, &c), EXEC_ERUNTIME);
		CHECK_CONTAINS(exec_last_error(), "deliberate failure");
		CHECK_RC(exec_container_run(rt, id, bundle, &io, &c), EXEC_ERUNTIME);
		CHECK_CONTAINS(exec_last_error(), "deliberate failure");
		CHECK(c == NULL);
	}
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, id, 1) == 0);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
	CHECK_INT(fx_count_tree(fx_str("%s/runc", root)), ==, 0);
	CHECK(!fx_exists(fx_str("%s/runc/%s", root, id)));
}

static void without_log(void)
{
	check_failing(NULL);
}

/* With log_path the runtime's log ends up in that file too. */
static void with_log(void)
{
	const char *dir = fx_tempdir();
	const char *log = fx_str("%s/runtime.log", dir);
	char text[8192];
	FILE *f;
	size_t n;

	REQUIRE(dir && log);
	check_failing(log);
	REQUIRE(!t_failed());
	CHECK((f = fopen(log, "r")) != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	CHECK_CONTAINS(text, "deliberate failure");
}

/*
 * Real runc failing late: the init process is already up when runc finds
 * the program missing. The failure is ERUNTIME with runc's message, and that
 * init, the pipes and the state dir are gone with it.
 */
static void runc_rejects_process(void)
{
	const char *root, *id = fx_id();
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "/no/such/program", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_container *c = NULL;
	fx_snapshot before;

	REQUIRE(rt && bundle && id);
	for (int i = 0; i < 4; i++) {
		exec_io io = { EXEC_IO_VERSION, EXEC_IO_PIPE, EXEC_IO_PIPE, EXEC_IO_PIPE, 0, NULL, 0 };

		/* The first round opens what the library keeps for good. */
		if (i == 1)
			fx_snap(&before, root, NULL);
		CHECK_RC(exec_container_create(rt, id, bundle, &io, &c), EXEC_ERUNTIME);
		CHECK_CONTAINS(exec_last_error(), "/no/such/program");
		CHECK_RC(exec_container_run(rt, id, bundle, &io, &c), EXEC_ERUNTIME);
		CHECK_CONTAINS(exec_last_error(), "/no/such/program");
		CHECK(c == NULL);
	}
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, id, 1) == 0);
	CHECK_INT(fx_count_dir(fx_str("%s/containers", root)), ==, 0);
}

const test_case failing_runtime_tests[] = {
	{ "failing_runtime.create_and_run", without_log },
	{ "failing_runtime.log_path", with_log },
	{ "failing_runtime.runc_rejects_process", runc_rejects_process },
	{ NULL, NULL },
};
