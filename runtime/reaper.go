package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// exitWatch follows one process (a container init or an exec'd process)
// until it exits. A process that is a child of this process is reaped with a
// per-pid waitid on its pidfd, never wait(-1); any other process is only
// observed, as its status belongs to its own parent. The pidfd also serves
// signals, so they never reach a process that reused the pid.
type exitWatch struct {
	pid    int
	record func(Exit) Exit // persists the exit, returning it as recorded; nil records nothing

	mu       sync.Mutex
	pidfd    *os.File // nil once the process is gone
	finished sync.Once
	done     chan struct{}
	exit     Exit
	err      error // why no exit status is known, if none is
}

// watches holds the live watches by pid, so that every handle to one process
// in this process shares the single waiter allowed to reap it.
var watches = struct {
	sync.Mutex
	m map[int]*exitWatch
}{m: map[int]*exitWatch{}}

// watchProcess starts following pid, whose identity has been checked by the
// caller (it is the runtime's fresh child, or its start time matched). An
// existing live watch on pid is shared.
func watchProcess(pid int, record func(Exit) Exit) (*exitWatch, error) {
	watches.Lock()
	defer watches.Unlock()
	if w, ok := watches.m[pid]; ok {
		return w, nil
	}
	w := &exitWatch{pid: pid, record: record, done: make(chan struct{})}
	if err := w.start(); err != nil {
		return nil, err
	}
	if !w.exited() {
		watches.m[pid] = w
	}
	return w, nil
}

// finishedWatch is the watch of a process already gone: with its recorded
// exit, or with err saying why none is known.
func finishedWatch(pid int, exit Exit, err error) *exitWatch {
	w := &exitWatch{pid: pid, done: make(chan struct{}), exit: exit, err: err}
	close(w.done)
	return w
}

func (w *exitWatch) start() error {
	fd, err := unix.PidfdOpen(w.pid, unix.PIDFD_NONBLOCK)
	switch {
	case err == nil:
	case errors.Is(err, unix.ENOSYS):
		go w.waitBlocking()
		return nil
	case errors.Is(err, unix.ESRCH):
		close(w.done)
		w.err = wrapf(ErrSys, "exit status of pid %d is unknown: the process is gone", w.pid)
		return nil
	default:
		return sysErr("pidfd_open", err)
	}
	w.pidfd = os.NewFile(uintptr(fd), fmt.Sprintf("pidfd:%d", w.pid))
	go w.waitPidfd()
	return nil
}

// waitPidfd parks on the poller until the pidfd is readable (the process
// exited), then reaps it with waitid(P_PIDFD) if it is a child.
func (w *exitWatch) waitPidfd() {
	defer w.recoverPanic()
	conn, err := w.pidfd.SyscallConn()
	if err != nil {
		w.finish(Exit{}, sysErr("pidfd", err))
		return
	}
	var exit Exit
	var result error
	err = conn.Read(func(fd uintptr) bool {
		exit, result = waitPidfd(int(fd), w.pid)
		return !errors.Is(result, unix.EAGAIN)
	})
	if err != nil {
		result = sysErr("poll pidfd", err)
	}
	w.finish(exit, result)
}

// waitPidfd reaps the exited child behind pidfd, or reports EAGAIN while it
// runs. For a process that is not a child it reports, once the process is
// gone, that no status can be known.
func waitPidfd(pidfd, pid int) (Exit, error) {
	var info siginfo
	err := waitid(unix.P_PIDFD, pidfd, &info, unix.WEXITED|unix.WNOHANG)
	switch {
	case err == nil && info.pid == 0:
		return Exit{}, unix.EAGAIN
	case err == nil:
		return info.exit(), nil
	case errors.Is(err, unix.EAGAIN):
		return Exit{}, err
	case errors.Is(err, unix.ECHILD):
		if !pidfdReadable(pidfd) {
			return Exit{}, unix.EAGAIN
		}
		return Exit{}, wrapf(ErrSys, "exit status of pid %d is unknown: another waiter reaped it "+
			"(waitpid(-1) in the host?), or it exited while not a child of this process", pid)
	default:
		return Exit{}, sysErr("waitid", err)
	}
}

func pidfdReadable(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1
}

// waitBlocking is the fallback for kernels without pidfds: a blocking
// wait4 on this one pid.
func (w *exitWatch) waitBlocking() {
	defer w.recoverPanic()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(w.pid, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			w.finish(Exit{}, wrapf(ErrSys, "exit status of pid %d is unknown: %v", w.pid, err))
			return
		}
		w.finish(exitFromWaitStatus(ws), nil)
		return
	}
}

// finish records the exit and wakes the waiters, once: a panic recovered
// after finishing does not finish again.
func (w *exitWatch) finish(exit Exit, err error) {
	w.finished.Do(func() { w.settle(exit, err) })
}

func (w *exitWatch) settle(exit Exit, err error) {
	if err == nil && w.record != nil {
		exit = w.record(exit)
	}
	w.mu.Lock()
	w.exit, w.err = exit, err
	if w.pidfd != nil {
		w.pidfd.Close()
		w.pidfd = nil
	}
	close(w.done)
	w.mu.Unlock()
	watches.Lock()
	if watches.m[w.pid] == w {
		delete(watches.m, w.pid)
	}
	watches.Unlock()
}

// recoverPanic keeps a bug in a watcher goroutine from killing the host: the
// waiters get the panic as an error.
func (w *exitWatch) recoverPanic() {
	if r := recover(); r != nil {
		err := fmt.Errorf("internal error watching pid %d: %v\n%s", w.pid, r, debug.Stack())
		w.finish(Exit{}, err)
		// A panic inside finish leaves it done without waking the waiters.
		w.mu.Lock()
		if !w.exited() {
			w.err = err
			close(w.done)
		}
		w.mu.Unlock()
	}
}

// exited tells whether the process is gone (and reaped, if it was a child).
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

// signal sends sig through the pidfd; a process already gone is ErrState.
func (w *exitWatch) signal(sig unix.Signal) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.exited() {
		return wrapf(ErrState, "pid %d has exited", w.pid)
	}
	var err error
	if w.pidfd != nil {
		// Not pidfd.Fd(), which would take the pidfd off the poller.
		var conn syscall.RawConn
		if conn, err = w.pidfd.SyscallConn(); err == nil {
			cerr := conn.Control(func(fd uintptr) {
				err = unix.PidfdSendSignal(int(fd), sig, nil, 0)
			})
			if cerr != nil {
				err = cerr
			}
		}
	} else {
		err = unix.Kill(w.pid, sig)
	}
	if errors.Is(err, unix.ESRCH) {
		return wrapf(ErrState, "pid %d has exited", w.pid)
	}
	return sysErr("signal", err)
}

// siginfo is the SIGCHLD layout of siginfo_t that waitid fills.
type siginfo struct {
	signo  int32
	errno  int32
	code   int32
	_      int32
	pid    int32
	uid    uint32
	status int32
	_      [100]byte
}

func (s *siginfo) exit() Exit {
	status := int(s.status)
	switch s.code {
	case cldKilled:
		return Exit{Status: 128 + status, Code: -1, Signal: status}
	case cldDumped:
		return Exit{Status: 128 + status, Code: -1, Signal: status, CoreDumped: true}
	default:
		return Exit{Status: status, Code: status}
	}
}

// si_code values of SIGCHLD.
const (
	cldKilled = 2
	cldDumped = 3
)

func waitid(idType int, id int, info *siginfo, options int) error {
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, uintptr(idType), uintptr(id),
		uintptr(unsafe.Pointer(info)), uintptr(options), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
