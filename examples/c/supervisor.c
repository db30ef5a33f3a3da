/*
 * supervisor.c - a supervisor loop with no thread of its own: poll() the
 * event fd of the root, print each event, and delete each container once
 * its init has exited.
 *
 *     usage: supervisor ROOTFS [ROOT]
 *
 * ROOTFS is a busybox root file system (`make bundle` builds
 * build/bundle/rootfs); ROOT the library's state dir, default
 * /tmp/libexecution-supervisor. It runs three containers that each sleep a
 * little and exit 3, and ends once all three are deleted.
 *
 *     cc examples/c/supervisor.c -Iinclude -Lbuild -lexecution -o supervisor
 *     LD_LIBRARY_PATH=build ./supervisor build/bundle/rootfs
 */
#define _DEFAULT_SOURCE

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <execution.h>

#define CONTAINERS 3

static const char *const names[] = {
	"?", "created", "started", "paused", "resumed", "exited", "oom",
	"deleted", "exec-added", "process-exited", "overflow",
};

static int fail(const char *what, int rc)
{
	fprintf(stderr, "supervisor: %s: %s: %s\n", what, exec_strerror(rc), exec_last_error());
	return 1;
}

/* The handle of the container with this id, or NULL. */
static exec_container *find(exec_container **cs, const char *id)
{
	for (int i = 0; i < CONTAINERS; i++)
		if (cs[i] && strcmp(exec_container_id(cs[i]), id) == 0)
			return cs[i];
	return NULL;
}

/* Print one event, and delete a container whose init exited; returns how
 * many containers it deleted (0 or 1). */
static int handle(exec_container **cs, const exec_event *ev)
{
	const char *name = ev->type > 0 && ev->type <= EXEC_EVENT_OVERFLOW ? names[ev->type] : "?";
	exec_container *c;
	int rc;

	if (ev->type == EXEC_EVENT_OVERFLOW) {
		printf("lost %llu events\n", (unsigned long long)ev->dropped);
		return 0;
	}
	if (ev->type == EXEC_EVENT_EXITED)
		printf("%s: %s with status %d\n", ev->container_id, name, ev->exit.status);
	else
		printf("%s: %s\n", ev->container_id, name);
	if (ev->type == EXEC_EVENT_DELETED)
		return 1;
	if (ev->type != EXEC_EVENT_EXITED || (c = find(cs, ev->container_id)) == NULL)
		return 0;
	/* The event's strings live until the next exec_events_next(). */
	if ((rc = exec_container_delete(c, 0)) != EXEC_OK)
		fail("delete", rc);
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = argc > 2 ? argv[2] : "/tmp/libexecution-supervisor";
	const char *args[] = { "sh", "-c", "sleep 0.2; exit 3", NULL };
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_container *cs[CONTAINERS] = { NULL };
	exec_runtime *rt = NULL;
	exec_events *events = NULL;
	char bundle[] = "/tmp/supervisor-bundle-XXXXXX", path[PATH_MAX], rootfs[PATH_MAX];
	int rc, fd, deleted = 0, status = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ROOTFS [ROOT]\n", argv[0]);
		return 2;
	}
	if (realpath(argv[1], rootfs) == NULL)
		return perror(argv[1]), 1;
	if (mkdtemp(bundle) == NULL)
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (symlink(rootfs, path) < 0)
		return perror("symlink"), 1;
	if ((rc = exec_bundle_init(bundle, args, 0)) != EXEC_OK)
		return fail("bundle", rc);

	opts.root = root;
	if ((rc = exec_runtime_new(&opts, &rt)) != EXEC_OK)
		return fail("runtime", rc);
	/* Open the stream first: it sees what happens from then on. */
	if ((rc = exec_events_open(rt, 0, &events)) != EXEC_OK ||
	    (rc = exec_events_fd(events, &fd)) != EXEC_OK) {
		fail("events", rc);
		goto out;
	}
	for (int i = 0; i < CONTAINERS; i++) {
		char id[64];

		snprintf(id, sizeof(id), "supervised-%d-%d", (int)getpid(), i);
		if ((rc = exec_container_run(rt, id, bundle, NULL, &cs[i])) != EXEC_OK) {
			fail("run", rc);
			goto out;
		}
	}

	while (deleted < CONTAINERS) {
		struct pollfd p = { fd, POLLIN, 0 };
		exec_event ev = EXEC_EVENT_INIT;

		if (poll(&p, 1, 30000) != 1) {
			fprintf(stderr, "supervisor: no event for 30 s\n");
			goto out;
		}
		/* Take every event that is there; the fd stays readable until then. */
		while ((rc = exec_events_next(events, 0, &ev)) == EXEC_OK)
			deleted += handle(cs, &ev);
		if (rc != EXEC_ETIMEDOUT) {
			fail("next event", rc);
			goto out;
		}
	}
	status = 0;
out:
	for (int i = 0; i < CONTAINERS; i++) {
		if (cs[i] && status != 0)
			exec_container_delete(cs[i], 1);
		exec_container_free(cs[i]);
	}
	exec_events_free(events);
	exec_runtime_free(rt);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	unlink(path);
	rmdir(bundle);
	return status;
}
