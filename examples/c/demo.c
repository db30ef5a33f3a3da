/*
 * demo.c - libexecution in one page: run a busybox container, read its
 * output, exec a second process into it, stop it, and clean up.
 *
 *     usage: demo [BUNDLE [ROOT]]
 *
 * BUNDLE is a directory holding `rootfs/`, a busybox root file system
 * (`scripts/make-bundle.sh BUNDLE` makes one); default build/demo-bundle.
 * When it has no config.json the demo writes one with exec_bundle_init(),
 * running a shell that says hello and then sleeps.
 * ROOT is the library's state dir; default /tmp/libexecution-demo.
 *
 * Build and run, as root (containers need it):
 *
 *     cc examples/c/demo.c -Iinclude -Lbuild -lexecution -o demo
 *     LD_LIBRARY_PATH=build ./demo build/demo-bundle
 *
 * or, with the library installed, `cc demo.c $(pkg-config --cflags --libs execution)`.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <execution.h>

/* Every call returns EXEC_OK or an EXEC_E* code; the message says more. */
static int fail(const char *what, int rc)
{
	fprintf(stderr, "demo: %s: %s: %s\n", what, exec_strerror(rc), exec_last_error());
	return 1;
}

/* Copy everything from fd to our stdout, prefixed, until EOF. */
static void print_stream(const char *prefix, int fd)
{
	char line[512];
	FILE *f = fdopen(fd, "r");

	if (f == NULL) {
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		printf("%s%s", prefix, line);
	fclose(f);
}

/* Exec `uname -a` into the running container and print what it says. */
static int exec_uname(exec_container *c)
{
	/* The process is an OCI runtime-spec "process" object. */
	const char *process = "{\"args\": [\"uname\", \"-a\"], \"env\": [\"PATH=/bin\"]}";
	exec_io io = EXEC_IO_INIT;
	exec_process *p = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int rc, out;

	io.stdout_fd = EXEC_IO_PIPE;
	if ((rc = exec_container_exec(c, "uname", process, &io, &p)) != EXEC_OK)
		return fail("exec", rc);
	/* Take our end of the pipe; we own it now and close it when done. */
	if ((rc = exec_process_stdio(p, EXEC_STDOUT, &out)) != EXEC_OK) {
		exec_process_free(p);
		return fail("process stdio", rc);
	}
	print_stream("uname -a says: ", out);
	if ((rc = exec_process_wait(p, -1, &ex)) != EXEC_OK) {
		exec_process_free(p);
		return fail("process wait", rc);
	}
	printf("uname exited with status %d\n", ex.status);
	/* An exited process's state stays until deleted, like a container's. */
	rc = exec_process_delete(p);
	exec_process_free(p);
	return rc == EXEC_OK ? 0 : fail("process delete", rc);
}

int main(int argc, char **argv)
{
	const char *bundle = argc > 1 ? argv[1] : "build/demo-bundle";
	const char *greeter[] = { "sh", "-c", "echo hello from busybox; exec sleep 60", NULL };
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	char config[4096], id[64], line[512];
	FILE *out = NULL;
	int rc, fd, status = 1;

	snprintf(config, sizeof(config), "%s/rootfs/bin/sh", bundle);
	if (access(config, X_OK) != 0) {
		fprintf(stderr, "demo: no busybox rootfs in %s/rootfs; make one with "
		                "scripts/make-bundle.sh %s\n", bundle, bundle);
		return 2;
	}

	/* 1. A runtime: the library's state dir, and runc from PATH. */
	opts.root = argc > 2 ? argv[2] : "/tmp/libexecution-demo";
	if ((rc = exec_runtime_new(&opts, &rt)) != EXEC_OK)
		return fail("runtime", rc);

	/* 2. A bundle: rootfs/ plus config.json, written here if missing. */
	snprintf(config, sizeof(config), "%s/config.json", bundle);
	if (access(config, F_OK) != 0) {
		rc = exec_bundle_init(bundle, greeter, 0);
		if (rc != EXEC_OK) {
			exec_runtime_free(rt);
			return fail("bundle", rc);
		}
		printf("wrote %s\n", config);
	}

	/* 3. Run the container with its stdout in a pipe. Ids are host-wide. */
	snprintf(id, sizeof(id), "demo-%d", (int)getpid());
	io.stdout_fd = EXEC_IO_PIPE;
	if ((rc = exec_container_run(rt, id, bundle, &io, &c)) != EXEC_OK) {
		exec_runtime_free(rt);
		return fail("run", rc);
	}
	printf("container %s is running\n", exec_container_id(c));

	/* 4. Read its first line. */
	if ((rc = exec_container_stdio(c, EXEC_STDOUT, &fd)) != EXEC_OK) {
		fail("stdio", rc);
		goto out;
	}
	if ((out = fdopen(fd, "r")) == NULL)
		close(fd);
	if (out == NULL || fgets(line, sizeof(line), out) == NULL) {
		fprintf(stderr, "demo: the container printed nothing\n");
		goto out;
	}
	printf("container says: %s", line);

	/* 5. Run a second process inside it. */
	if (exec_uname(c) != 0)
		goto out;

	/*
	 * 6. Stop it. Its process is pid 1 of the container, which ignores
	 * signals it has no handler for, so SIGKILL.
	 */
	if ((rc = exec_container_kill(c, SIGKILL, 0)) != EXEC_OK) {
		fail("kill", rc);
		goto out;
	}
	if ((rc = exec_container_wait(c, 10000, &ex)) != EXEC_OK) {
		fail("wait", rc);
		goto out;
	}
	if (ex.signal)
		printf("container exited: status %d (killed by signal %d)\n", ex.status, ex.signal);
	else
		printf("container exited: status %d\n", ex.status);

	/* 7. Delete it: the runtime's state and the library's go away. */
	if ((rc = exec_container_delete(c, 0)) != EXEC_OK) {
		fail("delete", rc);
		goto out;
	}
	printf("container deleted\n");
	status = 0;
out:
	/* On an error path, force removes a container still running. */
	if (status != 0)
		exec_container_delete(c, 1);
	if (out)
		fclose(out);
	/* Handles are released with their *_free(); that never kills anything. */
	exec_container_free(c);
	exec_runtime_free(rt);
	return status;
}
