/*
 * monitor.c - execution-monitor, the process that spawns the OCI runtime
 * and reaps containers for libexecution.
 *
 * One monitor serves one library root, for every library process using it.
 * The library starts it with the root as argv[1] and a listening unix
 * socket (SOCK_SEQPACKET, bound at <root>/monitor.sock) as fd 3. It leaves
 * its starter at once (fork, setsid), so it is no child of the host, and
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
 * The messages are in protocol.h. Single-threaded: one poll loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* A packet waiting for its connection to drain. */
struct packet {
	struct packet *next;
	size_t len;
	char data[];
};

struct client {
	int fd;
	uint64_t id;
	struct packet *head, *tail; /* unsent packets, oldest first */
	bool subscribed;            /* gets the root's events */
};

/* A runtime call: a SPAWN, or a cleanup of the monitor's own (client 0). */
struct call {
	pid_t pid;
	uint64_t client;
	uint64_t seq;
	int64_t events;  /* a mask of 1 << MON_EV_*, published at success */
	char *container; /* whom those events are about */
	char *process;
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
};

/* An exit event held back until the start of its container is published. */
struct held {
	int type;
	pid_t pid;
	int wstatus;
	bool oom;       /* the exit tells an OOM kill */
	bool oom_event; /* and no OOM event told it yet */
	char *container;
	char *process;
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

static const char *sock_path;
static int lock_fd = -1;
static char msgbuf[MON_MAX_MSG];

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

/* ---- process facts ---- */

/* The start time of pid (proc(5) field 22), or 0 if unreadable. */
static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
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

/* Send what waits for c; false when the connection is broken. */
static bool flush_client(struct client *c)
{
	while (c->head) {
		struct packet *p = c->head;
		ssize_t n = send(c->fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0)
			return false;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		free(p);
	}
	return true;
}

/* Queue a packet for c and send what can be sent now, in order. */
static void send_packet(struct client *c, const void *data, size_t len)
{
	struct packet *p = xrealloc(NULL, sizeof(*p) + len);
	p->next = NULL;
	p->len = len;
	memcpy(p->data, data, len);
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	flush_client(c);
}

static void send_msg(struct client *c, const struct mon_msg *m)
{
	send_packet(c, m, sizeof(*m));
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

/*
 * Fork and exec argv with env in dir, fds[i] as its fd i, in a process
 * group of its own. Returns the pid, or -errno.
 */
static pid_t spawn(char **argv, char **env, const char *dir, const int *fds, int nfds)
{
	int errpipe[2];
	if (pipe2(errpipe, O_CLOEXEC) < 0)
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
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		for (int i = 0; i < nfds; i++) {
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, MON_MAX_FDS + 3);
			if (moved[i] < 0)
				goto fail;
		}
		for (int i = 0; i < nfds; i++)
			if (dup2(moved[i], i) < 0)
				goto fail;
		if (dir && *dir && chdir(dir) < 0)
			goto fail;
		execve(argv[0], argv, env);
	fail:;
		int err = errno;
		ssize_t unused = write(errpipe[1], &err, sizeof(err));
		(void)unused;
		_exit(127);
	}
	close(errpipe[1]);
	int err = 0;
	ssize_t n;
	do
		n = read(errpipe[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == sizeof(err)) {
		/* It exits at once; the reaper files its exit as unclaimed. */
		return -err;
	}
	return pid;
}

static void add_call(pid_t pid, uint64_t client, uint64_t seq, int64_t events,
                     const char *container, const char *process)
{
	calls = xrealloc(calls, (ncalls + 1) * sizeof(*calls));
	calls[ncalls++] = (struct call){ pid, client, seq, events,
	                                 events ? xstrdup(container) : NULL,
	                                 events ? xstrdup(process) : NULL };
}

static void do_spawn(struct client *c, const struct mon_msg *m, struct strings *s,
                     const int *fds, int nfds)
{
	char **argv = next_list(s);
	char **env = argv ? next_list(s) : NULL;
	const char *dir = env ? next_string(s) : NULL;
	const char *container = dir && m->arg ? next_string(s) : "";
	const char *process = container && m->arg ? next_string(s) : "";
	if (!dir || !process || !argv[0] || nfds < 3 || (uint32_t)nfds != m->nfds ||
	    (m->arg & ~(int64_t)0x3fe)) {
		reply_err(c, m, EINVAL);
	} else {
		pid_t pid = spawn(argv, env, dir, fds, nfds);
		if (pid < 0) {
			reply_err(c, m, (int)-pid);
		} else {
			add_call(pid, c->id, m->seq, m->arg, container, process);
			struct mon_msg r = reply_to(m);
			r.pid = pid;
			send_msg(c, &r);
		}
	}
	free(argv);
	free(env);
}

/* Run a claim's cleanup command, with /dev/null as its stdio. */
static void run_cleanup(struct claim *cl)
{
	struct strings s = { cl->cleanup, cl->cleanup + cl->cleanup_len, false };
	char **argv = next_list(&s);
	char **env = argv ? next_list(&s) : NULL;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (env && argv[0] && null >= 0) {
		int fds[3] = { null, null, null };
		pid_t pid = spawn(argv, env, "/", fds, 3);
		if (pid > 0)
			add_call(pid, 0, 0, 0, NULL, NULL);
	}
	if (null >= 0)
		close(null);
	free(argv);
	free(env);
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
	int fd = path && *path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0;
	uint64_t n = oom_kills_fd(fd);
	close(fd);
	return n;
}

/*
 * Watch a container's memory cgroup for OOM kills as they happen: on v2 its
 * memory.events polls POLLPRI when it changes; on v1 an eventfd registered
 * through cgroup.event_control for memory.oom_control is signalled.
 */
static void oom_watch(struct claim *cl)
{
	const char *name = strrchr(cl->oom_file, '/');
	cl->oom_fd = open(cl->oom_file, O_RDONLY | O_CLOEXEC);
	if (cl->oom_fd < 0 || !name || strcmp(name, "/memory.oom_control") != 0)
		return;
	char ctl[PATH_MAX], line[64];
	snprintf(ctl, sizeof(ctl), "%.*s/cgroup.event_control", (int)(name - cl->oom_file),
	         cl->oom_file);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int cfd = efd >= 0 ? open(ctl, O_WRONLY | O_CLOEXEC) : -1;
	int n = snprintf(line, sizeof(line), "%d %d", efd, cl->oom_fd);
	if (cfd >= 0 && write(cfd, line, (size_t)n) == n) {
		cl->oom_efd = efd;
	} else {
		if (efd >= 0)
			close(efd);
		close(cl->oom_fd);
		cl->oom_fd = -1;
	}
	if (cfd >= 0)
		close(cfd);
}

/* The fd to poll for a watched claim's OOM kills, and for what. */
static int oom_poll_fd(const struct claim *cl, short *events)
{
	*events = cl->oom_efd >= 0 ? POLLIN : POLLPRI;
	return cl->oom_efd >= 0 ? cl->oom_efd : cl->oom_fd;
}

/* Whether the OOM killer ended a process that exited with ws. */
static bool oom_killed(const char *file, uint64_t base, int flags, int ws)
{
	if ((flags & MON_CLAIM_OOM_SIGKILL) && !(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL))
		return false;
	return oom_kills(file) > base;
}

/* Write an exit record the library reads (runtime/exit.go's JSON). */
static void write_exit(const char *path, int ws, bool oom)
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
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* the state dir was deleted */
	ssize_t unused = write(fd, json, (size_t)n);
	(void)unused;
	close(fd);
}

static void broadcast(const struct mon_msg *m)
{
	for (size_t i = 0; i < nclients; i++)
		send_msg(&clients[i], m);
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
			send_packet(&clients[i], p, sizeof(m) + lc + lp);
	free(p);
}

/* Whether a start of container is in flight. */
static bool start_pending(const char *container)
{
	for (size_t i = 0; i < ncalls; i++)
		if ((calls[i].events & (1 << MON_EV_STARTED)) && !strcmp(calls[i].container, container))
			return true;
	return false;
}

/* An OOM event names the container only: the kernel's count is the
 * container's; the exit that follows names the process. */
static void publish_exit_now(const struct held *h)
{
	if (h->oom_event)
		publish(MON_EV_OOM, 0, 0, true, h->container, "");
	publish(h->type, h->pid, h->wstatus, h->oom, h->container, h->process);
}

/* Publish the exit of a claimed process, its OOM kill first; while a start
 * of its container is in flight, hold it until that start is published. */
static void publish_exit(pid_t pid, int ws, bool oom, bool oom_event, const char *container,
                         const char *process)
{
	if (!*container)
		return;
	struct held h = { *process ? MON_EV_PROCESS_EXITED : MON_EV_EXITED, pid, ws, oom,
	                  oom_event, (char *)container, (char *)process };
	if (!start_pending(container)) {
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
	if (cl->oom_fd < 0 || start_pending(cl->container))
		return false;
	uint64_t kills = oom_kills_fd(cl->oom_fd);
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
		if (claims[i].oom_fd >= 0 && !strcmp(claims[i].container, container)) {
			oom_check(&claims[i]);
			return false;
		}
	}
	return true;
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
	if (start_pending(cl->container))
		return;
	size_t kept = 0;
	for (size_t i = 0; i < nhelds; i++) {
		struct held *h = &helds[i];
		if (strcmp(h->container, cl->container)) {
			helds[kept++] = *h;
			continue;
		}
		publish_exit_now(h);
		free(h->container);
		free(h->process);
	}
	nhelds = kept;
	for (size_t i = 0; i < nclaims; i++)
		if (!strcmp(claims[i].container, cl->container))
			oom_check(&claims[i]);
}

/* A child was reaped: tell whoever waits for it. */
static void child_exited(pid_t pid, uint64_t start, int ws)
{
	for (size_t i = 0; i < ncalls; i++) {
		if (calls[i].pid != pid)
			continue;
		struct call call = calls[i];
		calls[i] = calls[--ncalls];
		call_events(&call, ws);
		struct client *c = client_by_id(call.client);
		if (c) {
			struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_CALL_EXIT,
			                     .seq = call.seq, .pid = pid, .wstatus = ws };
			send_msg(c, &m);
		}
		free(call.container);
		free(call.process);
		return;
	}
	struct claim *cl = claim_by_pid(pid);
	if (cl) {
		bool oom = oom_killed(cl->oom_file, cl->oom_base, cl->flags, ws);
		write_exit(cl->exit_path, ws, oom);
		bool oom_event = oom && (*cl->process ? oom_untold(cl->container)
		                                      : cl->oom_fd < 0 || oom_kills(cl->oom_file) > cl->oom_seen);
		publish_exit(pid, ws, oom, oom_event, cl->container, cl->process);
		struct mon_msg m = { .version = MON_PROTO_VERSION, .type = MON_EXIT, .pid = pid,
		                     .start = cl->start, .arg = oom, .state = MON_EXITED, .wstatus = ws };
		remember_gone(pid, cl->start, ws, true);
		drop_claim(cl);
		broadcast(&m);
		return;
	}
	remember_gone(pid, start, ws, false);
}

/* Reap every exited child. */
static void reap(void)
{
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		pid_t pid = si.si_pid;
		uint64_t start = proc_start(pid);
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0 || si.si_pid != pid)
			continue;
		child_exited(pid, start, wstatus_of(&si));
	}
}

static void do_claim(struct client *c, const struct mon_msg *m, struct strings *s)
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
	if (cl) {
		r.start = cl->start;
		r.state = MON_LIVE;
		send_msg(c, &r);
		return;
	}
	siginfo_t si = { 0 };
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
		r.start = proc_start(pid);
		if (si.si_pid == pid) {
			/* Exited, not reaped yet: reap it now. */
			memset(&si, 0, sizeof(si));
			waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG);
			r.state = MON_EXITED;
			r.wstatus = wstatus_of(&si);
			r.arg = oom_killed(oom_file, m->count, (int)m->arg, r.wstatus);
			write_exit(exit_path, r.wstatus, r.arg);
			publish_exit(pid, r.wstatus, r.arg, r.arg && oom_untold(container), container, process);
			remember_gone(pid, r.start, r.wstatus, true);
		} else {
			claims = xrealloc(claims, (nclaims + 1) * sizeof(*claims));
			cl = &claims[nclaims++];
			*cl = (struct claim){ .pid = pid, .start = r.start, .owner = c->id,
			                      .flags = (int)m->arg, .exit_path = xstrdup(exit_path),
			                      .oom_file = xstrdup(oom_file), .oom_base = m->count,
			                      .container = xstrdup(container),
			                      .process = xstrdup(process), .oom_fd = -1,
			                      .oom_efd = -1, .oom_seen = m->count };
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
	g->claimed = true;
	r.start = g->start;
	r.state = MON_EXITED;
	r.wstatus = g->wstatus;
	r.arg = oom_killed(oom_file, m->count, (int)m->arg, g->wstatus);
	write_exit(exit_path, g->wstatus, r.arg);
	publish_exit(pid, g->wstatus, r.arg, r.arg && oom_untold(container), container, process);
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

static void do_cancel(struct client *c, const struct mon_msg *m)
{
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
		if (cl->cleanup)
			run_cleanup(cl);
	}
}

static void drop_client(size_t i)
{
	struct client *c = &clients[i];
	uint64_t id = c->id;
	close(c->fd);
	while (c->head) {
		struct packet *p = c->head;
		c->head = p->next;
		free(p);
	}
	clients[i] = clients[--nclients];
	orphan_claims(id);
}

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
	struct mon_msg m;
	if ((size_t)n < sizeof(m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		close_fds(fds, nfds);
		return false;
	}
	memcpy(&m, msgbuf, sizeof(m));
	if (m.version != MON_PROTO_VERSION) {
		reply_err(c, &m, EPROTO);
		close_fds(fds, nfds);
		return true;
	}
	struct strings s = { msgbuf + sizeof(m), msgbuf + n, false };
	switch (m.type) {
	case MON_HELLO: {
		struct mon_msg r = reply_to(&m);
		r.pid = getpid();
		send_msg(c, &r);
		break;
	}
	case MON_SPAWN:
		do_spawn(c, &m, &s, fds, nfds);
		break;
	case MON_CANCEL:
		do_cancel(c, &m);
		break;
	case MON_CLAIM:
		do_claim(c, &m, &s);
		break;
	case MON_QUERY:
		do_query(c, &m);
		break;
	case MON_SIGNAL:
		do_signal(c, &m);
		break;
	case MON_SUBSCRIBE:
		c->subscribed = true;
		reply_err(c, &m, 0);
		break;
	default:
		reply_err(c, &m, EPROTO);
	}
	close_fds(fds, nfds);
	return true;
}

static void accept_clients(void)
{
	for (;;) {
		int fd = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
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
		clients[nclients++] = (struct client){ .fd = fd, .id = next_client_id++ };
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT (with the listening socket as fd 3)\n", argv[0]);
		return 2;
	}
	struct stat st;
	if (fstat(LISTEN_FD, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 2;
	detach();
	int sfd;
	reset_signals(&sfd);
	fcntl(LISTEN_FD, F_SETFD, FD_CLOEXEC);
	fcntl(LISTEN_FD, F_SETFL, O_NONBLOCK);
	if (chdir(argv[1]) < 0)
		_exit(111);
	size_t len = strlen(argv[1]);
	char *path = xrealloc(NULL, len + sizeof("/monitor.sock"));
	memcpy(path, argv[1], len);
	strcpy(path + len, "/monitor.sock");
	sock_path = path;
	lock_fd = open("monitor.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock_fd < 0 || chdir("/") < 0)
		_exit(111);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		_exit(111);
	prctl(PR_SET_NAME, "exec-monitor", 0, 0, 0);

	struct pollfd *pfds = NULL;
	pid_t *watched = NULL;
	for (;;) {
		pfds = xrealloc(pfds, (nclients + nclaims + 2) * sizeof(*pfds));
		watched = xrealloc(watched, (nclaims + 1) * sizeof(*watched));
		pfds[0] = (struct pollfd){ sfd, POLLIN, 0 };
		pfds[1] = (struct pollfd){ LISTEN_FD, POLLIN, 0 };
		for (size_t i = 0; i < nclients; i++)
			pfds[i + 2] = (struct pollfd){ clients[i].fd,
			                               POLLIN | (clients[i].head ? POLLOUT : 0), 0 };
		size_t polled = nclients, nwatched = 0;
		for (size_t i = 0; i < nclaims; i++) {
			if (claims[i].oom_fd < 0)
				continue;
			struct pollfd *p = &pfds[polled + 2 + nwatched];
			p->fd = oom_poll_fd(&claims[i], &p->events);
			p->revents = 0;
			watched[nwatched++] = claims[i].pid;
		}
		bool idle = !nclients && !nclaims && !ncalls;
		int n = poll(pfds, polled + 2 + nwatched, oom_retry_timeout(idle ? IDLE_RETRY_MS : -1));
		if (n < 0 && errno != EINTR)
			_exit(111);
		if (n > 0 && (pfds[0].revents & POLLIN)) {
			struct signalfd_siginfo info;
			while (read(sfd, &info, sizeof(info)) > 0)
				;
			reap();
		}
		/* Newest connections were appended: polled ones keep their index
		 * until one is dropped, so walk down. */
		for (size_t i = polled; n > 0 && i-- > 0;) {
			short ev = pfds[i + 2].revents;
			if (!ev)
				continue;
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
			struct pollfd *p = &pfds[polled + 2 + j];
			struct claim *cl = p->revents ? claim_by_pid(watched[j]) : NULL;
			short events;
			if (!cl || cl->oom_fd < 0 || oom_poll_fd(cl, &events) != p->fd)
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
		if (n > 0 && (pfds[1].revents & POLLIN))
			accept_clients();
		maybe_exit();
	}
}
