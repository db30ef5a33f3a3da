/*
 * protocol.h - the messages between libexecution and its monitor.
 *
 * One SOCK_SEQPACKET unix socket per library process and root. Every
 * message, both ways, is one packet: a struct mon_msg, then a strings area
 * of NUL-terminated strings (a list ends with an empty string), then nothing
 * else; fds travel with it as SCM_RIGHTS. runtime/internal/monitor/proto.go
 * is the library's side of this file: change both together, and bump
 * MON_PROTO_VERSION when a message changes shape.
 */
#ifndef EXECUTION_MONITOR_PROTOCOL_H
#define EXECUTION_MONITOR_PROTOCOL_H

#include <stdint.h>

#define MON_PROTO_VERSION 8

/* The largest packet either side sends or accepts. A SPAWN whose strings
 * do not fit (a large environment) passes them in a memfd instead (see
 * strings_len), of at most MON_MAX_STRINGS bytes. */
#define MON_MAX_MSG (64 * 1024)
#define MON_MAX_STRINGS (16 * 1024 * 1024)
/* The most fds one SPAWN passes: three streams, up to 64 fds the caller
 * passes on (version 5), a runtime log and a strings memfd. */
#define MON_MAX_FDS 69

enum mon_type {
	/* lib: first message of a connection, in the newest version the
	 * library speaks; count and arg: the oldest and newest versions it
	 * speaks. reply: pid = the monitor's pid, arg = the version both speak
	 * from now on; or err EPROTO (in the request's version) when the
	 * monitor speaks none of them. The monitor follows the peer process
	 * that connected: its death ends the connection as a close does.
	 * Version 4: every SPAWN runs in that peer's context (see SPAWN), and
	 * what cannot follow the peer into a call (its seccomp mode and
	 * filter count, no_new_privs, effective and bounding capabilities,
	 * LSM label) must be the monitor's own: a peer confined otherwise is
	 * refused with err EPERM (ESRCH: its process cannot be followed), and
	 * every later request of the connection with EPERM. */
	MON_HELLO = 1,
	/* lib: run a program. strings: argv list, env list, working dir;
	 * fds: its fd 0, 1, 2, ... (nfds of them). arg: the events (a mask of
	 * 1 << MON_EV_*) to publish when the program exits with status 0; with
	 * a mask the next strings are their container id and process id.
	 * With MON_SPAWN_GUARD in arg, the next strings are a cleanup argv
	 * list and a dir: if the connection ends before an UNGUARD names this
	 * SPAWN, the monitor kills the program if it runs, then kills the
	 * process the runtime's pid file in the dir names (if it is its child),
	 * runs the cleanup (with the program's env; a DELETED event when it
	 * succeeds; none when the list is empty) and removes the dir. A create
	 * or exec guarded so leaves nothing behind a host that died before it
	 * could record or undo it.
	 * With MON_SPAWN_PRIME in arg, the program will move a process into
	 * cgroups (version 7).
	 * With strings_len, the strings are not in the packet but in a memfd
	 * of that size passed after the program's fds.
	 * The program runs as the peer that sent HELLO would run it: in its
	 * mount namespace (joined before the dir and program are looked up),
	 * with its resource limits, umask and OOM score adjustment, all read
	 * from the peer when the SPAWN comes.
	 * reply: pid once the program runs (after its exec), or err; arg
	 * MON_SPAWN_CONTEXT when it is the peer's context that could not be
	 * read or joined (a mount namespace an unprivileged monitor cannot
	 * enter: EPERM). */
	MON_SPAWN = 2,
	/* lib: kill the process group of the SPAWN whose seq is `arg`. No reply. */
	MON_CANCEL = 3,
	/* lib: take over child `pid` (a container init or exec'd process the
	 * runtime started): record its exit into the file named by the first
	 * string. The second names its cgroup's OOM counter (a file with an
	 * "oom_kill N" line; "" for none) and `count` that counter's value when
	 * it started: the exit says oom_killed when the counter grew (with
	 * MON_CLAIM_OOM_SIGKILL, only for a death by SIGKILL). arg: MON_CLAIM_*
	 * flags. With MON_CLAIM_KILL_ORPHAN the next strings are a cleanup argv
	 * list and env list, run when the claiming connection closes while the
	 * process lives; for a container's init, its success publishes
	 * DELETED, then the dir of the exit record (the state dir) is removed.
	 * With MON_CLAIM_FRESH a pid already claimed is refused (EALREADY):
	 * a process an agent reports must be new. With MON_CLAIM_ADDED the
	 * claim publishes EXEC_ADDED for container and process before
	 * anything of the process (version 5). With MON_CLAIM_RELEASE the
	 * packet passes one fd, a pipe the process waits on before its exec:
	 * once the process is claimed live, the monitor writes one byte to it
	 * (version 8).
	 * reply: start, state, and wstatus and arg (1: OOM-killed) when state
	 * is MON_EXITED; or err (ECHILD: not a child of the monitor). With
	 * MON_CLAIM_RELEASE, count is the errno of a write that failed, after
	 * which the claimed process was killed. */
	MON_CLAIM = 4,
	/* lib: what of claimed `pid` with start time `start`? reply: state
	 * (MON_LIVE), or err ESRCH when the monitor does not follow it. */
	MON_QUERY = 5,
	/* lib: send signal `arg` to claimed `pid`, `start`. reply: err 0,
	 * ESRCH (it has exited) or ECHILD (the monitor does not follow it). */
	MON_SIGNAL = 6,
	/* mon: the SPAWN with this seq exited: pid, wstatus (a wait status). */
	MON_CALL_EXIT = 7,
	/* mon, to every connection: claimed pid, start exited with wstatus
	 * (arg 1: OOM-killed), after its exit record was written whole
	 * (err: why it could not be, 0 when it was; the monitor
	 * syncs it after this message), and after the EXITED event
	 * of a container whose start was in flight. The record is written
	 * while the exited process still holds its pid, the message sent once
	 * it is reaped. */
	MON_EXIT = 8,
	/* mon: the answer to the request with this seq. */
	MON_REPLY = 9,
	/* lib: send this connection every event of the root from now on.
	 * reply: err 0. */
	MON_SUBSCRIBE = 10,
	/* mon, to subscribed connections: event `arg` (MON_EV_*) at `count`
	 * (CLOCK_MONOTONIC, ns) of process `pid`; for an exit, wstatus, and
	 * state 1 when OOM-killed. strings: container id, process id. Events
	 * are sent in the order they happened; a container's start is always
	 * published before the exit of its init. */
	MON_EVENT = 11,
	/* mon: this connection did not read, and `count` EXIT and EVENT
	 * messages meant for it were dropped (a connection may have at most
	 * MON_QUEUE_MAX bytes queued). Its exits are in their records: QUERY
	 * says ESRCH for each claim gone. */
	MON_OVERFLOW = 12,
	/* lib: the guarded SPAWN whose seq is `arg` is settled (recorded or
	 * undone): forget its guard. No reply. */
	MON_UNGUARD = 13,
	/* lib: start the created container named by the second string, whose
	 * init is claimed `pid`, `start`, as the runtime's own start does:
	 * read the byte its init writes into the runtime's exec fifo, named
	 * by the first string, until the init's exec closes it, then remove
	 * the fifo and publish STARTED. Exits of the container are held until
	 * then, as for a start the runtime runs. A CANCEL naming this seq ends
	 * the wait (ECANCELED) unless the init's byte was read. reply: err 0
	 * once started; ECHILD when the init is not a claimed child, ENOENT
	 * when no fifo is there, EALREADY while another start of the container
	 * is in flight, ESRCH when the init exited without starting (version
	 * 6). */
	MON_START = 14,
	/* lib: where does the monitor live? reply: err 0 once it is in the
	 * cgroups the runtimes it spawns start in (its cgroup_escape() is
	 * done), so that /proc/<pid>/cgroup of the monitor then tells where a
	 * container's relative cgroup path goes (version 7). */
	MON_WHERE = 15
};

/* SPAWN flags, beside the event mask in arg. */
#define MON_SPAWN_GUARD (1 << 16)
/* The program moves a process into cgroups (a runtime's create, run or
 * exec): the monitor starts the kernel's wait before such a move as it
 * spawns it (cgroup.c, cgroup_prime). Version 7. */
#define MON_SPAWN_PRIME (1 << 17)
/* In a SPAWN's failed reply: the caller's context was the cause. */
#define MON_SPAWN_CONTEXT 1

/* Bytes of EXIT and EVENT messages queued for one connection, at most. */
#define MON_QUEUE_MAX (1024 * 1024)

/* Event types: the public exec_event_type values. */
enum mon_event {
	MON_EV_CREATED = 1,
	MON_EV_STARTED = 2,
	MON_EV_PAUSED = 3,
	MON_EV_RESUMED = 4,
	MON_EV_EXITED = 5,
	MON_EV_OOM = 6,
	MON_EV_DELETED = 7,
	MON_EV_EXEC_ADDED = 8,
	MON_EV_PROCESS_EXITED = 9
};

/* MON_CLAIM flags. */
#define MON_CLAIM_KILL_ORPHAN 1
#define MON_CLAIM_OOM_SIGKILL 2
#define MON_CLAIM_FRESH 4
#define MON_CLAIM_ADDED 8
#define MON_CLAIM_RELEASE 16

/* States in a reply. */
#define MON_LIVE 1
#define MON_EXITED 2

struct mon_msg {
	uint32_t version; /* MON_PROTO_VERSION */
	uint32_t type;    /* enum mon_type */
	uint64_t seq;     /* a request's number, echoed by its reply */
	int64_t pid;
	uint64_t start;   /* start time in clock ticks after boot (proc(5) field 22) */
	int64_t arg;
	uint64_t count;
	int32_t err;      /* an errno in a reply; 0 is success */
	int32_t state;
	int32_t wstatus;
	uint32_t nfds;
	uint64_t strings_len; /* strings in a memfd of this size; 0: inline */
};

#endif
