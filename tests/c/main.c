/*
 * main.c - the C test suite of libexecution.
 *
 * Run from the repo root with EXEC_TEST_ROOTFS set and the library on
 * LD_LIBRARY_PATH; arguments select tests by name prefix:
 *
 *     build/tests/c/test_execution            all tests
 *     build/tests/c/test_execution exec. io.  the exec and io groups
 *
 * An argument starting with "--child-" runs a helper mode of the load tests
 * (see child.c) instead.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void ignore(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static const test_case *const groups[] = {
		lifecycle_tests, exit_tests, io_tests, terminal_tests, exec_tests,
		pause_tests, kill_tests, delete_tests, load_tests, args_tests,
		handle_tests, error_tests, failing_runtime_tests, thread_tests,
		fork_tests, leak_tests, observe_tests, image_tests, pull_tests,
		promise_tests, hardened_tests, host_tests, event_tests,
		workload_tests, fds_tests, log_tests, pool_tests, stress_tests, NULL,
	};
	static const test_case *const unprivileged_groups[] = {
		rootless_tests, hardened_tests, host_tests, NULL,
	};
	struct sigaction sa;

	if (argc > 1 && strncmp(argv[1], "--child-", 8) == 0)
		return child_main(argc, argv);

	if (getenv("EXEC_TEST_ROOTFS") == NULL || getenv("EXEC_TEST_ROOTFS")[0] != '/') {
		fprintf(stderr, "%s: set EXEC_TEST_ROOTFS to the absolute path of a busybox "
		                "rootfs (make bundle: build/bundle/rootfs)\n", argv[0]);
		return 2;
	}

	/* A write to a closed pipe must fail the test, not kill the run. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ignore;
	sa.sa_flags = SA_ONSTACK | SA_RESTART;
	sigaction(SIGPIPE, &sa, NULL);

	/* Only the groups that run unprivileged; the rootless ones only so. */
	return run_tests(geteuid() == 0 ? groups : unprivileged_groups, argc, argv);
}
