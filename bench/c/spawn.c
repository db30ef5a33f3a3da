/*
 * spawn.c - running the runtime CLI and the workers: posix_spawn (a vfork,
 * as cheap as a program can start another), per-pid waits only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

void wait_gone(pid_t pid)
{
	long long deadline = now_ns() + 10LL * 1000000000LL;
	int status;

	while (kill(pid, 0) == 0 || errno != ESRCH) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		if (now_ns() > deadline)
			die("pid %d is still there after 10 s", (int)pid);
		usleep(50);
	}
}

static int exit_code(int status)
{
	if (status < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Spawn argv with stdin on /dev/null, stdout on out_fd (-1: /dev/null) and
 * stderr appended to the work dir's spawn.log, or left as ours. */
static pid_t spawn(const char *const *argv, int out_fd, int keep_stderr)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	char log[PATH_MAX];
	pid_t pid;
	int rc;

	pathf(log, sizeof(log), "%s/spawn.log", cfg.work);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!keep_stderr)
		posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_APPEND | O_CREAT, 0644);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "bench: spawn %s: %s\n", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

pid_t spawn_out(const char *const *argv, int out_fd)
{
	return spawn(argv, out_fd, 0);
}

int run_cmd(const char *const *argv)
{
	pid_t pid = spawn(argv, -1, 0);

	return pid < 0 ? -1 : exit_code(reap(pid));
}

int run_child(const char *const *argv)
{
	pid_t pid = spawn(argv, -1, 1);

	return pid < 0 ? -1 : exit_code(reap(pid));
}

int run_capture(const char *const *argv, char *buf, size_t len)
{
	int fds[2];
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = spawn(argv, fds[1], 0);
	close(fds[1]);
	while (pid >= 0 && (n = read(fds[0], buf + used, len - 1 - used)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		used += (size_t)n;
		if (used == len - 1)
			break;
	}
	buf[used] = '\0';
	close(fds[0]);
	return pid < 0 ? -1 : exit_code(reap(pid));
}

pid_t read_pid_file(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

/* ---- Workers -------------------------------------------------------- */

int worker_start(worker *w, const char *name, const char *const *argv, const char *runtime,
                 int library)
{
	const char *full[32];
	int to[2], from[2], i, n = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->pid = -1;
	make_root(library ? NULL : runtime, name, w->root, sizeof(w->root));
	if (library) {
		char runtime_root[PATH_MAX];

		pathf(runtime_root, sizeof(runtime_root), "%s/runc", w->root);
		track_root(runtime, runtime_root);
	}
	for (i = 0; argv[i] && n < 24; i++)
		full[n++] = argv[i];
	full[n++] = "--serve";
	full[n++] = "--root";
	full[n++] = w->root;
	full[n++] = "--runtime";
	full[n++] = runtime;
	full[n] = NULL;
	if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to[0], 0);
	posix_spawn_file_actions_adddup2(&fa, from[1], 1);
	rc = posix_spawnp(&pid, full[0], &fa, NULL, (char *const *)full, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(to[0]);
	close(from[1]);
	if (rc != 0) {
		close(to[1]);
		close(from[0]);
		fprintf(stderr, "bench: cannot start the %s worker (%s): %s\n", name, full[0], strerror(rc));
		return -1;
	}
	w->pid = pid;
	w->to = fdopen(to[1], "w");
	w->from = fdopen(from[0], "r");
	if (!w->to || !w->from)
		die("fdopen: %s", strerror(errno));
	return 0;
}

int worker_ask(worker *w, double *value, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (w->pid < 0)
		return -1;
	va_start(ap, fmt);
	vfprintf(w->to, fmt, ap);
	va_end(ap);
	fputc('\n', w->to);
	fflush(w->to);
	if (!fgets(line, sizeof(line), w->from)) {
		fprintf(stderr, "bench: the %s worker closed its output\n", w->name);
		return -1;
	}
	line[strcspn(line, "\n")] = '\0';
	w->lost = strstr(line, " lost") != NULL;
	w->nextra = 0;
	if (strncmp(line, "ok", 2) == 0) {
		char *p = line + 2, *end;
		double v = strtod(p, &end);

		if (value)
			*value = v;
		for (p = end; w->nextra < 2; p = end) {
			v = strtod(p, &end);
			if (end == p)
				break;
			w->extra[w->nextra++] = v;
		}
		return 0;
	}
	fprintf(stderr, "bench: the %s worker answered: %s\n", w->name, line);
	return -1;
}

void worker_stop(worker *w)
{
	if (w->pid < 0 || !w->to)
		return;
	fputs("quit\n", w->to);
	fflush(w->to);
	fclose(w->to);
	fclose(w->from);
	reap(w->pid);
	w->pid = -1;
	w->to = w->from = NULL;
}
