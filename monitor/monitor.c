/*
 * monitor.c - execution-monitor, the process that spawns the OCI runtime
 * and reaps containers for libexecution.
 *
 * One monitor serves one library root, for every library process using it.
 * The library starts it with the root as argv[1] and a listening unix
 * socket (SOCK_SEQPACKET, bound at <root>/monitor.sock) as fd 3. It leaves
 * its starter at once (fork, setsid), so it is no child of the host (the
 * library starts it as a sibling of a subreaper host), and
 * makes itself a child subreaper: the runtime calls it spawns, and the
 * container inits and exec'd processes they start, are its children. It
 * reaps every child, writes the exit record of each process the library
 * claimed, and tells every connection. It is also the hub of the root's
 * events: it publishes each runtime call's lifecycle step as the call
 * succeeds, each exit as it reaps it, and each OOM kill its watch of a
 * container's memory cgroup sees, in one order, to every connection that
 * subscribed. It exits once it has no connection,
 * no claimed process and no call left, under <root>/monitor.lock so that a
 * library process connecting at that moment never finds it gone.
 *
 * It starts clean, as tini and conmon do: every inherited fd but the
 * socket closed, its fd limit raised to the hard limit, its OOM score
 * lowered, and in a cgroup of its own beside its host's (cgroup.c: a
 * thread moves it there, and primes the runtime's moves). Each runtime
 * call runs as its caller would run it: in the mount namespace, with the
 * limits, umask and OOM score adjustment of the process that sent the
 * SPAWN (caller_context). Nothing a client sends can
 * block its loop: files a client names are opened without blocking and
 * only when regular, an exec is waited for through the poll loop, and each
 * connection's queue of broadcasts is bounded. Out of fds, the request
 * that needed one fails; exit records are still written (a reserve fd).
 *
 * Run as `execution-monitor --hold` it only waits for its stdin to close
 * (hold).
 *
 * The messages are in protocol.h. One poll loop; threads only sync exit
 * records (sync_later) and move the monitor between cgroups (cgroup.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "protocol.h"

#define LISTEN_FD 3
/* Exits of unclaimed children kept for a later claim. */
#define GONE_RING 256
/* How long an idle monitor waits between tries to take the lock. */
#define IDLE_RETRY_MS 20
/* How often, and how many times, an OOM counter is read again after a
 * notification that came before the kill was counted. */
#define OOM_RETRY_MS 10
#define OOM_RETRIES 100
/* How long accepting pauses when no fd is left for a connection. */
#define ACCEPT_PAUSE_MS 50
/* How long a call's process group may outlive its leader before its exit
 * is told all the same, and how often it is looked at meanwhile. */
#define LINGER_MS 2000
#define LINGER_POLL_MS 5
/* How long exit records wait to be synced together, and how many may
 * wait (one more is synced in the loop). */
#define SYNC_DELAY_MS 100
#define SYNC_QUEUE 65536
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* A packet waiting for its connection to drain. */
struct packet {
	struct packet *next;
	size_t len;
	bool counted; /* an EXIT or EVENT, counted against the queue's bound */
	char data[];
};

struct client {
	int fd;
	int pidfd; /* the peer process, from HELLO on; -1 where unknown */
	pid_t pid; /* its pid, which the pidfd keeps from naming another */
	uint64_t id;
	struct packet *head, *tail; /* unsent packets, oldest first */
	size_t queued;              /* bytes of EXIT and EVENT packets in it */
	uint64_t dropped;           /* those dropped since the last overflow note */
	bool subscribed;            /* gets the root's events */
	bool refused;               /* confined otherwise than the monitor */
};

/* A runtime call: a SPAWN, or a cleanup of the monitor's own (client 0). */
struct call {
	pid_t pid;
	int errfd; /* until its exec is settled: errno or EOF comes here */
	uint64_t client;
	uint64_t seq;
	int64_t events;  /* a mask of 1 << MON_EV_*, published at success */
	char *container; /* whom those events are about */
	char *process;
	char *remove;    /* a dir to remove once it exited, or NULL */
	/* Its leader exited with wstatus; its process group (a runtime it
	 * killed, a runtime's helper) is waited for until linger_until. */
	bool lingering;
	int wstatus;
	int64_t linger_until;
};

/* A guarded SPAWN: what to undo if its connection ends before it settled. */
struct guard {
	uint64_t client;
	uint64_t seq;
	pid_t pid;       /* the call, while it runs; 0 once it exited */
	char *cleanup;   /* argv list then env list */
	size_t cleanup_len;
	char *container;
	char *dir;
	bool armed;      /* its connection ended: undo once the call exited */
};

/* A process the library claimed. */
struct claim {
	pid_t pid;
	uint64_t start;
	uint64_t owner;
	int flags;
	char *exit_path;
	char *oom_file; /* its cgroup's OOM counter, or "" */
	uint64_t oom_base;
	char *cleanup; /* argv list then env list, as in the message */
	size_t cleanup_len;
	char *container; /* its exit event's ids; container "" for none */
	char *process;
	/* A container's memory cgroup watched for OOM kills: its counter file
	 * open (polled for POLLPRI on v2), and on v1 the eventfd registered
	 * for it; -1 when not watched. oom_seen is the count last published. */
	int oom_fd;
	int oom_efd;
	uint64_t oom_seen;
	/* Looks left at the counter after a notification: v1 notifies as the
	 * OOM starts, before its kill is counted. */
	int oom_retries;
	/* Once it exited, before it is reaped: whether the OOM killer ended
	 * it, and why its record could not be written (0 when it was). */
	bool recorded;
	bool oom_killed;
	int record_err;
};

/* An exit event, and the EXIT message that follows it, held back until the
 * start of its container is published. */
struct held {
	struct mon_msg exit;
	bool has_exit;
	int type;
	pid_t pid;
	int wstatus;
	bool oom;       /* the exit tells an OOM kill */
	bool oom_event; /* and no OOM event told it yet */
	char *container;
	char *process;
};

/* A START in flight: the container's init released through the runtime's
 * exec fifo, whose byte is read, then its end (the init's exec closes it). */
struct start {
	uint64_t client;
	uint64_t seq;
	pid_t pid;     /* the container's init, claimed */
	int fd;        /* the fifo's read end */
	bool released; /* the init's byte was read */
	char *fifo;
	char *container;
};

/* A reaped child, kept for a claim that comes after its exit. */
struct gone {
	pid_t pid;
	uint64_t start;
	int wstatus;
	bool claimed;
};

static struct client *clients;
static size_t nclients;
static uint64_t next_client_id = 1;
static struct call *calls;
static size_t ncalls;
static struct claim *claims;
static size_t nclaims;
static struct gone gone[GONE_RING];
static size_t gone_next;
static struct held *helds;
static size_t nhelds;
static struct guard *guards;
static size_t nguards;
static struct start *starts;
static size_t nstarts;

static const char *sock_path;
static int lock_fd = -1;
static char msgbuf[MON_MAX_MSG];
/* An fd kept open to be given up when the fd limit is reached, so that an
 * exit record can still be written. */
static int reserve_fd = -1;
/* The fd limit the monitor found, which its children get back. */
static struct rlimit nofile;
/* When accepting may go on after it ran out of fds (CLOCK_MONOTONIC ms). */
static int64_t accept_paused_until;
/* The OOM score adjustment the monitor found, which its children get back
 * ("" when unknown), and its own: the OOM killer takes the monitor last, so
 * that an OOM kill in the host's memory cgroup never takes every exit of
 * the root with it. */
static char oom_adj_found[16];
#define MONITOR_OOM_SCORE_ADJ "-999"
/* The monitor's own mount namespace, whose callers' calls need no setns. */
static struct stat own_mntns;

/* What confines a process and cannot follow it into a call the monitor
 * spawns: a call runs with the monitor's. */
struct confinement {
	char seccomp[8];  /* its mode, from /proc/<pid>/status */
	char filters[16]; /* the number of seccomp filters on it */
	char nnp[8];      /* no_new_privs */
	char cap_eff[24];
	char cap_bnd[24];
	char label[256];  /* the LSM label, /proc/<pid>/attr/current */
};
static struct confinement own_confinement;

/* What a runtime call takes from its caller (see caller_context). */
struct caller_ctx {
	int mntns; /* the caller's mount namespace, or -1: the monitor's */
	struct rlimit limits[RLIM_NLIMITS];
	mode_t umask;
	char oom_adj[16];
};

/* Bytes of EXIT and EVENT packets a connection may have queued. */
static size_t queue_max = MON_QUEUE_MAX;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		_exit(111);
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

/* ---- fds ---- */

/* open(2), giving up the reserve fd once when the fd limit is reached. */
static int open_reserved(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {
		close(reserve_fd);
		reserve_fd = -1;
		fd = open(path, flags, mode);
	}
	return fd;
}

/* Take the reserve fd back once there is room for it. */
static void refill_reserve(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Open a file a client named without blocking on it: a regular file only
 * (a FIFO or device there is refused with EINVAL). */
static int open_regular(const char *path, int flags)
{
	int fd = open_reserved(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- process facts ---- */

/* The start time of pid (proc(5) field 22), or 0 if unreadable. */
static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* Field 3 follows ") "; field 22 is 19 fields further. */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

/* A wait status from a waitid result. */
static int wstatus_of(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return si->si_status & 0x7f;
	}
}

/* ---- sending ---- */

static struct client *client_by_id(uint64_t id)
{
	for (size_t i = 0; i < nclients; i++)
		if (clients[i].id == id)
			return &clients[i];
	return NULL;
}

static void enqueue(struct client *c, const void *data, size_t len, bool counted)
{
	struct packet *p = xrealloc(NULL, sizeof(*p) + len);
	p->next = NULL;
	p->len = len;
	p->counted = counted;
	memcpy(p->data, data, len);
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	if (counted)
		c->queued += len;
}

/* Send what waits for c; false when the connection is broken. Once its
 * queue drained, a connection that lost messages is told how many. */
static bool flush_client(struct client *c)
{
	for (;;) {
		if (!c->head && c->dropped) {
			struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_OVERFLOW,
			                     .count = c->dropped };
			c->dropped = 0;
			enqueue(c, &m, sizeof(m), false);
		}
		struct packet *p = c->head;
		if (!p)
			return true;
		ssize_t n = send(c->fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
			return true;
		if (n < 0)
			return false;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		if (p->counted)
			c->queued -= p->len;
		free(p);
	}
}

/* Queue a packet for c and send what can be sent now, in order. A
 * broadcast (an EXIT or EVENT) that would take c's queue past queue_max is
 * dropped and counted instead: a connection that does not read costs the
 * monitor a bounded amount. Replies are bounded by the requests. */
static void send_packet(struct client *c, const void *data, size_t len, bool broadcast)
{
	if (broadcast && (c->dropped || c->queued + len > queue_max)) {
		c->dropped++;
		return;
	}
	enqueue(c, data, len, broadcast);
	flush_client(c);
}

static void send_msg(struct client *c, const struct mon_msg *m)
{
	send_packet(c, m, sizeof(*m), false);
}

static struct mon_msg reply_to(const struct mon_msg *req)
{
	struct mon_msg r = { 0 };
	r.version = MON_PROTO_VERSION;
	r.type = MON_REPLY;
	r.seq = req->seq;
	r.pid = req->pid;
	return r;
}

static void reply_err(struct client *c, const struct mon_msg *req, int err)
{
	struct mon_msg r = reply_to(req);
	r.err = err;
	send_msg(c, &r);
}

/* ---- strings area ---- */

/* A cursor over the strings area of a message. */
struct strings {
	const char *p, *end;
	bool bad;
};

static const char *next_string(struct strings *s)
{
	const char *nul = s->p < s->end ? memchr(s->p, 0, (size_t)(s->end - s->p)) : NULL;
	if (!nul) {
		s->bad = true;
		return NULL;
	}
	const char *str = s->p;
	s->p = nul + 1;
	return str;
}

/* Read a list into a NULL-terminated vector of pointers into the area. */
static char **next_list(struct strings *s)
{
	char **v = NULL;
	size_t n = 0;
	for (;;) {
		const char *str = next_string(s);
		if (!str) {
			free(v);
			return NULL;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		if (!*str) {
			v[n] = NULL;
			return v;
		}
		v[n++] = (char *)str;
	}
}

/* ---- spawning ---- */

/* Steps of a spawned child that can fail before its exec, as its error
 * pipe tells them. */
enum { STEP_EXEC = 0, STEP_MNTNS = 1 };

/*
 * Fork and exec argv with env in dir, fds[i] as its fd i, in a process
 * group of its own and no other fd: with ctx, in the caller's mount
 * namespace, with its limits, umask and OOM score adjustment; without (the
 * monitor's own cleanups), with the fd limit and OOM score the monitor
 * found. Returns the pid, or -errno; *errfd gets the end of a pipe that
 * brings the errno and step of a failure, or EOF once the exec succeeded:
 * the loop never waits for an exec (a program on a stuck file system).
 */
static pid_t spawn(char **argv, char **env, const char *dir, const int *fds, int nfds,
                   const struct caller_ctx *ctx, int *errfd)
{
	int errpipe[2];
	cgroup_escaped();
	if (pipe2(errpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(errpipe[0]);
		close(errpipe[1]);
		return -err;
	}
	if (pid == 0) {
		int moved[MON_MAX_FDS];
		int step = STEP_EXEC;
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		/* Before the fds move over the namespace's fd. The monitor's root
		 * and cwd are left behind: the call resolves every path, its dir
		 * and program included, as its caller would. */
		if (ctx && ctx->mntns >= 0 && setns(ctx->mntns, CLONE_NEWNS) < 0) {
			step = STEP_MNTNS;
			goto fail;
		}
		for (int i = 0; i < nfds; i++) {
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, MON_MAX_FDS + 3);
			if (moved[i] < 0)
				goto fail;
		}
		for (int i = 0; i < nfds; i++)
			if (dup2(moved[i], i) < 0)
				goto fail;
		syscall(SYS_close_range, (unsigned)nfds, ~0U, CLOSE_RANGE_CLOEXEC);
		const char *oom_adj = oom_adj_found;
		if (ctx) {
			/* A limit above the monitor's hard one (which only a
			 * privileged monitor may raise) stays at the monitor's. */
			for (int r = 0; r < RLIM_NLIMITS; r++)
				setrlimit(r, &ctx->limits[r]);
			umask(ctx->umask);
			oom_adj = ctx->oom_adj;
		} else {
			setrlimit(RLIMIT_NOFILE, &nofile);
		}
		if (*oom_adj) {
			int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t unused = write(fd, oom_adj, strlen(oom_adj));
				(void)unused;
				close(fd);
			}
		}
		if (dir && *dir && chdir(dir) < 0)
			goto fail;
		execve(argv[0], argv, env);
	fail:;
		int report[2] = { errno, step };
		ssize_t unused = write(errpipe[1], report, sizeof(report));
		(void)unused;
		_exit(127);
	}
	close(errpipe[1]);
	*errfd = errpipe[0];
	return pid;
}

static void add_call(pid_t pid, int errfd, uint64_t client, uint64_t seq, int64_t events,
                     const char *container, const char *process)
{
	calls = xrealloc(calls, (ncalls + 1) * sizeof(*calls));
	calls[ncalls++] = (struct call){ .pid = pid, .errfd = errfd, .client = client, .seq = seq,
	                                 .events = events,
	                                 .container = events ? xstrdup(container) : NULL,
	                                 .process = events ? xstrdup(process) : NULL };
}

/*
 * Answer the SPAWN of a call once its exec is settled: its pid, or the
 * exec's errno (the call then exits at once, and nothing more is told of
 * it). Returns false while the exec is still under way.
 */
static bool settle_call(struct call *cl)
{
	if (cl->errfd < 0)
		return true;
	int report[2] = { 0, STEP_EXEC };
	ssize_t n = read(cl->errfd, report, sizeof(report));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	int err = report[0];
	close(cl->errfd);
	cl->errfd = -1;
	struct client *c = client_by_id(cl->client);
	struct mon_msg r = { .version = MON_PROTO_VERSION, .type = MON_REPLY, .seq = cl->seq,
	                     .pid = cl->pid };
	if (n == sizeof(report)) {
		r.err = err ? err : EIO;
		r.arg = report[1] == STEP_MNTNS ? MON_SPAWN_CONTEXT : 0;
		cl->client = 0;
		cl->events = 0;
	}
	if (c)
		send_msg(c, &r);
	return true;
}

static struct call *call_by_pid(pid_t pid)
{
	for (size_t i = 0; i < ncalls; i++)
		if (calls[i].pid == pid && !calls[i].lingering)
			return &calls[i];
	return NULL;
}

/* The strings area of a message passed in a memfd: read into a buffer
 * the caller frees, or NULL with errno. */
static char *strings_from_fd(int fd, uint64_t len)
{
	struct stat st;
	if (len > MON_MAX_STRINGS || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != len) {
		errno = EINVAL;
		return NULL;
	}
	char *buf = xrealloc(NULL, len);
	for (size_t got = 0; got < len;) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
		if (n <= 0) {
			free(buf);
			errno = n < 0 ? errno : EINVAL;
			return NULL;
		}
		got += (size_t)n;
	}
	return buf;
}

/* Whether the peer of c still runs, so that what was read of its pid was
 * read of it: its pidfd is not readable yet. */
static bool peer_alive(const struct client *c)
{
	struct pollfd p = { c->pidfd, POLLIN, 0 };
	return c->pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/*
 * Take the context a call of c's peer runs in, as it is now: its mount
 * namespace (an fd, or -1 when it is the monitor's), its resource limits,
 * umask and OOM score adjustment. Read through its pid, then checked
 * against its pidfd, so never another process's. Returns 0 or an errno:
 * a caller whose context cannot be read gets no call at all.
 */
static int caller_context(const struct client *c, struct caller_ctx *ctx)
{
	char path[64], buf[4096];
	ctx->mntns = -1;
	if (c->pidfd < 0 || c->pid <= 0)
		return ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c->pid);
	int ns = open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	if (ns < 0)
		return errno;
	struct stat st;
	if (fstat(ns, &st) < 0) {
		int err = errno;
		close(ns);
		return err;
	}
	int err = 0;
	for (int r = 0; r < RLIM_NLIMITS && !err; r++)
		if (prlimit(c->pid, r, NULL, &ctx->limits[r]) < 0)
			err = errno;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->pid);
	int fd = err ? -1 : open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	const char *um = strstr(buf, "\nUmask:");
	if (!err && !um)
		err = fd < 0 ? errno : EIO;
	if (!err)
		ctx->umask = (mode_t)strtoul(um + 7, NULL, 8) & 0777;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)c->pid);
	fd = err ? -1 : open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	n = fd >= 0 ? read(fd, ctx->oom_adj, sizeof(ctx->oom_adj) - 1) : -1;
	if (fd >= 0)
		close(fd);
	ctx->oom_adj[n > 0 ? n : 0] = 0;
	if (!err && !peer_alive(c))
		err = ESRCH;
	if (err || (st.st_dev == own_mntns.st_dev && st.st_ino == own_mntns.st_ino))
		close(ns);
	else
		ctx->mntns = ns;
	return err;
}

static void do_spawn(struct client *c, const struct mon_msg *m, struct strings *s,
                     const int *fds, int nfds)
{
	bool guarded = m->arg & MON_SPAWN_GUARD;
	int64_t events = m->arg & ~(int64_t)(MON_SPAWN_GUARD | MON_SPAWN_PRIME);
	char **argv = next_list(s);
	const char *env_at = s->p;
	char **env = argv ? next_list(s) : NULL;
	size_t env_len = (size_t)(s->p - env_at);
	const char *dir = env ? next_string(s) : NULL;
	const char *container = dir && m->arg ? next_string(s) : "";
	const char *process = container && m->arg ? next_string(s) : "";
	const char *undo_at = s->p;
	char **undo = process && guarded ? next_list(s) : NULL;
	size_t undo_len = (size_t)(s->p - undo_at);
	const char *undo_dir = undo ? next_string(s) : "";
	if (!dir || !process || !argv[0] || nfds < 3 || (uint32_t)nfds != m->nfds ||
	    (events & ~(int64_t)0x3fe) || (guarded && (!undo_dir || !*container))) {
		reply_err(c, m, EINVAL);
	} else {
		int errfd = -1;
		struct caller_ctx ctx;
		int err = caller_context(c, &ctx);
		if (!err && (m->arg & MON_SPAWN_PRIME))
			cgroup_prime();
		pid_t pid = err ? -err : spawn(argv, env, dir, fds, nfds, &ctx, &errfd);
		if (!err && ctx.mntns >= 0)
			close(ctx.mntns);
		if (pid < 0) {
			struct mon_msg r = reply_to(m);
			r.err = (int)-pid;
			r.arg = err ? MON_SPAWN_CONTEXT : 0;
			send_msg(c, &r);
		} else {
			add_call(pid, errfd, c->id, m->seq, events, container, process);
			if (guarded) {
				char *area = xrealloc(NULL, undo_len + env_len);
				memcpy(area, undo_at, undo_len);
				memcpy(area + undo_len, env_at, env_len);
				guards = xrealloc(guards, (nguards + 1) * sizeof(*guards));
				guards[nguards++] = (struct guard){ c->id, m->seq, pid, area,
				                                    undo_len + env_len,
				                                    xstrdup(container), xstrdup(undo_dir),
				                                    false };
			}
		}
	}
	free(argv);
	free(env);
	free(undo);
}

static void remove_tree(const char *dir);

/*
 * Run a cleanup command (an argv list then an env list) with /dev/null as
 * its stdio; when it succeeds, publish DELETED of container (unless "").
 * Once it exited, remove dir (unless NULL); with no command, at once.
 */
static void run_cleanup(const char *area, size_t len, const char *container, const char *dir)
{
	struct strings s = { area, area + len, false };
	char **argv = next_list(&s);
	char **env = argv ? next_list(&s) : NULL;
	if (argv && !argv[0] && dir) {
		remove_tree(dir);
		free(argv);
		return;
	}
	int null = open_reserved("/dev/null", O_RDWR | O_CLOEXEC, 0);
	if (env && argv[0] && null >= 0) {
		int fds[3] = { null, null, null };
		int errfd = -1;
		pid_t pid = spawn(argv, env, "/", fds, 3, NULL, &errfd);
		if (pid > 0) {
			add_call(pid, errfd, 0, 0, *container ? 1 << MON_EV_DELETED : 0, container, "");
			calls[ncalls - 1].remove = dir ? xstrdup(dir) : NULL;
		}
	}
	if (null >= 0)
		close(null);
	free(argv);
	free(env);
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

/* Remove a state dir and all it holds, on its file system only. */
static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The dir of a file's path, in a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, slash ? path : "/", n);
	d[n] = 0;
	return d;
}

/* ---- guards ---- */

static void drop_guard(size_t i)
{
	free(guards[i].cleanup);
	free(guards[i].container);
	free(guards[i].dir);
	guards[i] = guards[--nguards];
}

/* Kill the process the runtime's pid file in dir names, if it is a child
 * of the monitor (so never a process that reused the pid). */
static void kill_pid_file(const char *dir)
{
	char path[PATH_MAX], buf[32];
	if (snprintf(path, sizeof(path), "%s/pid", dir) >= (int)sizeof(path))
		return;
	int fd = open_regular(path, O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	pid_t pid = (pid_t)atoi(buf);
	siginfo_t si = { 0 };
	if (pid > 1 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == 0)
		kill(pid, SIGKILL);
}

/* Undo a guarded launch whose call has exited: kill the process it
 * started (claimed or not), run its cleanup, then remove its dir. */
static void fire_guard(size_t i)
{
	struct guard *g = &guards[i];
	size_t len = strlen(g->dir);
	kill_pid_file(g->dir);
	for (size_t k = 0; k < nclaims; k++)
		if (!strncmp(claims[k].exit_path, g->dir, len) && claims[k].exit_path[len] == '/')
			kill(claims[k].pid, SIGKILL);
	run_cleanup(g->cleanup, g->cleanup_len, g->container, g->dir);
	drop_guard(i);
}

/* A guarded call exited: undo it if its connection is gone. */
static void guards_call_exited(pid_t pid)
{
	for (size_t i = nguards; i-- > 0;) {
		if (guards[i].pid != pid)
			continue;
		guards[i].pid = 0;
		if (guards[i].armed)
			fire_guard(i);
	}
}

/* A connection ended: undo its unsettled creates, killing their calls. */
static void arm_guards(uint64_t client)
{
	for (size_t i = nguards; i-- > 0;) {
		struct guard *g = &guards[i];
		if (g->client != client)
			continue;
		g->armed = true;
		if (!g->pid) {
			fire_guard(i);
			continue;
		}
		kill(-g->pid, SIGKILL);
		kill(g->pid, SIGKILL);
	}
}

static void do_unguard(struct client *c, const struct mon_msg *m)
{
	for (size_t i = 0; i < nguards; i++) {
		if (guards[i].client == c->id && guards[i].seq == (uint64_t)m->arg) {
			drop_guard(i);
			return;
		}
	}
}

/* ---- claims and exits ---- */

static struct claim *claim_by_pid(pid_t pid)
{
	for (size_t i = 0; i < nclaims; i++)
		if (claims[i].pid == pid)
			return &claims[i];
	return NULL;
}

static void drop_claim(struct claim *cl)
{
	free(cl->exit_path);
	free(cl->oom_file);
	free(cl->cleanup);
	free(cl->container);
	free(cl->process);
	if (cl->oom_fd >= 0)
		close(cl->oom_fd);
	if (cl->oom_efd >= 0)
		close(cl->oom_efd);
	*cl = claims[--nclaims];
}

static struct gone *gone_by_pid(pid_t pid)
{
	/* Newest first: a pid can be reused. */
	for (size_t k = 1; k <= GONE_RING; k++) {
		struct gone *g = &gone[(gone_next + GONE_RING - k) % GONE_RING];
		if (g->pid == pid)
			return g;
	}
	return NULL;
}

static void remember_gone(pid_t pid, uint64_t start, int wstatus, bool claimed)
{
	gone[gone_next] = (struct gone){ pid, start, wstatus, claimed };
	gone_next = (gone_next + 1) % GONE_RING;
}

/* The value of the "oom_kill N" line of an open OOM counter file, or 0.
 * On v2 the read also clears the file's POLLPRI. */
static uint64_t oom_kills_fd(int fd)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (char *line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, "oom_kill ", 9) == 0)
			return strtoull(line + 9, NULL, 10);
	return 0;
}

/* The value of the "oom_kill N" line of an OOM counter file, or 0. */
static uint64_t oom_kills(const char *path)
{
	int fd = path && *path ? open_regular(path, O_RDONLY) : -1;
	if (fd < 0)
		return 0;
	uint64_t n = oom_kills_fd(fd);
	close(fd);
	return n;
}

/*
 * Watch a container's memory cgroup for OOM kills as they happen: on v2 its
 * memory.events, held open, polls POLLPRI when it changes; on v1 an eventfd
 * registered through cgroup.event_control for memory.oom_control is
 * signalled, and the control file is closed once registered: a v1 watch
 * costs one fd. A watch the fd limit leaves no room for is not made: the
 * exit still tells the OOM kill.
 */
static void oom_watch(struct claim *cl)
{
	const char *name = strrchr(cl->oom_file, '/');
	int fd = open_regular(cl->oom_file, O_RDONLY);
	if (fd < 0 || !name || strcmp(name, "/memory.oom_control") != 0) {
		cl->oom_fd = fd;
		return;
	}
	char ctl[PATH_MAX], line[64];
	snprintf(ctl, sizeof(ctl), "%.*s/cgroup.event_control", (int)(name - cl->oom_file),
	         cl->oom_file);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int cfd = efd >= 0 ? open_regular(ctl, O_WRONLY) : -1;
	int n = snprintf(line, sizeof(line), "%d %d", efd, fd);
	if (cfd >= 0 && write(cfd, line, (size_t)n) == n) {
		cl->oom_efd = efd;
	} else if (efd >= 0) {
		close(efd);
	}
	if (cfd >= 0)
		close(cfd);
	close(fd);
}

/* Whether a claim's memory cgroup is watched. */
static bool oom_watched(const struct claim *cl)
{
	return cl->oom_fd >= 0 || cl->oom_efd >= 0;
}

/* The fd to poll for a watched claim's OOM kills, and for what. */
static int oom_poll_fd(const struct claim *cl, short *events)
{
	*events = cl->oom_efd >= 0 ? POLLIN : POLLPRI;
	return cl->oom_efd >= 0 ? cl->oom_efd : cl->oom_fd;
}

/* The OOM kills a watched claim's counter shows now. */
static uint64_t oom_watched_kills(const struct claim *cl)
{
	return cl->oom_fd >= 0 ? oom_kills_fd(cl->oom_fd) : oom_kills(cl->oom_file);
}

/* Whether the OOM killer ended a process that exited with ws. */
static bool oom_killed(const char *file, uint64_t base, int flags, int ws)
{
	if ((flags & MON_CLAIM_OOM_SIGKILL) && !(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL))
		return false;
	return oom_kills(file) > base;
}

/* fsync the directory holding path, so that a rename in it lasts. */
static int sync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int n = snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
	                 slash ? path : ".");
	if (n < 0 || (size_t)n >= sizeof(dir))
		return ENAMETOOLONG;
	int fd = open(n ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	int err = fsync(fd) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* ---- records made durable off the loop ----
 *
 * A record is told once it is written whole: from then on any process
 * that reads it finds it whole. Its fsyncs, which only a machine's crash
 * needs and which force a journal commit on ext4 (the better part of a
 * millisecond, and a stall for every other file operation meanwhile), are
 * a thread's: it takes the records told in SYNC_DELAY_MS together, and
 * one deleted by then costs nothing. The thread touches nothing of the
 * loop's but this queue, and opens with plain open(2).
 */
struct sync_job {
	char *path; /* the record */
	bool dir;   /* its name was made: its directory is synced too */
};

static pthread_mutex_t sync_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static struct sync_job *sync_jobs;
static size_t sync_len, sync_cap;
static bool sync_busy, sync_started, sync_failed, sync_hurry;

static void sync_job_run(struct sync_job *j)
{
	int fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			fsync(fd);
		close(fd);
		if (j->dir)
			sync_parent(j->path);
	}
	free(j->path);
}

static void *syncer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&sync_mu);
	for (;;) {
		while (!sync_len)
			pthread_cond_wait(&sync_cv, &sync_mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SYNC_DELAY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!sync_hurry && pthread_cond_timedwait(&sync_cv, &sync_mu, &until) != ETIMEDOUT)
			;
		struct sync_job *jobs = sync_jobs;
		size_t n = sync_len;
		sync_jobs = NULL;
		sync_len = sync_cap = 0;
		sync_busy = true;
		pthread_mutex_unlock(&sync_mu);
		for (size_t i = 0; i < n; i++)
			sync_job_run(&jobs[i]);
		free(jobs);
		pthread_mutex_lock(&sync_mu);
		sync_busy = false;
		pthread_cond_broadcast(&sync_cv);
	}
	return NULL;
}

/* Have the record at path synced, and its directory when dir: by the
 * thread, or here when SYNC_QUEUE of them wait or it cannot start. */
static void sync_later(const char *path, bool dir)
{
	struct sync_job j = { xstrdup(path), dir };
	pthread_mutex_lock(&sync_mu);
	if (!sync_started && !sync_failed) {
		pthread_attr_t attr;
		pthread_t t;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		if (pthread_create(&t, &attr, syncer, NULL) == 0)
			sync_started = true;
		else
			sync_failed = true;
		pthread_attr_destroy(&attr);
	}
	if (sync_started && sync_len < SYNC_QUEUE) {
		if (sync_len == sync_cap) {
			sync_cap = sync_cap ? 2 * sync_cap : 64;
			sync_jobs = xrealloc(sync_jobs, sync_cap * sizeof(*sync_jobs));
		}
		/* Only the first of a batch wakes the thread: the others find
		 * it waiting out its delay. */
		if (sync_len++ == 0)
			pthread_cond_signal(&sync_cv);
		sync_jobs[sync_len - 1] = j;
		pthread_mutex_unlock(&sync_mu);
		return;
	}
	pthread_mutex_unlock(&sync_mu);
	sync_job_run(&j);
}

/* Sync every record told, now: before the monitor exits. */
static void sync_drain(void)
{
	pthread_mutex_lock(&sync_mu);
	sync_hurry = true;
	pthread_cond_broadcast(&sync_cv);
	while (sync_len || sync_busy)
		pthread_cond_wait(&sync_cv, &sync_mu);
	pthread_mutex_unlock(&sync_mu);
}

/*
 * Write json as the record at path in place when there is none or it is
 * empty (the library prepares an empty one), as the file's size grows
 * only once its bytes are in: a reader finds it empty (not recorded yet)
 * or whole. Returns the fd, for its sync, or -1 with errno; EEXIST when
 * the record is not empty (or not a regular file).
 */
static int write_in_place(const char *path, const char *json, int n, bool *created)
{
	int fd = open_reserved(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	                       0600);
	*created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open_regular(path, O_WRONLY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size != 0) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	ssize_t w = write(fd, json, (size_t)n);
	if (w != n) {
		int err = w < 0 ? errno : EIO;
		if (ftruncate(fd, 0) < 0 && *created)
			unlink(path);
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Write an exit record the library reads (runtime/exit.go's JSON): in
 * place when there is none or an empty one (write_in_place), else into a
 * temp file beside it renamed over it, so that a record is empty or whole
 * to every reader; synced (sync_later) once told. Returns 0 or an errno;
 * ENOENT when the state dir is gone (deleted: no one reads it).
 */
static int write_exit(const char *path, int ws, bool oom)
{
	char json[192];
	int n;
	if (WIFSIGNALED(ws))
		n = snprintf(json, sizeof(json),
		             "{\"status\":%d,\"code\":-1,\"signal\":%d,\"core_dumped\":%s,"
		             "\"oom_killed\":%s}",
		             128 + WTERMSIG(ws), WTERMSIG(ws), WCOREDUMP(ws) ? "true" : "false",
		             oom ? "true" : "false");
	else
		n = snprintf(json, sizeof(json),
		             "{\"status\":%d,\"code\":%d,\"signal\":0,\"core_dumped\":false,"
		             "\"oom_killed\":%s}",
		             WEXITSTATUS(ws), WEXITSTATUS(ws), oom ? "true" : "false");
	bool created;
	int fd = write_in_place(path, json, n, &created);
	if (fd >= 0) {
		close(fd);
		sync_later(path, created);
		return 0;
	}
	if (errno != EEXIST)
		return errno;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	unlink(tmp);
	fd = open_reserved(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	                       0600);
	if (fd < 0)
		return errno;
	int err = 0;
	ssize_t w = write(fd, json, (size_t)n);
	if (w != n)
		err = w < 0 ? errno : EIO;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		close(fd);
		unlink(tmp);
		return err;
	}
	close(fd);
	sync_later(path, true);
	return 0;
}

/* Send an EXIT to every connection. */
static void broadcast(const struct mon_msg *m)
{
	for (size_t i = 0; i < nclients; i++)
		send_packet(&clients[i], m, sizeof(*m), true);
}

/* ---- events ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send an event to every subscribed connection. */
static void publish(int type, pid_t pid, int wstatus, bool oom, const char *container,
                    const char *process)
{
	size_t lc = strlen(container) + 1, lp = strlen(process) + 1;
	struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_EVENT, .pid = pid,
	                     .arg = type, .count = now_ns(), .state = oom, .wstatus = wstatus };
	char *p = xrealloc(NULL, sizeof(m) + lc + lp);
	memcpy(p, &m, sizeof(m));
	memcpy(p + sizeof(m), container, lc);
	memcpy(p + sizeof(m) + lc, process, lp);
	for (size_t i = 0; i < nclients; i++)
		if (clients[i].subscribed)
			send_packet(&clients[i], p, sizeof(m) + lc + lp, true);
	free(p);
}

/* Whether a start of container is in flight: a runtime call, or a START. */
static bool start_pending(const char *container)
{
	for (size_t i = 0; i < ncalls; i++)
		if ((calls[i].events & (1 << MON_EV_STARTED)) && !strcmp(calls[i].container, container))
			return true;
	for (size_t i = 0; i < nstarts; i++)
		if (!strcmp(starts[i].container, container))
			return true;
	return false;
}

/* An OOM event names the container only: the kernel's count is the
 * container's; the exit that follows names the process. The EXIT message
 * comes last: a wait returns after the exit is published. */
static void publish_exit_now(const struct held *h)
{
	if (*h->container) {
		if (h->oom_event)
			publish(MON_EV_OOM, 0, 0, true, h->container, "");
		publish(h->type, h->pid, h->wstatus, h->oom, h->container, h->process);
	}
	if (h->has_exit)
		broadcast(&h->exit);
}

/* Publish the exit of a claimed process, its OOM kill first, then send its
 * EXIT message if it has one; while a start of its container is in flight,
 * hold both until that start is published. */
static void publish_exit(pid_t pid, int ws, bool oom, bool oom_event, const char *container,
                         const char *process, const struct mon_msg *exit)
{
	struct held h = { .type = *process ? MON_EV_PROCESS_EXITED : MON_EV_EXITED, .pid = pid,
	                  .wstatus = ws, .oom = oom, .oom_event = oom_event,
	                  .container = (char *)container, .process = (char *)process,
	                  .has_exit = exit != NULL };
	if (exit)
		h.exit = *exit;
	if (!*container || !start_pending(container)) {
		publish_exit_now(&h);
		return;
	}
	h.container = xstrdup(container);
	h.process = xstrdup(process);
	helds = xrealloc(helds, (nhelds + 1) * sizeof(*helds));
	helds[nhelds++] = h;
}

/* Publish the OOM kills a watched claim's counter shows since the last
 * one published; not while its container's start is in flight. Returns
 * whether it published. */
static bool oom_check(struct claim *cl)
{
	if (!oom_watched(cl) || start_pending(cl->container))
		return false;
	uint64_t kills = oom_watched_kills(cl);
	if (kills <= cl->oom_seen)
		return false;
	cl->oom_seen = kills;
	cl->oom_retries = 0;
	publish(MON_EV_OOM, 0, 0, true, cl->container, "");
	return true;
}

/* How long the loop may sleep: a short while when a counter is to be
 * looked at again, else as long as it likes. */
static int oom_retry_timeout(int otherwise)
{
	for (size_t i = 0; i < nclaims; i++)
		if (claims[i].oom_retries > 0)
			return OOM_RETRY_MS;
	return otherwise;
}

/* Whether an OOM kill an exec'd process's exit tells still needs an
 * event: not when its container's memory cgroup is watched, whose event
 * tells it (published now if the watch has not seen it yet). */
static bool oom_untold(const char *container)
{
	for (size_t i = 0; i < nclaims; i++) {
		if (oom_watched(&claims[i]) && !strcmp(claims[i].container, container)) {
			oom_check(&claims[i]);
			return false;
		}
	}
	return true;
}

/* Once no start of container is in flight: publish the exits held for
 * it, and the OOM kills they hid. */
static void release_held(const char *container)
{
	if (start_pending(container))
		return;
	size_t kept = 0;
	for (size_t i = 0; i < nhelds; i++) {
		struct held *h = &helds[i];
		if (strcmp(h->container, container)) {
			helds[kept++] = *h;
			continue;
		}
		publish_exit_now(h);
		free(h->container);
		free(h->process);
	}
	nhelds = kept;
	for (size_t i = 0; i < nclaims; i++)
		if (!strcmp(claims[i].container, container))
			oom_check(&claims[i]);
}

/* A call exited with ws: publish its events if it succeeded, then the
 * exits held for its container's start, and the OOM kills they hid. */
static void call_events(const struct call *cl, int ws)
{
	if (!cl->events)
		return;
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		for (int type = MON_EV_CREATED; type <= MON_EV_PROCESS_EXITED; type++)
			if (cl->events & (1 << type))
				publish(type, 0, 0, false, cl->container, cl->process);
	release_held(cl->container);
}

/* ---- starts ---- */

/* Read what the init wrote into a START's fifo. True once the fifo is at
 * its end after its writer came: the init's exec (or death) closed it;
 * hup says the poll saw that writer hang up. */
static bool start_drain(struct start *st, bool hup)
{
	char buf[64];
	for (;;) {
		ssize_t n = read(st->fd, buf, sizeof(buf));
		if (n > 0) {
			st->released = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* Before the init opens the fifo there is no writer either. */
		return n == 0 && (st->released || hup);
	}
}

/* End START i: when it succeeded, remove the fifo (the runtime's sign of
 * a created container) and publish STARTED; answer its connection, if it
 * is still there; then publish the exits held for the start. */
static void finish_start(size_t i, int err)
{
	struct start st = starts[i];
	starts[i] = starts[--nstarts];
	close(st.fd);
	if (!err) {
		unlink(st.fifo);
		publish(MON_EV_STARTED, 0, 0, false, st.container, "");
	}
	struct client *c = client_by_id(st.client);
	if (c) {
		struct mon_msg r = { .version = MON_PROTO_VERSION, .type = MON_REPLY, .seq = st.seq,
		                     .pid = st.pid, .err = err };
		send_msg(c, &r);
	}
	release_held(st.container);
	free(st.fifo);
	free(st.container);
}

/* The index of the START whose fifo is fd, or nstarts. */
static size_t start_by_fd(int fd)
{
	size_t i = 0;
	while (i < nstarts && starts[i].fd != fd)
		i++;
	return i;
}

/* A START's fifo turned readable or hung up. */
static void start_ready(int fd, short revents)
{
	size_t i = start_by_fd(fd);
	if (i < nstarts && start_drain(&starts[i], revents & POLLHUP))
		finish_start(i, starts[i].released ? 0 : ESRCH);
}

/* Init pid exited: a START waiting for it succeeded if its byte came. */
static void starts_init_exited(pid_t pid)
{
	for (size_t i = nstarts; i-- > 0;) {
		if (starts[i].pid != pid)
			continue;
		start_drain(&starts[i], true);
		finish_start(i, starts[i].released ? 0 : ESRCH);
	}
}

/* Record the exit of a claimed process, before it is reaped: while the
 * zombie holds its pid, whoever finds the pid gone finds the record. */
static void record_claim(struct claim *cl, int ws)
{
	if (cl->recorded)
		return;
	cl->recorded = true;
	cl->oom_killed = oom_killed(cl->oom_file, cl->oom_base, cl->flags, ws);
	cl->record_err = write_exit(cl->exit_path, ws, cl->oom_killed);
}

/* A call is over, its process group gone: publish its events, undo it
 * if its guard is armed, and tell its client. */
static void finish_call(size_t i)
{
	struct call call = calls[i];
	calls[i] = calls[--ncalls];
	call_events(&call, call.wstatus);
	guards_call_exited(call.pid);
	if (call.remove) {
		remove_tree(call.remove);
		free(call.remove);
	}
	struct client *c = client_by_id(call.client);
	if (c) {
		struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_CALL_EXIT,
		                     .seq = call.seq, .pid = call.pid, .wstatus = call.wstatus };
		send_msg(c, &m);
	}
	free(call.container);
	free(call.process);
}

/* Finish the calls whose process group is gone, or waited for long enough:
 * a caller that cleans up after a call finds nothing of it still running
 * (a runtime killed in the middle of a mkdir). Returns whether some are
 * still waited for. */
static bool finish_lingering(void)
{
	bool waiting = false;
	for (size_t i = ncalls; i-- > 0;) {
		if (!calls[i].lingering)
			continue;
		if ((kill(-calls[i].pid, 0) < 0 && errno == ESRCH) || now_ms() >= calls[i].linger_until)
			finish_call(i);
		else
			waiting = true;
	}
	return waiting;
}

/* A child exited and was reaped: record its exit if it is not yet, and
 * tell whoever waits for it; a call's exit is told once its process group
 * is gone. */
static void child_exited(pid_t pid, uint64_t start, int ws)
{
	for (size_t i = 0; i < ncalls; i++) {
		if (calls[i].pid != pid || calls[i].lingering)
			continue;
		settle_call(&calls[i]);
		calls[i].lingering = true;
		calls[i].wstatus = ws;
		calls[i].linger_until = now_ms() + LINGER_MS;
		return;
	}
	struct claim *cl = claim_by_pid(pid);
	if (cl) {
		record_claim(cl, ws);
		bool oom = cl->oom_killed;
		int err = cl->record_err;
		bool oom_event = oom && (*cl->process ? oom_untold(cl->container)
		                                      : !oom_watched(cl) || oom_kills(cl->oom_file) > cl->oom_seen);
		struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_EXIT, .pid = pid,
		                     .start = cl->start, .arg = oom, .state = MON_EXITED, .wstatus = ws,
		                     .err = err == ENOENT ? 0 : err };
		remember_gone(pid, cl->start, ws, true);
		publish_exit(pid, ws, oom, oom_event, cl->container, cl->process, &m);
		drop_claim(cl);
		starts_init_exited(pid);
		return;
	}
	remember_gone(pid, start, ws, false);
}

/* Reap every exited child: a claimed one once its exit is recorded (the
 * zombie keeps its pid meanwhile, so a process that finds the pid gone
 * finds the record), then tell its exit, so that a wait that returns
 * finds the process reaped. */
static void reap(void)
{
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		pid_t pid = si.si_pid;
		int ws = wstatus_of(&si);
		struct claim *cl = claim_by_pid(pid);
		uint64_t start = cl ? cl->start : proc_start(pid);
		if (cl)
			record_claim(cl, ws);
		memset(&si, 0, sizeof(si));
		waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
		child_exited(pid, start, ws);
	}
}

/* Write the byte that lets a claimed process exec, to the pipe it waits
 * on: without blocking, and with the SIGPIPE of a pipe no one reads
 * taken back. Returns 0 or an errno. */
static int release_claimed(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return errno;
	if (!S_ISFIFO(st.st_mode))
		return EBADF;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	char go = 1;
	ssize_t n;
	do
		n = write(fd, &go, 1);
	while (n < 0 && errno == EINTR);
	int err = n == 1 ? 0 : n < 0 ? errno : EIO;
	if (err == EPIPE) {
		struct timespec none = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &none);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static void do_claim(struct client *c, const struct mon_msg *m, struct strings *s, const int *fds,
                     int nfds)
{
	pid_t pid = (pid_t)m->pid;
	const char *exit_path = next_string(s);
	const char *oom_file = exit_path ? next_string(s) : NULL;
	const char *container = oom_file ? next_string(s) : NULL;
	const char *process = container ? next_string(s) : NULL;
	const char *cleanup = s->p;
	if ((m->arg & MON_CLAIM_KILL_ORPHAN)) {
		char **argv = next_list(s), **env = argv ? next_list(s) : NULL;
		free(argv);
		free(env);
	}
	if (!exit_path || !*exit_path || !process || s->bad || pid <= 1) {
		reply_err(c, m, EINVAL);
		return;
	}
	struct mon_msg r = reply_to(m);
	struct claim *cl = claim_by_pid(pid);
	if (cl && (m->arg & MON_CLAIM_FRESH)) {
		reply_err(c, m, EALREADY);
		return;
	}
	if (cl) {
		r.start = cl->start;
		r.state = MON_LIVE;
		send_msg(c, &r);
		return;
	}
	siginfo_t si = { 0 };
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
		r.start = proc_start(pid);
		if (!r.start) {
			/* No fd left to read its start time: refuse rather than
			 * claim a process no later call could name. */
			reply_err(c, m, errno == EMFILE || errno == ENFILE ? errno : EAGAIN);
			return;
		}
		if (m->arg & MON_CLAIM_ADDED)
			publish(MON_EV_EXEC_ADDED, pid, 0, false, container, process);
		if (si.si_pid == pid) {
			/* Exited, not reaped yet: record it, then reap it. */
			r.state = MON_EXITED;
			r.wstatus = wstatus_of(&si);
			r.arg = oom_killed(oom_file, m->count, (int)m->arg, r.wstatus);
			int err = write_exit(exit_path, r.wstatus, r.arg);
			if (err && err != ENOENT) {
				reply_err(c, m, err);
				return;
			}
			publish_exit(pid, r.wstatus, r.arg, r.arg && oom_untold(container), container, process,
			             NULL);
			remember_gone(pid, r.start, r.wstatus, true);
			memset(&si, 0, sizeof(si));
			waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
		} else {
			claims = xrealloc(claims, (nclaims + 1) * sizeof(*claims));
			cl = &claims[nclaims++];
			*cl = (struct claim){ .pid = pid, .start = r.start, .owner = c->id,
			                      .flags = (int)m->arg, .exit_path = xstrdup(exit_path),
			                      .oom_file = xstrdup(oom_file), .oom_base = m->count,
			                      .container = xstrdup(container),
			                      .process = xstrdup(process), .oom_fd = -1,
			                      .oom_efd = -1, .oom_seen = m->count };
			/* Released first: the watch (a cgroup v1 event registration)
			 * takes a while, and a kill before it is counted anyway. */
			if (m->arg & MON_CLAIM_RELEASE) {
				int err = nfds == 1 ? release_claimed(fds[0]) : EBADF;
				if (err)
					kill(pid, SIGKILL);
				r.count = (uint64_t)err;
			}
			if (!(m->arg & MON_CLAIM_OOM_SIGKILL) && *container && *oom_file)
				oom_watch(cl);
			if (m->arg & MON_CLAIM_KILL_ORPHAN) {
				cl->cleanup_len = (size_t)(s->p - cleanup);
				cl->cleanup = memcpy(xrealloc(NULL, cl->cleanup_len), cleanup, cl->cleanup_len);
			}
			r.state = MON_LIVE;
		}
		send_msg(c, &r);
		return;
	}
	struct gone *g = gone_by_pid(pid);
	if (!g || g->claimed) {
		reply_err(c, m, ECHILD);
		return;
	}
	if (m->arg & MON_CLAIM_ADDED)
		publish(MON_EV_EXEC_ADDED, pid, 0, false, container, process);
	g->claimed = true;
	r.start = g->start;
	r.state = MON_EXITED;
	r.wstatus = g->wstatus;
	r.arg = oom_killed(oom_file, m->count, (int)m->arg, g->wstatus);
	int err = write_exit(exit_path, g->wstatus, r.arg);
	if (err && err != ENOENT) {
		g->claimed = false;
		reply_err(c, m, err);
		return;
	}
	publish_exit(pid, g->wstatus, r.arg, r.arg && oom_untold(container), container, process, NULL);
	send_msg(c, &r);
}

/* The claim of pid with start time start (0: any), or NULL. */
static struct claim *claim_of(const struct mon_msg *m)
{
	struct claim *cl = claim_by_pid((pid_t)m->pid);
	if (cl && m->start && cl->start != m->start)
		return NULL;
	return cl;
}

/* Whether a claimed pid with this start time has exited and been reaped. */
static bool claim_gone(const struct mon_msg *m)
{
	struct gone *g = gone_by_pid((pid_t)m->pid);
	return g && g->claimed && (!m->start || g->start == m->start);
}

static void do_query(struct client *c, const struct mon_msg *m)
{
	struct claim *cl = claim_of(m);
	if (!cl) {
		reply_err(c, m, claim_gone(m) ? ESRCH : ECHILD);
		return;
	}
	struct mon_msg r = reply_to(m);
	r.start = cl->start;
	r.state = MON_LIVE;
	send_msg(c, &r);
}

static void do_signal(struct client *c, const struct mon_msg *m)
{
	struct claim *cl = claim_of(m);
	if (!cl) {
		reply_err(c, m, claim_gone(m) ? ESRCH : ECHILD);
		return;
	}
	/* An unreaped child keeps its pid: the signal reaches it or no one. */
	reply_err(c, m, kill(cl->pid, (int)m->arg) < 0 ? errno : 0);
}

static void do_start(struct client *c, const struct mon_msg *m, struct strings *s)
{
	const char *fifo = next_string(s);
	const char *container = fifo ? next_string(s) : NULL;
	if (!container || !*fifo || !*container || s->bad) {
		reply_err(c, m, EINVAL);
		return;
	}
	struct claim *cl = claim_of(m);
	if (!cl) {
		reply_err(c, m, claim_gone(m) ? ESRCH : ECHILD);
		return;
	}
	if (*cl->process || strcmp(cl->container, container)) {
		reply_err(c, m, EINVAL);
		return;
	}
	if (start_pending(container)) {
		reply_err(c, m, EALREADY);
		return;
	}
	/* Opening the read end lets the init's open for writing return. */
	int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		int err = fd < 0 ? errno : EINVAL;
		if (fd >= 0)
			close(fd);
		reply_err(c, m, err);
		return;
	}
	starts = xrealloc(starts, (nstarts + 1) * sizeof(*starts));
	starts[nstarts++] = (struct start){ .client = c->id, .seq = m->seq, .pid = cl->pid, .fd = fd,
	                                    .fifo = xstrdup(fifo), .container = xstrdup(container) };
}

/* A CANCEL of a START: over, successful if the init's byte was read. */
static bool cancel_start(const struct client *c, uint64_t seq)
{
	for (size_t i = 0; i < nstarts; i++) {
		if (starts[i].client != c->id || starts[i].seq != seq)
			continue;
		start_drain(&starts[i], false);
		finish_start(i, starts[i].released ? 0 : ECANCELED);
		return true;
	}
	return false;
}

static void do_cancel(struct client *c, const struct mon_msg *m)
{
	if (cancel_start(c, (uint64_t)m->arg))
		return;
	for (size_t i = 0; i < ncalls; i++) {
		if (calls[i].client == c->id && calls[i].seq == (uint64_t)m->arg) {
			kill(-calls[i].pid, SIGKILL);
			kill(calls[i].pid, SIGKILL);
			return;
		}
	}
}

/* ---- connections ---- */

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Kill, clean up after and forget the processes an ended connection left. */
static void orphan_claims(uint64_t owner)
{
	for (size_t i = 0; i < nclaims; i++) {
		struct claim *cl = &claims[i];
		if (cl->owner != owner)
			continue;
		cl->owner = 0;
		if (!(cl->flags & MON_CLAIM_KILL_ORPHAN))
			continue;
		kill(cl->pid, SIGKILL);
		if (cl->cleanup) {
			/* A container's cleanup deletes it: DELETED, and its state
			 * dir goes. */
			char *dir = *cl->process ? NULL : dir_of(cl->exit_path);
			run_cleanup(cl->cleanup, cl->cleanup_len, *cl->process ? "" : cl->container, dir);
			free(dir);
		}
	}
}

static void drop_client(size_t i)
{
	struct client *c = &clients[i];
	uint64_t id = c->id;
	close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	while (c->head) {
		struct packet *p = c->head;
		c->head = p->next;
		free(p);
	}
	clients[i] = clients[--nclients];
	orphan_claims(id);
	arm_guards(id);
}

/* The peer process of a connection: a pidfd, so that its death ends the
 * connection even when a child of it inherited the socket. */
static int peer_pidfd(int fd, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0)
		return -1;
	*pid = cred.pid;
	return (int)syscall(SYS_pidfd_open, cred.pid, 0);
}

/* Copy the value of status line key (with its colon) into out. */
static void status_field(const char *status, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	out[0] = 0;
	for (const char *line = status; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen))
			continue;
		line += klen;
		line += strspn(line, " \t");
		size_t n = strcspn(line, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, line, n);
		out[n] = 0;
		return;
	}
}

/* Read what confines pid; false when its status cannot be read. A label
 * the kernel does not have (no LSM) is "". */
static bool read_confinement(pid_t pid, struct confinement *cf)
{
	char path[64], buf[8192];
	memset(cf, 0, sizeof(*cf));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	status_field(buf, "Seccomp:", cf->seccomp, sizeof(cf->seccomp));
	status_field(buf, "Seccomp_filters:", cf->filters, sizeof(cf->filters));
	status_field(buf, "NoNewPrivs:", cf->nnp, sizeof(cf->nnp));
	status_field(buf, "CapEff:", cf->cap_eff, sizeof(cf->cap_eff));
	status_field(buf, "CapBnd:", cf->cap_bnd, sizeof(cf->cap_bnd));
	snprintf(path, sizeof(path), "/proc/%d/attr/current", (int)pid);
	fd = open_reserved(path, O_RDONLY | O_CLOEXEC, 0);
	n = fd >= 0 ? read(fd, cf->label, sizeof(cf->label) - 1) : -1;
	if (fd >= 0)
		close(fd);
	cf->label[n > 0 ? n : 0] = 0;
	cf->label[strcspn(cf->label, "\n")] = 0;
	return *cf->seccomp && *cf->nnp && *cf->cap_eff && *cf->cap_bnd;
}

static bool same_confinement(const struct confinement *a, const struct confinement *b)
{
	return !strcmp(a->seccomp, b->seccomp) && !strcmp(a->filters, b->filters) &&
	       !strcmp(a->nnp, b->nnp) && !strcmp(a->cap_eff, b->cap_eff) &&
	       !strcmp(a->cap_bnd, b->cap_bnd) && !strcmp(a->label, b->label);
}

/* Agree on a version: the newest both speak. A peer whose confinement
 * (seccomp mode and filters, no_new_privs, capabilities, LSM label) is not
 * the monitor's is refused with EPERM: its calls would run unconfined by
 * what confines it, or confined by what does not. */
static void do_hello(struct client *c, const struct mon_msg *m)
{
	struct mon_msg r = reply_to(m);
	if ((uint64_t)m->count > MON_PROTO_VERSION || m->arg < MON_PROTO_VERSION) {
		r.err = EPROTO;
		r.arg = MON_PROTO_VERSION;
		send_msg(c, &r);
		return;
	}
	if (c->pidfd < 0)
		c->pidfd = peer_pidfd(c->fd, &c->pid);
	struct confinement peer;
	if (c->pidfd < 0 || !read_confinement(c->pid, &peer) || !peer_alive(c) ||
	    !same_confinement(&peer, &own_confinement)) {
		c->refused = true;
		r.err = c->pidfd < 0 ? ESRCH : EPERM;
		r.arg = MON_PROTO_VERSION;
		send_msg(c, &r);
		return;
	}
	c->refused = false;
	r.pid = getpid();
	r.arg = MON_PROTO_VERSION;
	send_msg(c, &r);
}

/* Whether the last serve() found nothing to read. */
static bool serve_drained;

/* Read one message from client i; false when the connection ended. */
static bool serve(size_t i)
{
	struct client *c = &clients[i];
	int fds[MON_MAX_FDS];
	int nfds = 0;
	char control[CMSG_SPACE(sizeof(int) * MON_MAX_FDS)];
	struct iovec iov = { msgbuf, sizeof(msgbuf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	serve_drained = n < 0 && errno == EAGAIN;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int j = 0; j < k && nfds < MON_MAX_FDS; j++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + j * sizeof(int), sizeof(int));
	}
	if (n == 0) {
		close_fds(fds, nfds);
		return false;
	}
	struct mon_msg m = { 0 };
	const size_t head = offsetof(struct mon_msg, pid);
	if ((size_t)n < head || (mh.msg_flags & MSG_TRUNC)) {
		close_fds(fds, nfds);
		return false;
	}
	memcpy(&m, msgbuf, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m));
	if (m.version != MON_PROTO_VERSION || (size_t)n < sizeof(m)) {
		/* Another version's message: refused in its own version, so that
		 * its sender can read why. */
		struct mon_msg r = reply_to(&m);
		r.version = m.version;
		r.err = EPROTO;
		r.arg = MON_PROTO_VERSION;
		send_msg(c, &r);
		close_fds(fds, nfds);
		return true;
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		/* The kernel could not pass its fds (this process's fd limit):
		 * the request fails, the connection goes on. */
		reply_err(c, &m, EMFILE);
		close_fds(fds, nfds);
		return true;
	}
	struct strings s = { msgbuf + sizeof(m), msgbuf + n, false };
	char *area = NULL;
	if (m.strings_len) {
		area = nfds > 0 ? strings_from_fd(fds[nfds - 1], m.strings_len) : NULL;
		if (!area) {
			reply_err(c, &m, nfds > 0 ? errno : EINVAL);
			close_fds(fds, nfds);
			return true;
		}
		close(fds[--nfds]);
		s = (struct strings){ area, area + m.strings_len, false };
	}
	switch (c->refused && m.type != MON_HELLO ? 0 : m.type) {
	case 0:
		reply_err(c, &m, EPERM);
		break;
	case MON_HELLO:
		do_hello(c, &m);
		break;
	case MON_SPAWN:
		do_spawn(c, &m, &s, fds, nfds);
		break;
	case MON_CANCEL:
		do_cancel(c, &m);
		break;
	case MON_UNGUARD:
		do_unguard(c, &m);
		break;
	case MON_CLAIM:
		do_claim(c, &m, &s, fds, nfds);
		break;
	case MON_QUERY:
		do_query(c, &m);
		break;
	case MON_SIGNAL:
		do_signal(c, &m);
		break;
	case MON_START:
		do_start(c, &m, &s);
		break;
	case MON_WHERE:
		cgroup_escaped();
		reply_err(c, &m, 0);
		break;
	case MON_SUBSCRIBE:
		c->subscribed = true;
		reply_err(c, &m, 0);
		break;
	default:
		reply_err(c, &m, EPROTO);
	}
	free(area);
	close_fds(fds, nfds);
	return true;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		               errno == ENOMEM)) {
			/* The connection waits in the backlog until fds free up;
			 * polling the socket meanwhile would spin. */
			accept_paused_until = now_ms() + ACCEPT_PAUSE_MS;
			return;
		}
		if (fd < 0)
			return;
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    (cred.uid != geteuid() && cred.uid != 0)) {
			close(fd);
			continue;
		}
		clients = xrealloc(clients, (nclients + 1) * sizeof(*clients));
		clients[nclients++] = (struct client){ .fd = fd, .pidfd = -1, .id = next_client_id++ };
	}
}

/* ---- life ---- */

/* Exit when idle and no library process is connecting. */
static void maybe_exit(void)
{
	if (nclients || nclaims || ncalls)
		return;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		return;
	struct pollfd p = { LISTEN_FD, POLLIN, 0 };
	if (poll(&p, 1, 0) == 1) {
		flock(lock_fd, LOCK_UN);
		return;
	}
	unlink(sock_path);
	cgroup_leave();
	sync_drain();
	_exit(0);
}

/* Leave the starter: a child in a session of its own does the work. */
static void detach(void)
{
	pid_t pid = fork();
	if (pid < 0)
		_exit(111);
	if (pid > 0)
		_exit(0);
	setsid();
}

static void reset_signals(int *sfd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	*sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sfd < 0)
		_exit(111);
}

/* Close every fd the starter left open but the listening socket: a host
 * fd without O_CLOEXEC must reach neither the monitor nor its children. */
static void close_inherited(void)
{
	if (syscall(SYS_close_range, LISTEN_FD + 1, ~0U, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = LISTEN_FD + 1; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

/* Raise the fd limit to the hard limit, as a container's claims and
 * watches take fds; the children get the limit found back. */
static void raise_fd_limit(void)
{
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return;
	struct rlimit raised = { nofile.rlim_max, nofile.rlim_max };
	setrlimit(RLIMIT_NOFILE, &raised);
}

/* Lower the monitor's OOM score below its containers', keeping the score
 * found for its children. Without the privilege to lower it (rootless),
 * the monitor keeps the host's. */
static void lower_oom_score(void)
{
	int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, oom_adj_found, sizeof(oom_adj_found) - 1);
	oom_adj_found[n > 0 ? n : 0] = 0;
	close(fd);
	fd = n > 0 ? open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC) : -1;
	if (fd < 0 || write(fd, MONITOR_OOM_SCORE_ADJ, strlen(MONITOR_OOM_SCORE_ADJ)) < 0)
		oom_adj_found[0] = 0;
	if (fd >= 0)
		close(fd);
}

/* The options after the root: the socket's and lock's names in it, and
 * the most bytes of broadcasts one connection may have queued. */
static void parse_options(int argc, char **argv, const char **sock_name, const char **lock_name)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--socket=", 9))
			*sock_name = a + 9;
		else if (!strncmp(a, "--lock=", 7))
			*lock_name = a + 7;
		else if (!strncmp(a, "--queue-max=", 12))
			queue_max = strtoull(a + 12, NULL, 10);
		else
			_exit(2);
	}
	if (strchr(*sock_name, '/') || strchr(*lock_name, '/'))
		_exit(2);
}

/* The poll set of one turn of the loop; fds not to poll are -1. */
enum { P_SIGNALS, P_LISTEN, P_FIXED };

/* `--hold`: wait until stdin closes, then exit. The library runs this in
 * a new user namespace just long enough to open that namespace, for the
 * idmapped mounts of a bundle made from an image. */
static int hold(void)
{
	char c;
	for (;;) {
		ssize_t n = read(0, &c, 1);
		if (n == 0 || (n < 0 && errno != EINTR))
			return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--hold"))
		return hold();
	if (argc < 2) {
		fprintf(stderr, "usage: %s ROOT [--socket=NAME] [--lock=NAME] [--queue-max=BYTES] "
		                "(with the listening socket as fd 3)\n", argv[0]);
		return 2;
	}
	struct stat st;
	if (fstat(LISTEN_FD, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 2;
	close_inherited();
	const char *sock_name = "monitor.sock", *lock_name = "monitor.lock";
	parse_options(argc, argv, &sock_name, &lock_name);
	prctl(PR_SET_NAME, "exec-monitor", 0, 0, 0);
	detach();
	cgroup_escape(argv[1]);
	raise_fd_limit();
	lower_oom_score();
	int sfd;
	reset_signals(&sfd);
	fcntl(LISTEN_FD, F_SETFD, FD_CLOEXEC);
	fcntl(LISTEN_FD, F_SETFL, O_NONBLOCK);
	if (chdir(argv[1]) < 0)
		_exit(111);
	size_t len = strlen(argv[1]);
	char *path = xrealloc(NULL, len + strlen(sock_name) + 2);
	sprintf(path, "%s/%s", argv[1], sock_name);
	sock_path = path;
	lock_fd = open(lock_name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0 || chdir("/") < 0 || stat("/proc/self/ns/mnt", &own_mntns) < 0)
		_exit(111);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
	    !read_confinement(getpid(), &own_confinement))
		_exit(111);
	refill_reserve();

	struct pollfd *pfds = NULL;
	pid_t *watched = NULL;
	bool lingering = false;
	for (;;) {
		refill_reserve();
		/* Per connection its socket and its peer; then the calls whose
		 * exec is unsettled and the watched cgroups, by pid. */
		size_t polled = nclients, nsettling = 0, nwatched = 0;
		pfds = xrealloc(pfds, (P_FIXED + 2 * nclients + ncalls + nclaims + nstarts) * sizeof(*pfds));
		watched = xrealloc(watched, (ncalls + nclaims + 1) * sizeof(*watched));
		int64_t paused_ms = accept_paused_until - now_ms();
		pfds[P_SIGNALS] = (struct pollfd){ sfd, POLLIN, 0 };
		pfds[P_LISTEN] = (struct pollfd){ paused_ms > 0 ? -1 : LISTEN_FD, POLLIN, 0 };
		struct pollfd *pc = &pfds[P_FIXED];
		for (size_t i = 0; i < nclients; i++) {
			pc[2 * i] = (struct pollfd){ clients[i].fd,
			                             POLLIN | (clients[i].head ? POLLOUT : 0), 0 };
			pc[2 * i + 1] = (struct pollfd){ clients[i].pidfd, POLLIN, 0 };
		}
		struct pollfd *ps = &pc[2 * polled];
		for (size_t i = 0; i < ncalls; i++) {
			if (calls[i].errfd < 0)
				continue;
			ps[nsettling] = (struct pollfd){ calls[i].errfd, POLLIN, 0 };
			watched[nsettling++] = calls[i].pid;
		}
		struct pollfd *pw = &ps[nsettling];
		pid_t *wpids = &watched[nsettling];
		for (size_t i = 0; i < nclaims; i++) {
			if (!oom_watched(&claims[i]))
				continue;
			pw[nwatched].fd = oom_poll_fd(&claims[i], &pw[nwatched].events);
			pw[nwatched].revents = 0;
			wpids[nwatched++] = claims[i].pid;
		}
		struct pollfd *pst = &pw[nwatched];
		size_t nstarting = nstarts;
		for (size_t i = 0; i < nstarting; i++)
			pst[i] = (struct pollfd){ starts[i].fd, POLLIN, 0 };
		bool idle = !nclients && !nclaims && !ncalls;
		int timeout = oom_retry_timeout(idle ? IDLE_RETRY_MS : -1);
		if (lingering && (timeout < 0 || timeout > LINGER_POLL_MS))
			timeout = LINGER_POLL_MS;
		if (paused_ms > 0 && (timeout < 0 || paused_ms < timeout))
			timeout = (int)paused_ms;
		int n = poll(pfds, P_FIXED + 2 * polled + nsettling + nwatched + nstarting, timeout);
		if (n < 0 && errno != EINTR)
			_exit(111);
		if (n > 0 && (pfds[P_SIGNALS].revents & POLLIN)) {
			struct signalfd_siginfo info;
			while (read(sfd, &info, sizeof(info)) > 0)
				;
			reap();
		}
		lingering = finish_lingering();
		/* Starts may have ended (their init reaped): find each by its fd. */
		for (size_t j = 0; n > 0 && j < nstarting; j++)
			if (pst[j].revents)
				start_ready(pst[j].fd, pst[j].revents);
		/* Calls may have gone or moved: find each by its pid. */
		for (size_t j = 0; n > 0 && j < nsettling; j++) {
			struct call *call = ps[j].revents ? call_by_pid(watched[j]) : NULL;
			if (call && call->errfd == ps[j].fd)
				settle_call(call);
		}
		/* Newest connections were appended: polled ones keep their index
		 * until one is dropped, so walk down. */
		for (size_t i = polled; n > 0 && i-- > 0;) {
			short ev = pc[2 * i].revents;
			if (pc[2 * i + 1].revents) {
				/* Its peer died: what it sent before counts, then the
				 * connection ends, whoever else holds the socket. */
				while (serve(i) && !serve_drained)
					;
				drop_client(i);
				continue;
			}
			bool ok = true;
			if (ev & POLLOUT)
				ok = flush_client(&clients[i]);
			if (ok && (ev & (POLLIN | POLLHUP | POLLERR)))
				ok = serve(i);
			if (!ok)
				drop_client(i);
		}
		/* Claims may have gone or moved: find each by its pid. */
		for (size_t j = 0; n > 0 && j < nwatched; j++) {
			struct pollfd *p = &pw[j];
			struct claim *cl = p->revents ? claim_by_pid(wpids[j]) : NULL;
			short events;
			if (!cl || !oom_watched(cl) || oom_poll_fd(cl, &events) != p->fd)
				continue;
			uint64_t count;
			if (cl->oom_efd >= 0 && read(cl->oom_efd, &count, sizeof(count)) < 0)
				continue;
			if (!oom_check(cl))
				cl->oom_retries = OOM_RETRIES;
		}
		for (size_t i = 0; i < nclaims; i++)
			if (claims[i].oom_retries > 0 && !oom_check(&claims[i]))
				claims[i].oom_retries--;
		if (n > 0 && pfds[P_LISTEN].fd >= 0 && (pfds[P_LISTEN].revents & POLLIN))
			accept_clients();
		maybe_exit();
	}
}
