package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// launch is one runtime call that starts a process into a fresh state dir:
// a container's create or run, or an exec. It is the one sequence both
// share: reserve the dir, make the streams, call the runtime, take the
// process over, and on any failure undo exactly what this call made.
type launch struct {
	op         string // the runtime command, for messages
	dir        string // the state dir to reserve
	what       string // "container" or "process", for messages
	recordName string
	rec        record // id, bundle and terminal; pid and start time come later
	io         IO
	// invoke makes the runtime call: with st as the process's stdio, the pid
	// file to write, and sock (for a terminal) to send the pty master to.
	invoke func(c *call, st *stdio, pidFile string, sock *consoleSocket) error
	// undo removes what a failed call left in the runtime; started tells
	// whether the call got as far as starting a process (a pid file), err
	// why it failed.
	undo func(started bool, err error)
	// cleanup, with KillOnExit, is the command the monitor runs when this
	// process's connection ends while the process lives.
	cleanup []string
	// guard is the command that deletes a container (none for an exec),
	// which the monitor runs, after killing the process started, before it
	// removes the state dir, if this process dies before the launch is
	// recorded or undone.
	guard []string
	// oom, for an exec, is its container's OOM counter read before the call;
	// for a container it is found once its init runs.
	oom *oomCounter
	// container is the id of the container, for its events.
	container string
	// pool, when not "", marks the container as that warm pool's, not yet
	// taken, before its record exists (see poolmark.go).
	pool string
}

// processID is the exec'd process's id, "" for a container's init.
func (l *launch) processID() string {
	if l.recordName == containerRecordName {
		return ""
	}
	return l.rec.ID
}

// launched is the process a launch started.
type launched struct {
	rec     record
	watch   *exitWatch
	streams *streams
}

// start runs the launch.
func (r *Runtime) start(ctx context.Context, l *launch) (_ *launched, err error) {
	if err := makeStateDir(l.dir, l.what, l.rec.ID); err != nil {
		return nil, err
	}
	if l.pool != "" {
		if err := markPooled(l.dir, l.pool); err != nil {
			os.RemoveAll(l.dir)
			return nil, err
		}
	}
	var out launched
	var c *call
	pid := 0 // once the runtime wrote the pid file
	defer func() {
		if c != nil {
			defer c.unguard()
		}
		if err == nil {
			return
		}
		if out.watch == nil && pid > 0 {
			out.watch = r.reclaim(l.dir, pid)
		}
		if l.undo != nil {
			l.undo(pid > 0, err)
		}
		if out.watch != nil {
			out.watch.signal(unix.SIGKILL)
			wctx, cancel := context.WithTimeout(context.Background(), r.callTimeout)
			out.watch.wait(wctx)
			cancel()
		}
		os.RemoveAll(l.dir)
	}()
	st, err := openStdio(l.io)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var sock *consoleSocket
	if l.io.Terminal {
		if sock, err = newConsoleSocket(); err != nil {
			return nil, err
		}
		defer sock.Close()
	}
	if c, err = r.newLoggedCall(ctx, l.op); err != nil {
		return nil, err
	}
	if l.guard != nil {
		c.guard = &monitor.CallGuard{Cleanup: l.guard, Dir: l.dir}
	}
	c.extra = st.extra
	pidFile := filepath.Join(l.dir, pidFileName)
	c.announce(l.container, l.processID())
	err = l.invoke(c, st, pidFile, sock)
	st.closeInner()
	err = c.done(err)
	pid, _ = readPidFile(pidFile)
	if err != nil {
		return nil, st.withStderr(err)
	}
	if pid == 0 {
		return nil, wrapf(ErrRuntime, "%s %s: it wrote no pid file", r.name, l.op)
	}
	var oom oomCounter
	if l.oom != nil {
		oom = *l.oom
	} else {
		oom, l.rec.Cgroup = r.noteOOMCounter(pid, l.recordName == containerRecordName, l.rec.ID)
	}
	if out.watch, out.rec, err = r.claim(l.dir, pid, oom, l.rec, l.cleanup, l.container, l.processID()); err != nil {
		return nil, err
	}
	out.streams = st.handover(l.rec.Terminal)
	if sock != nil {
		rctx, cancel := context.WithTimeout(ctx, r.callTimeout)
		out.streams.master, err = sock.receive(rctx)
		cancel()
		if err != nil {
			out.streams.close()
			return nil, err
		}
	}
	if err := writeJSON(filepath.Join(l.dir, l.recordName), out.rec); err != nil {
		out.streams.close()
		return nil, err
	}
	return &out, nil
}

// claim hands process pid, which the runtime started into dir (a
// container's init or an exec'd process), to the monitor, which reaps it
// and records its exit there, OOM kill included.
// Its exit event names container and process ("" for an init).
func (r *Runtime) claim(dir string, pid int, oom oomCounter, rec record, cleanup []string,
	container, process string) (*exitWatch, record, error) {
	return r.claimWith(dir, pid, oom, rec, cleanup, container, process, 0)
}

// claimWith is claim with more MON_CLAIM_* flags; a refusal for a process
// not the monitor's child, or already claimed, carries ECHILD or EALREADY.
func (r *Runtime) claimWith(dir string, pid int, oom oomCounter, rec record, cleanup []string,
	container, process string, flags int64) (*exitWatch, record, error) {
	if _, err := prepareExitRecord(dir); err != nil {
		return nil, rec, err
	}
	return r.claimInto(dir, pid, oom, rec, cleanup, container, process, flags, nil)
}

// claimInto is claimWith into a dir whose exit record the monitor makes
// (or finds empty), passing fds with the claim (see monitor.ClaimRelease).
func (r *Runtime) claimInto(dir string, pid int, oom oomCounter, rec record, cleanup []string,
	container, process string, flags int64, fds []int) (*exitWatch, record, error) {
	exitPath := filepath.Join(dir, exitRecordName)
	m := monitor.Msg{Type: monitor.MsgClaim, Pid: int64(pid), Count: oom.base, Arg: flags}
	if monitor.HasNUL(container, process) {
		return nil, rec, wrapf(ErrInvalid, "an id holds a NUL byte")
	}
	strs := new(monitor.Strings).Str(exitPath).Str(oom.file).Str(container).Str(process)
	if oom.sigkillOnly {
		m.Arg |= monitor.ClaimOOMSigkill
	}
	if cleanup != nil {
		m.Arg |= monitor.ClaimKillOrphan
		strs.List(cleanup).List(runtimeEnv())
	}
	var w *exitWatch
	var reply monitor.Msg
	err := monitor.With(r.root, func(mon *monitor.Conn) (err error) {
		reply, err = mon.Request(m, strs, fds, func(reply monitor.Msg) {
			if reply.Err == 0 && reply.State == monitor.StateLive {
				w = sharedWatch(newWatch(pid, reply.Start, dir, mon))
			}
		})
		return err
	})
	if errors.Is(err, unix.ECHILD) {
		return nil, rec, withCause(ErrRuntime, fmt.Sprintf("%s %s: its process %d is not a child of the monitor "+
			"(the runtime left a process of its own as its parent)", r.name, rec.ID, pid), err)
	}
	if errors.Is(err, unix.EALREADY) {
		return nil, rec, withCause(ErrRuntime, fmt.Sprintf("process %d is claimed already", pid), err)
	}
	if err != nil {
		return nil, rec, sysErr("claim process", err)
	}
	rec.Pid, rec.StartTime = pid, reply.Start
	if w == nil {
		w = finishedWatch(pid, reply.Start, dir, exitOfMsg(reply), nil)
	}
	switch {
	case flags&monitor.ClaimRelease == 0:
	case reply.Count != 0:
		// Claimed, then killed: the caller waits for its end.
		return w, rec, sysErr("start the process", unix.Errno(reply.Count))
	case reply.State != monitor.StateLive:
		return w, rec, wrapf(ErrSys, "start the process: it ended before it was let run (status %d)", exitOfMsg(reply).Status)
	}
	return w, rec, nil
}

// reclaim follows, for an undo, process pid that a failed launch started
// into dir before it was claimed: through the monitor when it can, else
// from outside.
func (r *Runtime) reclaim(dir string, pid int) *exitWatch {
	if w, _, err := r.claim(dir, pid, oomCounter{}, record{}, nil, "", ""); err == nil {
		return w
	}
	st, err := readProcStat(pid)
	if err != nil {
		return nil
	}
	w := newWatch(pid, st.startTime, dir, nil)
	w.followForeign()
	return w
}
