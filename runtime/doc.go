// Package runtime runs and supervises OCI containers through a runc-compatible
// runtime binary, with no daemon.
//
// A Runtime owns a state root; each container it creates gets a state dir
// under <root>/containers/<id> holding its pids and recorded exits, so that a
// later process can Load it again. The host process becomes a child
// subreaper: container inits and exec'd processes become its children, and
// each is reaped by a per-pid wait on its pidfd, never by wait(-1).
//
// This package knows nothing of C; capi/ exports it.
package runtime
