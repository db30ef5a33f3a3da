/*
 * fixture.h - what the tests share: temp bundles and runtime roots, unique
 * ids, reading streams to EOF, and probes of the process and file system.
 *
 * Everything a fx_* function creates is registered and swept after the
 * test, passed or failed: runc containers under each registered runtime
 * root are deleted with force (through runc itself, not the library), then
 * the temp dirs are removed. Functions that can fail record the failure in
 * the running test and return NULL or -1.
 */
#ifndef TEST_FIXTURE_H
#define TEST_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "execution.h"

/** Milliseconds on the monotonic clock. */
long long fx_now_ms(void);

/** Sleep for `ms` milliseconds. */
void fx_sleep_ms(int ms);

/** The busybox rootfs ($EXEC_TEST_ROOTFS, absolute). */
const char *fx_rootfs(void);

/** A new empty temp dir, removed after the test. */
const char *fx_tempdir(void);

/** A string built like printf, freed after the test. */
const char *fx_str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A container or process id unique on the host: "ct-<pid>-<n>". Thread-safe. */
const char *fx_id(void);

/**
 * A runtime on a fresh root; the runtime is freed and its containers deleted
 * after the test. `opts` may be NULL; its root, if NULL, is set to a new temp
 * dir. *root, if given, receives the root path.
 */
exec_runtime *fx_runtime(exec_runtime_options *opts, const char **root);

/** Register a runc root whose containers are deleted after the test. */
void fx_track_runc_root(const char *runc_root);

/**
 * A bundle: a temp dir with config.json from exec_bundle_init(), its root.path
 * set to the absolute rootfs.
 */
const char *fx_bundle(const char *const *argv, int terminal);

/**
 * A bundle from exec_bundle_init_ext() with `opts`: a temp dir whose
 * `rootfs` is a symlink to the test rootfs (the library resolves it).
 */
const char *fx_bundle_ext(const char *const *argv, const exec_bundle_options *opts);

/**
 * fx_bundle_ext() with another rootfs, such as fx_probe_rootfs(); NULL is
 * the busybox rootfs.
 */
const char *fx_bundle_ext_in(const char *rootfs, const char *const *argv,
                             const exec_bundle_options *opts);

/**
 * The probe rootfs ($EXEC_TEST_PROBE_ROOTFS): the busybox rootfs with
 * tests/probe as /bin/probe and a setuid-root copy as /bin/probe-suid.
 */
const char *fx_probe_rootfs(void);

/**
 * Run `bundle` as container `id` on rt to its exit, stdout and stderr into
 * buf (as fx_read_all()), its exit into *ex, then delete it.
 *
 * @return 0, or -1 with a failure recorded.
 */
int fx_run_output(exec_runtime *rt, const char *id, const char *bundle, char *buf, size_t cap,
                  exec_exit *ex);

/**
 * Kill a running container with SIGKILL, wait for it, delete it and free
 * its handle; failures are recorded. Returns 0 or -1.
 */
int fx_kill_delete(exec_container *c);

/** A bundle running `sh -c script`. */
const char *fx_bundle_sh(const char *script, int terminal);

/**
 * Read `fd` until EOF (or EIO, the end of a pty) within `timeout_ms`. Keeps
 * the first cap-1 bytes in buf, NUL-terminated, and counts the rest.
 *
 * @return the number of bytes read, or -1 on timeout or error.
 */
long fx_read_all(int fd, char *buf, size_t cap, int timeout_ms);

/** Read what `fd` has within `timeout_ms`, appending to buf until `needle` shows. */
int fx_read_until(int fd, char *buf, size_t cap, const char *needle, int timeout_ms);

/** Write all of `s`; 0 or -1. */
int fx_write_all(int fd, const char *s);

/** Number of open file descriptors of this process. */
int fx_count_fds(void);

/** Number of live children of `parent`; *zombies (optional) gets its zombies. */
int fx_children_of(int parent, int *zombies);

/** fx_children_of(getpid(), zombies). */
int fx_count_children(int *zombies);

/** Number of entries of a directory, 0 when it does not exist. */
int fx_count_dir(const char *path);

/** Number of files and dirs below a directory, 0 when it does not exist. */
int fx_count_tree(const char *path);

/** Non-zero if the path exists (symlinks not followed). */
int fx_exists(const char *path);

/** The parent pid of `pid` from /proc, or -1. */
int fx_ppid(int pid);

/* Non-zero when pid is a libexecution monitor process. */
int fx_is_monitor(int pid);

/* Pid of the monitor serving `root`, or -1 when none runs. */
int fx_monitor_of(const char *root);

/* Size of the file at path, or -1 when it cannot be read. */
long fx_file_size(const char *path);

/**
 * Run a command to completion, its stdout captured into out (optional).
 *
 * @return its exit status (0..255), or -1.
 */
int fx_command(const char *const *argv, char *out, size_t cap);

/**
 * Run this test binary in a helper mode of child.c (such as "--child-run")
 * on root, id and bundle, to its exit.
 *
 * @return 0, or -1 with a failure recorded (its output in the message).
 */
int fx_child(const char *mode, const char *root, const char *id, const char *bundle);

/** Number of containers runc lists under `runc_root` (0 if none or no root), or -1. */
int fx_runc_count(const char *runc_root);

/** Wait for the child `pid` for up to `timeout_ms`; 0 with *status, or -1. */
int fx_wait_child(pid_t pid, int timeout_ms, int *status);

/** What is left after a call: children, state dirs, runc containers. */
typedef struct {
	int children;
	int state_dirs;
	int runc_containers;
	int fds;
	int monitor_children; /* of the root's monitor, zombies too; 0 when none runs */
} fx_snapshot;

/** Take a snapshot of a runtime root (default runc root `<root>/runc`). */
void fx_snap(fx_snapshot *s, const char *root, const char *runc_root);

/**
 * Check that nothing is left since `before`: no new child (no `runc init`),
 * no new state dir, no new runc container, `<root>/containers/<id>` absent;
 * fds too when `fds` is non-zero. Records a failure and returns -1 otherwise.
 */
int fx_nothing_left(const char *file, int line, const fx_snapshot *before,
                    const char *root, const char *runc_root, const char *id, int fds);

#define NOTHING_LEFT(before, root, id)                                              \
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, (before), (root), NULL, (id), 0) == 0)

/**
 * A container waited for from another thread. Thread bodies outlive a failed
 * test's frame, so tests keep their waiters static.
 */
typedef struct {
	exec_container *c;
	int rc;
	exec_exit ex;
} fx_waiter;

/** pthread body: exec_container_wait(w->c, -1, &w->ex) into w->rc. */
void *fx_wait_forever(void *w);

/**
 * Start this binary in `mode` (see child.c) with root, id and bundle, wait
 * for it to print "ready", and SIGKILL it: by its pid, or, given the v2
 * cgroup it is to run in, by killing everything in that cgroup
 * (cgroup.kill), as a service manager stopping it does. 0, or -1 with a
 * failure recorded.
 */
int fx_run_and_kill_host(const char *mode, const char *root, const char *id,
                         const char *bundle, const char *cgroup);

/** Sweep what the finished test left; called by the runner. */
void fx_sweep(void);

#endif /* TEST_FIXTURE_H */
