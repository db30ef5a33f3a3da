package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/monitor"
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
	extra  []*os.File // copies of the caller's extra fds, the runtime's 3, 4, ...
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
			if s.inner[i], err = openNull(); err != nil {
				return nil, err
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
	for i, v := range io.ExtraFDs {
		fd, derr := unix.FcntlInt(uintptr(v), unix.F_DUPFD_CLOEXEC, 0)
		if derr != nil {
			return nil, wrapf(ErrInvalid, "extra fd %d (%d): %v", i, v, derr)
		}
		s.extra = append(s.extra, os.NewFile(uintptr(fd), "caller-extra-fd"))
	}
	return s, nil
}

// preserveFDs is the runtime's option that passes the extra fds on.
func (s *stdio) preserveFDs() []string {
	if len(s.extra) == 0 {
		return nil
	}
	return []string{"--preserve-fds", strconv.Itoa(len(s.extra))}
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
	for _, f := range s.extra {
		f.Close()
	}
	s.extra = nil
}

// stderrLimit bounds what a failed call's stderr adds to its message.
const stderrLimit = 4096

// withStderr adds to a runtime failure what the runtime printed on a stderr
// the library piped (with other streams it went where the caller sent it).
func (s *stdio) withStderr(err error) error {
	f := s.caller[Stderr]
	if f == nil || !errors.Is(err, ErrRuntime) {
		return err
	}
	// Not blocking: a process the runtime left may hold the other end.
	fd := int(f.Fd())
	buf := make([]byte, stderrLimit)
	unix.SetNonblock(fd, true)
	n, _ := unix.Read(fd, buf)
	said := strings.TrimSpace(string(buf[:max(n, 0)]))
	if said == "" || strings.Contains(err.Error(), said) {
		return err
	}
	return withCause(ErrRuntime, err.Error()+"; on stderr: "+said, err)
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

// consoleSocket receives the pty master of a terminal container or process:
// the runtime connects to it and sends the master with SCM_RIGHTS. Both the
// accept and the read have the caller's deadline, so a peer that connects
// and never sends cannot hold the call.
type consoleSocket struct {
	dir string
	l   *net.UnixListener
}

func newConsoleSocket() (*consoleSocket, error) {
	dir, err := os.MkdirTemp("", "exec-console-")
	if err != nil {
		return nil, sysErr("console socket", err)
	}
	path := filepath.Join(dir, "pty.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, sysErr("console socket", err)
	}
	return &consoleSocket{dir: dir, l: l}, nil
}

// Path implements runc.ConsoleSocket.
func (s *consoleSocket) Path() string { return filepath.Join(s.dir, "pty.sock") }

// Close removes the socket.
func (s *consoleSocket) Close() error {
	s.l.Close()
	return os.RemoveAll(s.dir)
}

// receive waits for the master the runtime sends; ctx ending first fails.
func (s *consoleSocket) receive(ctx context.Context) (*os.File, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultCallTimeout)
	}
	s.l.SetDeadline(deadline)
	conn, err := s.l.AcceptUnix()
	if err != nil {
		return nil, consoleErr(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(deadline)
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*monitor.MaxFds))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, consoleErr(err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, sysErr("receive pty master", err)
	}
	var master *os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if master == nil {
				master = os.NewFile(uintptr(fd), "pty-master")
			} else {
				unix.Close(fd)
			}
		}
	}
	if master == nil {
		return nil, wrapf(ErrRuntime, "the runtime sent no pty master")
	}
	return master, nil
}

func consoleErr(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return wrapf(ErrTimeout, "no pty master received in time")
	}
	return sysErr("receive pty master", err)
}

// openNull opens /dev/null with plain system calls: an os.File opened by
// name would first be offered to the poller, which refuses it.
func openNull() (*os.File, error) {
	fd, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, sysErr("open /dev/null", err)
	}
	return os.NewFile(uintptr(fd), os.DevNull), nil
}
