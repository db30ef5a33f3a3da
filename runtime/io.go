package runtime

import (
	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// Stream says where one standard stream of a container or process goes: a
// file descriptor of the caller (>= 0, duplicated by the library), or one of
// StreamNull and StreamPipe.
type Stream int

const (
	// StreamNull connects the stream to /dev/null.
	StreamNull Stream = -1
	// StreamPipe makes a pipe whose other end Stdio hands over.
	StreamPipe Stream = -2
)

// IO is the standard streams of a container or process. With Terminal set
// the process gets a pty instead and the three streams are ignored.
// ExtraFDs are fds of the caller the process gets as its fds 3, 4, ... in
// order (duplicated: the caller keeps its own), at most MaxExtraFDs.
type IO struct {
	Stdin, Stdout, Stderr Stream
	Terminal              bool
	ExtraFDs              []int
}

// MaxExtraFDs is the most fds a container or process is passed beside its
// streams: what one message to the monitor carries with a call's three
// streams, its log and its strings.
const MaxExtraFDs = monitor.MaxFds - 5

// NullIO connects all three streams to /dev/null.
func NullIO() IO {
	return IO{Stdin: StreamNull, Stdout: StreamNull, Stderr: StreamNull}
}

// Stream numbers for Stdio.
const (
	Stdin  = 0
	Stdout = 1
	Stderr = 2
)

// checkExtraFDs refuses, before anything starts, too many extra fds or one
// that is negative, not open, or the library's own.
func (io IO) checkExtraFDs() error {
	if len(io.ExtraFDs) > MaxExtraFDs {
		return wrapf(ErrInvalid, "%d extra fds: at most %d may be passed", len(io.ExtraFDs), MaxExtraFDs)
	}
	for i, fd := range io.ExtraFDs {
		if fd < 0 {
			return wrapf(ErrInvalid, "extra fd %d is %d, not an fd", i, fd)
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return wrapf(ErrInvalid, "extra fd %d (%d): %v", i, fd, err)
		}
		if isOwnFD(fd) {
			return wrapf(ErrInvalid, "extra fd %d (%d) is one of the library's own", i, fd)
		}
	}
	return nil
}
