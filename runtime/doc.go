// Package runtime runs and supervises OCI containers through a runc-compatible
// runtime binary, with no daemon.
//
// A Runtime owns a state root; each container it creates gets a state dir
// under <root>/containers/<id> holding its pids and recorded exits, so that a
// later process can Load it again. Every runtime invocation is spawned by the
// root's monitor (monitor/monitor.c, registered with SetMonitorProgram),
// which is the child subreaper of every container init and exec'd process,
// reaps them, and records their exits; this process only waits for its
// messages. go-runc remains the runtime client: the package installs a
// go-runc ProcessMonitor that hands go-runc's commands to the monitor (a
// command of any other go-runc user in the process runs as go-runc would
// run it). Every invocation has all three stdio streams set to real
// files, its log captured, and a deadline at which its process group is
// killed.
//
// Stats and Ps read a container's cgroup in process (containerd's cgroups
// library, v1, hybrid or v2), found from the membership its init had when
// it started, kept in the state dir; Update goes through the runtime. As an
// exit is recorded, the cgroup's OOM-kill count tells whether the OOM
// killer ended it.
//
// The monitor is also the hub of the root's events: it publishes each
// lifecycle step as the runtime call that makes it succeeds, and each exit
// as it reaps it, to every library process that opened an Events stream;
// ExitFd gives a handle's exit as a pollable fd.
//
// This package holds the lifecycle; the monitor's client
// (internal/monitor) and the reading of cgroups (internal/cgroup) live in
// packages beneath it. It knows nothing of C; capi/ exports it.
package runtime
