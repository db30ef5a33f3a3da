// Package monitor is the library's client of its monitor process
// (monitor/monitor.c): it starts the monitor of a root, speaks its protocol
// (protocol.h), has it spawn each runtime call, and hands the lifecycle
// the exits and events it sends.
package monitor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/libexecution/execution/runtime/internal/errdefs"
	"golang.org/x/sys/unix"
)

// monitorFiles names a monitor's socket and lock in a root.
type monitorFiles struct{ socket, lock string }

// The files of the root's monitor, and of a monitor of this protocol
// version started beside an older one that serves the root.
var (
	monitorDefault   = monitorFiles{"monitor.sock", "monitor.lock"}
	monitorVersioned = monitorFiles{fmt.Sprintf("monitor.v%d.sock", ProtoVersion),
		fmt.Sprintf("monitor.v%d.lock", ProtoVersion)}
)

// Timeout bounds every request to a monitor, and the wait for its
// lock: a monitor that stopped answering fails the calls on its root with
// errdefs.ErrTimeout and holds up no other root.
var Timeout = 30 * time.Second

// errOldMonitor marks a monitor that speaks none of this side's versions.
var errOldMonitor = errors.New("the monitor speaks an older protocol")

// Conn is this process's connection to the monitor of one root: the
// process that spawns the runtime, reaps what it starts and records exits
// (monitor/monitor.c). It is kept for the life of the process, and ends
// only when the monitor dies; the next call then connects anew.
type Conn struct {
	root string
	pid  int // the monitor's, as its HELLO said
	conn *net.UnixConn
	raw  syscall.RawConn

	sendMu sync.Mutex // one sender at a time, each with its deadline
	sent   uint64     // packets sent, under sendMu

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]*monRequest // requests waiting for their reply
	calls   map[uint64]chan Msg    // Spawned calls waiting for their exit
	broken  error                  // why the connection ended, once it has
	gone    chan struct{}          // closed when the connection ends

	placed atomic.Bool // the monitor said it is where it spawns runtimes
}

// monRequest is a request waiting for its reply. onReply, if set, runs in
// the reader before any later message is read: a claim registers its watch
// there, so an exit that follows the reply finds it.
type monRequest struct {
	reply   chan Msg
	onReply func(Msg)
}

// rootMonitor is the live connection of one root, behind a lock of its
// own: connecting to one root never waits for another.
type rootMonitor struct {
	sync.Mutex
	conn *Conn
}

// monitors holds the roots' connections.
var monitors = struct {
	sync.Mutex
	m map[string]*rootMonitor
}{m: map[string]*rootMonitor{}}

// For returns the connection to root's monitor, starting the monitor
// when none runs.
func For(root string) (*Conn, error) {
	monitors.Lock()
	rm := monitors.m[root]
	if rm == nil {
		rm = &rootMonitor{}
		monitors.m[root] = rm
	}
	monitors.Unlock()
	rm.Lock()
	defer rm.Unlock()
	old := rm.conn
	if old != nil && !old.isBroken() && !old.hungUp() {
		return old, nil
	}
	c, err := Connect(root)
	if err != nil {
		if old != nil {
			logf(logError, "the monitor of %s (pid %d) is gone and no other could be reached: %v", root, old.pid, err)
		}
		return nil, err
	}
	if old != nil {
		logf(logWarn, "the monitor of %s (pid %d) is gone; now using the monitor with pid %d", root, old.pid, c.pid)
	}
	rm.conn = c
	return c, nil
}

// Connect makes a new connection to root's monitor, or starts one; where
// the root's monitor is older than this library, to a monitor of this
// library's version beside it, which it starts if need be. A process
// confined otherwise than that monitor (see ownConfinement) uses a monitor
// of its own confinement, which it starts if need be. For keeps the
// connection it makes for the process's later calls.
func Connect(root string) (*Conn, error) {
	deadline := time.Now().Add(Timeout)
	key, confined := ownConfinement()
	files := monitorDefault
	if confined {
		files = monitorConfined(key)
	}
	c, err := connectMonitorAt(root, files, deadline)
	if errors.Is(err, errOldMonitor) {
		c, err = connectMonitorAt(root, monitorVersioned, deadline)
	}
	if errors.Is(err, errConfinedMonitor) && !confined {
		c, err = connectMonitorAt(root, monitorConfined(key), deadline)
	}
	if errors.Is(err, errConfinedMonitor) {
		// Its own monitor refused it too: the monitor's executable is
		// confined otherwise than the process that starts it.
		err = errdefs.Wrapf(errdefs.ErrSys, "%v", err)
	}
	return c, err
}

// connectMonitorAt connects to the monitor of files in root, or starts
// one, under its lock: a monitor exits only while it can take that lock.
func connectMonitorAt(root string, files monitorFiles, deadline time.Time) (*Conn, error) {
	lock, err := os.OpenFile(filepath.Join(root, files.lock),
		os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errdefs.SysErr("open monitor lock", err)
	}
	defer lock.Close()
	if err := flockUntil(lock, deadline); err != nil {
		return nil, err
	}
	sock := filepath.Join(root, files.socket)
	c, err := dialMonitor(root, sock)
	for (errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.EPIPE) || errors.Is(err, errPeerClosed)) &&
		time.Now().Before(deadline) {
		// A monitor killed as it accepted: once it is gone, its socket
		// refuses, and a new one starts.
		time.Sleep(lockPoll)
		c, err = dialMonitor(root, sock)
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
		var reap func()
		if reap, err = startMonitor(root, files); err == nil {
			c, err = dialMonitor(root, sock)
			reap()
			if err == nil {
				logf(logInfo, "started the monitor of %s (pid %d, socket %s)", root, c.pid, files.socket)
			} else {
				logf(logError, "started a monitor of %s, but could not reach it: %v", root, err)
			}
		}
	}
	return c, err
}

// lockPoll is how often a held monitor lock is tried again.
const lockPoll = 5 * time.Millisecond

// flockUntil takes f's exclusive lock, or fails with errdefs.ErrTimeout at
// deadline.
func flockUntil(f *os.File, deadline time.Time) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case err == unix.EINTR:
		case err != unix.EWOULDBLOCK:
			return errdefs.SysErr("lock monitor", err)
		case time.Now().After(deadline):
			return errdefs.Wrapf(errdefs.ErrTimeout, "the monitor lock of %s is held: no answer within %v",
				f.Name(), Timeout)
		default:
			time.Sleep(lockPoll)
		}
	}
}

// dialMonitor connects to the socket after checking that it is ours: a
// socket owned by this user that no one else may use, with a peer running
// as this user.
func dialMonitor(root, sock string) (*Conn, error) {
	var st unix.Stat_t
	if err := unix.Lstat(sock, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK || st.Uid != uint32(os.Geteuid()) || st.Mode&0o077 != 0 {
		return nil, errdefs.Wrapf(errdefs.ErrSys, "refusing monitor socket %s: not a socket of uid %d with mode 0600 (uid %d, mode %o)",
			sock, os.Geteuid(), st.Uid, st.Mode&0o7777)
	}
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		return nil, err
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, errdefs.SysErr("monitor socket", err)
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred.Uid != uint32(os.Geteuid()) {
		conn.Close()
		return nil, errdefs.Wrapf(errdefs.ErrSys, "refusing monitor at %s: its peer is not this user (%v)", sock, err)
	}
	c := &Conn{root: root, conn: conn, raw: raw, pending: map[uint64]*monRequest{},
		calls: map[uint64]chan Msg{}, gone: make(chan struct{})}
	go c.read()
	r, err := c.Request(Msg{Type: MsgHello, Count: OldestVersion, Arg: ProtoVersion}, nil, nil, nil)
	if errors.Is(err, unix.EPERM) {
		err = fmt.Errorf("%w: refused by the monitor at %s (what confines a caller must be what confines the monitor: "+
			"seccomp, no_new_privs, capabilities, LSM label)", errConfinedMonitor, sock)
	} else if errors.Is(err, unix.EPROTO) {
		err = fmt.Errorf("%w (version %d, the library %d to %d) at %s", errOldMonitor, r.Arg,
			OldestVersion, ProtoVersion, sock)
	} else if err == nil && r.Arg != ProtoVersion {
		err = errdefs.Wrapf(errdefs.ErrSys, "the monitor at %s chose protocol version %d, which this library does not speak", sock, r.Arg)
	}
	if err != nil {
		c.fail(err)
		return nil, err
	}
	c.pid = int(r.Pid)
	return c, nil
}

// With runs fn with the connection to root's monitor, and once more
// with a new one when fn's message never reached a monitor that was gone
// (a monitor killed by hand: the next call starts another).
func With(root string, fn func(*Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := For(root)
		if err != nil {
			return err
		}
		err = fn(c)
		if attempt == 0 && errors.Is(err, errNotSent) {
			logf(logInfo, "the monitor of %s (pid %d) was gone before a message reached it; sending it to a new monitor", root, c.pid)
			continue
		}
		return err
	}
}

// errNotSent marks a message the monitor never got: the connection had
// ended before it was sent.
var errNotSent = errors.New("not sent")

// notSent wraps why a message could not be sent.
type notSent struct{ err error }

func (e *notSent) Error() string        { return e.err.Error() }
func (e *notSent) Unwrap() error        { return e.err }
func (e *notSent) Is(target error) bool { return target == errNotSent }

// hungUp tells whether the monitor closed its end, before the reader has
// seen it: a monitor that just died.
func (c *Conn) hungUp() bool {
	hup := false
	c.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 1 {
			hup = fds[0].Revents&(unix.POLLHUP|unix.POLLRDHUP|unix.POLLERR) != 0
		}
	})
	return hup
}

func (c *Conn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken != nil
}

// send writes one packet with fds, waiting at most Timeout for room;
// it never raises SIGPIPE, and returns how many packets the connection
// has sent with this one. Only an error that ends the connection (the
// monitor closed it) ends it: any other fails this message alone.
func (c *Conn) send(data []byte, fds []int) (uint64, error) {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(Timeout))
	var err error
	werr := c.raw.Write(func(fd uintptr) bool {
		err = unix.Sendmsg(int(fd), data, oob, nil, unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT)
		return err != unix.EAGAIN
	})
	if err == nil {
		err = werr
	}
	switch {
	case err == nil:
		c.sent++
		return c.sent, nil
	case errors.Is(err, unix.EPIPE), errors.Is(err, unix.ECONNRESET), errors.Is(err, unix.ENOTCONN),
		errors.Is(err, net.ErrClosed):
		return 0, &notSent{c.fail(errdefs.SysErr("send to monitor", err))}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, errdefs.Wrapf(errdefs.ErrTimeout, "send to the monitor of %s: no room within %v", c.root, Timeout)
	}
	return 0, errdefs.SysErr("send to monitor", err)
}

// unread tells whether a connection that ended on err left packet n of
// it unread by the monitor: the kernel resets a connection whose closing
// end still had packets to read, and the monitor reads them in order, so
// when n was the last one sent, it is among them.
func (c *Conn) unread(n uint64, err error) bool {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return n == c.sent && errors.Is(err, unix.ECONNRESET)
}

// Request sends m, with the strings area strs and fds, and waits at most
// Timeout for its reply. A reply's err is returned as the errno it
// carries. onReply, if set, runs in the reader before any later message is
// read.
func (c *Conn) Request(m Msg, strs *Strings, fds []int, onReply func(Msg)) (Msg, error) {
	return c.request(nil, m, strs, fds, onReply)
}

// request is Request; a cancel, when not nil, ends the wait early: the
// monitor is sent a CANCEL naming the request, whose reply then comes
// within Timeout.
func (c *Conn) request(cancel <-chan struct{}, m Msg, strs *Strings, fds []int, onReply func(Msg)) (Msg, error) {
	data, memfd, err := m.encodeWithStrings(strs)
	if err != nil {
		return Msg{}, err
	}
	if memfd != nil {
		defer memfd.Close()
		fds = append(append([]int{}, fds...), int(memfd.Fd()))
	}
	req := &monRequest{reply: make(chan Msg, 1), onReply: onReply}
	c.mu.Lock()
	if c.broken != nil {
		err := c.broken
		c.mu.Unlock()
		return Msg{}, &notSent{err}
	}
	c.seq++
	seq := c.seq
	binary.NativeEndian.PutUint64(data[8:], seq)
	c.pending[seq] = req
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, seq)
		c.mu.Unlock()
	}
	n, err := c.send(data, fds)
	if err != nil {
		forget()
		return Msg{}, err
	}
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	if cancel != nil {
		select {
		case <-cancel:
			c.send(Msg{Type: MsgCancel, Arg: int64(seq)}.Encode(nil), nil)
			timer.Reset(Timeout)
		case r := <-req.reply:
			req.reply <- r
		case <-c.gone:
		}
	}
	select {
	case r := <-req.reply:
		if r.Err != 0 {
			return r, unix.Errno(r.Err)
		}
		return r, nil
	case <-c.gone:
		err := c.brokenErr()
		if asksOnly(m.Type) || c.unread(n, err) {
			// Lost unread, or a question, which changes nothing in
			// the monitor: as if never sent, and sent again to a new one.
			return Msg{}, &notSent{err}
		}
		return Msg{}, err
	case <-timer.C:
		forget()
		if m.Type == MsgSpawn {
			// Should the monitor run it late, it kills it at once, and
			// keeps no guard that could undo a later create of the id.
			c.send(Msg{Type: MsgCancel, Arg: int64(seq)}.Encode(nil), nil)
			c.send(Msg{Type: MsgUnguard, Arg: int64(seq)}.Encode(nil), nil)
		}
		return Msg{}, errdefs.Wrapf(errdefs.ErrTimeout, "the monitor of %s did not answer within %v", c.root, Timeout)
	}
}

// asksOnly tells whether a message of type t only asks the monitor and
// changes nothing there.
func asksOnly(t uint32) bool {
	return t == MsgHello || t == MsgQuery || t == MsgWhere
}

// Pid is the monitor's pid, as its HELLO said.
func (c *Conn) Pid() int { return c.pid }

// Placed waits until the monitor is in the cgroups the runtimes it spawns
// start in (it moves into cgroups of its own as it starts): its
// /proc/<pid>/cgroup then tells where a container's relative cgroup path
// goes. One round trip per connection, none after.
func (c *Conn) Placed() error {
	if c.placed.Load() {
		return nil
	}
	if _, err := c.Request(Msg{Type: MsgWhere}, nil, nil, nil); err != nil {
		return err
	}
	c.placed.Store(true)
	return nil
}

// File returns a duplicate of the connection's socket, as net.UnixConn's
// File does.
func (c *Conn) File() (*os.File, error) { return c.conn.File() }

// Fd calls fn with the connection's own fd, which fn must not keep.
func (c *Conn) Fd(fn func(fd int)) { c.raw.Control(func(f uintptr) { fn(int(f)) }) }

// IsConnection tells whether the file st describes is one of this
// process's connections to a monitor, under whatever fd number.
func IsConnection(st *unix.Stat_t) bool {
	monitors.Lock()
	rms := make([]*rootMonitor, 0, len(monitors.m))
	for _, rm := range monitors.m {
		rms = append(rms, rm)
	}
	monitors.Unlock()
	own := false
	for _, rm := range rms {
		rm.Lock()
		if c := rm.conn; c != nil {
			c.Fd(func(fd int) {
				var mine unix.Stat_t
				own = own || unix.Fstat(fd, &mine) == nil && mine.Dev == st.Dev && mine.Ino == st.Ino
			})
		}
		rm.Unlock()
	}
	return own
}

// Root is the root the monitor serves.
func (c *Conn) Root() string { return c.root }

func (c *Conn) brokenErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// Spawned is a runtime call the monitor started.
type Spawned struct {
	mon    *Conn
	pid    int
	seq    uint64   // the SPAWN's number, which CANCEL and UNGUARD name
	exited chan Msg // gets its exit; closed if the monitor is lost
}

// Unguard tells the monitor that the guarded call is settled.
func (s *Spawned) Unguard() {
	s.mon.send(Msg{Type: MsgUnguard, Arg: int64(s.seq)}.Encode(nil), nil)
}

// spawn asks the monitor to run argv with fds as its fd 0, 1, 2, ...
// With ev's mask, the monitor publishes ev when it exits with status 0;
// with a guard, it undoes the call if this process dies before unguard.
func (c *Conn) spawn(argv, env []string, dir string, fds []int, ev CallEvent, guard *CallGuard, moves bool) (*Spawned, error) {
	if HasNUL(argv...) || HasNUL(env...) || HasNUL(dir) || HasNUL(ev.Container, ev.Process) {
		return nil, errdefs.Wrapf(errdefs.ErrInvalid, "a runtime argument holds a NUL byte")
	}
	arg := ev.Mask
	if guard != nil {
		arg |= SpawnGuard
	}
	if moves {
		arg |= SpawnPrime
	}
	s := &Spawned{mon: c, exited: make(chan Msg, 1)}
	r, err := c.Request(Msg{Type: MsgSpawn, NFds: uint32(len(fds)), Arg: arg},
		guard.strings(ev.strings(new(Strings).List(argv).List(env).Str(dir))), fds, func(r Msg) {
			// Registered before the reader can see the call's exit.
			if r.Err == 0 {
				c.calls[r.Seq] = s.exited
			}
		})
	if err != nil && r.Arg == SpawnContext {
		return nil, errdefs.Wrapf(errdefs.ErrSys, "spawn %s: the monitor of %s cannot run it in this process's mount namespace (%v): "+
			"a monitor without CAP_SYS_ADMIN serves only callers in its own mount namespace", argv[0], c.root, err)
	}
	if err != nil {
		return nil, fmt.Errorf("spawn %s: %w", argv[0], err)
	}
	s.pid, s.seq = int(r.Pid), r.Seq
	return s, nil
}

// Start starts the created container whose init is claimed pid, start,
// as the runtime's start does, through the runtime's exec fifo, and has
// the monitor publish STARTED. ctx ending cancels the start unless the
// init was released already. The error carries the monitor's errno:
// ECHILD (the init is not its claim) and ENOENT (no fifo) ask for the
// runtime's own start, ESRCH says the init exited without starting.
func (c *Conn) Start(ctx context.Context, pid int, start uint64, fifo, container string) error {
	if HasNUL(fifo, container) {
		return errdefs.Wrapf(errdefs.ErrInvalid, "an id holds a NUL byte")
	}
	_, err := c.request(ctx.Done(), Msg{Type: MsgStart, Pid: int64(pid), Start: start},
		new(Strings).Str(fifo).Str(container), nil, nil)
	return err
}

// cancel kills the process group of the Spawned call with this seq.
func (c *Conn) cancel(seq uint64) error {
	_, err := c.send(Msg{Type: MsgCancel, Arg: int64(seq)}.Encode(nil), nil)
	return err
}

// errPeerClosed is a connection the monitor closed.
var errPeerClosed = errors.New("the monitor closed the connection")

// read dispatches every message of the monitor until the connection ends.
func (c *Conn) read() {
	buf := make([]byte, MaxMsg)
	for {
		n, _, _, _, err := c.conn.ReadMsgUnix(buf, nil)
		if err == nil && n == 0 {
			err = errPeerClosed
		}
		if err != nil {
			c.fail(errdefs.WithCause(errdefs.ErrSys, fmt.Sprintf("connection to the monitor of %s lost: %v", c.root, err), err))
			return
		}
		m, err := DecodeMsg(buf[:n])
		if err == nil && m.Version != ProtoVersion {
			if m.Type != MsgReply {
				err = fmt.Errorf("monitor speaks protocol %d, the library %d", m.Version, ProtoVersion)
			} else if m.Err == 0 {
				m.Err = int32(unix.EPROTO)
			}
		}
		if err != nil {
			c.fail(errdefs.Wrapf(errdefs.ErrSys, "monitor of %s: %v", c.root, err))
			return
		}
		c.dispatch(m, buf[min(MsgSize, n):n])
	}
}

func (c *Conn) dispatch(m Msg, strs []byte) {
	switch m.Type {
	case MsgReply:
		c.mu.Lock()
		req := c.pending[m.Seq]
		delete(c.pending, m.Seq)
		if req != nil && req.onReply != nil {
			req.onReply(m)
		}
		c.mu.Unlock()
		if req != nil {
			req.reply <- m
		}
	case MsgCallExit:
		c.mu.Lock()
		ch := c.calls[m.Seq]
		delete(c.calls, m.Seq)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	case MsgExit:
		handlers.Exit(m)
	case MsgEvent:
		c.publish(m, strs)
	case MsgOverflow:
		c.overflowed(m.Count)
	}
}

// Close ends a connection Connect made, as fail does.
func (c *Conn) Close() { c.fail(errors.New("the connection was closed")) }

// fail ends the connection, once: every request and call waiting on it gets
// err, and the watches it followed go on without it.
func (c *Conn) fail(err error) error {
	c.mu.Lock()
	if c.broken != nil {
		err = c.broken
		c.mu.Unlock()
		return err
	}
	c.broken = err
	calls := c.calls
	c.calls = map[uint64]chan Msg{}
	c.pending = map[uint64]*monRequest{}
	close(c.gone)
	c.mu.Unlock()
	c.conn.Close()
	for _, ch := range calls {
		close(ch)
	}
	handlers.Lost(c)
	endStreams(c, err)
	return err
}
