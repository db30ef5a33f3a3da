package runtime

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// streams holds a handle's ends of its container's or process's streams
// until they are handed over, and the pty master for resizing.
type streams struct {
	mu       sync.Mutex
	kinds    [3]Stream
	ends     [3]*os.File
	terminal bool
	master   *os.File
	taken    bool // the master was handed over
}

// take hands over the caller's end of a stream once.
func (s *streams) take(stream int) (*os.File, error) {
	if stream < Stdin || stream > Stderr {
		return nil, wrapf(ErrInvalid, "stream %d: not 0, 1 or 2", stream)
	}
	if s == nil {
		return nil, wrapf(ErrState, "stream %d: not held by this handle (only the handle that created it holds it)", stream)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.terminal {
		if stream != Stdin {
			return nil, wrapf(ErrInvalid, "stream %d: a terminal has only stream 0, the pty master", stream)
		}
		if s.taken || s.master == nil {
			return nil, wrapf(ErrState, "the pty master was already handed over")
		}
		fd, err := unix.FcntlInt(s.master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, sysErr("dup pty master", err)
		}
		s.taken = true
		return os.NewFile(uintptr(fd), "pty-master"), nil
	}
	if s.kinds[stream] != StreamPipe {
		return nil, wrapf(ErrInvalid, "stream %d is not a pipe", stream)
	}
	f := s.ends[stream]
	if f == nil {
		return nil, wrapf(ErrState, "stream %d was already handed over", stream)
	}
	s.ends[stream] = nil
	return f, nil
}

// resize sets the pty's window size.
func (s *streams) resize(rows, cols uint16) error {
	if s == nil {
		return wrapf(ErrInvalid, "no terminal held by this handle")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.terminal || s.master == nil {
		return wrapf(ErrInvalid, "not a terminal")
	}
	ws := &unix.Winsize{Row: rows, Col: cols}
	return sysErr("resize", unix.IoctlSetWinsize(int(s.master.Fd()), unix.TIOCSWINSZ, ws))
}

// close releases every end not handed over, and the master.
func (s *streams) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.ends {
		if f != nil {
			f.Close()
			s.ends[i] = nil
		}
	}
	if s.master != nil {
		s.master.Close()
		s.master = nil
	}
}
