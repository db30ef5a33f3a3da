/*
 * pull.c - pull an image from a registry and run it: pull REF
 *
 * REF is "REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:..." (e.g.
 * 127.0.0.1:5000/busybox:latest from a local registry). A progress bar per
 * blob is drawn on stderr. As root. The layout and bundle are made in a
 * temp dir and removed at the end; the state root is /tmp/libexecution-pull.
 */
#include <execution.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Called on this thread while exec_image_pull() runs; non-zero cancels. */
static int bar(const char *blob, long long done, long long total, void *payload)
{
	int width = 30, filled = total > 0 ? (int)(done * width / total) : width;

	(void)payload;
	fprintf(stderr, "\r%.19s [%-*.*s] %lld/%lld", blob, width, filled,
	        "##############################", done, total);
	if (done == total)
		fputc('\n', stderr);
	return 0;
}

int main(int argc, char **argv)
{
	char work[] = "/tmp/pull-example-XXXXXX", layout[64], bundle[64], image[1024], id[64];
	char buf[4096];
	exec_pull_options popts = EXEC_PULL_OPTIONS_INIT;
	exec_runtime_options ropts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	ssize_t n;
	int fd, rc;

	if (argc < 2 || !mkdtemp(work)) {
		fprintf(stderr, "usage: %s REF\n", argv[0]);
		return 2;
	}
	snprintf(layout, sizeof(layout), "%s/layout", work);
	snprintf(bundle, sizeof(bundle), "%s/bundle", work);
	snprintf(image, sizeof(image), "%s:%s", layout, argv[1]);
	snprintf(id, sizeof(id), "pull-c-%d", (int)getpid());
	popts.progress = bar;
	popts.parallel = 3;
	ropts.root = "/tmp/libexecution-pull";
	io.stdout_fd = EXEC_IO_PIPE;
	if ((rc = exec_image_pull(argv[1], layout, &popts, NULL)) == EXEC_OK &&
	    (rc = exec_bundle_from_image(bundle, image, NULL)) == EXEC_OK &&
	    (rc = exec_runtime_new(&ropts, &rt)) == EXEC_OK &&
	    (rc = exec_container_run(rt, id, bundle, &io, &c)) == EXEC_OK) {
		exec_container_stdio(c, EXEC_STDOUT, &fd);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, stdout);
		close(fd);
		exec_container_wait(c, -1, &ex);
		printf("exited with status %d\n", ex.status);
		exec_container_delete(c, 0);
	} else {
		fprintf(stderr, "%s: %s\n", exec_strerror(rc), exec_last_error());
	}
	exec_container_free(c);
	exec_runtime_free(rt);
	exec_bundle_remove(bundle);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", work);
	if (system(buf) != 0)
		fprintf(stderr, "could not remove %s\n", work);
	return rc == EXEC_OK ? 0 : 1;
}
