package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// exitWatch follows one process, a container init or an exec'd process,
// until it exits. The monitor that reaps it (its parent) sends its exit
// once it has written the exit record; the watch only waits for that
// message. A process the monitor does not follow (its monitor died) is
// watched from outside: its exit status then cannot be known.
type exitWatch struct {
	pid   int
	start uint64                       // with pid, identifies the process
	dir   string                       // the state dir holding its exit record
	mon   atomic.Pointer[monitor.Conn] // nil once watched from outside

	finished sync.Once
	done     chan struct{}
	exit     Exit
	err      error // why no exit status is known, if none is
}

// watchKey identifies a process: a pid alone can be reused.
type watchKey struct {
	pid   int64
	start uint64
}

// watches holds the live watches, so every handle to one process in this
// process shares one.
var watches = struct {
	sync.Mutex
	m map[watchKey]*exitWatch
}{m: map[watchKey]*exitWatch{}}

// lookupWatch returns the live watch of pid with start time start.
func lookupWatch(pid int64, start uint64) *exitWatch {
	watches.Lock()
	defer watches.Unlock()
	return watches.m[watchKey{pid, start}]
}

// sharedWatch returns the live watch of (pid, start), or registers w.
func sharedWatch(w *exitWatch) *exitWatch {
	watches.Lock()
	defer watches.Unlock()
	key := watchKey{int64(w.pid), w.start}
	if old := watches.m[key]; old != nil {
		return old
	}
	watches.m[key] = w
	return w
}

func newWatch(pid int, start uint64, dir string, mon *monitor.Conn) *exitWatch {
	w := &exitWatch{pid: pid, start: start, dir: dir, done: make(chan struct{})}
	w.mon.Store(mon)
	return w
}

// finishedWatch is the watch of a process already gone: with its exit, or
// with err saying why none is known.
func finishedWatch(pid int, start uint64, dir string, exit Exit, err error) *exitWatch {
	w := newWatch(pid, start, dir, nil)
	w.finish(exit, err)
	return w
}

// finish sets the exit and wakes the waiters, once.
func (w *exitWatch) finish(exit Exit, err error) {
	w.finished.Do(func() {
		w.exit, w.err = exit, err
		close(w.done)
		watches.Lock()
		key := watchKey{int64(w.pid), w.start}
		if watches.m[key] == w {
			delete(watches.m, key)
		}
		watches.Unlock()
	})
}

// exited tells whether the process is gone.
func (w *exitWatch) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// wait returns the exit once known; ctx ending first gives ErrTimeout. An
// already-ended ctx polls.
func (w *exitWatch) wait(ctx context.Context) (Exit, error) {
	select {
	case <-w.done:
		return w.exit, w.err
	default:
	}
	select {
	case <-w.done:
		return w.exit, w.err
	case <-ctx.Done():
		return Exit{}, wrapf(ErrTimeout, "pid %d has not exited: %v", w.pid, ctx.Err())
	}
}

// signal sends sig to the process and to no other: through the monitor,
// whose unreaped child keeps its pid, or through a pidfd opened and checked
// against the start time. A process already gone is ErrState.
func (w *exitWatch) signal(sig unix.Signal) error {
	if w.exited() {
		return wrapf(ErrState, "pid %d has exited", w.pid)
	}
	if mon := w.mon.Load(); mon != nil {
		_, err := mon.Request(monitor.Msg{Type: monitor.MsgSignal, Pid: int64(w.pid), Start: w.start, Arg: int64(sig)}, nil, nil, nil)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.ESRCH):
			return wrapf(ErrState, "pid %d has exited", w.pid)
		case errors.Is(err, unix.EINVAL):
			return wrapf(ErrInvalid, "signal %d: %v", sig, err)
		case !errors.Is(err, unix.ECHILD) && !errors.Is(err, ErrSys):
			return sysErr("signal", err)
		}
	}
	return signalForeign(w.pid, w.start, sig)
}

// signalForeign signals a process the monitor does not follow, through a
// pidfd whose process is checked to be the one recorded.
func signalForeign(pid int, start uint64, sig unix.Signal) error {
	if !kernel.pidfd() {
		return wrapf(ErrState, "cannot signal pid %d safely: no monitor follows it and this kernel has no pidfds", pid)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return wrapf(ErrState, "pid %d has exited", pid)
	}
	if err != nil {
		return sysErr("pidfd_open", err)
	}
	defer unix.Close(fd)
	if st, err := readProcStat(pid); err != nil || st.startTime != start {
		return wrapf(ErrState, "pid %d has exited", pid)
	}
	err = unix.PidfdSendSignal(fd, sig, nil, 0)
	if errors.Is(err, unix.ESRCH) {
		return wrapf(ErrState, "pid %d has exited", pid)
	}
	if errors.Is(err, unix.EINVAL) {
		return wrapf(ErrInvalid, "signal %d: %v", sig, err)
	}
	return sysErr("signal", err)
}

// followForeign watches from outside a process no monitor follows: it
// finishes with the exit recorded in dir if one appears, else with an error
// once the process is gone.
func (w *exitWatch) followForeign() {
	w.mon.Store(nil)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				w.finish(Exit{}, fmt.Errorf("internal error watching pid %d: %v", w.pid, r))
			}
		}()
		waitGone(w.pid, w.start)
		waitReaped(w.pid, w.start)
		if e, ok := recordedExit(w.dir); ok {
			w.finish(e, nil)
			return
		}
		logf(LogError, "exit status of pid %d is unknown: it exited while no monitor of its root was its parent", w.pid)
		w.finish(Exit{}, wrapf(ErrSys, "exit status of pid %d is unknown: it exited while no monitor of this root was its parent", w.pid))
	}()
}

// foreignPoll is how often a process is looked at when the kernel has no
// pidfd to wait on.
const foreignPoll = 50 * time.Millisecond

// waitGone returns once (pid, start) no longer runs.
func waitGone(pid int, start uint64) {
	if kernel.pidfd() {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			defer unix.Close(fd)
			if st, err := readProcStat(pid); err != nil || st.startTime != start {
				return
			}
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			for {
				if _, err := unix.Poll(fds, -1); err != unix.EINTR {
					return
				}
			}
		}
	}
	for alive(pid, start) {
		time.Sleep(foreignPoll)
	}
}

// waitReaped returns once (pid, start) is no zombie either: its parent, a
// monitor that lives, writes its exit record before it reaps it.
func waitReaped(pid int, start uint64) {
	for !reaped(pid, start) {
		time.Sleep(zombiePoll)
	}
}

// zombiePoll is how often an exited process is looked at until reaped.
const zombiePoll = 5 * time.Millisecond

// reaped tells whether (pid, start) is gone, zombie included.
func reaped(pid int, start uint64) bool {
	st, err := readProcStat(pid)
	return err != nil || st.startTime != start
}

// alive tells whether (pid, start) still runs (a zombie has exited).
func alive(pid int, start uint64) bool {
	st, err := readProcStat(pid)
	return err == nil && st.startTime == start && st.state != 'Z' && st.state != 'X'
}

// watchesOf returns the live watches mon follows.
func watchesOf(mon *monitor.Conn) []*exitWatch {
	watches.Lock()
	defer watches.Unlock()
	var ws []*exitWatch
	for _, w := range watches.m {
		if w.mon.Load() == mon {
			ws = append(ws, w)
		}
	}
	return ws
}

// orphanWatches moves the watches a lost monitor followed to watching from
// outside. Their exit records are read if the monitor wrote them.
func orphanWatches(mon *monitor.Conn) {
	for _, w := range watchesOf(mon) {
		w.followForeign()
	}
}

// recheckWatches asks the monitor about every watch it follows, after it
// dropped messages for this connection: a process it no longer follows
// exited, and the monitor wrote its record before it let it go.
func recheckWatches(c *monitor.Conn) {
	for _, w := range watchesOf(c) {
		_, err := c.Request(monitor.Msg{Type: monitor.MsgQuery, Pid: int64(w.pid), Start: w.start}, nil, nil, nil)
		if !errors.Is(err, unix.ESRCH) {
			continue
		}
		if e, ok := recordedExit(w.dir); ok {
			w.finish(e, nil)
		} else {
			logf(LogError, "exit status of pid %d is unknown: the monitor of %s could not write its record", w.pid, c.Root())
			w.finish(Exit{}, wrapf(ErrSys, "exit status of pid %d is unknown: its record could not be written", w.pid))
		}
	}
}
