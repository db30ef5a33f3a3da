// Package runtime runs and supervises OCI containers through a runc-compatible
// runtime binary, with no daemon.
//
// A Runtime owns a state root; each container it creates gets a state dir
// under <root>/containers/<id> holding its pids and recorded exits, so that a
// later process can Load it again. The host process becomes a child
// subreaper: container inits and exec'd processes become its children, and
// each is reaped by a per-pid wait on its pidfd, never by wait(-1).
// go-runc's package-wide Monitor is left as it is: its default waits for each
// runtime invocation by that invocation's own pid (exec.Cmd.Wait), so it
// never takes a container's exit status, nor the host's. runc is invoked
// without go-runc's PdeathSignal, which is tied to the OS thread that forked,
// and Go retires threads. Every invocation has all three stdio streams set to
// real files, its log captured, and a deadline.
//
// Stats and Ps read a container's cgroup in process (containerd's cgroups
// library, v1, hybrid or v2), found from the membership its init had when
// it started, kept in the state dir; Update goes through the runtime. As an
// exit is recorded, the cgroup's OOM-kill count tells whether the OOM
// killer ended it.
//
// This package knows nothing of C; capi/ exports it.
package runtime
