package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"

	runc "github.com/containerd/go-runc"
	"golang.org/x/sys/unix"
)

// stdio is the streams of a container or process being created: the files
// the runtime binary gets as its stdio (and passes on to the container), and
// the caller's ends of the pipes. It implements go-runc's IO, so every
// runtime call has all three streams set to real files: a nil stream would
// make go-runc read the runtime's output through a pipe that the container
// inherits, and hang until the container exits.
type stdio struct {
	inner  [3]*os.File // the runtime's (and so the container's) stdio
	caller [3]*os.File // the caller's ends of pipes
	kinds  [3]Stream
}

// openStdio makes the files for io. With io.Terminal the runtime gets
// /dev/null: the container gets a pty through the console socket instead.
func openStdio(io IO) (_ *stdio, err error) {
	s := &stdio{kinds: [3]Stream{io.Stdin, io.Stdout, io.Stderr}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	for i, kind := range s.kinds {
		if io.Terminal {
			kind = StreamNull
			s.kinds[i] = StreamNull
		}
		switch {
		case kind == StreamNull:
			s.inner[i], err = os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return nil, sysErr("open /dev/null", err)
			}
		case kind == StreamPipe:
			r, w, perr := os.Pipe()
			if perr != nil {
				return nil, sysErr("pipe", perr)
			}
			if i == Stdin {
				s.inner[i], s.caller[i] = r, w
			} else {
				s.inner[i], s.caller[i] = w, r
			}
		case kind >= 0:
			fd, derr := unix.FcntlInt(uintptr(kind), unix.F_DUPFD_CLOEXEC, 0)
			if derr != nil {
				return nil, wrapf(ErrInvalid, "stream %d: fd %d: %v", i, int(kind), derr)
			}
			s.inner[i] = os.NewFile(uintptr(fd), "caller-fd")
		default:
			return nil, wrapf(ErrInvalid, "stream %d: %d is neither an fd, null nor pipe", i, int(kind))
		}
	}
	return s, nil
}

// closeInner closes this process's copies of the container's ends, once the
// runtime has passed them on: a reader then sees EOF when the container exits.
func (s *stdio) closeInner() {
	for i, f := range s.inner {
		if f != nil {
			f.Close()
			s.inner[i] = nil
		}
	}
}

// handover moves the caller's ends into streams held by a handle.
func (s *stdio) handover(terminal bool) *streams {
	st := &streams{kinds: s.kinds, ends: s.caller, terminal: terminal}
	s.caller = [3]*os.File{}
	return st
}

// Close implements runc.IO.
func (s *stdio) Close() error {
	s.closeInner()
	for i, f := range s.caller {
		if f != nil {
			f.Close()
			s.caller[i] = nil
		}
	}
	return nil
}

// Set implements runc.IO.
func (s *stdio) Set(cmd *exec.Cmd) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.inner[0], s.inner[1], s.inner[2]
}

// Stdin implements runc.IO.
func (s *stdio) Stdin() io.WriteCloser { return s.caller[Stdin] }

// Stdout implements runc.IO.
func (s *stdio) Stdout() io.ReadCloser { return s.caller[Stdout] }

// Stderr implements runc.IO.
func (s *stdio) Stderr() io.ReadCloser { return s.caller[Stderr] }

var _ runc.IO = (*stdio)(nil)

// consoleSocket receives the pty master of a terminal container or process.
type consoleSocket struct {
	*runc.Socket
}

func newConsoleSocket() (*consoleSocket, error) {
	s, err := runc.NewTempConsoleSocket()
	if err != nil {
		return nil, sysErr("console socket", err)
	}
	return &consoleSocket{s}, nil
}

// receive waits for the master the runtime sent; ctx ending first closes the
// socket and fails.
func (s *consoleSocket) receive(ctx context.Context) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- result{nil, fmt.Errorf("internal error receiving the pty master: %v", r)}
			}
		}()
		con, err := s.ReceiveMaster()
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer con.Close()
		fd, err := unix.FcntlInt(con.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		ch <- result{os.NewFile(uintptr(fd), "pty-master"), nil}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, sysErr("receive pty master", r.err)
		}
		return r.f, nil
	case <-ctx.Done():
		s.Close()
		if r := <-ch; r.f != nil {
			r.f.Close()
		}
		return nil, wrapf(ErrTimeout, "no pty master received: %v", ctx.Err())
	}
}
