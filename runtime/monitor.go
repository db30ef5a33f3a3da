package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// monitorFiles names a monitor's socket and lock in a root.
type monitorFiles struct{ socket, lock string }

// The files of the root's monitor, and of a monitor of this protocol
// version started beside an older one that serves the root.
var (
	monitorDefault   = monitorFiles{"monitor.sock", "monitor.lock"}
	monitorVersioned = monitorFiles{fmt.Sprintf("monitor.v%d.sock", monProtoVersion),
		fmt.Sprintf("monitor.v%d.lock", monProtoVersion)}
)

// monitorTimeout bounds every request to a monitor, and the wait for its
// lock: a monitor that stopped answering fails the calls on its root with
// ErrTimeout and holds up no other root.
var monitorTimeout = 30 * time.Second

// errOldMonitor marks a monitor that speaks none of this side's versions.
var errOldMonitor = errors.New("the monitor speaks an older protocol")

// monitorConn is this process's connection to the monitor of one root: the
// process that spawns the runtime, reaps what it starts and records exits
// (monitor/monitor.c). It is kept for the life of the process, and ends
// only when the monitor dies; the next call then connects anew.
type monitorConn struct {
	root string
	pid  int // the monitor's, as its HELLO said
	conn *net.UnixConn
	raw  syscall.RawConn

	sendMu sync.Mutex // one sender at a time, each with its deadline

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]*monRequest // requests waiting for their reply
	calls   map[uint64]chan monMsg // spawned calls waiting for their exit
	broken  error                  // why the connection ended, once it has
	gone    chan struct{}          // closed when the connection ends
}

// monRequest is a request waiting for its reply. onReply, if set, runs in
// the reader before any later message is read: a claim registers its watch
// there, so an exit that follows the reply finds it.
type monRequest struct {
	reply   chan monMsg
	onReply func(monMsg)
}

// rootMonitor is the live connection of one root, behind a lock of its
// own: connecting to one root never waits for another.
type rootMonitor struct {
	sync.Mutex
	conn *monitorConn
}

// monitors holds the roots' connections.
var monitors = struct {
	sync.Mutex
	m map[string]*rootMonitor
}{m: map[string]*rootMonitor{}}

// monitorFor returns the connection to root's monitor, starting the monitor
// when none runs.
func monitorFor(root string) (*monitorConn, error) {
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
	c, err := connectMonitor(root)
	if err != nil {
		if old != nil {
			logf(LogError, "the monitor of %s (pid %d) is gone and no other could be reached: %v", root, old.pid, err)
		}
		return nil, err
	}
	if old != nil {
		logf(LogWarn, "the monitor of %s (pid %d) is gone; now using the monitor with pid %d", root, old.pid, c.pid)
	}
	rm.conn = c
	return c, nil
}

// connectMonitor connects to root's monitor, or starts one; where the
// root's monitor is older than this library, to a monitor of this
// library's version beside it, which it starts if need be.
// A process confined otherwise than that monitor (see ownConfinement) uses
// a monitor of its own confinement, which it starts if need be.
func connectMonitor(root string) (*monitorConn, error) {
	deadline := time.Now().Add(monitorTimeout)
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
		err = wrapf(ErrSys, "%v", err)
	}
	return c, err
}

// connectMonitorAt connects to the monitor of files in root, or starts
// one, under its lock: a monitor exits only while it can take that lock.
func connectMonitorAt(root string, files monitorFiles, deadline time.Time) (*monitorConn, error) {
	lock, err := os.OpenFile(filepath.Join(root, files.lock),
		os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, sysErr("open monitor lock", err)
	}
	defer lock.Close()
	if err := flockUntil(lock, deadline); err != nil {
		return nil, err
	}
	sock := filepath.Join(root, files.socket)
	c, err := dialMonitor(root, sock)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
		if err = startMonitor(root, files); err == nil {
			c, err = dialMonitor(root, sock)
			if err == nil {
				logf(LogInfo, "started the monitor of %s (pid %d, socket %s)", root, c.pid, files.socket)
			} else {
				logf(LogError, "started a monitor of %s, but could not reach it: %v", root, err)
			}
		}
	}
	return c, err
}

// lockPoll is how often a held monitor lock is tried again.
const lockPoll = 5 * time.Millisecond

// flockUntil takes f's exclusive lock, or fails with ErrTimeout at
// deadline.
func flockUntil(f *os.File, deadline time.Time) error {
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case err == unix.EINTR:
		case err != unix.EWOULDBLOCK:
			return sysErr("lock monitor", err)
		case time.Now().After(deadline):
			return wrapf(ErrTimeout, "the monitor lock of %s is held: no answer within %v",
				f.Name(), monitorTimeout)
		default:
			time.Sleep(lockPoll)
		}
	}
}

// dialMonitor connects to the socket after checking that it is ours: a
// socket owned by this user that no one else may use, with a peer running
// as this user.
func dialMonitor(root, sock string) (*monitorConn, error) {
	var st unix.Stat_t
	if err := unix.Lstat(sock, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK || st.Uid != uint32(os.Geteuid()) || st.Mode&0o077 != 0 {
		return nil, wrapf(ErrSys, "refusing monitor socket %s: not a socket of uid %d with mode 0600 (uid %d, mode %o)",
			sock, os.Geteuid(), st.Uid, st.Mode&0o7777)
	}
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		return nil, err
	}
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, sysErr("monitor socket", err)
	}
	var cred *unix.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred.Uid != uint32(os.Geteuid()) {
		conn.Close()
		return nil, wrapf(ErrSys, "refusing monitor at %s: its peer is not this user (%v)", sock, err)
	}
	c := &monitorConn{root: root, conn: conn, raw: raw, pending: map[uint64]*monRequest{},
		calls: map[uint64]chan monMsg{}, gone: make(chan struct{})}
	go c.read()
	r, err := c.request(monMsg{Type: monHello, Count: monOldestVersion, Arg: monProtoVersion}, nil, nil, nil)
	if errors.Is(err, unix.EPERM) {
		err = fmt.Errorf("%w: refused by the monitor at %s (what confines a caller must be what confines the monitor: "+
			"seccomp, no_new_privs, capabilities, LSM label)", errConfinedMonitor, sock)
	} else if errors.Is(err, unix.EPROTO) {
		err = fmt.Errorf("%w (version %d, the library %d to %d) at %s", errOldMonitor, r.Arg,
			monOldestVersion, monProtoVersion, sock)
	} else if err == nil && r.Arg != monProtoVersion {
		err = wrapf(ErrSys, "the monitor at %s chose protocol version %d, which this library does not speak", sock, r.Arg)
	}
	if err != nil {
		c.fail(err)
		return nil, err
	}
	c.pid = int(r.Pid)
	return c, nil
}

// withMonitor runs fn with the connection to root's monitor, and once more
// with a new one when fn's message never reached a monitor that was gone
// (a monitor killed by hand: the next call starts another).
func withMonitor(root string, fn func(*monitorConn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := monitorFor(root)
		if err != nil {
			return err
		}
		err = fn(c)
		if attempt == 0 && errors.Is(err, errNotSent) {
			logf(LogInfo, "the monitor of %s (pid %d) was gone before a message reached it; sending it to a new monitor", root, c.pid)
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
func (c *monitorConn) hungUp() bool {
	hup := false
	c.raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 1 {
			hup = fds[0].Revents&(unix.POLLHUP|unix.POLLRDHUP|unix.POLLERR) != 0
		}
	})
	return hup
}

func (c *monitorConn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken != nil
}

// send writes one packet with fds, waiting at most monitorTimeout for room;
// it never raises SIGPIPE. Only an error that ends the connection (the
// monitor closed it) ends it: any other fails this message alone.
func (c *monitorConn) send(data []byte, fds []int) error {
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(monitorTimeout))
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
		return nil
	case errors.Is(err, unix.EPIPE), errors.Is(err, unix.ECONNRESET), errors.Is(err, unix.ENOTCONN),
		errors.Is(err, net.ErrClosed):
		return &notSent{c.fail(sysErr("send to monitor", err))}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return wrapf(ErrTimeout, "send to the monitor of %s: no room within %v", c.root, monitorTimeout)
	}
	return sysErr("send to monitor", err)
}

// request sends m and waits at most monitorTimeout for its reply. A
// reply's err is returned as the errno it carries.
func (c *monitorConn) request(m monMsg, strs *monStrings, fds []int, onReply func(monMsg)) (monMsg, error) {
	data, memfd, err := m.encodeWithStrings(strs)
	if err != nil {
		return monMsg{}, err
	}
	if memfd != nil {
		defer memfd.Close()
		fds = append(append([]int{}, fds...), int(memfd.Fd()))
	}
	req := &monRequest{reply: make(chan monMsg, 1), onReply: onReply}
	c.mu.Lock()
	if c.broken != nil {
		err := c.broken
		c.mu.Unlock()
		return monMsg{}, &notSent{err}
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
	if err := c.send(data, fds); err != nil {
		forget()
		return monMsg{}, err
	}
	timer := time.NewTimer(monitorTimeout)
	defer timer.Stop()
	select {
	case r := <-req.reply:
		if r.Err != 0 {
			return r, unix.Errno(r.Err)
		}
		return r, nil
	case <-c.gone:
		return monMsg{}, c.brokenErr()
	case <-timer.C:
		forget()
		if m.Type == monSpawn {
			// Should the monitor run it late, it kills it at once, and
			// keeps no guard that could undo a later create of the id.
			c.send(monMsg{Type: monCancel, Arg: int64(seq)}.encode(nil), nil)
			c.send(monMsg{Type: monUnguard, Arg: int64(seq)}.encode(nil), nil)
		}
		return monMsg{}, wrapf(ErrTimeout, "the monitor of %s did not answer within %v", c.root, monitorTimeout)
	}
}

func (c *monitorConn) brokenErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// spawned is a runtime call the monitor started.
type spawned struct {
	mon    *monitorConn
	pid    int
	seq    uint64      // the SPAWN's number, which CANCEL and UNGUARD name
	exited chan monMsg // gets its exit; closed if the monitor is lost
}

// unguard tells the monitor that the guarded call is settled.
func (s *spawned) unguard() {
	s.mon.send(monMsg{Type: monUnguard, Arg: int64(s.seq)}.encode(nil), nil)
}

// spawn asks the monitor to run argv with fds as its fd 0, 1, 2, ...
// With ev's mask, the monitor publishes ev when it exits with status 0;
// with a guard, it undoes the call if this process dies before unguard.
func (c *monitorConn) spawn(argv, env []string, dir string, fds []int, ev callEvent, guard *callGuard) (*spawned, error) {
	if hasNUL(argv...) || hasNUL(env...) || hasNUL(dir) || hasNUL(ev.container, ev.process) {
		return nil, wrapf(ErrInvalid, "a runtime argument holds a NUL byte")
	}
	arg := ev.mask
	if guard != nil {
		arg |= monSpawnGuard
	}
	s := &spawned{mon: c, exited: make(chan monMsg, 1)}
	r, err := c.request(monMsg{Type: monSpawn, NFds: uint32(len(fds)), Arg: arg},
		guard.strings(ev.strings(new(monStrings).list(argv).list(env).str(dir))), fds, func(r monMsg) {
			// Registered before the reader can see the call's exit.
			if r.Err == 0 {
				c.calls[r.Seq] = s.exited
			}
		})
	if err != nil && r.Arg == monSpawnContext {
		return nil, wrapf(ErrSys, "spawn %s: the monitor of %s cannot run it in this process's mount namespace (%v): "+
			"a monitor without CAP_SYS_ADMIN serves only callers in its own mount namespace", argv[0], c.root, err)
	}
	if err != nil {
		return nil, fmt.Errorf("spawn %s: %w", argv[0], err)
	}
	s.pid, s.seq = int(r.Pid), r.Seq
	return s, nil
}

// cancel kills the process group of the spawned call with this seq.
func (c *monitorConn) cancel(seq uint64) error {
	return c.send(monMsg{Type: monCancel, Arg: int64(seq)}.encode(nil), nil)
}

// read dispatches every message of the monitor until the connection ends.
func (c *monitorConn) read() {
	buf := make([]byte, monMaxMsg)
	for {
		n, _, _, _, err := c.conn.ReadMsgUnix(buf, nil)
		if err == nil && n == 0 {
			err = errors.New("the monitor closed the connection")
		}
		if err != nil {
			c.fail(wrapf(ErrSys, "connection to the monitor of %s lost: %v", c.root, err))
			return
		}
		m, err := decodeMonMsg(buf[:n])
		if err == nil && m.Version != monProtoVersion {
			if m.Type != monReply {
				err = fmt.Errorf("monitor speaks protocol %d, the library %d", m.Version, monProtoVersion)
			} else if m.Err == 0 {
				m.Err = int32(unix.EPROTO)
			}
		}
		if err != nil {
			c.fail(wrapf(ErrSys, "monitor of %s: %v", c.root, err))
			return
		}
		c.dispatch(m, buf[min(monMsgSize, n):n])
	}
}

func (c *monitorConn) dispatch(m monMsg, strs []byte) {
	switch m.Type {
	case monReply:
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
	case monCallExit:
		c.mu.Lock()
		ch := c.calls[m.Seq]
		delete(c.calls, m.Seq)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	case monExit:
		if w := lookupWatch(m.Pid, m.Start); w != nil {
			if m.Err != 0 {
				// The monitor could not write the record (a full disk):
				// this process tries, so that a later load finds it.
				writeJSON(filepath.Join(w.dir, exitRecordName), monExitOf(m))
			}
			w.finish(monExitOf(m), nil)
		}
	case monEvent:
		c.publish(m, strs)
	case monOverflow:
		c.overflowed(m.Count)
	}
}

// monExitOf is the exit an EXIT message or a claim's reply carries.
func monExitOf(m monMsg) Exit {
	e := exitFromWaitStatus(unix.WaitStatus(m.WStatus))
	e.OOMKilled = m.Arg == 1
	return e
}

// fail ends the connection, once: every request and call waiting on it gets
// err, and the watches it followed go on without it.
func (c *monitorConn) fail(err error) error {
	c.mu.Lock()
	if c.broken != nil {
		err = c.broken
		c.mu.Unlock()
		return err
	}
	c.broken = err
	calls := c.calls
	c.calls = map[uint64]chan monMsg{}
	c.pending = map[uint64]*monRequest{}
	close(c.gone)
	c.mu.Unlock()
	c.conn.Close()
	for _, ch := range calls {
		close(ch)
	}
	orphanWatches(c)
	endStreams(c, err)
	return err
}
