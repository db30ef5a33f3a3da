/*
 * library.c - the public functions that need no Go: version, memory and
 * option initialisers. They also work in a forked child.
 */
#include "capi.h"

#include <stddef.h>
#include <string.h>

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

int exec_runtime_options_init(exec_runtime_options *opts, unsigned version)
{
	exec_runtime_options defaults = EXEC_RUNTIME_OPTIONS_INIT;

	if (!opts)
		return capi_set_error(EXEC_EINVAL, "opts is NULL");
	if (version == 0 || version > EXEC_RUNTIME_OPTIONS_VERSION)
		return capi_set_error(EXEC_EINVAL, "unknown exec_runtime_options version");
	/* A caller built against version 1 has the smaller struct. */
	memcpy(opts, &defaults, version == 1 ? offsetof(exec_runtime_options, kill_on_exit)
	                                     : sizeof(defaults));
	opts->version = version;
	return EXEC_OK;
}

int exec_io_init(exec_io *io, unsigned version)
{
	exec_io defaults = EXEC_IO_INIT;

	if (!io)
		return capi_set_error(EXEC_EINVAL, "io is NULL");
	if (version == 0 || version > EXEC_IO_VERSION)
		return capi_set_error(EXEC_EINVAL, "unknown exec_io version");
	*io = defaults;
	io->version = version;
	return EXEC_OK;
}

int exec_image_options_init(exec_image_options *opts, unsigned version)
{
	exec_image_options defaults = EXEC_IMAGE_OPTIONS_INIT;

	if (!opts)
		return capi_set_error(EXEC_EINVAL, "opts is NULL");
	if (version == 0 || version > EXEC_IMAGE_OPTIONS_VERSION)
		return capi_set_error(EXEC_EINVAL, "unknown exec_image_options version");
	*opts = defaults;
	opts->version = version;
	return EXEC_OK;
}
