package runtime

import "golang.org/x/sys/unix"

// Exit is how a container's init or an exec'd process ended.
type Exit struct {
	// Status is the exit code, or 128+signal for a process killed by a signal.
	Status int `json:"status"`
	// Code is the exit code, or -1 when killed by a signal.
	Code int `json:"code"`
	// Signal is the killing signal, or 0 for a normal exit.
	Signal int `json:"signal"`
	// CoreDumped tells whether a core was dumped.
	CoreDumped bool `json:"core_dumped"`
	// OOMKilled tells that the kernel's OOM killer killed in the process's
	// cgroup while it ran: for a container's init, any process of the
	// container; for an exec'd process, that process itself.
	OOMKilled bool `json:"oom_killed,omitempty"`
}

// exitFromWaitStatus converts a wait(2) status.
func exitFromWaitStatus(ws unix.WaitStatus) Exit {
	if ws.Signaled() {
		sig := int(ws.Signal())
		return Exit{Status: 128 + sig, Code: -1, Signal: sig, CoreDumped: ws.CoreDump()}
	}
	return Exit{Status: ws.ExitStatus(), Code: ws.ExitStatus()}
}
