/*
 * image.c - time to a runnable bundle from an image: unpacked into the
 * bundle, through a cold and a warm layer cache, against copying or
 * hard-linking an unpacked rootfs and against `umoci unpack` where it is
 * installed; a warm bundle from the OCI layout of the same image; and the
 * removal of a cached bundle.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* One exec_bundle_from_image() into a new bundle; its ms. */
static double from_image(const char *image, const char *cache, char *bundle, size_t len)
{
	exec_image_options opts = EXEC_IMAGE_OPTIONS_INIT;
	char id[64];
	long long t0;

	new_id(id, sizeof(id));
	pathf(bundle, len, "%s/images/%s", cfg.work, id);
	opts.cache_dir = cache;
	t0 = now_ns();
	check(exec_bundle_from_image(bundle, image, &opts), "exec_bundle_from_image");
	return (double)(now_ns() - t0) / 1e6;
}

/* One exec_bundle_remove(); its ms. */
static double remove_bundle(const char *bundle)
{
	long long t0 = now_ns();

	check(exec_bundle_remove(bundle), "exec_bundle_remove");
	return (double)(now_ns() - t0) / 1e6;
}

/* One command run to success; its ms. */
static double timed(const char *const *argv)
{
	long long t0 = now_ns();

	if (run_cmd(argv) != 0)
		die("%s failed (see %s/spawn.log)", argv[0], cfg.work);
	return (double)(now_ns() - t0) / 1e6;
}

void group_image(void)
{
	const char *images = getenv("EXEC_TEST_IMAGES");
	const char *umoci = cfg.umoci;
	samples plain = { 0 }, cold = { 0 }, warm = { 0 }, warm_layout = { 0 }, rm = { 0 },
		copy = { 0 }, links = { 0 }, umoci_s = { 0 };
	char image[PATH_MAX], layout[PATH_MAX], cache[PATH_MAX], bundle[PATH_MAX], rootfs[PATH_MAX],
		dest[PATH_MAX];
	int k;

	if (!images || images[0] != '/') {
		fprintf(stderr, "bench: no image rows (EXEC_TEST_IMAGES unset; make images)\n");
		return;
	}
	fprintf(stderr, "bench: image: %d samples\n", cfg.exec_samples);
	pathf(image, sizeof(image), "%s/busybox.tar", images);
	pathf(layout, sizeof(layout), "%s/busybox:latest", images);
	pathf(dest, sizeof(dest), "%s/images", cfg.work);
	mkdir_p(dest);
	pathf(cache, sizeof(cache), "%s/images/warm-cache", cfg.work);
	/* The warm cache and the unpacked rootfs the copies start from. */
	from_image(image, cache, bundle, sizeof(bundle));
	remove_bundle(bundle);
	from_image(image, NULL, rootfs, sizeof(rootfs));
	for (k = 0; k < cfg.exec_samples && !bench_stopping; k++) {
		char cold_cache[PATH_MAX], id[64];

		samples_add(&plain, from_image(image, NULL, bundle, sizeof(bundle)));
		remove_bundle(bundle);

		new_id(id, sizeof(id));
		pathf(cold_cache, sizeof(cold_cache), "%s/images/cache-%s", cfg.work, id);
		samples_add(&cold, from_image(image, cold_cache, bundle, sizeof(bundle)));
		remove_bundle(bundle);
		{
			const char *argv[] = { "rm", "-rf", cold_cache, NULL };
			run_cmd(argv);
		}

		samples_add(&warm, from_image(image, cache, bundle, sizeof(bundle)));
		samples_add(&rm, remove_bundle(bundle));
		samples_add(&warm_layout, from_image(layout, cache, bundle, sizeof(bundle)));
		remove_bundle(bundle);

		new_id(id, sizeof(id));
		pathf(dest, sizeof(dest), "%s/images/%s", cfg.work, id);
		{
			const char *cp[] = { "cp", "-a", rootfs, dest, NULL };
			const char *cpl[] = { "cp", "-al", rootfs, dest, NULL };
			const char *rmd[] = { "rm", "-rf", dest, NULL };

			samples_add(&copy, timed(cp));
			run_cmd(rmd);
			samples_add(&links, timed(cpl));
			run_cmd(rmd);
		}
		if (umoci) {
			const char *argv[] = { umoci, "unpack", "--image", layout, dest, NULL };
			const char *rmd[] = { "rm", "-rf", dest, NULL };

			samples_add(&umoci_s, timed(argv));
			run_cmd(rmd);
		}
	}
	remove_bundle(rootfs);
	emit_row("image", "bundle from image, unpacked into it", "ms", &plain, NULL,
	         "busybox image, 2 layers, docker archive");
	emit_row("image", "bundle from image, cold cache", "ms", &cold,
	         "bundle from image, unpacked into it", "layers unpacked, overlay mounted");
	emit_row("image", "bundle from image, warm cache", "ms", &warm,
	         "bundle from image, unpacked into it", "overlay mount of cached layers");
	emit_row("image", "bundle from image, warm cache, OCI layout", "ms", &warm_layout,
	         "bundle from image, warm cache", "index, manifest and config verified; layers not reread");
	emit_row("image", "exec_bundle_remove, cached bundle", "ms", &rm, NULL, "unmount, remove");
	emit_row("image", "cp -a of an unpacked rootfs", "ms", &copy,
	         "bundle from image, warm cache", "the copy alternative to a cache");
	emit_row("image", "cp -al of an unpacked rootfs", "ms", &links,
	         "bundle from image, warm cache", "the hard-link alternative to a cache");
	if (umoci)
		emit_row("image", "umoci unpack", "ms", &umoci_s, "bundle from image, unpacked into it",
		         "same image as an OCI layout");
	else
		fprintf(stderr, "bench: no umoci row (umoci not installed)\n");
	samples_free(&plain);
	samples_free(&cold);
	samples_free(&warm);
	samples_free(&rm);
	samples_free(&copy);
	samples_free(&links);
	samples_free(&umoci_s);
}
