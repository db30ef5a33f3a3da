/*
 * image.c - bundles made from OCI images on disk, and removed.
 *
 * The images come from scripts/make-image.py, in $EXEC_TEST_IMAGES (make
 * images).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fixture.h"
#include "harness.h"

/* The dir holding the test images: $EXEC_TEST_IMAGES. */
static const char *images(void)
{
	const char *dir = getenv("EXEC_TEST_IMAGES");

	if (!dir || dir[0] != '/') {
		t_fail(__FILE__, __LINE__, "set EXEC_TEST_IMAGES to the absolute path of the "
		       "test images (make images: build/images)");
		return NULL;
	}
	return dir;
}

/* Write s to the new file path; 0 or -1. */
static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(s, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Whether the file path holds s (within its first 64 KiB). */
static int file_contains(const char *path, const char *s)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

/* Whether anything is mounted at or under dir. */
static int mounted_under(const char *dir)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, fx_str(" %s", dir)) != NULL;
	fclose(f);
	return found;
}

/* Run the bundle to its exit; its stdout in out, its status returned. */
static int run_bundle(const char *bundle, char *out, size_t cap)
{
	exec_runtime *rt = fx_runtime(NULL, NULL);
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;
	int fd = -1;

	REQUIRE_R(rt, -1);
	io.stdout_fd = EXEC_IO_PIPE;
	CHECK_RC_R(exec_container_run(rt, fx_id(), bundle, &io, &c), EXEC_OK, -1);
	CHECK_RC_R(exec_container_stdio(c, EXEC_STDOUT, &fd), EXEC_OK, -1);
	fx_read_all(fd, out, cap, 10000);
	close(fd);
	CHECK_RC_R(exec_container_wait(c, 10000, &ex), EXEC_OK, -1);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, -1);
	exec_container_free(c);
	return ex.status;
}

/* An OCI layout by tag, unpacked into the bundle: the image's own command. */
static void layout(void)
{
	const char *dir = images(), *bundle = fx_str("%s/b", fx_tempdir());
	char out[256];

	REQUIRE(dir);
	CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox:latest", dir), NULL));
	CHECK(fx_exists(fx_str("%s/rootfs/etc/old-dir/c", bundle)));
	CHECK(!fx_exists(fx_str("%s/rootfs/etc/victim", bundle)));
	CHECK_INT(run_bundle(bundle, out, sizeof(out)), ==, 0);
	CHECK_STR(out, "hello from the second layer\n");
	CHECK_OK(exec_bundle_remove(bundle));
	CHECK(!fx_exists(bundle));
}

/* A docker archive through the cache: overrides apply, two bundles share
 * the layers, and removing them leaves no mount. */
static void cached(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	/* The image's entrypoint is sh -c: argv replaces its cmd only. */
	const char *argv[] = { "id -u; pwd; echo $GREETING $EXTRA; touch /tmp/mine; ls /tmp", NULL };
	const char *env[] = { "EXTRA=extra", NULL };
	exec_image_options opts;
	char out[256];
	int i;

	REQUIRE(dir && tmp);
	CHECK_OK(exec_image_options_init(&opts, EXEC_IMAGE_OPTIONS_VERSION));
	opts.argv = argv;
	opts.env = env;
	opts.cache_dir = fx_str("%s/cache", tmp);
	for (i = 0; i < 2; i++) {
		const char *bundle = fx_str("%s/b%d", tmp, i);

		CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox.tar", dir), &opts));
		CHECK_INT(run_bundle(bundle, out, sizeof(out)), ==, 0);
		CHECK_STR(out, "65534\n/srv\nhello extra\nmine\n");
	}
	CHECK_INT(fx_count_dir(fx_str("%s/cache/layers", tmp)), ==, 2);
	CHECK(mounted_under(tmp));
	for (i = 0; i < 2; i++)
		CHECK_OK(exec_bundle_remove(fx_str("%s/b%d", tmp, i)));
	CHECK(!mounted_under(tmp));
	CHECK_INT(fx_count_dir(fx_str("%s/cache/layers", tmp)), ==, 2);
}

/* Every malicious layer is refused, leaving nothing inside or outside. */
static void malicious(void)
{
	static const char *const kinds[] = { "traversal", "absolute", "symlink", "symlink-layers", "hardlink", "size", NULL };
	const char *dir = images(), *tmp = fx_tempdir();
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	int i, cached;

	REQUIRE(dir && tmp);
	for (i = 0; kinds[i]; i++) {
		for (cached = 0; cached < 2; cached++) {
			const char *bundle = fx_str("%s/%s-%d", tmp, kinds[i], cached);

			opts.cache_dir = cached ? fx_str("%s/cache", tmp) : NULL;
			CHECK_RC(exec_bundle_from_image(bundle, fx_str("%s/evil-%s", dir, kinds[i]), &opts),
			         EXEC_EINVAL);
			CHECK(strstr(exec_last_error(), "entry") != NULL);
			CHECK(!fx_exists(bundle));
			CHECK(!fx_exists(fx_str("%s/../escaped-%s", dir, kinds[i])));
		}
	}
	/* Only symlink-layers' valid bottom layer is kept; nothing half-made. */
	CHECK_INT(fx_count_dir(fx_str("%s/cache/layers", tmp)), ==, 1);
	CHECK_INT(fx_count_dir(fx_str("%s/cache/tmp", tmp)), ==, 0);
}

/* Bad arguments: a clear error, nothing made, nothing removed. */
static void bad_args(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	const char *image;

	REQUIRE(dir && tmp);
	image = fx_str("%s/busybox", dir);
	CHECK_RC(exec_bundle_from_image(NULL, image, NULL), EXEC_EINVAL);
	CHECK_RC(exec_bundle_from_image(fx_str("%s/b", tmp), NULL, NULL), EXEC_EINVAL);
	CHECK_RC(exec_bundle_from_image(fx_str("%s/b", tmp), fx_str("%s/none", dir), NULL), EXEC_EINVAL);
	CHECK_RC(exec_bundle_from_image(fx_str("%s/b", tmp), fx_str("%s:nope", image), NULL), EXEC_EINVAL);
	CHECK_CONTAINS(exec_last_error(), "nope");
	opts.version = 99;
	CHECK_RC(exec_bundle_from_image(fx_str("%s/b", tmp), image, &opts), EXEC_EINVAL);
	opts.version = EXEC_IMAGE_OPTIONS_VERSION;
	opts.max_bytes = -1;
	CHECK_RC(exec_bundle_from_image(fx_str("%s/b", tmp), image, &opts), EXEC_EINVAL);
	CHECK(!fx_exists(fx_str("%s/b", tmp)));
	/* A non-empty dir is not a bundle to fill, nor one to remove. */
	CHECK(write_file(fx_str("%s/keep", tmp), "x") == 0);
	CHECK_RC(exec_bundle_from_image(tmp, image, NULL), EXEC_EEXIST);
	CHECK_RC(exec_bundle_remove(tmp), EXEC_EINVAL);
	CHECK(fx_exists(fx_str("%s/keep", tmp)));
	CHECK_RC(exec_bundle_remove(NULL), EXEC_EINVAL);
	CHECK_RC(exec_image_options_init(NULL, EXEC_IMAGE_OPTIONS_VERSION), EXEC_EINVAL);
	CHECK_RC(exec_image_options_init(&opts, 0), EXEC_EINVAL);
}

/* Hostile images fail cleanly: a tampered blob, an archive claiming
 * another image's layers (the honest image on the same cache still runs
 * its own files), a whiteout naming the rootfs's parent, /etc linking to
 * the host's. poison.tar comes first: once the honest layers it claims
 * are cached, it is served those, verified, and never read. */
static void hostile(void)
{
	static const char *const bad[] = { "poison.tar", "tampered-blob", "evil-whiteout-dot", "evil-etc-link", "arm64", NULL };
	const char *dir = images(), *tmp = fx_tempdir();
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	const char *bundle;
	char out[256];
	int i;

	REQUIRE(dir && tmp);
	opts.cache_dir = fx_str("%s/cache", tmp);
	for (i = 0; bad[i]; i++) {
		bundle = fx_str("%s/%s", tmp, bad[i]);
		CHECK_RC(exec_bundle_from_image(bundle, fx_str("%s/%s", dir, bad[i]), &opts), EXEC_EINVAL);
		CHECK(!fx_exists(bundle));
	}
	CHECK(fx_exists(tmp));
	CHECK_INT(fx_count_dir(fx_str("%s/cache/tmp", tmp)), ==, 0);
	bundle = fx_str("%s/good", tmp);
	CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox", dir), &opts));
	CHECK_INT(run_bundle(bundle, out, sizeof(out)), ==, 0);
	CHECK_STR(out, "hello from the second layer\n");
	CHECK_OK(exec_bundle_remove(bundle));
}

/* Pruning keeps the layers of live bundles and removes the others. */
static void prune(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	const char *bundle;
	size_t removed = 99;

	REQUIRE(dir && tmp);
	opts.cache_dir = fx_str("%s/cache", tmp);
	bundle = fx_str("%s/b", tmp);
	CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox", dir), &opts));
	CHECK_OK(exec_image_cache_prune(opts.cache_dir, &removed));
	CHECK_INT(removed, ==, 0);
	CHECK_OK(exec_bundle_remove(bundle));
	CHECK_OK(exec_image_cache_prune(opts.cache_dir, &removed));
	CHECK_INT(removed, ==, 2);
	CHECK_INT(fx_count_dir(fx_str("%s/cache/layers", tmp)), ==, 0);
	CHECK_OK(exec_image_cache_prune(opts.cache_dir, NULL));
	CHECK_RC(exec_image_cache_prune(NULL, NULL), EXEC_EINVAL);
	CHECK_RC(exec_image_cache_prune(tmp, NULL), EXEC_EINVAL);
}

/* Version 2: an entrypoint, a platform, bundle options; a version 1
 * struct's argv still replaces the whole command. */
static void options(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	const char *entry[] = { "echo", NULL }, *argv[] = { "a", "b", NULL };
	const char *whole[] = { "echo", "whole", NULL }, *none[] = { NULL };
	exec_image_options opts;
	exec_bundle_options bundle = EXEC_BUNDLE_OPTIONS_INIT;
	const char *b;
	char out[256];

	REQUIRE(dir && tmp);
	CHECK_OK(exec_image_options_init(&opts, EXEC_IMAGE_OPTIONS_VERSION));
	opts.entrypoint = entry;
	opts.argv = argv;
	b = fx_str("%s/entry", tmp);
	CHECK_OK(exec_bundle_from_image(b, fx_str("%s/busybox", dir), &opts));
	CHECK_INT(run_bundle(b, out, sizeof(out)), ==, 0);
	CHECK_STR(out, "a b\n");
	CHECK_OK(exec_bundle_remove(b));

	opts.entrypoint = none;
	opts.argv = whole;
	bundle.pids_limit = 64;
	opts.bundle = &bundle;
	b = fx_str("%s/limited", tmp);
	CHECK_OK(exec_bundle_from_image(b, fx_str("%s/busybox", dir), &opts));
	CHECK(file_contains(fx_str("%s/config.json", b), "\"limit\": 64"));
	CHECK_INT(run_bundle(b, out, sizeof(out)), ==, 0);
	CHECK_STR(out, "whole\n");
	CHECK_OK(exec_bundle_remove(b));

	opts.bundle = NULL;
	opts.platform = "linux/s390x";
	b = fx_str("%s/s390x", tmp);
	CHECK_RC(exec_bundle_from_image(b, fx_str("%s/multiarch", dir), &opts), EXEC_EINVAL);
	CHECK(!fx_exists(b));

	CHECK_OK(exec_image_options_init(&opts, 1));
	opts.argv = whole;
	b = fx_str("%s/v1", tmp);
	CHECK_OK(exec_bundle_from_image(b, fx_str("%s/busybox", dir), &opts));
	CHECK_INT(run_bundle(b, out, sizeof(out)), ==, 0);
	CHECK_STR(out, "whole\n");
	CHECK_OK(exec_bundle_remove(b));
}

/* A bundle a container runs from is not removed, unpacked or cached;
 * once the container is deleted it is. */
static void remove_in_use(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	const char *argv[] = { "sleep 100", NULL };
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	exec_runtime *rt = fx_runtime(NULL, NULL);
	int cached;

	REQUIRE(dir && tmp && rt);
	opts.argv = argv;
	for (cached = 0; cached < 2; cached++) {
		const char *bundle = fx_str("%s/b%d", tmp, cached);
		exec_container *c = NULL;

		opts.cache_dir = cached ? fx_str("%s/cache", tmp) : NULL;
		CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox", dir), &opts));
		CHECK_OK(exec_container_run(rt, fx_id(), bundle, NULL, &c));
		CHECK_RC(exec_bundle_remove(bundle), EXEC_ESTATE);
		CHECK_CONTAINS(exec_last_error(), "a container uses it");
		CHECK(fx_exists(fx_str("%s/rootfs/bin", bundle)));
		CHECK_INT(fx_kill_delete(c), ==, 0);
		CHECK_OK(exec_bundle_remove(bundle));
		CHECK(!fx_exists(bundle));
	}
}

/* What the unpack progress callback saw. */
struct unpack_seen {
	int calls, finished, cancel;
};

static int on_unpack(const char *blob, long long done, long long total, void *payload)
{
	struct unpack_seen *s = payload;

	(void)blob;
	s->calls++;
	if (done == total)
		s->finished++;
	return s->cancel;
}

/* bundle_from_image reports each layer's unpacking; non-zero cancels and
 * leaves nothing. */
static void progress(void)
{
	const char *dir = images(), *tmp = fx_tempdir(), *bundle;
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	struct unpack_seen seen = { 0 };

	REQUIRE(dir && tmp);
	bundle = fx_str("%s/b", tmp);
	opts.progress = on_unpack;
	opts.progress_payload = &seen;
	CHECK_OK(exec_bundle_from_image(bundle, fx_str("%s/busybox:latest", dir), &opts));
	CHECK_INT(seen.finished, ==, 2);
	CHECK_OK(exec_bundle_remove(bundle));
	seen.cancel = 1;
	seen.calls = 0;
	CHECK_RC(exec_bundle_from_image(bundle, fx_str("%s/busybox:latest", dir), &opts),
	         EXEC_ECANCELED);
	CHECK_INT(seen.calls, ==, 1);
	CHECK(!fx_exists(bundle));
}

/* A hardened bundle from an image runs in a user namespace with the
 * image's files owned as the image says, and no label as an annotation;
 * from a cache, over the layers an unmapped bundle uses too, mounted
 * idmapped, so the host sees the files as the mapped ids. */
static void hardened(void)
{
	const char *dir = images(), *tmp = fx_tempdir();
	const char *argv[] = { "id -u; stat -c %u /etc/owned", NULL };
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	exec_bundle_options bundle = EXEC_BUNDLE_OPTIONS_INIT;
	const char *b, *plain;
	struct stat st;
	char out[256];
	int cached;

	REQUIRE(dir && tmp);
	/* root inside the user namespace must be able to search the parents */
	CHECK_INT(chmod(tmp, 0711), ==, 0);
	for (cached = 0; cached < 2; cached++) {
		bundle.hardened = 1;
		opts.argv = argv;
		opts.bundle = &bundle;
		opts.cache_dir = cached ? fx_str("%s/cache", tmp) : NULL;
		b = fx_str("%s/b%d", tmp, cached);
		CHECK_OK(exec_bundle_from_image(b, fx_str("%s/busybox", dir), &opts));
		CHECK(file_contains(fx_str("%s/config.json", b), "\"uidMappings\""));
		CHECK(file_contains(fx_str("%s/config.json", b), "\"noNewPrivileges\": true"));
		CHECK(!file_contains(fx_str("%s/config.json", b), "run.oci."));
		CHECK(!file_contains(fx_str("%s/config.json", b), "org.systemd.property"));
		CHECK_INT(stat(fx_str("%s/rootfs/etc/owned", b), &st), ==, 0);
		CHECK_INT((int)st.st_uid, >, 1234);
		if (cached) {
			plain = fx_str("%s/plain", tmp);
			opts.argv = NULL;
			opts.bundle = NULL;
			CHECK_OK(exec_bundle_from_image(plain, fx_str("%s/busybox", dir), &opts));
			CHECK_INT(fx_count_dir(fx_str("%s/cache/layers", tmp)), ==, 2);
			CHECK_OK(exec_bundle_remove(plain));
		}
		CHECK_INT(run_bundle(b, out, sizeof(out)), ==, 0);
		CHECK_STR(out, "65534\n1234\n");
		CHECK_OK(exec_bundle_remove(b));
		CHECK(!fx_exists(b));
		CHECK(!mounted_under(tmp));
	}
}

const test_case image_tests[] = {
	{ "image.hardened", hardened },
	{ "image.progress", progress },
	{ "image.remove_in_use", remove_in_use },
	{ "image.options", options },
	{ "image.hostile", hostile },
	{ "image.prune", prune },
	{ "image.layout", layout },
	{ "image.cached", cached },
	{ "image.malicious", malicious },
	{ "image.bad_args", bad_args },
	{ NULL, NULL },
};
