/*
 * library.c - the public functions that need no Go: version, memory and
 * option initialisers. They also work in a forked child.
 */
#include <stddef.h>
#include <string.h>

#include "capi.h"

const char *exec_version(void)
{
	return EXEC_VERSION;
}

void exec_free(void *ptr)
{
	free(ptr);
}

void exec_strings_free(char **v, size_t count)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < count; i++)
		free(v[i]);
	free(v);
}

/*
 * Fill the versioned struct *out with `defaults` and `version`; fail with
 * the matching message for NULL or a version above `current`.
 */
static int init_versioned(void *out, const void *defaults, size_t size,
                          unsigned version, unsigned current,
                          const char *null_msg, const char *version_msg)
{
	if (!out)
		return capi_set_error(EXEC_EINVAL, null_msg);
	if (version == 0 || version > current)
		return capi_set_error(EXEC_EINVAL, version_msg);
	memcpy(out, defaults, size);
	*(unsigned *)out = version;
	return EXEC_OK;
}

int exec_runtime_options_init(exec_runtime_options *opts, unsigned version)
{
	static const exec_runtime_options defaults = EXEC_RUNTIME_OPTIONS_INIT;

	/* A caller built against an older version has a smaller struct. */
	return init_versioned(opts, &defaults,
	                      version == 1   ? offsetof(exec_runtime_options, kill_on_exit)
	                      : version == 2 ? offsetof(exec_runtime_options, no_agent)
	                                     : sizeof defaults,
	                      version, EXEC_RUNTIME_OPTIONS_VERSION, "opts is NULL",
	                      "unknown exec_runtime_options version");
}

int exec_io_init(exec_io *io, unsigned version)
{
	static const exec_io defaults = EXEC_IO_INIT;

	/* A caller built against version 1 has the smaller struct. */
	return init_versioned(io, &defaults,
	                      version == 1 ? offsetof(exec_io, extra_fds) : sizeof defaults,
	                      version, EXEC_IO_VERSION, "io is NULL", "unknown exec_io version");
}

int exec_exit_init(exec_exit *e, unsigned version)
{
	static const exec_exit defaults = EXEC_EXIT_INIT;

	return init_versioned(e, &defaults, sizeof defaults, version,
	                      EXEC_EXIT_VERSION, "e is NULL", "unknown exec_exit version");
}

int exec_stats_init(exec_stats *stats, unsigned version)
{
	static const exec_stats defaults = EXEC_STATS_INIT;

	return init_versioned(stats, &defaults, sizeof defaults, version,
	                      EXEC_STATS_VERSION, "stats is NULL",
	                      "unknown exec_stats version");
}

int exec_event_init(exec_event *ev, unsigned version)
{
	static const exec_event defaults = EXEC_EVENT_INIT;

	return init_versioned(ev, &defaults, sizeof defaults, version, EXEC_EVENT_VERSION,
	                      "ev is NULL", "unknown exec_event version");
}

int exec_bundle_options_init(exec_bundle_options *opts, unsigned version)
{
	static const exec_bundle_options defaults = EXEC_BUNDLE_OPTIONS_INIT;

	/* A caller built against an older version has a smaller struct. */
	return init_versioned(opts, &defaults,
	                      version == 1   ? offsetof(exec_bundle_options, userns)
	                      : version == 2 ? offsetof(exec_bundle_options, env)
	                                     : sizeof defaults,
	                      version,
	                      EXEC_BUNDLE_OPTIONS_VERSION, "opts is NULL",
	                      "unknown exec_bundle_options version");
}

int exec_image_options_init(exec_image_options *opts, unsigned version)
{
	static const exec_image_options defaults = EXEC_IMAGE_OPTIONS_INIT;

	/* A caller built against an older version has a smaller struct. */
	return init_versioned(opts, &defaults,
	                      version == 1 ? offsetof(exec_image_options, entrypoint)
	                      : version == 2 ? offsetof(exec_image_options, progress)
	                                     : sizeof defaults,
	                      version, EXEC_IMAGE_OPTIONS_VERSION, "opts is NULL",
	                      "unknown exec_image_options version");
}

int exec_pull_options_init(exec_pull_options *opts, unsigned version)
{
	static const exec_pull_options defaults = EXEC_PULL_OPTIONS_INIT;

	return init_versioned(opts, &defaults, sizeof defaults, version,
	                      EXEC_PULL_OPTIONS_VERSION, "opts is NULL",
	                      "unknown exec_pull_options version");
}

int exec_pool_options_init(exec_pool_options *opts, unsigned version)
{
	static const exec_pool_options defaults = EXEC_POOL_OPTIONS_INIT;

	return init_versioned(opts, &defaults, sizeof defaults, version,
	                      EXEC_POOL_OPTIONS_VERSION, "opts is NULL",
	                      "unknown exec_pool_options version");
}
