/*
 * stress.c - load, faults and fuzz, scaled by EXEC_STRESS (1 in `make test`,
 * more in `make stress`): sequential lifecycles leave nothing, 32 threads
 * get distinct exits, many containers run at once (EXEC_STRESS_RUNNING of
 * them at a soft fd limit of 1024), broken runtimes, a full root, corrupted
 * state and fuzzed arguments leave nothing and crash nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

/* The scale: EXEC_STRESS, at least 1. */
static int scale(void)
{
	const char *s = getenv("EXEC_STRESS");
	int n = s ? atoi(s) : 1;

	return n > 0 ? n : 1;
}

/* A number from /proc/<pid>/status (Threads, VmRSS in kB), or -1. */
static long pid_status(int pid, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f = fopen(fx_str("/proc/%d/status", pid), "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			v = atol(line + len + 1);
	fclose(f);
	return v;
}

/* A number from /proc/self/status, or -1. */
static long self_status(const char *key)
{
	return pid_status((int)getpid(), key);
}

/* Lines of a file, or -1. */
static int count_lines(const char *path)
{
	char buf[4096];
	int n = 0;
	size_t got;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	fclose(f);
	return n;
}

/* Cgroups of this test process's containers (ids "ct-<pid>-..."). */
static int own_cgroups(void)
{
	char prefix[64];
	int n = 0;
	const char *dirs[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup" };

	snprintf(prefix, sizeof(prefix), "ct-%d-", (int)getpid());
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char out[65536];
		const char *argv[] = { "ls", dirs[i], NULL };

		if (fx_command(argv, out, sizeof(out)) != 0)
			continue;
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
			n += strncmp(line, prefix, strlen(prefix)) == 0;
	}
	return n;
}

/* Run `true` to the end: run, wait, delete, free. */
static int lifecycle(exec_runtime *rt, const char *bundle, int code)
{
	exec_container *c = NULL;
	exec_exit ex = EXEC_EXIT_INIT;

	CHECK_RC_R(exec_container_run(rt, fx_id(), bundle, NULL, &c), EXEC_OK, -1);
	CHECK_RC_R(exec_container_wait(c, 30000, &ex), EXEC_OK, -1);
	CHECK_INT_R(ex.status, ==, code, -1);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, -1);
	exec_container_free(c);
	return 0;
}

/*
 * Sequential lifecycles: fds, threads, memory, zombies, children of the
 * monitor, cgroups, mounts and state dirs are where they were.
 */
static void sequential(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *bundle = fx_bundle_sh("exit 0", 0);
	int n = 20 * scale(), fds, mounts, cgroups;
	long threads, rss;
	fx_snapshot before;

	REQUIRE(rt && bundle);
	t_set_timeout(60 + n);
	for (int i = 0; i < 3; i++)
		REQUIRE(lifecycle(rt, bundle, 0) == 0);
	fx_snap(&before, root, NULL);
	fds = fx_count_fds();
	threads = self_status("Threads");
	rss = self_status("VmRSS");
	mounts = count_lines("/proc/self/mountinfo");
	cgroups = own_cgroups();
	for (int i = 0; i < n; i++)
		REQUIRE(lifecycle(rt, bundle, 0) == 0);
	REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, NULL, 1) == 0);
	CHECK_INT(fx_count_fds(), <=, fds); /* fewer: an earlier test's fd went */
	/* Go keeps the threads it made under load; a leak grows with n. */
	CHECK_INT(self_status("Threads"), <=, threads + 4);
	CHECK_INT(self_status("VmRSS"), <, rss + 16 * 1024);
	CHECK_INT(count_lines("/proc/self/mountinfo"), ==, mounts);
	CHECK_INT(own_cgroups(), ==, cgroups);
}

#define THREADS 32

struct worker {
	exec_runtime *rt;
	const char *bundles[4];
	int index, rounds, failures;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int k = 0; k < w->rounds; k++) {
		int code = (w->index * 4 + k % 4) % 128;
		exec_container *c = NULL;
		exec_exit ex = EXEC_EXIT_INIT;

		if (exec_container_run(w->rt, fx_id(), w->bundles[k % 4], NULL, &c) != EXEC_OK ||
		    exec_container_wait(c, 60000, &ex) != EXEC_OK || ex.status != code ||
		    exec_container_delete(c, 0) != EXEC_OK)
			w->failures++;
		exec_container_free(c);
	}
	return NULL;
}

/* 32 threads at once, each container with its own exit code. */
static void threads32(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	static struct worker w[THREADS];
	pthread_t th[THREADS];
	fx_snapshot before;
	int failures = 0;

	REQUIRE(rt);
	t_set_timeout(120 + 30 * scale());
	fx_snap(&before, root, NULL);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .rt = rt, .index = i, .rounds = scale() };
		for (int k = 0; k < 4; k++) {
			w[i].bundles[k] = fx_bundle_sh(fx_str("exit %d", (i * 4 + k) % 128), 0);
			REQUIRE(w[i].bundles[k]);
		}
	}
	for (int i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&th[i], NULL, work, &w[i]) == 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	CHECK_INT(failures, ==, 0);
	NOTHING_LEFT(&before, root, NULL);
}

/* Many containers running at once, then killed, waited for, deleted. */
static void fleet(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "1000", NULL };
	const char *bundle = fx_bundle(argv, 0);
	int n = 10 * scale();
	exec_container **c = calloc((size_t)n, sizeof(*c));
	fx_snapshot before;
	exec_exit ex = EXEC_EXIT_INIT;
	exec_state st;

	REQUIRE(rt && bundle && c);
	t_set_timeout(60 + n);
	fx_snap(&before, root, NULL);
	for (int i = 0; i < n; i++)
		REQUIRE(exec_container_run(rt, fx_id(), bundle, NULL, &c[i]) == EXEC_OK);
	for (int i = 0; i < n; i++) {
		CHECK_OK(exec_container_state(c[i], &st));
		CHECK_INT(st, ==, EXEC_STATE_RUNNING);
		CHECK_OK(exec_container_kill(c[i], 9, 0));
	}
	for (int i = 0; i < n; i++) {
		CHECK_OK(exec_container_wait(c[i], 30000, &ex));
		CHECK_INT(ex.status, ==, 137);
		CHECK_OK(exec_container_delete(c[i], 0));
		exec_container_free(c[i]);
	}
	free(c);
	NOTHING_LEFT(&before, root, NULL);
}

/* How many containers stress.fd_limit runs at once: EXEC_STRESS_RUNNING,
 * 20 unless set (`make stress` sets 5000). */
static int running_scale(void)
{
	const char *s = getenv("EXEC_STRESS_RUNNING");
	int n = s ? atoi(s) : 20;

	return n > 0 ? n : 20;
}

/* The containers stress.fd_limit starts, shared by its starting threads. */
struct fleet_run {
	exec_runtime *rt;
	const char *bundle;
	exec_container **c;
	int n;
	pthread_mutex_t mu;
	int next, failures;
	long long started_ms[3]; /* when 1, 1000 and 5000 (or n) ran */
	int marks[3];
	char error[512];
};

static void *start_some(void *arg)
{
	struct fleet_run *f = arg;

	for (;;) {
		pthread_mutex_lock(&f->mu);
		int i = f->next < f->n && !f->failures ? f->next++ : -1;
		pthread_mutex_unlock(&f->mu);
		if (i < 0)
			return NULL;
		int rc = exec_container_run(f->rt, fx_id(), f->bundle, NULL, &f->c[i]);
		pthread_mutex_lock(&f->mu);
		if (rc != EXEC_OK && !f->failures++)
			snprintf(f->error, sizeof(f->error), "container %d: %s", i, exec_last_error());
		for (int k = 0; k < 3; k++)
			if (i + 1 == f->marks[k])
				f->started_ms[k] = fx_now_ms();
		pthread_mutex_unlock(&f->mu);
	}
}

/*
 * Many containers running on one root from a host whose soft fd limit is
 * 1024: the monitor raises its own, each container costs it about one fd,
 * and every exit comes back exact. Prints the monitor's RSS and fds per
 * container and the create rate up to 1, 1000 and all running.
 */
static void fd_limit(void)
{
	enum { STARTERS = 4 };
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	/* pid 1 with a TERM handler: SIGTERM gives 5, SIGKILL 137. */
	const char *bundle = fx_bundle_sh("trap 'exit 5' TERM; sleep 1000000 & wait", 0);
	struct fleet_run f = { .rt = rt, .bundle = bundle, .n = running_scale(),
	                       .mu = PTHREAD_MUTEX_INITIALIZER };
	struct rlimit old, low;
	pthread_t th[STARTERS];
	fx_snapshot before;
	exec_exit ex = EXEC_EXIT_INIT;

	REQUIRE(rt && bundle);
	f.c = calloc((size_t)f.n, sizeof(*f.c));
	REQUIRE(f.c);
	f.marks[0] = 1;
	f.marks[1] = f.n >= 1000 ? 1000 : -1;
	f.marks[2] = f.n;
	t_set_timeout(120 + f.n / 2);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	if (low.rlim_cur > 1024)
		low.rlim_cur = 1024;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	fx_snap(&before, root, NULL);
	long long t0 = fx_now_ms();
	for (int i = 0; i < STARTERS; i++)
		REQUIRE(pthread_create(&th[i], NULL, start_some, &f) == 0);
	for (int i = 0; i < STARTERS; i++)
		pthread_join(th[i], NULL);
	if (f.failures)
		t_fail(__FILE__, __LINE__, "%d of %d failed to start; first: %s", f.failures, f.n,
		       f.error);

	int mon = fx_monitor_of(root);
	long rss = mon > 0 ? pid_status(mon, "VmRSS") : -1;
	int mon_fds = mon > 0 ? fx_count_dir(fx_str("/proc/%d/fd", mon)) : -1;
	int host_fds = fx_count_fds();
	printf("    fd_limit: %d running at soft limit %ld: monitor RSS %ld kB (%.1f kB each), "
	       "%d fds (%.2f each), host %d fds\n",
	       f.next, (long)low.rlim_cur, rss, f.next ? (double)rss / f.next : 0.0, mon_fds,
	       f.next ? (double)mon_fds / f.next : 0.0, host_fds);
	for (int k = 0; k < 3; k++)
		if (f.marks[k] > 0 && f.started_ms[k])
			printf("    fd_limit: %d running after %.1f s (%.1f creates/s)\n", f.marks[k],
			       (f.started_ms[k] - t0) / 1000.0,
			       f.marks[k] * 1000.0 / (double)(f.started_ms[k] - t0 + 1));
	CHECK_INT(host_fds, <, 1024);

	for (int i = 0; i < f.n; i++) {
		if (!f.c[i])
			continue;
		/* SIGTERM only once the trap is set, which is before the shell
		 * forks its sleep: pid 1 ignores a TERM it has no handler for. */
		for (int tries = 0; i % 3 && tries < 1000; tries++) {
			int *pids = NULL;
			size_t count = 0;
			if (exec_container_ps(f.c[i], &pids, &count) == EXEC_OK)
				exec_free(pids);
			if (count >= 2)
				break;
			fx_sleep_ms(10);
		}
		CHECK_OK(exec_container_kill(f.c[i], i % 3 ? 15 : 9, 0));
	}
	int wrong = 0;
	for (int i = 0; i < f.n; i++) {
		if (!f.c[i])
			continue;
		if (exec_container_wait(f.c[i], 120000, &ex) != EXEC_OK ||
		    ex.status != (i % 3 ? 5 : 137)) {
			if (!wrong++)
				t_fail(__FILE__, __LINE__, "container %d: exit %d (%s)", i, ex.status,
				       exec_last_error());
		}
		CHECK_OK(exec_container_delete(f.c[i], 0));
		exec_container_free(f.c[i]);
	}
	CHECK_INT(wrong, ==, 0);
	free(f.c);
	setrlimit(RLIMIT_NOFILE, &old);
	NOTHING_LEFT(&before, root, NULL);
}

/* A runtime script wrapping runc; body sees the arguments and $RUNC. */
static const char *script_runtime(const char *name, const char *body)
{
	const char *path = fx_str("%s/%s", fx_tempdir(), name);
	FILE *f = path ? fopen(path, "we") : NULL;

	if (f == NULL)
		return NULL;
	fprintf(f, "#!/bin/sh\nRUNC=$(command -v runc || echo /usr/sbin/runc)\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return path;
}

/* Runtimes that hang, fail, print on stderr, die mid-call (also 20 ms
 * into it, without waiting for the runtime to die) or are cut by a 20 ms
 * deadline: nothing left. */
static void broken_runtimes(void)
{
	static const struct {
		const char *name, *body;
		int timeout_ms, code;
	} broken[] = {
		{ "hangs", "sleep 100 & wait", 300, EXEC_ETIMEDOUT },
		{ "fails", "exit 3", 0, EXEC_ERUNTIME },
		{ "prints", "echo 'prints: out of luck' >&2; exit 1", 0, EXEC_ERUNTIME },
		{ "dies", "case \" $* \" in *\" run \"*|*\" create \"*) \"$RUNC\" \"$@\" & p=$!;"
		          " sleep 0.05; kill -9 $p; kill -9 $$;; esac; exec \"$RUNC\" \"$@\"",
		  0, EXEC_ERUNTIME },
		{ "dies-at-20ms", "case \" $* \" in *\" run \"*|*\" create \"*) \"$RUNC\" \"$@\" & p=$!;"
		                  " sleep 0.02; kill -9 $p; exit 1;; esac; exec \"$RUNC\" \"$@\"",
		  0, EXEC_ERUNTIME },
		{ "cut-at-20ms", "exec \"$RUNC\" \"$@\"", 20, EXEC_ETIMEDOUT },
	};
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);

	REQUIRE(bundle);
	t_set_timeout(60 + 10 * scale());
	for (size_t b = 0; b < sizeof(broken) / sizeof(broken[0]); b++) {
		exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
		const char *root;
		exec_runtime *rt;
		fx_snapshot before;

		opts.runtime_path = script_runtime(broken[b].name, broken[b].body);
		opts.timeout_ms = broken[b].timeout_ms;
		REQUIRE(opts.runtime_path);
		rt = fx_runtime(&opts, &root);
		REQUIRE(rt);
		fx_snap(&before, root, NULL);
		for (int i = 0; i < 2 * scale(); i++) {
			exec_io io = EXEC_IO_INIT;
			exec_container *c = NULL;
			const char *id = fx_id();
			int rc;

			io.stderr_fd = EXEC_IO_PIPE;
			rc = exec_container_run(rt, id, bundle, &io, &c);
			if (rc == EXEC_OK) {
				/* A run can beat the deadline where its delete does
				 * not: the container then stays, listed with its exit,
				 * for a runtime without the deadline to delete. */
				rc = exec_container_delete(c, 1);
				exec_container_free(c);
				if (rc != EXEC_OK) {
					exec_runtime_options again = EXEC_RUNTIME_OPTIONS_INIT;
					exec_runtime *patient;

					CHECK_RC(rc, EXEC_ETIMEDOUT);
					again.root = root;
					again.runtime_path = opts.runtime_path;
					patient = fx_runtime(&again, NULL);
					REQUIRE(patient);
					CHECK_OK(exec_container_load(patient, id, &c));
					CHECK_OK(exec_container_delete(c, 1));
					exec_container_free(c);
				}
				continue;
			}
			CHECK_INT(rc, ==, broken[b].code);
			if (strcmp(broken[b].name, "prints") == 0)
				CHECK_CONTAINS(exec_last_error(), "prints: out of luck");
			REQUIRE(fx_nothing_left(__FILE__, __LINE__, &before, root, NULL, id, 0) == 0);
		}
	}
}

/* A root on a tiny tmpfs that fills up: errors, and nothing left. */
static void full_root(void)
{
	const char *dir = fx_str("%s/tiny", fx_tempdir());
	exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
	const char *argv[] = { "true", NULL };
	const char *bundle = fx_bundle(argv, 0);
	exec_runtime *rt = NULL;
	fx_snapshot before;
	char filler[4096];
	int fd, failed = 0;

	REQUIRE(dir && bundle && mkdir(dir, 0700) == 0);
	REQUIRE(mount("tmpfs", dir, "tmpfs", 0, "size=96k,nr_inodes=64") == 0);
	opts.root = dir;
	if (exec_runtime_new(&opts, &rt) != EXEC_OK) {
		umount2(dir, MNT_DETACH);
		REQUIRE(!"exec_runtime_new on an empty tmpfs");
	}
	fx_snap(&before, dir, NULL);
	fd = open(fx_str("%s/filler", dir), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	memset(filler, 'x', sizeof(filler));
	while (fd >= 0 && write(fd, filler, sizeof(filler)) > 0)
		;
	for (int i = 0; i < 3 * scale(); i++) {
		exec_container *c = NULL;
		int rc = exec_container_run(rt, fx_id(), bundle, NULL, &c);

		if (rc == EXEC_OK) {
			exec_container_delete(c, 1);
			exec_container_free(c);
		} else {
			CHECK(rc == EXEC_ESYS || rc == EXEC_ERUNTIME);
			failed++;
		}
	}
	if (fd >= 0)
		close(fd);
	unlink(fx_str("%s/filler", dir));
	CHECK_INT(failed, >, 0);
	fx_nothing_left(__FILE__, __LINE__, &before, dir, NULL, NULL, 0);
	exec_runtime_free(rt);
	umount2(dir, MNT_DETACH);
}

/* Corrupted records: load refuses each with EINVAL, delete still works. */
static void corrupt_state(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	static const char *records[] = {
		"", "{", "null", "[]", "{\"id\":7}", "{\"id\":\"%s\",\"pid\":0,\"start_time\":1}",
		"{\"id\":\"%s\",\"pid\":1,\"start_time\":1}", "{\"id\":\"%s\",\"pid\":-9,\"start_time\":1}",
		"{\"id\":\"%s\",\"pid\":%d,\"start_time\":1}", "{\"id\":\"%s\",\"pid\":99999999}",
	};

	REQUIRE(rt);
	for (int round = 0; round < scale(); round++) {
		for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
			const char *id = fx_id();
			const char *dir = fx_str("%s/containers/%s", root, id);
			exec_container *c = NULL;
			FILE *f;

			REQUIRE(id && dir && mkdir(dir, 0700) == 0);
			f = fopen(fx_str("%s/container.json", dir), "we");
			REQUIRE(f);
			fprintf(f, records[i], id, (int)getpid());
			fclose(f);
			CHECK_RC(exec_container_load(rt, id, &c), EXEC_EINVAL);
			CHECK(c == NULL);
			CHECK_CONTAINS(exec_last_error(), "corrupt");
			fx_command((const char *[]){ "rm", "-rf", dir, NULL }, NULL, 0);
		}
	}
}

/* A random byte string of up to max bytes with no NUL. */
static const char *random_bytes(unsigned *seed, int max)
{
	static char buf[2048];
	int n = rand_r(seed) % (max + 1);

	for (int i = 0; i < n; i++)
		buf[i] = (char)(1 + rand_r(seed) % 255);
	buf[n] = '\0';
	return buf;
}

/* Fuzzed ids, JSON, fds and versions: a code every time, never a crash. */
static void fuzz(void)
{
	const char *root;
	exec_runtime *rt = fx_runtime(NULL, &root);
	const char *argv[] = { "sleep", "100", NULL };
	const char *bundle = fx_bundle(argv, 0);
	static const char base[] = "{\"args\":[\"true\"],\"env\":[\"A=1\"],\"cwd\":\"/\","
	                           "\"user\":{\"uid\":0,\"gid\":0},\"terminal\":false}";
	exec_container *c = NULL;
	unsigned seed = (unsigned)getpid();
	fx_snapshot before;

	REQUIRE(rt && bundle);
	t_set_timeout(60 + 20 * scale());
	REQUIRE(exec_container_run(rt, fx_id(), bundle, NULL, &c) == EXEC_OK);
	fx_snap(&before, root, NULL);
	for (int i = 0; i < 100 * scale(); i++) {
		exec_container *d = NULL;
		exec_process *p = NULL;
		exec_io io = EXEC_IO_INIT;
		exec_runtime_options opts = EXEC_RUNTIME_OPTIONS_INIT;
		exec_runtime *r2 = NULL;
		char json[sizeof(base)];
		int rc;

		rc = exec_container_load(rt, random_bytes(&seed, 1100), &d);
		CHECK(rc == EXEC_EINVAL || rc == EXEC_ENOTFOUND);
		exec_container_free(d);

		memcpy(json, base, sizeof(base));
		for (int k = 0; k < 1 + rand_r(&seed) % 4; k++)
			json[rand_r(&seed) % (sizeof(base) - 1)] = (char)(1 + rand_r(&seed) % 127);
		io.stdin_fd = rand_r(&seed) % 4 ? EXEC_IO_NULL : rand_r(&seed) % 2048 - 1024;
		io.stdout_fd = rand_r(&seed) % 4 ? EXEC_IO_PIPE : rand_r(&seed) % 2048 - 1024;
		io.version = rand_r(&seed) % 8 ? EXEC_IO_VERSION : (unsigned)rand_r(&seed);
		rc = exec_container_exec(c, fx_str("p%d", i), json, &io, &p);
		CHECK(rc <= 0 && rc >= EXEC_EINTERNAL && rc != EXEC_EINTERNAL);
		if (rc == EXEC_OK) {
			exec_exit ex = EXEC_EXIT_INIT;

			exec_process_signal(p, 9);
			CHECK_OK(exec_process_wait(p, 30000, &ex));
			CHECK_OK(exec_process_delete(p));
		}
		exec_process_free(p);

		opts.version = (unsigned)rand_r(&seed) % 4;
		opts.root = root;
		opts.timeout_ms = rand_r(&seed) % 3 - 1;
		rc = exec_runtime_new(&opts, &r2);
		CHECK(rc == EXEC_OK || rc == EXEC_EINVAL);
		exec_runtime_free(r2);
	}
	CHECK_OK(exec_container_delete(c, 1));
	exec_container_free(c);
	before.runc_containers--;
	before.state_dirs--;
	before.monitor_children--;
	NOTHING_LEFT(&before, root, NULL);
}

const test_case stress_tests[] = {
	{ "stress.sequential", sequential },
	{ "stress.threads32", threads32 },
	{ "stress.fleet", fleet },
	{ "stress.fd_limit", fd_limit },
	{ "stress.broken_runtimes", broken_runtimes },
	{ "stress.full_root", full_root },
	{ "stress.corrupt_state", corrupt_state },
	{ "stress.fuzz", fuzz },
	{ NULL, NULL },
};
