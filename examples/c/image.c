/*
 * image.c - run an OCI image from disk: image IMAGE [CACHE_DIR]
 *
 * IMAGE is an OCI layout dir or a `docker save` archive, with an optional
 * :TAG (e.g. build/images/busybox:latest after `make images`). As root.
 * The bundle is made in a temp dir and removed at the end; the state root is
 * /tmp/libexecution-image.
 */
#include <execution.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char work[] = "/tmp/image-example-XXXXXX", bundle[64], id[64], buf[4096];
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	exec_runtime_options ropts = EXEC_RUNTIME_OPTIONS_INIT;
	exec_io io = EXEC_IO_INIT;
	exec_runtime *rt = NULL;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	ssize_t n;
	int fd, rc;

	if (argc < 2 || !mkdtemp(work)) {
		fprintf(stderr, "usage: %s IMAGE [CACHE_DIR]\n", argv[0]);
		return 2;
	}
	snprintf(bundle, sizeof(bundle), "%s/bundle", work);
	snprintf(id, sizeof(id), "image-c-%d", (int)getpid());
	opts.cache_dir = argc > 2 ? argv[2] : NULL;
	if ((rc = exec_bundle_from_image(bundle, argv[1], &opts)) != EXEC_OK) {
		fprintf(stderr, "%s: %s\n", exec_strerror(rc), exec_last_error());
		rmdir(work);
		return 1;
	}
	ropts.root = "/tmp/libexecution-image";
	io.stdout_fd = EXEC_IO_PIPE;
	if ((rc = exec_runtime_new(&ropts, &rt)) == EXEC_OK &&
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
	rmdir(work);
	return rc == EXEC_OK ? 0 : 1;
}
