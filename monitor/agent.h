/*
 * agent.h - the messages between libexecution and a container's agent.
 *
 * The agent (agent.c) runs inside a container, started by the runtime's
 * exec with the container's own process settings, and starts exec'd
 * processes there with a fork instead of a runtime call. It speaks over one
 * SOCK_SEQPACKET socket, its fd 4, whose other end the library holds; it
 * exits when that end closes. Every message is one packet: a struct
 * agent_msg, then a strings area of NUL-terminated strings (a list ends with
 * an empty string); fds travel as SCM_RIGHTS. runtime/agent_proto.go is the
 * library's side of this file: change both together, and bump
 * AGENT_PROTO_VERSION when a message changes shape.
 *
 * One exec is one request and its reply, one at a time per agent:
 *   lib   START  strings: argv list, env list (HOME added when missing, as
 *                the runtime does), cwd, rlimits list ("RESOURCE SOFT
 *                HARD", numbers); flags, rows, cols; fds: stdin, stdout,
 *                stderr (none with AGENT_TERMINAL). The process is the
 *                agent's user with the agent's capabilities.
 *   agent READY  the process is made, as a sibling of the agent (a child
 *                of the agent's parent, CLONE_PARENT), with everything
 *                applied, and waits before its exec; the process sends
 *                this READY itself on the agent's socket, the agent only
 *                a failed one, when the process is not left to. pid: its pid in the
 *                container; fds: its pidfd, the write end of its go pipe,
 *                the read end of its status pipe, then the pty master with
 *                AGENT_TERMINAL. Or err (an errno) and stage
 *                (AGENT_STAGE_*), and nothing runs.
 * The rest is between the library and the process, without the agent: a
 * byte written to the go pipe has it exec the program; the go pipe closed
 * without one, it exits 127 having run nothing. The status pipe then reads
 * EOF once the exec succeeded, or a struct agent_status with the exec's
 * errno (stage AGENT_STAGE_EXEC).
 */
#ifndef EXECUTION_AGENT_H
#define EXECUTION_AGENT_H

#include <stdint.h>

#define AGENT_PROTO_VERSION 1

/* The largest packet either side sends or accepts. */
#define AGENT_MAX_MSG (256 * 1024)

/* The agent's fds, as the runtime's exec passes them (--preserve-fds 2). */
#define AGENT_EXE_FD 3
#define AGENT_SOCK_FD 4

enum agent_type {
	AGENT_START = 1,
	AGENT_READY = 2
};

/* START flags. */
#define AGENT_TERMINAL 1 /* a pty made inside the container; rows, cols */

/* Where a START failed. */
enum agent_stage {
	AGENT_STAGE_REQUEST = 1,
	AGENT_STAGE_FORK = 2,
	AGENT_STAGE_TERMINAL = 3,
	AGENT_STAGE_STDIO = 4,
	AGENT_STAGE_RLIMITS = 5,
	AGENT_STAGE_CWD = 7,
	AGENT_STAGE_LOOKUP = 8,
	AGENT_STAGE_PIDFD = 9,
	AGENT_STAGE_EXEC = 10
};

/* What the process writes to its status pipe. */
struct agent_status {
	int32_t stage;
	int32_t err;
};

struct agent_msg {
	uint32_t version; /* AGENT_PROTO_VERSION */
	uint32_t type;    /* enum agent_type */
	int32_t err;      /* an errno; 0 is success */
	int32_t stage;    /* enum agent_stage, with err */
	int32_t pid;      /* READY: the process's pid in the container */
	uint32_t flags;
	uint32_t rows;
	uint32_t cols;
};

#endif
