/*
 * bench.h - what the benchmark driver's files share: the run's settings,
 * samples and rows, runtime CLI calls, worker processes and cleanup.
 *
 * The driver writes one JSON object per row (a line each) to its output;
 * bench/report.py turns those lines into results.json, the table and the plot.
 */
#ifndef BENCH_H
#define BENCH_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "execution.h"

/* ---- Settings ------------------------------------------------------- */

/** The settings of one run, from the command line. */
typedef struct {
	/** Rounds of each lifecycle variant (after two warm-up rounds). */
	int rounds;
	/** Lifecycles per throughput batch. */
	int tp_lifecycles;
	/** Throughput batches per thread count. */
	int tp_batches;
	/** Iterations per batch of a trivial call. */
	long call_iters;
	/** Batches of trivial calls. */
	int call_batches;
	/** Running containers for the state, list and memory rows. */
	int fleet;
	/** Running containers on one root for the scale rows; 0 skips them. */
	int scale;
	/** Samples of the exec and wait-delay rows. */
	int exec_samples;
	/** Skip the crun rows even when crun is installed. */
	int no_crun;
	/** The busybox rootfs every bundle copies. */
	const char *rootfs;
	/** The work dir: bundles, state roots, logs (absolute). */
	char work[PATH_MAX];
	/** Worker commands; NULL skips their rows. */
	const char *gorunc;
	const char *python_script;
	const char *rust;
	/** runc and crun, as found on PATH; crun NULL when missing. */
	const char *runc;
	const char *crun;
	/** umoci, as found on PATH, or NULL: the image rows compare with it. */
	const char *umoci;
	/** This driver's own path, to re-run itself for a group. */
	char self[PATH_MAX];
	/** Where rows go (absolute). */
	char out_path[PATH_MAX];
} bench_config;

/** The run's settings. */
extern bench_config cfg;

/** Non-zero once SIGINT or SIGTERM arrived: loops stop, cleanup runs. */
extern volatile int bench_stopping;

/* ---- Time and samples ----------------------------------------------- */

/** snprintf into out, dying when the result does not fit. */
void pathf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Nanoseconds on the monotonic clock. */
long long now_ns(void);

/** A growing list of measurements. */
typedef struct {
	double *v;
	size_t n, cap;
} samples;

/** Append one measurement. */
void samples_add(samples *s, double v);

/** Release the list. */
void samples_free(samples *s);

/* ---- Rows ------------------------------------------------------------ */

/**
 * Write one row: median, p10 and p90 of `s` in `unit`. `ratio_vs` names the
 * row (measured in the same run) this one is compared with, or NULL; `note`
 * is a short remark or NULL.
 */
void emit_row(const char *group, const char *name, const char *unit,
              const samples *s, const char *ratio_vs, const char *note);

/**
 * As emit_row(), for a row measured round by round alongside `base`, the
 * samples of its `ratio_vs` row: its ratio is the median (p10, p90) of the
 * per-round ratios s[i] / base[i].
 */
void emit_paired(const char *group, const char *name, const char *unit, const samples *s,
                 const char *ratio_vs, const samples *base, const char *note);

/** Write a row that was not measured here (a quoted figure, n = 0). */
void emit_quoted(const char *group, const char *name, const char *unit,
                 double value, const char *ratio_vs, const char *note);

/* ---- Failure and cleanup -------------------------------------------- */

/** Print a message and exit through the cleanup. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/** Die with the library's last error when rc is not EXEC_OK. */
void check(int rc, const char *what);

/** A container id unique on the host: "bench-<pid>-<n>". Thread-safe. */
void new_id(char *buf, size_t len);

/**
 * Track a state root: at exit every container still under it is deleted
 * with force through `runtime` (NULL: none to delete), then the root itself
 * is removed.
 */
void track_root(const char *runtime, const char *root);

/** Delete with force every container under the tracked roots; remove them. */
void cleanup_all(void);

/* ---- Bundles and paths ---------------------------------------------- */

/** Create a directory and its parents (mode 0755); die on failure. */
void mkdir_p(const char *path);

/** Make <work>/bundles/<name> with a copy of the rootfs and `argv`. */
void make_bundle(const char *name, const char *const *argv, char *out, size_t len);

/** The bundles every group uses: busybox `true`, `sleep 3600`, `sleep 0.1`. */
extern char bundle_true[PATH_MAX];
extern char bundle_sleep[PATH_MAX];
extern char bundle_short[PATH_MAX];

/**
 * A fresh state root <work>/roots/<name>-<pid>-<n>, tracked for cleanup with
 * `runtime` (NULL for a library root: open_runtime() tracks its runtime root).
 */
void make_root(const char *runtime, const char *name, char *out, size_t len);

/* ---- Processes ------------------------------------------------------ */

/**
 * Spawn argv (searched on PATH) with stdin and stdout on /dev/null and
 * stderr appended to <work>/spawn.log; wait for it.
 * @return its exit status, 128+signal, or -1 if it could not be spawned.
 */
int run_cmd(const char *const *argv);

/** As run_cmd(), with stderr left as this process's (for the driver's children). */
int run_child(const char *const *argv);

/** As run_cmd(), with stdout captured into buf (NUL-terminated, truncated). */
int run_capture(const char *const *argv, char *buf, size_t len);

/**
 * Spawn argv as run_cmd() does, with stdout on out_fd (-1: /dev/null),
 * without waiting: reap() it. @return its pid, or -1.
 */
pid_t spawn_out(const char *const *argv, int out_fd);

/** Read a pid file; -1 when missing or bad. */
pid_t read_pid_file(const char *path);

/** Reap child `pid` (a container init reparented to us); its wait status. */
int reap(pid_t pid);

/**
 * Wait until `pid`, which is not (yet) a child of ours, is gone: reaped by
 * its parent, or by us once it reparented here. For crun, whose `run
 * --detach` returns while a helper of its own is still the init's parent.
 */
void wait_gone(pid_t pid);

/** A worker: a driver in another language answering one request a line. */
typedef struct {
	const char *name;
	pid_t pid;
	FILE *to;
	FILE *from;
	char root[PATH_MAX];
	/** Set when the last answer said the runtime reaped the init itself. */
	int lost;
	/** Numbers of the last answer after the first, and how many. */
	double extra[2];
	int nextra;
} worker;

/**
 * Start a worker: argv plus "--serve --root <new root> --runtime <path>".
 * `library` tells that the worker uses the library, whose runtime root is
 * <root>/runc, rather than the runtime directly on <root>.
 * @return 0, or -1 with a message printed.
 */
int worker_start(worker *w, const char *name, const char *const *argv, const char *runtime,
                 int library);

/**
 * Send one request line and read the answer: "ok <number>" stores the number
 * in *value, up to two more numbers in w->extra, and a final word "lost"
 * sets w->lost; anything else is an error, printed.
 * @return 0 or -1.
 */
int worker_ask(worker *w, double *value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Ask a worker to quit and reap it; a no-op for one never started. */
void worker_stop(worker *w);

/** The running workers on runc; a member is NULL when not asked for. */
struct bench_workers {
	worker *gorunc;
	worker *python;
	worker *rust;
};

/** The running workers of this run. */
extern struct bench_workers workers;

/* ---- Groups --------------------------------------------------------- */

/** Image rows: time to a runnable bundle from an image, cached or not. */
void group_image(void);

/** Lifecycle rows on runc: library, CLI, go-runc, Python and Rust, interleaved. */
void group_lifecycle(void);

/** One lifecycle in a fresh process (load, Go start, monitor start): the
 *  library's against go-runc's and `runc run`, interleaved. */
void group_first(void);

/** The process group_first() runs for the library: `bench --first-lib ROOT
 *  ID BUNDLE`. @return its exit code. */
int first_lib_main(const char *root, const char *id, const char *bundle);

/** Lifecycle rows on crun; run inside the crun mount namespace. */
void group_crun(void);

/** Lifecycles per second with 1, 2, 4 and 8 threads. */
void group_throughput(void);

/** Nanoseconds per trivial call, in C and through the workers. */
void group_calls(void);

/** State, list and pid cost with many running containers, and RSS. */
void group_fleet(void);
/** The scale rows: containers running on one root at a soft fd limit of
 *  1024, the create rate and the monitor's cost per container. */
void group_scale(void);

/** VmRSS of process `pid` (the caller for 0) in MiB. */
double rss_mib_of(int pid);

/** The pid of the monitor serving root; dies when none does. */
int monitor_of(const char *root);

/** A warm pool's take against `runc run` and exec_container_run(), to
 *  running and to exit; the memory of a ready pooled container. */
void group_pool(void);

/** Exec latency and wait-to-exit notification delay. */
void group_exec(void);

/** The library opened on `runtime` with state root `root`. */
exec_runtime *open_runtime(const char *runtime, const char *root);

#endif /* BENCH_H */
