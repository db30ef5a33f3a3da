/*
 * forward.c - the public functions that enter Go.
 *
 * Each one refuses to run in a forked child (see fork.c), then forwards to
 * its Go export execgo_<name>, passing handles as uintptr_t registry keys.
 * Including execution.h here makes any drift from the header a compile error.
 */
#include "capi.h"
#include "_cgo_export.h"

static const char forked_message[] =
	"libexecution cannot run in a child forked after it started; "
	"exec() a new program first";

/* In a forked child: set the last error and return `failed`. */
#define REFUSE_IN_CHILD(failed)                                          \
	do {                                                             \
		if (capi_forked()) {                                     \
			capi_set_error(EXEC_ESTATE, forked_message);     \
			return failed;                                   \
		}                                                        \
	} while (0)

/* The registry key a handle stands for. */
#define KEY(handle) ((uintptr_t)(handle))

int exec_bundle_init(const char *bundle_dir, const char *const *argv, int terminal)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_bundle_init((char *)bundle_dir, (char **)argv, terminal);
}

int exec_bundle_init_ext(const char *bundle_dir, const char *const *argv,
                         const exec_bundle_options *opts)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_bundle_init_ext((char *)bundle_dir, (char **)argv,
	                              (exec_bundle_options *)opts);
}

int exec_bundle_from_image(const char *bundle_dir, const char *image,
                           const exec_image_options *opts)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_bundle_from_image((char *)bundle_dir, (char *)image,
	                                (exec_image_options *)opts);
}

int exec_bundle_remove(const char *bundle_dir)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_bundle_remove((char *)bundle_dir);
}

int exec_image_cache_prune(const char *cache_dir, size_t *removed)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_image_cache_prune((char *)cache_dir, removed);
}

int exec_image_pull(const char *ref, const char *layout_dir,
                    const exec_pull_options *opts, char **digest)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_image_pull((char *)ref, (char *)layout_dir,
	                         (exec_pull_options *)opts, digest);
}

int capi_call_progress(exec_progress_fn fn, const char *blob, long long done,
                       long long total, void *payload)
{
	return fn(blob, done, total, payload);
}

int exec_log_set(exec_log_fn fn, int max_level, void *payload)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_log_set(fn, max_level, payload, capi_log_delivering());
}

int exec_runtime_new(const exec_runtime_options *opts, exec_runtime **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_runtime_new((exec_runtime_options *)opts, (uintptr_t *)out);
}

const char *exec_runtime_root(exec_runtime *rt)
{
	REFUSE_IN_CHILD(NULL);
	return execgo_runtime_root(KEY(rt));
}

void exec_runtime_free(exec_runtime *rt)
{
	if (rt && !capi_forked())
		execgo_runtime_free(KEY(rt));
}

int exec_container_create(exec_runtime *rt, const char *id, const char *bundle,
                          const exec_io *io, exec_container **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_create(KEY(rt), (char *)id, (char *)bundle,
	                               (exec_io *)io, (uintptr_t *)out);
}

int exec_container_run(exec_runtime *rt, const char *id, const char *bundle,
                       const exec_io *io, exec_container **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_run(KEY(rt), (char *)id, (char *)bundle,
	                            (exec_io *)io, (uintptr_t *)out);
}

int exec_container_start(exec_container *c)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_start(KEY(c));
}

int exec_container_load(exec_runtime *rt, const char *id, exec_container **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_load(KEY(rt), (char *)id, (uintptr_t *)out);
}

int exec_container_list(exec_runtime *rt, char ***ids, size_t *count)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_list(KEY(rt), ids, count);
}

int exec_container_state(exec_container *c, exec_state *out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_state(KEY(c), out);
}

int exec_container_pid(exec_container *c, int *pid)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_pid(KEY(c), pid);
}

const char *exec_container_id(exec_container *c)
{
	REFUSE_IN_CHILD(NULL);
	return execgo_container_id(KEY(c));
}

int exec_container_pause(exec_container *c)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_pause(KEY(c));
}

int exec_container_resume(exec_container *c)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_resume(KEY(c));
}

int exec_container_kill(exec_container *c, int signal, int all)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_kill(KEY(c), signal, all);
}

int exec_container_wait(exec_container *c, int timeout_ms, exec_exit *out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_wait(KEY(c), timeout_ms, out);
}

int exec_container_exit_fd(exec_container *c, int *fd)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_exit_fd(KEY(c), fd);
}

int exec_container_stdio(exec_container *c, int stream, int *fd)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_stdio(KEY(c), stream, fd);
}

int exec_container_resize(exec_container *c, unsigned rows, unsigned cols)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_resize(KEY(c), rows, cols);
}

int exec_container_stats(exec_container *c, exec_stats *out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_stats(KEY(c), out);
}

int exec_container_ps(exec_container *c, int **pids, size_t *count)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_ps(KEY(c), pids, count);
}

int exec_container_update(exec_container *c, const char *resources_json)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_update(KEY(c), (char *)resources_json);
}

int exec_container_delete(exec_container *c, int force)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_delete(KEY(c), force);
}

void exec_container_free(exec_container *c)
{
	if (c && !capi_forked())
		execgo_container_free(KEY(c));
}

int exec_container_exec(exec_container *c, const char *process_id,
                        const char *process_json, const exec_io *io,
                        exec_process **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_exec(KEY(c), (char *)process_id,
	                             (char *)process_json, (exec_io *)io,
	                             (uintptr_t *)out);
}

int exec_process_load(exec_container *c, const char *process_id, exec_process **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_load(KEY(c), (char *)process_id, (uintptr_t *)out);
}

const char *exec_process_id(exec_process *p)
{
	REFUSE_IN_CHILD(NULL);
	return execgo_process_id(KEY(p));
}

int exec_process_pid(exec_process *p, int *pid)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_pid(KEY(p), pid);
}

int exec_process_signal(exec_process *p, int signal)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_signal(KEY(p), signal);
}

int exec_process_wait(exec_process *p, int timeout_ms, exec_exit *out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_wait(KEY(p), timeout_ms, out);
}

int exec_process_stdio(exec_process *p, int stream, int *fd)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_stdio(KEY(p), stream, fd);
}

int exec_process_resize(exec_process *p, unsigned rows, unsigned cols)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_resize(KEY(p), rows, cols);
}

int exec_process_delete(exec_process *p)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_delete(KEY(p));
}

void exec_process_free(exec_process *p)
{
	if (p && !capi_forked())
		execgo_process_free(KEY(p));
}

int exec_process_exit_fd(exec_process *p, int *fd)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_process_exit_fd(KEY(p), fd);
}

int exec_events_open(exec_runtime *rt, unsigned capacity, exec_events **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_events_open(KEY(rt), capacity, (uintptr_t *)out);
}

int exec_events_fd(exec_events *ev, int *fd)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_events_fd(KEY(ev), fd);
}

int exec_events_next(exec_events *ev, int timeout_ms, exec_event *out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_events_next(KEY(ev), timeout_ms, out);
}

void exec_events_free(exec_events *ev)
{
	if (ev && !capi_forked())
		execgo_events_free(KEY(ev));
}

int exec_container_addresses(exec_container *c, char ***addrs, size_t *count)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_container_addresses(KEY(c), addrs, count);
}

int exec_pool_new(exec_runtime *rt, const exec_pool_options *opts, exec_pool **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_pool_new(KEY(rt), (exec_pool_options *)opts, (uintptr_t *)out);
}

int exec_pool_take(exec_pool *pool, int timeout_ms, exec_container **out)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_pool_take(KEY(pool), timeout_ms, (uintptr_t *)out);
}

int exec_pool_fill(exec_pool *pool, int timeout_ms)
{
	REFUSE_IN_CHILD(EXEC_ESTATE);
	return execgo_pool_fill(KEY(pool), timeout_ms);
}

void exec_pool_free(exec_pool *pool)
{
	if (pool && !capi_forked())
		execgo_pool_free(KEY(pool));
}
