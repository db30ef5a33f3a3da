/*
 * cgroup.h - the monitor's own cgroup: a sibling of its host's, so that
 * what kills the host's cgroup as a whole leaves the monitor alive.
 */
#ifndef EXECUTION_MONITOR_CGROUP_H
#define EXECUTION_MONITOR_CGROUP_H

/* The prefix of the monitors' cgroup names. */
#define CGROUP_PREFIX "libexecution-monitor-"

/* Move the calling process into a cgroup of its own, named for root and
 * its pid, beside its cgroup in the v2 hierarchy and in each v1 hierarchy
 * where it is not in the root cgroup, first removing the empty ones of
 * monitors that are gone. A hierarchy where it cannot make one or move
 * into it (no permission, read-only) keeps it where it was. */
void cgroup_escape(const char *root);

/* Leave the cgroups cgroup_escape() made, back to where the process was
 * (or their parent, where that is gone), and remove them. */
void cgroup_leave(void);

#endif
