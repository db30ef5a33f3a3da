/*
 * agent.c - a container's resident exec agent (see agent.h).
 *
 * Started by the runtime's exec as the container's own process would be
 * (its namespaces, cgroup, LSM label, seccomp filter, capabilities, user),
 * with its executable as fd 3 and its socket as fd 4. For each START it
 * clones, with CLONE_PARENT, a process that is its parent's child (the
 * monitor's, which reaps and records it like any exec'd process); sharing
 * the agent's memory until its exec (posix_spawn's way, no page tables
 * copied; the agent waits meanwhile), the process applies stdio or a
 * terminal, rlimits and cwd, and
 * hands the library its pidfd and its go and status pipes itself: the
 * program runs only once the library, having taken the process over, says
 * so. It holds nothing the
 * container's process does not: it is that process, non-dumpable, serving
 * one request at a time, and it exits when its socket closes.
 *
 * Built static (it runs on the container's rootfs, whatever libc that has)
 * and embedded into the library beside the monitor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_GROUPS 65536
#define MAX_ARGS 65536

/* A parsed START. */
struct request {
	char **argv, **env, **rlimits;
	const char *cwd;
	char *home; /* the HOME entry added to env, or NULL */
};

static char buf[AGENT_MAX_MSG];

/* Send m with up to four fds; false when the library is gone. */
static bool send_msg(struct agent_msg *m, const int *fds, int nfds)
{
	m->version = AGENT_PROTO_VERSION;
	struct iovec iov = { m, sizeof(*m) };
	union {
		char b[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	for (;;) {
		if (sendmsg(AGENT_SOCK_FD, &mh, MSG_NOSIGNAL) >= 0)
			return true;
		if (errno != EINTR)
			return false;
	}
}

/* Receive one packet into buf with up to 3 fds (close-on-exec); its length,
 * 0 when the library closed its end. */
static ssize_t recv_msg(int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
	                     .msg_controllen = sizeof(u.b) };
	ssize_t n;
	do
		n = recvmsg(AGENT_SOCK_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < 3)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (n < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		_exit(1);
	buf[n] = 0;
	return n;
}

/* The next list of the strings area at *p (up to end), NULL-terminated;
 * NULL when malformed. */
static char **next_list(char **p, char *end)
{
	size_t n = 0, cap = 8;
	char **v = malloc(cap * sizeof(*v));
	for (;;) {
		if (!v || *p >= end || n >= MAX_ARGS)
			return free(v), NULL;
		char *s = *p;
		size_t len = strnlen(s, (size_t)(end - s));
		if (s + len >= end)
			return free(v), NULL;
		*p = s + len + 1;
		if (!len)
			break;
		if (n + 1 >= cap) {
			char **w = realloc(v, (cap *= 2) * sizeof(*v));
			if (!w)
				return free(v), NULL;
			v = w;
		}
		v[n++] = s;
	}
	v[n] = NULL;
	return v;
}

/* The runtime gives a process without HOME the user's home: the agent,
 * which is the container's user, has it. */
static bool add_home(struct request *r)
{
	const char *home = getenv("HOME");
	size_t n = 0;
	for (; r->env[n]; n++)
		if (!strncmp(r->env[n], "HOME=", 5))
			return true;
	if (!home)
		return true;
	char **env = realloc(r->env, (n + 2) * sizeof(*env));
	char *entry = malloc(strlen(home) + 6);
	if (!env || !entry)
		return free(entry), false;
	strcat(strcpy(entry, "HOME="), home);
	env[n] = entry;
	env[n + 1] = NULL;
	r->env = env;
	r->home = entry;
	return true;
}

static bool parse(char *p, char *end, struct request *r)
{
	r->argv = next_list(&p, end);
	r->env = r->argv ? next_list(&p, end) : NULL;
	if (!r->env || p >= end || !r->argv[0])
		return false;
	r->cwd = p;
	p += strnlen(p, (size_t)(end - p));
	if (p >= end)
		return false;
	p++;
	r->rlimits = next_list(&p, end);
	return r->rlimits != NULL && add_home(r);
}

static void free_request(struct request *r)
{
	free(r->argv);
	free(r->env);
	free(r->home);
	free(r->rlimits);
}

static void report(int fd, int stage, int err)
{
	struct agent_status s = { stage, err };
	ssize_t n;
	do
		n = write(fd, &s, sizeof(s));
	while (n < 0 && errno == EINTR);
}

static bool set_rlimits(char **rlimits)
{
	for (char **l = rlimits; *l; l++) {
		unsigned long long res, soft, hard;
		if (sscanf(*l, "%llu %llu %llu", &res, &soft, &hard) != 3) {
			errno = EINVAL;
			return false;
		}
		struct rlimit rl = { (rlim_t)soft, (rlim_t)hard };
		if (setrlimit((int)res, &rl) < 0)
			return false;
	}
	return true;
}

static bool executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return false;
	}
	return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

/* The program to exec for name, found on the PATH of env as the runtime
 * finds it, into out (PATH_MAX bytes); false with errno when there is none.
 * It allocates nothing: it runs in the process, which shares the agent's
 * memory until its exec. */
static bool lookup(const char *name, char **env, char *out)
{
	if (strchr(name, '/')) {
		if (strlen(name) >= PATH_MAX) {
			errno = ENAMETOOLONG;
			return false;
		}
		strcpy(out, name);
		return executable(out);
	}
	const char *path = DEFAULT_PATH;
	for (char **e = env; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	int err = ENOENT;
	for (const char *p = path;; p++) {
		const char *colon = strchrnul(p, ':');
		int dl = (int)(colon - p);
		int n = snprintf(out, PATH_MAX, "%.*s/%s", dl ? dl : 1, dl ? p : ".", name);
		if (n > 0 && n < PATH_MAX) {
			if (executable(out))
				return true;
			if (errno == EACCES)
				err = EACCES;
		}
		if (!*colon)
			break;
		p = colon;
	}
	errno = err;
	return false;
}

/* One START's process, shared with the agent while the process runs on
 * its own stack (CLONE_VM): the agent waits, touching none of it, until
 * the process execs or exits, and then reads what it left here. */
struct spawn {
	const struct agent_msg *m;
	struct request *r;
	const int *fds;
	volatile int stage, err; /* where the process failed before READY */
	volatile bool replied;   /* it sent its READY */
};

/* The process's stack: one process at a time uses it, the agent waiting
 * meanwhile. */
static char spawn_stack[64 * 1024] __attribute__((aligned(16)));

/* The process: make its pipes (and pty), apply the request, send READY
 * itself, wait for go, exec. Its pipes are made here, not in the agent,
 * so that the waiting agent holds no end of them. It is the agent's
 * user with the agent's capabilities: a process of another user or
 * privilege goes through the runtime. A failure before READY is left in
 * the spawn for the agent to report, one after it is written to the
 * status pipe; either ends it with 127 before anything of the program ran. */
static int spawned(void *arg)
{
	struct spawn *s = arg;
	const struct agent_msg *m = s->m;
	bool terminal = m->flags & AGENT_TERMINAL;
	int master = -1, slave = -1, st[2], go[2], pidfd;
	char path[PATH_MAX];
#define FAIL(stage_)                      \
	do {                              \
		s->err = errno;           \
		s->stage = (stage_);      \
		_exit(127);               \
	} while (0)
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (terminal) {
		master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		int unlock = 0;
		if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
		    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			FAIL(AGENT_STAGE_TERMINAL);
		if (m->rows && m->cols) {
			struct winsize ws = { .ws_row = (unsigned short)m->rows,
			                      .ws_col = (unsigned short)m->cols };
			ioctl(master, TIOCSWINSZ, &ws);
		}
	}
	/* Before the rlimits, which may leave no room for another fd. */
	if (pipe2(st, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		FAIL(AGENT_STAGE_FORK);
	if ((pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
		FAIL(AGENT_STAGE_PIDFD);
	setsid();
	if (terminal) {
		if (ioctl(slave, TIOCSCTTY, 0) < 0)
			FAIL(AGENT_STAGE_TERMINAL);
		for (int i = 0; i < 3; i++)
			if (dup2(slave, i) < 0)
				FAIL(AGENT_STAGE_STDIO);
	} else {
		for (int i = 0; i < 3; i++)
			if (dup2(s->fds[i], i) < 0)
				FAIL(AGENT_STAGE_STDIO);
	}
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (!set_rlimits(s->r->rlimits))
		FAIL(AGENT_STAGE_RLIMITS);
	if (*s->r->cwd && chdir(s->r->cwd) < 0)
		FAIL(AGENT_STAGE_CWD);
	if (!lookup(s->r->argv[0], s->r->env, path))
		FAIL(AGENT_STAGE_LOOKUP);
#undef FAIL
	struct agent_msg ready = { .type = AGENT_READY, .pid = getpid() };
	int out_fds[4] = { pidfd, go[1], st[0], master };
	/* Marked before it is sent: once the library has it, the process
	 * may be killed at any instant, and the agent must not answer for it
	 * again. Killed before it sent (only the container's own code knows
	 * its pid then), it leaves the library to its deadline, as a stopped
	 * agent does. */
	s->replied = true;
	if (!send_msg(&ready, out_fds, terminal ? 4 : 3)) {
		s->replied = false;
		_exit(127);
	}
	close(AGENT_SOCK_FD);
	close(pidfd);
	close(go[1]);
	close(st[0]);
	char c;
	ssize_t n;
	do
		n = read(go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
	execve(path, s->r->argv, s->r->env);
	report(st[1], AGENT_STAGE_EXEC, errno);
	_exit(127);
}

static void fail(int stage, int err)
{
	struct agent_msg r = { .type = AGENT_READY, .err = err ? err : EIO, .stage = stage };
	if (!send_msg(&r, NULL, 0))
		_exit(0);
}

/* Serve one START, whose fds it closes: the process it makes, with
 * CLONE_PARENT a sibling of the agent (a child of the monitor, which reaps
 * and records it like any exec'd process), answers READY itself; the agent
 * answers only when the process could not be made or ended before its
 * READY. The agent closes its copies of the request's fds at once (the
 * process has its own), then waits on a close-on-exec pipe for the
 * process's exec or end, posix_spawn's way: no stream of the process stays
 * open here should code in the container stop the agent. */
static void serve(const struct agent_msg *m, char *strings, char *end, int *fds, int nfds)
{
	struct request r = { 0 };
	int done[2] = { -1, -1 };
	if (!parse(strings, end, &r) || (!(m->flags & AGENT_TERMINAL) && nfds != 3)) {
		fail(AGENT_STAGE_REQUEST, EINVAL);
	} else if (pipe2(done, O_CLOEXEC) < 0) {
		fail(AGENT_STAGE_FORK, errno);
	} else {
		struct spawn s = { .m = m, .r = &r, .fds = fds };
		pid_t pid = clone(spawned, spawn_stack + sizeof(spawn_stack),
		                  CLONE_VM | CLONE_PARENT | SIGCHLD, &s);
		int err = errno;
		close(done[1]);
		for (; nfds > 0; nfds--)
			close(fds[nfds - 1]);
		if (pid < 0) {
			fail(AGENT_STAGE_FORK, err);
		} else {
			char c;
			while (read(done[0], &c, 1) < 0 && errno == EINTR)
				;
			if (!s.replied)
				fail(s.stage ? s.stage : AGENT_STAGE_FORK, s.stage ? s.err : EIO);
		}
		close(done[0]);
	}
	for (; nfds > 0; nfds--)
		close(fds[nfds - 1]);
	free_request(&r);
}

int main(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close(AGENT_EXE_FD);
	syscall(SYS_close_range, AGENT_SOCK_FD + 1, ~0U, 0);
	if (fcntl(AGENT_SOCK_FD, F_SETFD, FD_CLOEXEC) < 0)
		return 1;
	for (;;) {
		int fds[3], nfds;
		ssize_t n = recv_msg(fds, &nfds);
		if (n == 0)
			return 0;
		struct agent_msg m;
		if ((size_t)n < sizeof(m))
			return 1;
		memcpy(&m, buf, sizeof(m));
		if (m.version != AGENT_PROTO_VERSION || m.type != AGENT_START)
			return 1;
		serve(&m, buf + sizeof(m), buf + n, fds, nfds);
	}
}
