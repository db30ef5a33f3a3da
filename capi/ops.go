package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"os"

	"github.com/libexecution/execution/runtime"
)

// The calls containers and processes share, each implementing both the
// exec_container_* and the exec_process_* function of its name.

// waiter is a container or a process, for wait.
type waiter interface {
	Wait(ctx context.Context) (runtime.Exit, error)
}

// stdioer is a container or a process, for stdio.
type stdioer interface {
	Stdio(stream int) (*os.File, error)
}

// resizer is a container or a process, for resize.
type resizer interface {
	Resize(rows, cols uint16) error
}

// waitExit waits for w as the timeout says and stores how it ended in out.
func waitExit(w waiter, timeoutMs C.int, out *C.exec_exit) error {
	if out == nil {
		return invalidf("out is NULL")
	}
	if err := checkVersion(out.version, C.EXEC_EXIT_VERSION, "out"); err != nil {
		return err
	}
	ctx, cancel := waitContext(timeoutMs)
	defer cancel()
	e, err := w.Wait(ctx)
	if err != nil {
		return err
	}
	putExit(out, e)
	return nil
}

// handOver stores in *fd the caller's end of stream of s.
func handOver(s stdioer, stream C.int, fd *C.int) error {
	if fd == nil {
		return invalidf("fd is NULL")
	}
	if stream < C.EXEC_STDIN || stream > C.EXEC_STDERR {
		return invalidf("stream %d is not EXEC_STDIN, EXEC_STDOUT or EXEC_STDERR", int(stream))
	}
	f, err := s.Stdio(int(stream))
	if err != nil {
		return err
	}
	n, err := fdOf(f)
	if err != nil {
		return err
	}
	*fd = n
	return nil
}

// resize sets the window size of r's terminal.
func resize(r resizer, rows, cols C.uint) error {
	rs, cs, err := windowOf(rows, cols)
	if err != nil {
		return err
	}
	return r.Resize(rs, cs)
}

// storePid stores pid in *out.
func storePid(pid int, out *C.int) error {
	if out == nil {
		return invalidf("pid is NULL")
	}
	*out = C.int(pid)
	return nil
}
