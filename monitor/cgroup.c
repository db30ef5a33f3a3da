/*
 * cgroup.c - the monitor's own cgroup.
 *
 * A service manager stops a host by killing its cgroup (systemd's
 * KillMode=control-group, cgroup.kill), and an OOM group kill takes the
 * whole cgroup: a monitor left there would die with its host and take
 * every exit of the root with it. So the monitor moves, as conmon does,
 * into <parent of the host's cgroup>/libexecution-monitor-<key> in each
 * hierarchy, and back out when it exits, removing it. A monitor killed
 * before it could leaves its cgroup behind: the next monitor that starts
 * beside it removes it once it is empty.
 *
 * Moving a process between cgroups takes the kernel's cgroup threadgroup
 * lock for writing, which first waits an RCU grace period (5 to 20 ms on
 * an idle machine) unless another move ended within about one grace
 * period. So a thread of the monitor makes its moves: the escape, while
 * the monitor already answers (it starts no process and answers no WHERE
 * before the escape is done); then, as the monitor spawns a runtime's
 * create or exec, which moves its process into the container's cgroups
 * some milliseconds after it starts and would pay that wait then, with the
 * container's init waiting on it, a move of the monitor into the cgroup it
 * is in already (cgroup_prime): the wait elapses while the runtime starts,
 * and the runtime's own move finds it passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"

#define MAX_HIERARCHIES 16
/* How old an empty monitor cgroup must be to be taken for a leftover
 * whatever its name's pid says (its monitor's pid namespace may not be
 * this one). */
#define LEFTOVER_AGE_S 60

/* One hierarchy the monitor moved in: its cgroup there and the host's. */
struct placed {
	char *own;
	char *home;
};
static struct placed placed[MAX_HIERARCHIES];
static int nplaced;

/* The mover thread's state, under move_mu: escaped once its escape is
 * done; prime_fd the cgroup.procs file it primes through (-1: none, or
 * priming failed or stopped); priming while it writes it. */
static pthread_mutex_t move_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t move_cv = PTHREAD_COND_INITIALIZER;
static bool escaped, prime_wanted, priming;
static int prime_fd = -1;

/* Write s to the file dir/name. */
static bool write_file(const char *dir, const char *name, const char *s)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s);
}

/* Read the file dir/name into buf, "" when it cannot. */
static void read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	buf[0] = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

/* Move the process into the cgroup dir. */
static bool join(const char *dir)
{
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return write_file(dir, "cgroup.procs", pid);
}

/* Whether every comma-separated item of want is among those of have. */
static bool all_in(const char *want, const char *have)
{
	size_t hl = strlen(have);
	for (const char *w = want; *w;) {
		size_t n = strcspn(w, ",");
		bool found = false;
		for (const char *h = have; h < have + hl;) {
			size_t m = strcspn(h, ",");
			if (m == n && !strncmp(h, w, n))
				found = true;
			h += m + (h[m] == ',');
		}
		if (!found)
			return false;
		w += n + (w[n] == ',');
	}
	return true;
}

/* The dir of the cgroup path of a hierarchy (v2 when controllers is ""):
 * its mount point joined with path below the mount's root; false when the
 * hierarchy is not mounted where this process sees it. */
static bool hierarchy_dir(const char *controllers, const char *path, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (!found && getline(&line, &cap, f) > 0) {
		char root[PATH_MAX], mnt[PATH_MAX], type[32], opts[512];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2 || strchr(mnt, '\\'))
			continue;
		if (*controllers ? strcmp(type, "cgroup") || !all_in(controllers, opts)
		                 : strcmp(type, "cgroup2"))
			continue;
		size_t rl = strcmp(root, "/") ? strlen(root) : 0;
		if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/'))
			continue;
		found = snprintf(out, size, "%s%s", mnt, path + rl) < (int)size;
	}
	free(line);
	fclose(f);
	return found;
}

/* The pid a monitor cgroup's name ends with, or 0. */
static pid_t name_pid(const char *name)
{
	const char *dash = strrchr(name, '-');
	char *end;
	long pid = dash ? strtol(dash + 1, &end, 10) : 0;
	return pid > 0 && pid <= INT32_MAX && !*end ? (pid_t)pid : 0;
}

/* Remove the cgroups in parent of monitors that are gone: whose pid is
 * gone, or, for a monitor of another pid namespace, made long ago. rmdir
 * leaves one that still holds a process or a cgroup; a monitor joins the
 * cgroup it made at once (and makes it again should it go meanwhile). */
static void remove_leftovers(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, CGROUP_PREFIX, strlen(CGROUP_PREFIX)))
			continue;
		pid_t pid = name_pid(e->d_name);
		struct stat st;
		bool gone = pid && kill(pid, 0) < 0 && errno == ESRCH;
		bool old = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		           time(NULL) - st.st_mtime > LEFTOVER_AGE_S;
		if (pid != getpid() && (gone || old))
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* A new v1 cpuset cgroup has no cpus and mems: give it its parent's. */
static void inherit_cpuset(const char *dir, const char *parent)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		char mine[4096], theirs[4096];
		read_file(dir, files[i], mine, sizeof(mine));
		if (mine[0] && mine[0] != '\n')
			continue;
		read_file(parent, files[i], theirs, sizeof(theirs));
		if (theirs[0])
			write_file(dir, files[i], theirs);
	}
}

/* Move into a cgroup named name beside the host's cgroup path of one
 * hierarchy; each_membership()'s fn, going on to the next. */
static bool escape_one(const char *controllers, const char *path, void *name)
{
	char home[PATH_MAX], own[PATH_MAX];
	if (!strcmp(path, "/") || strstr(path, " (deleted)") || nplaced == MAX_HIERARCHIES ||
	    !hierarchy_dir(controllers, path, home, sizeof(home)))
		return false;
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", home);
	*strrchr(parent, '/') = 0;
	if (snprintf(own, sizeof(own), "%s/%s", parent, (const char *)name) >= (int)sizeof(own))
		return false;
	remove_leftovers(parent);
	/* Another monitor's cleanup may remove it between mkdir and join. */
	bool joined = false;
	for (int try = 0; !joined && try < 3; try++) {
		if (mkdir(own, 0755) < 0 && errno != EEXIST)
			return false;
		inherit_cpuset(own, parent);
		joined = join(own);
	}
	if (!joined) {
		rmdir(own);
		return false;
	}
	placed[nplaced].own = strdup(own);
	placed[nplaced].home = strdup(home);
	if (!placed[nplaced].own || !placed[nplaced].home) {
		join(home);
		rmdir(own);
		return false;
	}
	nplaced++;
	return false;
}

/* A short key of root, so that monitors of two roots never share a name. */
static uint32_t root_key(const char *root)
{
	uint32_t h = 2166136261u;
	for (const char *p = root; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* Call fn with the controllers ("" for v2) and the path of each
 * hierarchy /proc/self/cgroup lists, until it returns true. */
static void each_membership(bool (*fn)(const char *controllers, const char *path, void *arg),
                            void *arg)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool done = false;
	while (!done && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		char *controllers = strchr(line, ':');
		char *path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (!path || path[1] != '/')
			continue;
		*path++ = 0;
		controllers++;
		if (!strcmp(line, "0") && *controllers)
			continue;
		done = fn(controllers, path, arg);
	}
	free(line);
	fclose(f);
}

/* Open the cgroup.procs file of a hierarchy's cgroup path for writing,
 * into *(int *)fd; each_membership()'s fn, done once it could. */
static bool open_procs(const char *controllers, const char *path, void *fd)
{
	char dir[PATH_MAX];
	if (strstr(path, " (deleted)") || !hierarchy_dir(controllers, path, dir, sizeof(dir)) ||
	    strlen(dir) + sizeof("/cgroup.procs") > sizeof(dir))
		return false;
	strcat(dir, "/cgroup.procs");
	*(int *)fd = open(dir, O_WRONLY | O_CLOEXEC);
	return *(int *)fd >= 0;
}

/* The cgroup.procs file of the cgroup the process is in, in the first
 * hierarchy listed that is mounted where it sees it, opened for writing;
 * -1 when none can be. */
static int open_own_procs(void)
{
	int fd = -1;
	if (nplaced) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/cgroup.procs", placed[0].own);
		return open(path, O_WRONLY | O_CLOEXEC);
	}
	each_membership(open_procs, &fd);
	return fd;
}

/* Move into a cgroup of its own beside the host's in each hierarchy. */
static void escape(const char *root)
{
	char name[64];
	snprintf(name, sizeof(name), CGROUP_PREFIX "%08x-%d", root_key(root), (int)getpid());
	each_membership(escape_one, name);
}

/* Escape, then prime whenever asked. */
static void *mover(void *arg)
{
	escape(arg);
	char pid[24];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	pthread_mutex_lock(&move_mu);
	prime_fd = open_own_procs();
	escaped = true;
	pthread_cond_broadcast(&move_cv);
	for (;;) {
		while (!prime_wanted)
			pthread_cond_wait(&move_cv, &move_mu);
		prime_wanted = false;
		if (prime_fd < 0)
			continue;
		int fd = prime_fd;
		priming = true;
		pthread_mutex_unlock(&move_mu);
		ssize_t n;
		do
			n = write(fd, pid, strlen(pid));
		while (n < 0 && errno == EINTR);
		pthread_mutex_lock(&move_mu);
		priming = false;
		if (n < 0 && prime_fd == fd) {
			close(prime_fd);
			prime_fd = -1;
		}
		pthread_cond_broadcast(&move_cv);
	}
	return NULL;
}

void cgroup_escape(const char *root)
{
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* The thread takes no signal: the monitor's SIGCHLD must stay pending
	 * for its signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, &attr, mover, (void *)root) != 0) {
		escape(root);
		escaped = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

void cgroup_escaped(void)
{
	pthread_mutex_lock(&move_mu);
	while (!escaped)
		pthread_cond_wait(&move_cv, &move_mu);
	pthread_mutex_unlock(&move_mu);
}

void cgroup_prime(void)
{
	pthread_mutex_lock(&move_mu);
	if (escaped && prime_fd >= 0) {
		prime_wanted = true;
		pthread_cond_broadcast(&move_cv);
	}
	pthread_mutex_unlock(&move_mu);
}

void cgroup_leave(void)
{
	pthread_mutex_lock(&move_mu);
	while (!escaped || priming)
		pthread_cond_wait(&move_cv, &move_mu);
	if (prime_fd >= 0)
		close(prime_fd);
	prime_fd = -1;
	pthread_mutex_unlock(&move_mu);
	for (int i = 0; i < nplaced; i++) {
		if (!join(placed[i].home)) {
			char *slash = strrchr(placed[i].own, '/');
			*slash = 0;
			bool joined = join(placed[i].own);
			*slash = '/';
			if (!joined)
				continue;
		}
		rmdir(placed[i].own);
	}
}
