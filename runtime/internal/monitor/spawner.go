package monitor

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/errdefs"
	"golang.org/x/sys/unix"
)

// CallEnvKey names the environment entry by which the spawner finds the
// call a go-runc command belongs to; it never reaches the runtime.
const CallEnvKey = "LIBEXECUTION_CALL"

// A Call is the lifecycle's runtime call a go-runc command belongs to.
type Call interface {
	// Context bounds the call: at its end the call is cancelled.
	Context() context.Context
	// Root is the root whose monitor runs the call.
	Root() string
	// Log is the call's own log, or nil, and the path the runtime is
	// told to open it by.
	Log() (f *os.File, path string)
	// Extra are the fds the runtime gets as 3, 4, ... (--preserve-fds),
	// after its three streams.
	Extra() []*os.File
	// Event is what the monitor publishes when the call succeeds.
	Event() CallEvent
	// Moves tells that the call moves a process into cgroups (a create,
	// run or exec).
	Moves() bool
	// Guard is what the monitor undoes if this process dies before the
	// call is settled, or nil; Guarded gets the spawn it names.
	Guard() *CallGuard
	Guarded(s *Spawned)
}

// liveCalls are the calls in flight, by key.
var liveCalls = callTable{m: map[uint64]Call{}}

type callTable struct {
	sync.Mutex
	next uint64
	m    map[uint64]Call
}

// AddCall registers c until RemoveCall, and returns the key its commands
// carry as CallEnvKey.
func AddCall(c Call) uint64 { return liveCalls.add(c) }

// RemoveCall forgets the call of key.
func RemoveCall(key uint64) { liveCalls.remove(key) }

func (t *callTable) add(c Call) uint64 {
	t.Lock()
	defer t.Unlock()
	t.next++
	t.m[t.next] = c
	return t.next
}

func (t *callTable) remove(key uint64) {
	t.Lock()
	defer t.Unlock()
	delete(t.m, key)
}

// callOf finds the call of cmd and returns it with the environment the
// runtime gets.
func (t *callTable) callOf(cmd *exec.Cmd) (Call, []string) {
	for i, e := range cmd.Env {
		v, ok := strings.CutPrefix(e, CallEnvKey+"=")
		if !ok {
			continue
		}
		key, _ := strconv.ParseUint(v, 10, 64)
		t.Lock()
		c := t.m[key]
		t.Unlock()
		env := append(append([]string{}, cmd.Env[:i]...), cmd.Env[i+1:]...)
		return c, env
	}
	return nil, nil
}

// spawner is go-runc's ProcessMonitor for the library: it has the monitor
// spawn each runtime invocation, and waits for the exit the monitor sends.
// go-runc's Monitor is package-wide; a command that is not one of this
// library's calls goes to go-runc's own monitor.
type spawner struct {
	fallback runc.ProcessMonitor
}

func init() {
	runc.Monitor = &spawner{fallback: runc.Monitor}
}

// spawnedCmd is what Wait needs of a command Start Spawned.
type spawnedCmd struct {
	call    Call
	mon     *Conn
	proc    *Spawned
	copiers sync.WaitGroup
	closers []io.Closer // our ends of the copied streams
}

var spawnedCmds sync.Map // *exec.Cmd -> *spawnedCmd

// Start implements runc.ProcessMonitor.
func (s *spawner) Start(cmd *exec.Cmd) (chan runc.Exit, error) {
	c, env := liveCalls.callOf(cmd)
	if c == nil {
		return s.fallback.Start(cmd)
	}
	sc := &spawnedCmd{call: c}
	files, owned, err := sc.streams(cmd)
	defer closeAll(owned)
	if err != nil {
		sc.closeCopies()
		return nil, err
	}
	files = append(files, c.Extra()...)
	args := append([]string{cmd.Path}, cmd.Args[1:]...)
	if log, path := c.Log(); log != nil {
		files = append(files, log)
		inner := fmt.Sprintf("/proc/self/fd/%d", len(files)-1)
		for i, a := range args {
			if a == path {
				args[i] = inner
			}
		}
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	guard := c.Guard()
	err = With(c.Root(), func(mon *Conn) (err error) {
		sc.mon = mon
		sc.proc, err = mon.spawn(args, env, cmd.Dir, fds, c.Event(), guard, c.Moves())
		return err
	})
	if err == nil && guard != nil {
		c.Guarded(sc.proc)
	}
	if err != nil {
		sc.closeCopies()
		return nil, err
	}
	spawnedCmds.Store(cmd, sc)
	ec := make(chan runc.Exit, 1)
	go sc.await(ec)
	return ec, nil
}

// StartLocked implements runc.ProcessMonitor: the monitor's child has no
// tie to any thread of this process.
func (s *spawner) StartLocked(cmd *exec.Cmd) (chan runc.Exit, error) {
	return s.Start(cmd)
}

// Wait implements runc.ProcessMonitor.
func (s *spawner) Wait(cmd *exec.Cmd, ec chan runc.Exit) (int, error) {
	v, ok := spawnedCmds.LoadAndDelete(cmd)
	if !ok {
		return s.fallback.Wait(cmd, ec)
	}
	e, ok := <-ec
	if !ok {
		return -1, v.(*spawnedCmd).mon.brokenErr()
	}
	return e.Status, nil
}

// streams gives the command's stdio as files: a file as it is, nothing as
// /dev/null, and any other reader or writer through a pipe this process
// copies, one pipe per writer (as exec.Cmd does, for stdout and stderr
// sharing a buffer); then its extra files. owned are the files made here,
// which the caller closes once they are sent.
func (sc *spawnedCmd) streams(cmd *exec.Cmd) (files, owned []*os.File, err error) {
	pipes := map[io.Writer]*os.File{}
	for i, stream := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if w, ok := stream.(io.Writer); ok && i > 0 && pipes[w] != nil {
			files = append(files, pipes[w])
			continue
		}
		switch v := stream.(type) {
		case *os.File:
			files = append(files, v)
		case nil:
			null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
			if err != nil {
				return files, owned, errdefs.SysErr("open /dev/null", err)
			}
			files, owned = append(files, null), append(owned, null)
		default:
			r, w, err := os.Pipe()
			if err != nil {
				return files, owned, errdefs.SysErr("pipe", err)
			}
			sc.copiers.Add(1)
			if i == 0 {
				files, owned = append(files, r), append(owned, r)
				sc.closers = append(sc.closers, w)
				go func() { defer sc.copiers.Done(); io.Copy(w, v.(io.Reader)); w.Close() }()
			} else {
				files, owned = append(files, w), append(owned, w)
				pipes[v.(io.Writer)] = w
				sc.closers = append(sc.closers, r)
				go func() { defer sc.copiers.Done(); io.Copy(v.(io.Writer), r) }()
			}
		}
	}
	return append(files, cmd.ExtraFiles...), owned, nil
}

// copyGrace bounds how long output is read after a call exited: a
// descendant of the runtime that keeps the pipe open must not hold the call.
const copyGrace = 2 * time.Second

// await waits for the call's exit, cancelling it at its deadline, then for
// its output.
func (sc *spawnedCmd) await(ec chan runc.Exit) {
	var m Msg
	var ok bool
	select {
	case m, ok = <-sc.proc.exited:
	case <-sc.call.Context().Done():
		sc.mon.cancel(sc.proc.seq)
		m, ok = <-sc.proc.exited
	}
	done := make(chan struct{})
	go func() { sc.copiers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(copyGrace):
	}
	sc.closeCopies()
	if !ok {
		close(ec)
		return
	}
	ws := unix.WaitStatus(m.WStatus)
	status := ws.ExitStatus()
	if ws.Signaled() {
		status = 128 + int(ws.Signal())
	}
	ec <- runc.Exit{Timestamp: time.Now(), Pid: int(m.Pid), Status: status}
	close(ec)
}

func (sc *spawnedCmd) closeCopies() {
	closeAll(sc.closers)
	sc.closers = nil
}

func closeAll[T io.Closer](cs []T) {
	for _, c := range cs {
		c.Close()
	}
}
