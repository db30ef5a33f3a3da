/*
 * bench.c - the benchmark driver: runs every group and writes its rows, one
 * JSON object a line, to --out. bench/report.py makes results.json, the
 * table and the plot from them.
 *
 *   bench --out FILE --work DIR [--rootfs DIR] [counts] [workers]
 *
 * The crun rows run in a child of this driver inside a private mount
 * namespace (`unshare -m`) where the hugetlb v1 hierarchy is mounted, which
 * crun needs on a hybrid cgroup layout; the fleet rows run in a fresh child
 * so that its memory readings hold only the library. Both children are this
 * program again with --group.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

char bundle_true[PATH_MAX];
char bundle_sleep[PATH_MAX];
char bundle_short[PATH_MAX];
struct bench_workers workers;

static worker gorunc_worker, python_worker, rust_worker;

static void usage(void)
{
	fputs("usage: bench --out FILE --work DIR [--rootfs DIR]\n"
	      "             [--rounds N] [--throughput LIFECYCLES BATCHES] [--calls ITERS BATCHES]\n"
	      "             [--fleet N] [--scale N] [--exec N] [--no-crun]\n"
	      "             [--gorunc BIN] [--python SCRIPT] [--rust BIN]\n"
	      "             [--group calls|lifecycle|first|crun|throughput|exec|image|fleet|scale|pool]\n"
	      "The rootfs defaults to $EXEC_TEST_ROOTFS. Counts default to those of `make bench`.\n",
	      stderr);
	exit(2);
}

static void on_signal(int sig)
{
	(void)sig;
	bench_stopping = 1;
}

/* The absolute form of path, which need not exist yet. */
static void absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		pathf(out, len, "%s", path);
	else
		pathf(out, len, "%s/%s", cwd, path);
}

/* The full path of a program on PATH, or NULL. */
static const char *which(const char *name)
{
	static char found[4][PATH_MAX];
	static int next;
	const char *path = getenv("PATH");
	char dirs[4096], *dir, *save = NULL;

	pathf(dirs, sizeof(dirs), "%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *out = found[next % 4];

		pathf(out, PATH_MAX, "%s/%s", dir, name);
		if (access(out, X_OK) == 0) {
			next++;
			return out;
		}
	}
	return NULL;
}

static long number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0)
		usage();
	return v;
}

static const char *parse(int argc, char **argv)
{
	const char *group = NULL, *out = NULL, *work = NULL;
	int i;

	cfg.rounds = 40;
	cfg.tp_lifecycles = 24;
	cfg.tp_batches = 3;
	cfg.call_iters = 1000000;
	cfg.call_batches = 15;
	cfg.fleet = 100;
	cfg.exec_samples = 30;
	cfg.rootfs = getenv("EXEC_TEST_ROOTFS");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = argc - i - 1;

		if (strcmp(a, "--out") == 0 && more >= 1)
			out = argv[++i];
		else if (strcmp(a, "--work") == 0 && more >= 1)
			work = argv[++i];
		else if (strcmp(a, "--rootfs") == 0 && more >= 1)
			cfg.rootfs = argv[++i];
		else if (strcmp(a, "--rounds") == 0 && more >= 1)
			cfg.rounds = (int)number(argv[++i]);
		else if (strcmp(a, "--throughput") == 0 && more >= 2) {
			cfg.tp_lifecycles = (int)number(argv[++i]);
			cfg.tp_batches = (int)number(argv[++i]);
		} else if (strcmp(a, "--calls") == 0 && more >= 2) {
			cfg.call_iters = number(argv[++i]);
			cfg.call_batches = (int)number(argv[++i]);
		} else if (strcmp(a, "--fleet") == 0 && more >= 1)
			cfg.fleet = (int)number(argv[++i]);
		else if (strcmp(a, "--scale") == 0 && more >= 1)
			cfg.scale = (int)number(argv[++i]);
		else if (strcmp(a, "--exec") == 0 && more >= 1)
			cfg.exec_samples = (int)number(argv[++i]);
		else if (strcmp(a, "--no-crun") == 0)
			cfg.no_crun = 1;
		else if (strcmp(a, "--gorunc") == 0 && more >= 1)
			cfg.gorunc = argv[++i];
		else if (strcmp(a, "--python") == 0 && more >= 1)
			cfg.python_script = argv[++i];
		else if (strcmp(a, "--rust") == 0 && more >= 1)
			cfg.rust = argv[++i];
		else if (strcmp(a, "--group") == 0 && more >= 1)
			group = argv[++i];
		else
			usage();
	}
	if (!out || !work || !cfg.rootfs || !*cfg.rootfs)
		usage();
	absolute(out, cfg.out_path, sizeof(cfg.out_path));
	absolute(work, cfg.work, sizeof(cfg.work));
	if (readlink("/proc/self/exe", cfg.self, sizeof(cfg.self) - 1) < 0)
		die("readlink /proc/self/exe: %s", strerror(errno));
	return group;
}

/* argv to run this driver again for `group`, with the same settings. */
static void child_argv(const char *group, const char **argv, char bufs[][32])
{
	int n = 0;

	argv[n++] = cfg.self;
	argv[n++] = "--out";
	argv[n++] = cfg.out_path;
	argv[n++] = "--work";
	argv[n++] = cfg.work;
	argv[n++] = "--rootfs";
	argv[n++] = cfg.rootfs;
	argv[n++] = "--rounds";
	pathf(bufs[0], 32, "%d", cfg.rounds);
	argv[n++] = bufs[0];
	argv[n++] = "--fleet";
	pathf(bufs[1], 32, "%d", cfg.fleet);
	argv[n++] = bufs[1];
	argv[n++] = "--scale";
	pathf(bufs[2], 32, "%d", cfg.scale);
	argv[n++] = bufs[2];
	if (cfg.gorunc) {
		argv[n++] = "--gorunc";
		argv[n++] = cfg.gorunc;
	}
	argv[n++] = "--group";
	argv[n++] = group;
	argv[n] = NULL;
}

/*
 * The crun rows, in a private mount namespace with hugetlb mounted. The
 * mount point is made on the host's shared /sys/fs/cgroup tmpfs, so it is
 * removed again afterwards when this run made it.
 */
static void crun_child(void)
{
	const char *mountpoint = "/sys/fs/cgroup/hugetlb";
	int made = access(mountpoint, F_OK) != 0;
	static const char script[] =
		"mkdir -p /sys/fs/cgroup/hugetlb && "
		"{ mountpoint -q /sys/fs/cgroup/hugetlb || "
		"mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; } && exec \"$@\"";
	const char *argv[32];
	char bufs[3][32];
	int n = 0, rc;

	argv[n++] = "unshare";
	argv[n++] = "--mount";
	argv[n++] = "--propagation";
	argv[n++] = "private";
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n++] = "sh";
	child_argv("crun", argv + n, bufs);
	rc = run_child(argv);
	if (made)
		rmdir(mountpoint);
	if (rc != 0)
		die("the crun rows failed (exit %d; see above and %s/spawn.log)", rc, cfg.work);
}

/* The rows of `group`, in a fresh child: its memory and fd limit its own. */
static void group_child(const char *group)
{
	const char *argv[32];
	char bufs[3][32];
	int rc;

	child_argv(group, argv, bufs);
	rc = run_child(argv);
	if (rc != 0)
		die("the %s rows failed (exit %d; see above and %s/spawn.log)", group, rc, cfg.work);
}

/* The bundles: made afresh for a whole run, reused by a group run alone. */
static void bundles(int fresh)
{
	const char *t[] = { "true", NULL };
	const char *sleeper[] = { "sleep", "3600", NULL };
	const char *short_sleep[] = { "sleep", "0.1", NULL };
	char config[PATH_MAX];

	pathf(config, sizeof(config), "%s/bundles/short/config.json", cfg.work);
	if (fresh || access(config, F_OK) != 0) {
		make_bundle("true", t, bundle_true, sizeof(bundle_true));
		make_bundle("sleep", sleeper, bundle_sleep, sizeof(bundle_sleep));
		make_bundle("short", short_sleep, bundle_short, sizeof(bundle_short));
		return;
	}
	pathf(bundle_true, sizeof(bundle_true), "%s/bundles/true", cfg.work);
	pathf(bundle_sleep, sizeof(bundle_sleep), "%s/bundles/sleep", cfg.work);
	pathf(bundle_short, sizeof(bundle_short), "%s/bundles/short", cfg.work);
}

static void start_workers(void)
{
	if (cfg.gorunc) {
		const char *argv[] = { cfg.gorunc, NULL };

		if (worker_start(&gorunc_worker, "go-runc", argv, cfg.runc, 0) != 0)
			die("cannot start the go-runc worker");
		workers.gorunc = &gorunc_worker;
	}
	if (cfg.python_script) {
		const char *python = getenv("PYTHON");
		const char *argv[] = { python && *python ? python : "python3", cfg.python_script, NULL };

		if (worker_start(&python_worker, "python", argv, cfg.runc, 1) != 0)
			die("cannot start the Python worker");
		workers.python = &python_worker;
	}
	if (cfg.rust) {
		const char *argv[] = { cfg.rust, NULL };

		if (worker_start(&rust_worker, "rust", argv, cfg.runc, 1) != 0)
			die("cannot start the Rust worker");
		workers.rust = &rust_worker;
	}
}

static void stop_workers(void)
{
	worker_stop(&gorunc_worker);
	worker_stop(&python_worker);
	worker_stop(&rust_worker);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	const char *group;

	/* The fresh process of the first-lifecycle rows: nothing else runs. */
	if (argc == 5 && strcmp(argv[1], "--first-lib") == 0)
		return first_lib_main(argv[2], argv[3], argv[4]);
	gorunc_worker.pid = python_worker.pid = rust_worker.pid = -1;
	group = parse(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Container inits of the CLI rows reparent here and are reaped by pid. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	cfg.runc = which("runc");
	cfg.crun = which("crun");
	cfg.umoci = which("umoci");
	if (!cfg.runc)
		die("runc not found on PATH");
	mkdir_p(cfg.work);
	bundles(group == NULL);

	if (group && strcmp(group, "crun") == 0) {
		if (!cfg.crun)
			die("crun not found on PATH");
		group_crun();
	} else if (group && strcmp(group, "fleet") == 0) {
		group_fleet();
	} else if (group && strcmp(group, "scale") == 0) {
		group_scale();
	} else if (group && (strcmp(group, "calls") == 0 || strcmp(group, "lifecycle") == 0)) {
		start_workers();
		if (strcmp(group, "calls") == 0)
			group_calls();
		else
			group_lifecycle();
		stop_workers();
	} else if (group && strcmp(group, "first") == 0) {
		group_first();
	} else if (group && strcmp(group, "throughput") == 0) {
		group_throughput();
	} else if (group && strcmp(group, "exec") == 0) {
		group_exec();
	} else if (group && strcmp(group, "image") == 0) {
		group_image();
	} else if (group && strcmp(group, "pool") == 0) {
		group_pool();
	} else if (group) {
		usage();
	} else {
		start_workers();
		group_calls();
		group_lifecycle();
		stop_workers();
		group_first();
		if (cfg.crun && !cfg.no_crun)
			crun_child();
		else
			fprintf(stderr, "bench: no crun rows (%s)\n", cfg.crun ? "--no-crun" : "crun not installed");
		group_throughput();
		group_exec();
		group_pool();
		group_image();
		group_child("fleet");
		if (cfg.scale > 0)
			group_child("scale");
	}
	cleanup_all();
	return 0;
}
