/*
 * fixture.c - temp bundles and roots, ids, stream reading, /proc probes, and
 * the sweep that runs after every test.
 */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

#define MAX_TRACKED 256

/* What the running test created; guarded by `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **strings; /* grows as a test makes strings */
static size_t strings_cap;
static size_t nstrings;
static const char *dirs[MAX_TRACKED];
static size_t ndirs;
static const char *runc_roots[MAX_TRACKED];
static size_t nruncs;
static exec_runtime *runtimes[MAX_TRACKED];
static size_t nruntimes;
static unsigned long id_counter;

long long fx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void fx_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Keep `s` (malloc'ed) until the sweep. */
static const char *keep(char *s)
{
	if (s == NULL)
		return NULL;
	pthread_mutex_lock(&lock);
	if (nstrings == strings_cap) {
		size_t cap = strings_cap ? 2 * strings_cap : 1024;
		char **grown = realloc(strings, cap * sizeof(*strings));

		if (grown == NULL) {
			pthread_mutex_unlock(&lock);
			free(s);
			t_fail(__FILE__, __LINE__, "out of memory for fixture strings");
			return NULL;
		}
		strings = grown;
		strings_cap = cap;
	}
	strings[nstrings++] = s;
	pthread_mutex_unlock(&lock);
	return s;
}

const char *fx_str(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(s);
}

const char *fx_rootfs(void)
{
	const char *p = getenv("EXEC_TEST_ROOTFS");

	if (p == NULL || p[0] != '/') {
		t_fail(__FILE__, __LINE__, "EXEC_TEST_ROOTFS must be the absolute path of the busybox rootfs");
		return NULL;
	}
	return p;
}

static int track(const char **list, size_t *n, const char *s)
{
	int ok;

	pthread_mutex_lock(&lock);
	ok = *n < MAX_TRACKED;
	if (ok)
		list[(*n)++] = s;
	pthread_mutex_unlock(&lock);
	if (!ok)
		t_fail(__FILE__, __LINE__, "too many fixture objects in one test");
	return ok ? 0 : -1;
}

const char *fx_tempdir(void)
{
	char tmpl[] = "/tmp/ect-XXXXXX";
	const char *dir;

	if (mkdtemp(tmpl) == NULL) {
		t_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return NULL;
	}
	dir = keep(strdup(tmpl));
	if (dir == NULL || track(dirs, &ndirs, dir) != 0)
		return NULL;
	return dir;
}

const char *fx_id(void)
{
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = ++id_counter;
	pthread_mutex_unlock(&lock);
	return fx_str("ct-%d-%lu", (int)getpid(), n);
}

void fx_track_runc_root(const char *runc_root)
{
	track(runc_roots, &nruncs, runc_root);
}

exec_runtime *fx_runtime(exec_runtime_options *opts, const char **root)
{
	exec_runtime_options defaults = EXEC_RUNTIME_OPTIONS_INIT;
	exec_runtime *rt = NULL;
	int rc;

	if (opts == NULL)
		opts = &defaults;
	/* The suite runs again with every exec a runtime call (make test-c). */
	if (getenv("EXEC_TEST_NO_AGENT") && opts->version >= 3)
		opts->no_agent = 1;
	if (opts->root == NULL && (opts->root = fx_tempdir()) == NULL)
		return NULL;
	fx_track_runc_root(opts->runtime_root ? opts->runtime_root
	                                      : fx_str("%s/runc", opts->root));
	rc = exec_runtime_new(opts, &rt);
	if (rc != EXEC_OK) {
		t_fail_rc(__FILE__, __LINE__, "exec_runtime_new(opts, &rt)", rc, EXEC_OK,
		          exec_last_error());
		return NULL;
	}
	pthread_mutex_lock(&lock);
	if (nruntimes < MAX_TRACKED)
		runtimes[nruntimes++] = rt;
	pthread_mutex_unlock(&lock);
	if (root)
		*root = opts->root;
	return rt;
}

/*
 * Point root.path of dir/config.json at the rootfs itself: runc refuses a
 * rootfs path that goes through a symlink, so bundles share the one rootfs
 * by its absolute path instead of a `rootfs` link.
 */
static int set_root_path(const char *dir, const char *rootfs)
{
	const char *config = fx_str("%s/config.json", dir);
	char text[65536], *root, *path, *open_quote, *close_quote;
	size_t n;
	FILE *f;

	if (config == NULL || (f = fopen(config, "r")) == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if ((root = strstr(text, "\"root\"")) == NULL ||
	    (path = strstr(root, "\"path\"")) == NULL ||
	    (path = strchr(path + 6, ':')) == NULL ||
	    (open_quote = strchr(path, '"')) == NULL ||
	    (close_quote = strchr(open_quote + 1, '"')) == NULL)
		return -1;
	*open_quote = '\0';
	if ((f = fopen(config, "w")) == NULL)
		return -1;
	fprintf(f, "%s\"%s%s", text, rootfs, close_quote);
	return fclose(f) == 0 ? 0 : -1;
}

const char *fx_bundle(const char *const *argv, int terminal)
{
	const char *rootfs = fx_rootfs();
	char real[PATH_MAX];
	const char *dir;
	int rc;

	if (rootfs == NULL || (dir = fx_tempdir()) == NULL)
		return NULL;
	if (realpath(rootfs, real) == NULL) {
		t_fail(__FILE__, __LINE__, "%s: %s", rootfs, strerror(errno));
		return NULL;
	}
	rc = exec_bundle_init(dir, argv, terminal);
	if (rc != EXEC_OK) {
		t_fail_rc(__FILE__, __LINE__, "exec_bundle_init(dir, argv, terminal)", rc,
		          EXEC_OK, exec_last_error());
		return NULL;
	}
	if (set_root_path(dir, real) != 0) {
		t_fail(__FILE__, __LINE__, "cannot set root.path in %s/config.json", dir);
		return NULL;
	}
	return dir;
}

const char *fx_bundle_ext(const char *const *argv, const exec_bundle_options *opts)
{
	return fx_bundle_ext_in(NULL, argv, opts);
}

const char *fx_probe_rootfs(void)
{
	const char *p = getenv("EXEC_TEST_PROBE_ROOTFS");

	if (p == NULL || p[0] != '/' || !fx_exists(fx_str("%s/bin/probe-suid", p))) {
		t_fail(__FILE__, __LINE__, "set EXEC_TEST_PROBE_ROOTFS to the probe rootfs "
		                           "(make probe: build/probe-bundle/rootfs)");
		return NULL;
	}
	return p;
}

int fx_run_output(exec_runtime *rt, const char *id, const char *bundle, char *buf, size_t cap,
                  exec_exit *ex)
{
	exec_io io = EXEC_IO_INIT;
	exec_container *c = NULL;
	int p[2], rc;

	REQUIRE_R(pipe2(p, O_CLOEXEC) == 0, -1);
	io.stdout_fd = io.stderr_fd = p[1];
	rc = exec_container_run(rt, id, bundle, &io, &c);
	close(p[1]);
	if (rc != EXEC_OK) {
		close(p[0]);
		t_fail_rc(__FILE__, __LINE__, "exec_container_run(rt, id, bundle, &io, &c)", rc,
		          EXEC_OK, exec_last_error());
		return -1;
	}
	fx_read_all(p[0], buf, cap, 20000);
	close(p[0]);
	rc = exec_container_wait(c, 20000, ex);
	if (rc == EXEC_OK)
		rc = exec_container_delete(c, 0);
	exec_container_free(c);
	CHECK_RC_R(rc, EXEC_OK, -1);
	return 0;
}

int fx_kill_delete(exec_container *c)
{
	exec_exit ex = EXEC_EXIT_INIT;

	CHECK_RC_R(exec_container_kill(c, SIGKILL, 0), EXEC_OK, -1);
	CHECK_RC_R(exec_container_wait(c, 10000, &ex), EXEC_OK, -1);
	CHECK_RC_R(exec_container_delete(c, 0), EXEC_OK, -1);
	exec_container_free(c);
	return 0;
}

const char *fx_bundle_ext_in(const char *rootfs, const char *const *argv,
                             const exec_bundle_options *opts)
{
	const char *dir;
	int rc;

	if (rootfs == NULL)
		rootfs = fx_rootfs();
	if (rootfs == NULL || (dir = fx_tempdir()) == NULL)
		return NULL;
	if (symlink(rootfs, fx_str("%s/rootfs", dir)) != 0) {
		t_fail(__FILE__, __LINE__, "symlink rootfs: %s", strerror(errno));
		return NULL;
	}
	rc = exec_bundle_init_ext(dir, argv, opts);
	if (rc != EXEC_OK) {
		t_fail_rc(__FILE__, __LINE__, "exec_bundle_init_ext(dir, argv, opts)", rc,
		          EXEC_OK, exec_last_error());
		return NULL;
	}
	return dir;
}

const char *fx_bundle_sh(const char *script, int terminal)
{
	const char *argv[] = { "sh", "-c", script, NULL };

	return fx_bundle(argv, terminal);
}

long fx_read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	long long end = fx_now_ms() + timeout_ms;
	size_t kept = 0;
	long total = 0;
	char chunk[65536];

	if (cap > 0)
		buf[0] = '\0';
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = end - fx_now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return -1;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 || (n < 0 && errno == EIO))
			return total;
		if (n < 0)
			return -1;
		for (ssize_t i = 0; i < n && kept + 1 < cap; i++)
			buf[kept++] = chunk[i];
		if (cap > 0)
			buf[kept] = '\0';
		total += n;
	}
}

int fx_read_until(int fd, char *buf, size_t cap, const char *needle, int timeout_ms)
{
	long long end = fx_now_ms() + timeout_ms;
	size_t len = strlen(buf);

	while (strstr(buf, needle) == NULL) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = end - fx_now_ms();
		ssize_t n;

		if (left <= 0 || len + 1 >= cap)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return 0;
}

int fx_write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int fx_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int tree_entries;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		tree_entries++;
	return 0;
}

int fx_count_tree(const char *path)
{
	int n;

	pthread_mutex_lock(&lock);
	tree_entries = 0;
	nftw(path, count_entry, 16, FTW_PHYS);
	n = tree_entries;
	pthread_mutex_unlock(&lock);
	return n;
}

int fx_count_fds(void)
{
	/* Minus the fd opendir() itself uses. */
	return fx_count_dir("/proc/self/fd") - 1;
}

int fx_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* State and parent of a process from /proc/<pid>/stat; -1 if gone. */
static int proc_stat(int pid, char *state, int *ppid)
{
	char path[64], line[1024];
	FILE *f;
	char *p;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	p = strrchr(line, ')');
	if (p == NULL || sscanf(p + 1, " %c %d", state, ppid) != 2)
		return -1;
	return 0;
}

int fx_ppid(int pid)
{
	char state;
	int ppid;

	return proc_stat(pid, &state, &ppid) == 0 ? ppid : -1;
}

int fx_monitor_of(const char *root)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = -1;

	if (d == NULL)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		char cmdline[PATH_MAX + 64];
		int pid = atoi(e->d_name);
		FILE *f;
		size_t n;

		if (pid <= 0 || !fx_is_monitor(pid))
			continue;
		f = fopen(fx_str("/proc/%d/cmdline", pid), "re");
		if (f == NULL)
			continue;
		n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
		fclose(f);
		cmdline[n] = '\0';
		if (n > strlen(cmdline) + 1 && strcmp(cmdline + strlen(cmdline) + 1, root) == 0)
			found = pid;
	}
	closedir(d);
	return found;
}

int fx_is_monitor(int pid)
{
	char comm[64] = "";
	FILE *f = fopen(fx_str("/proc/%d/comm", pid), "re");
	int ok = f && fgets(comm, sizeof(comm), f) && strcmp(comm, "exec-monitor\n") == 0;

	if (f)
		fclose(f);
	return ok;
}

long fx_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int fx_count_children(int *zombies)
{
	return fx_children_of((int)getpid(), zombies);
}

int fx_children_of(int parent, int *zombies)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int live = 0, dead = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char state;
		int pid = atoi(e->d_name), ppid;

		if (pid <= 0 || proc_stat(pid, &state, &ppid) != 0 || ppid != parent)
			continue;
		if (state == 'Z')
			dead++;
		else
			live++;
	}
	closedir(d);
	if (zombies)
		*zombies = dead;
	return live;
}

int fx_wait_child(pid_t pid, int timeout_ms, int *status)
{
	long long end = fx_now_ms() + timeout_ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (fx_now_ms() > end)
			return -1;
		fx_sleep_ms(10);
	}
}

int fx_command(const char *const *argv, char *out, size_t cap)
{
	posix_spawn_file_actions_t fa;
	int p[2], status;
	pid_t pid;
	char sink[4096];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (out == NULL) {
		out = sink;
		cap = sizeof(sink);
	}
	fx_read_all(p[0], out, cap, 30000);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int fx_child(const char *mode, const char *root, const char *id, const char *bundle)
{
	char self[PATH_MAX], out[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;

	CHECK_R(n > 0, -1);
	self[n] = '\0';
	const char *argv[] = { self, mode, root, id, bundle, NULL };
	status = fx_command(argv, out, sizeof(out));
	if (status != 0) {
		t_fail(__FILE__, __LINE__, "%s %s exited %d: %s", self, mode, status, out);
		return -1;
	}
	return 0;
}

/* The ids runc lists under runc_root, one per line, into out. */
static int runc_list(const char *runc_root, char *out, size_t cap)
{
	const char *argv[] = { "runc", "--root", runc_root, "list", "-q", NULL };

	out[0] = '\0';
	if (!fx_exists(runc_root))
		return 0;
	return fx_command(argv, out, cap) == 0 ? 0 : -1;
}

int fx_runc_count(const char *runc_root)
{
	char out[65536];
	int n = 0;

	if (runc_list(runc_root, out, sizeof(out)) != 0)
		return -1;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
		n++;
	return n;
}

void fx_snap(fx_snapshot *s, const char *root, const char *runc_root)
{
	char path[PATH_MAX];
	int zombies = 0;

	snprintf(path, sizeof(path), "%s/containers", root);
	s->children = fx_count_children(NULL);
	s->state_dirs = fx_count_dir(path);
	if (runc_root == NULL) {
		snprintf(path, sizeof(path), "%s/runc", root);
		runc_root = path;
	}
	s->runc_containers = fx_runc_count(runc_root);
	s->fds = fx_count_fds();
	s->monitor_children = fx_children_of(fx_monitor_of(root), &zombies);
	s->monitor_children += zombies;
}

int fx_nothing_left(const char *file, int line, const fx_snapshot *before,
                    const char *root, const char *runc_root, const char *id, int fds)
{
	fx_snapshot now;
	char path[PATH_MAX];

	/* A failed call's helper processes may take a moment to be reaped. */
	for (int i = 0; i < 100; i++) {
		fx_snap(&now, root, runc_root);
		if (now.children <= before->children && (!fds || now.fds <= before->fds) &&
		    now.monitor_children <= before->monitor_children)
			break;
		fx_sleep_ms(20);
	}
	if (now.children != before->children) {
		t_fail(file, line, "children: %d before, %d after",
		       before->children, now.children);
		return -1;
	}
	if (now.monitor_children != before->monitor_children) {
		t_fail(file, line, "children of the monitor: %d before, %d after (a runc init left?)",
		       before->monitor_children, now.monitor_children);
		return -1;
	}
	if (now.runc_containers < 0) {
		t_fail(file, line, "runc list failed: cannot tell what is left");
		return -1;
	}
	if (now.state_dirs != before->state_dirs) {
		t_fail(file, line, "state dirs under %s/containers: %d before, %d after", root,
		       before->state_dirs, now.state_dirs);
		return -1;
	}
	if (now.runc_containers != before->runc_containers) {
		t_fail(file, line, "runc containers: %d before, %d after",
		       before->runc_containers, now.runc_containers);
		return -1;
	}
	if (fds && now.fds > before->fds) {
		t_fail(file, line, "open fds: %d before, %d after", before->fds, now.fds);
		return -1;
	}
	if (id && id[0] && strchr(id, '/') == NULL && strcmp(id, ".") != 0 &&
	    strcmp(id, "..") != 0 && strlen(id) < 256) {
		snprintf(path, sizeof(path), "%s/containers/%s", root, id);
		if (fx_exists(path)) {
			t_fail(file, line, "%s is left behind", path);
			return -1;
		}
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void sweep_runc_root(const char *runc_root)
{
	char out[65536];

	if (runc_list(runc_root, out, sizeof(out)) != 0)
		return;
	for (char *id = strtok(out, "\n"); id; id = strtok(NULL, "\n")) {
		const char *argv[] = { "runc", "--root", runc_root, "delete", "--force", id, NULL };

		fx_command(argv, NULL, 0);
	}
}

void fx_sweep(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nruntimes; i++)
		exec_runtime_free(runtimes[i]);
	for (size_t i = 0; i < nruncs; i++)
		sweep_runc_root(runc_roots[i]);
	for (size_t i = ndirs; i-- > 0;)
		nftw(dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < nstrings; i++)
		free(strings[i]);
	nruntimes = nruncs = ndirs = nstrings = 0;
	pthread_mutex_unlock(&lock);
}

void *fx_wait_forever(void *arg)
{
	fx_waiter *w = arg;

	exec_exit_init(&w->ex, EXEC_EXIT_VERSION);
	w->rc = exec_container_wait(w->c, -1, &w->ex);
	return NULL;
}

/* Write s to the existing file path; 0 or -1. */
static int write_existing(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc = fd >= 0 && fx_write_all(fd, s) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

int fx_run_and_kill_host(const char *mode, const char *root, const char *id,
                         const char *bundle, const char *cgroup)
{
	char self[PATH_MAX], line[64] = "";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int p[2], status;
	pid_t pid;

	CHECK_R(n > 0 && pipe2(p, O_CLOEXEC) == 0, -1);
	self[n] = '\0';
	pid = fork();
	CHECK_R(pid >= 0, -1);
	if (pid == 0) {
		if (cgroup && write_existing(fx_str("%s/cgroup.procs", cgroup), "0") < 0)
			_exit(126);
		dup2(p[1], 1);
		execl(self, self, mode, root, id, bundle, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = fx_read_until(p[0], line, sizeof(line), "ready", 20000);
	close(p[0]);
	if (cgroup == NULL || write_existing(fx_str("%s/cgroup.kill", cgroup), "1") < 0)
		kill(pid, SIGKILL);
	fx_wait_child(pid, 5000, &status);
	if (n != 0) {
		t_fail(__FILE__, __LINE__, "%s did not get ready: %s", mode, line);
		return -1;
	}
	return 0;
}
