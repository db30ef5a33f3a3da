/*
 * pool.c - a warm pool: containers of one bundle created ahead, so that
 * each take only starts one.
 *
 *     usage: pool ROOTFS [ROOT]
 *
 * ROOTFS is a busybox root file system (`make bundle` builds
 * build/bundle/rootfs); ROOT the library's state dir, default
 * /tmp/libexecution-pool. It keeps two containers ready, takes three one
 * after another (the pool refills behind them), prints what each says
 * through its stdout pipe and how it exited, and frees the pool, which
 * deletes the containers it still holds.
 *
 *     cc examples/c/pool.c -Iinclude -Lbuild -lexecution -o pool
 *     LD_LIBRARY_PATH=build ./pool build/bundle/rootfs
 */
#define _DEFAULT_SOURCE

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <execution.h>

static int fail(const char *what, int rc)
{
	fprintf(stderr, "pool: %s: %s: %s\n", what, exec_strerror(rc), exec_last_error());
	return 1;
}

/* Take one container, print its output and exit; 0 or 1. */
static int take_one(exec_pool *pool)
{
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	char buf[256];
	ssize_t n, len = 0;
	int out = -1, rc;

	if ((rc = exec_pool_take(pool, 30000, &c)) != EXEC_OK)
		return fail("take", rc);
	if ((rc = exec_container_stdio(c, EXEC_STDOUT, &out)) != EXEC_OK)
		return fail("stdout", rc);
	while ((n = read(out, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	close(out);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("%s: says \"%s\"\n", exec_container_id(c), buf);
	if ((rc = exec_container_wait(c, 30000, &ex)) != EXEC_OK)
		return fail("wait", rc);
	printf("%s: exited with status %d\n", exec_container_id(c), ex.status);
	if ((rc = exec_container_delete(c, 0)) != EXEC_OK)
		return fail("delete", rc);
	exec_container_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	exec_runtime_options ro = EXEC_RUNTIME_OPTIONS_INIT;
	exec_pool_options po = EXEC_POOL_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	const char *args[] = { "sh", "-c", "echo hello from a warm pool; exit 3", NULL };
	char rootfs[PATH_MAX], bundle[] = "/tmp/pool-bundle-XXXXXX", path[PATH_MAX + 16];
	exec_runtime *rt = NULL;
	exec_pool *pool = NULL;
	int rc, status = 0;

	if (argc < 2 || realpath(argv[1], rootfs) == NULL) {
		fprintf(stderr, "usage: %s ROOTFS [ROOT]\n", argv[0]);
		return 2;
	}
	if (mkdtemp(bundle) == NULL) {
		perror("pool: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (symlink(rootfs, path) != 0) {
		perror("pool: symlink");
		return 1;
	}
	if ((rc = exec_bundle_init(bundle, args, 0)) != EXEC_OK)
		return fail("bundle_init", rc);

	ro.root = argc > 2 ? argv[2] : "/tmp/libexecution-pool";
	if ((rc = exec_runtime_new(&ro, &rt)) != EXEC_OK)
		return fail("runtime", rc);
	io.stdout_fd = EXEC_IO_PIPE;
	po.bundle = bundle;
	po.size = 2;
	po.io = &io;
	po.id_prefix = "pool-c-";
	if ((rc = exec_pool_new(rt, &po, &pool)) != EXEC_OK)
		return fail("pool", rc);
	/* Serve once the pool is warm: from here on a take is a start. */
	if ((rc = exec_pool_fill(pool, 30000)) != EXEC_OK)
		return fail("fill", rc);
	printf("pool of 2 ready\n");
	for (int i = 0; i < 3 && status == 0; i++)
		status = take_one(pool);
	exec_pool_free(pool);
	printf("pool freed\n");
	exec_runtime_free(rt);
	unlink(path);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	unlink(path);
	rmdir(bundle);
	return status;
}
