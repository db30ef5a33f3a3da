/*
 * cgroup.h - the monitor's own cgroup: a sibling of its host's, so that
 * what kills the host's cgroup as a whole leaves the monitor alive.
 */
#ifndef EXECUTION_MONITOR_CGROUP_H
#define EXECUTION_MONITOR_CGROUP_H

/* The prefix of the monitors' cgroup names. */
#define CGROUP_PREFIX "libexecution-monitor-"

/* Have a thread move the calling process into a cgroup of its own, named
 * for root (which must outlive the process) and its pid, beside its
 * cgroup in the v2 hierarchy and in each v1 hierarchy where it is not in
 * the root cgroup, first removing the empty ones of monitors that are
 * gone; without waiting for the move (the kernel may take a grace period
 * of RCU for it). A hierarchy where it cannot make one or move into it
 * (no permission, read-only) keeps it where it was. */
void cgroup_escape(const char *root);

/* Wait until cgroup_escape()'s moves are done: a process started before
 * would stay in the host's cgroups, a container its runtime makes would
 * go beneath them, and a host would read the wrong cgroups for the
 * monitor's. */
void cgroup_escaped(void);

/* Have the thread move the process into the cgroup it is in, once more,
 * without waiting for it: the kernel's wait before a cgroup move (an RCU
 * grace period, unless a move ended just before) then elapses now, and a
 * runtime spawned meanwhile moves its container's process without it.
 * Nothing happens where the process cannot write its cgroup.procs. */
void cgroup_prime(void);

/* Leave the cgroups cgroup_escape() made, once it is done, back to where
 * the process was (or their parent, where that is gone), and remove them;
 * priming stops. */
void cgroup_leave(void);

#endif
