/*
 * child.c - helper modes of the test binary, run by the load tests in a
 * second process through /proc/self/exe:
 *
 *     --child-run ROOT ID BUNDLE       run the container, exit without deleting
 *     --child-run-wait ROOT ID BUNDLE  run it, wait for its exit, exit likewise
 *     --child-run-hang ROOT ID BUNDLE  run it, print "ready", wait to be killed
 *     --child-run-kill ROOT ID BUNDLE  likewise, with kill_on_exit set
 *     --child-load-wait ROOT ID -      load it, wait for its exit, print
 *                                      "exit N", delete it
 *     --child-pool ROOT PREFIX BUNDLE  fill a pool of 2, print "ready", wait
 *                                      to be killed
 *
 * Exit 0 on success; otherwise the failure is printed on stdout.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Fill a pool of two on rt, say "ready" and wait to be killed. */
static int pool_and_hang(exec_runtime *rt, const char *prefix, const char *bundle)
{
	exec_pool_options opts = EXEC_POOL_OPTIONS_INIT;
	exec_pool *pool = NULL;
	int rc;

	opts.bundle = bundle;
	opts.size = 2;
	opts.id_prefix = prefix;
	if ((rc = exec_pool_new(rt, &opts, &pool)) != EXEC_OK ||
	    (rc = exec_pool_fill(pool, 30000)) != EXEC_OK) {
		printf("pool: %s: %s\n", exec_strerror(rc), exec_last_error());
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int child_main(int argc, char **argv)
{
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int wait = 0, hang = 0, load = 0, pool, rc;

	if (argc != 5) {
		printf("usage: %s --child-run|--child-run-wait|--child-run-hang|--child-run-kill|"
		       "--child-load-wait|--child-pool ROOT ID BUNDLE\n", argv[0]);
		return 2;
	}
	pool = strcmp(argv[1], "--child-pool") == 0;
	if (strcmp(argv[1], "--child-run-wait") == 0)
		wait = 1;
	else if (strcmp(argv[1], "--child-run-hang") == 0)
		hang = 1;
	else if (strcmp(argv[1], "--child-run-kill") == 0)
		hang = opts.kill_on_exit = 1;
	else if (strcmp(argv[1], "--child-load-wait") == 0)
		load = wait = 1;
	else if (!pool && strcmp(argv[1], "--child-run") != 0) {
		printf("unknown mode %s\n", argv[1]);
		return 2;
	}
	opts.root = argv[2];
	if ((rc = exec_runtime_new(&opts, &rt)) != EXEC_OK) {
		printf("exec_runtime_new: %s: %s\n", exec_strerror(rc), exec_last_error());
		return 1;
	}
	if (pool)
		return pool_and_hang(rt, argv[3], argv[4]);
	rc = load ? exec_container_load(rt, argv[3], &c) : exec_container_run(rt, argv[3], argv[4], NULL, &c);
	if (rc != EXEC_OK) {
		printf("%s: %s: %s\n", load ? "exec_container_load" : "exec_container_run", exec_strerror(rc),
		       exec_last_error());
		return 1;
	}
	if (wait && (rc = exec_container_wait(c, 10000, &ex)) != EXEC_OK) {
		printf("exec_container_wait: %s: %s\n", exec_strerror(rc), exec_last_error());
		return 1;
	}
	if (load) {
		printf("exit %d\n", ex.status);
		if ((rc = exec_container_delete(c, 0)) != EXEC_OK) {
			printf("exec_container_delete: %s: %s\n", exec_strerror(rc), exec_last_error());
			return 1;
		}
	}
	if (hang) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	exec_container_free(c);
	exec_runtime_free(rt);
	return 0;
}
