package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/libexecution/execution/runtime/internal/monitor"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// agentCanRun tells why the agent cannot start p in a container whose own
// process is own, or nil when it can: the agent is the container's process
// (its user, capabilities, seccomp filter, LSM label, no_new_privileges,
// OOM score, scheduling), so p must ask for nothing of those that the
// container's process does not have; args, env, cwd, rlimits and stdio or
// a terminal are its own.
func agentCanRun(p specs.Process, own *specs.Process) error {
	if own == nil {
		return errors.New("the container's process is unknown")
	}
	same := []struct {
		what      string
		mine, its any
	}{
		{"user", p.User, own.User},
		{"capabilities", p.Capabilities, own.Capabilities},
		{"noNewPrivileges", p.NoNewPrivileges, own.NoNewPrivileges},
		{"apparmorProfile", p.ApparmorProfile, own.ApparmorProfile},
		{"selinuxLabel", p.SelinuxLabel, own.SelinuxLabel},
		{"oomScoreAdj", p.OOMScoreAdj, own.OOMScoreAdj},
		{"scheduler", p.Scheduler, own.Scheduler},
		{"ioPriority", p.IOPriority, own.IOPriority},
		{"execCPUAffinity", p.ExecCPUAffinity, own.ExecCPUAffinity},
	}
	for _, s := range same {
		if !reflect.DeepEqual(s.mine, s.its) {
			return fmt.Errorf("its %s differ from the container's process", s.what)
		}
	}
	for _, v := range append(append([]string{}, p.Args...), p.Env...) {
		if v == "" || monitor.HasNUL(v) {
			return errors.New("an empty argument or environment entry")
		}
	}
	if monitor.HasNUL(p.Cwd) {
		return errors.New("a NUL byte in cwd")
	}
	return nil
}

// execByAgent starts spec as process id into dir through the container's
// agent, once running says the container runs: an agent is started only
// then, a live one is sent the request first. With used false it did
// nothing the caller sees and left no dir, and the runtime's exec is to
// run the process; err says why, for the log.
func (c *Container) execByAgent(ctx context.Context, id, dir string, spec specs.Process, io IO,
	running func() error) (_ *Process, used bool, err error) {
	slot := c.agentSlot()
	slot.Lock()
	defer slot.Unlock()
	if slot.a == nil || slot.a.watch.exited() {
		if err := running(); err != nil {
			return nil, true, err
		}
	}
	a, err := slot.get(ctx, c, spec)
	var unusable errAgentUnusable
	if errors.As(err, &unusable) {
		slot.unusable = err
	}
	if err != nil {
		return nil, false, err
	}
	p, err := c.agentStart(ctx, slot, a, id, dir, spec, io, running)
	slot.refill(c.dir)
	var fallback errAgentFallback
	return p, !errors.As(err, &fallback), err
}

// agentExecHook, when set, is called at points of an agent exec by name
// ("reserved", "noted"); for the tests, whose host dies there.
var agentExecHook func(point string)

// agentTamper, when set, changes what an agent's READY passed before it
// is checked; for the tests, which make an agent lie.
var agentTamper func(got []*os.File)

// errAgentFallback is a failure of an agent exec that started nothing of
// the program: the runtime's exec runs it instead.
type errAgentFallback struct{ err error }

func (e errAgentFallback) Error() string { return e.err.Error() }

// agentStart is one exec through agent a into the reserved dir, in a
// container running says runs: read while the agent forks. A container
// found paused has its agent, which cannot answer, killed.
func (c *Container) agentStart(ctx context.Context, slot *agentSlot, a *agent, id, dir string,
	spec specs.Process, pio IO, running func() error) (_ *Process, err error) {
	st, err := openStdio(pio)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	m := agentMsg{Type: agentStart}
	if pio.Terminal {
		m.Flags |= agentTerminal
		if spec.ConsoleSize != nil {
			m.Rows, m.Cols = uint32(spec.ConsoleSize.Height), uint32(spec.ConsoleSize.Width)
		}
	}
	strs := new(monitor.Strings).List(spec.Args).List(spec.Env).Str(spec.Cwd)
	var limits []string
	for _, l := range spec.Rlimits {
		res, ok := rlimitNumbers[l.Type]
		if !ok {
			return nil, errAgentFallback{fmt.Errorf("rlimit %s unknown to the agent", l.Type)}
		}
		limits = append(limits, fmt.Sprintf("%d %d %d", res, l.Soft, l.Hard))
	}
	strs.List(limits)
	var fds []int
	if !pio.Terminal {
		for _, f := range st.inner {
			fds = append(fds, int(f.Fd()))
		}
	}
	msg := m.encode(strs)
	if len(msg) > agentMaxMsg {
		return nil, errAgentFallback{fmt.Errorf("its args and env take %d bytes, more than the agent's %d", len(msg), agentMaxMsg)}
	}
	// The agent forks while this process reserves the dir and reads the
	// OOM counter; a process forked for an id found taken exits unclaimed
	// (its go pipe closed) having run nothing.
	sent := bootTicks()
	err = a.send(msg, fds)
	st.closeInner()
	if err == nil {
		if err := running(); err != nil {
			slot.kill()
			return nil, err
		}
	}
	var res *reservation
	var oom *oomCounter
	var reply agentMsg
	var got []*os.File
	defer func() {
		for _, f := range got {
			if f != nil {
				f.Close()
			}
		}
	}()
	if err == nil {
		var rerr error
		if res, rerr = slot.reserve(dir, id); rerr == nil {
			defer func() {
				if err != nil {
					os.RemoveAll(dir)
					res.release()
				}
			}()
			if agentExecHook != nil {
				agentExecHook("reserved")
			}
			oom = slot.execOOMCounter(c)
		}
		reply, got, err = a.receive()
		if rerr != nil {
			if err != nil {
				slot.kill()
			}
			return nil, rerr
		}
	}
	return c.agentReady(slot, a, id, res, oom, pio, st, sent, reply, got, err)
}

// agentReady goes on with an agent exec once the agent answered (or
// failed with recvErr): checks what it passed, claims and records the
// process into the reserved dir, lets it run.
func (c *Container) agentReady(slot *agentSlot, a *agent, id string, res *reservation, oom *oomCounter,
	pio IO, st *stdio, sent uint64, reply agentMsg, got []*os.File, recvErr error) (_ *Process, err error) {
	if recvErr != nil {
		logf(LogWarn, "the exec agent of container %q (pid %d) failed: %v; the runtime runs process %q",
			c.id, a.pid, recvErr, id)
		slot.kill()
		return nil, errAgentFallback{recvErr}
	}
	if reply.Err != 0 {
		err := fmt.Errorf("the agent could not start it (%s: %v)", agentStageNames[reply.Stage], unix.Errno(reply.Err))
		if reply.Stage == agentStageFork || reply.Stage == agentStagePidfd || reply.Stage == agentStageRequest {
			logf(LogWarn, "the exec agent of container %q cannot serve it: %v", c.id, err)
			slot.unusable = errAgentUnusable{err}
			slot.kill()
		}
		return nil, errAgentFallback{err}
	}
	if agentTamper != nil {
		agentTamper(got)
	}
	want := 3
	if pio.Terminal {
		want = 4
	}
	pid, start, err := a.verify(got, want, sent)
	if err != nil {
		logf(LogWarn, "the exec agent of container %q (pid %d) reported a process it did not start: %v; killed it",
			c.id, a.pid, err)
		slot.kill()
		return nil, errAgentFallback{err}
	}
	var cleanup []string
	if c.rt.killOnExit {
		cleanup = []string{}
	}
	// Noted before the claim: a host that dies from here on leaves a
	// reservation a later exec of the id removes once the process is gone.
	noted := record{ID: id, Pid: pid, StartTime: start, Terminal: pio.Terminal}
	if err := res.note(noted); err != nil {
		return nil, err
	}
	if agentExecHook != nil {
		agentExecHook("noted")
	}
	if oom == nil {
		oom = &oomCounter{}
	}
	// The monitor lets the process exec as it claims it. A host that dies
	// from here on leaves a claimed process (its dir a reservation a later
	// exec of the id removes once it is gone, or its record), which runs,
	// or exited 127 having run nothing.
	watch, rec, err := c.rt.claimInto(res.dir, pid, *oom, record{ID: id, Terminal: pio.Terminal}, cleanup, c.id, id,
		monitor.ClaimFresh|monitor.ClaimAdded|monitor.ClaimRelease, []int{int(got[1].Fd())})
	if errors.Is(err, unix.ECHILD) || errors.Is(err, unix.EALREADY) || (err == nil && rec.StartTime != start) {
		if err == nil {
			watch.signal(unix.SIGKILL)
			err = errors.New("its start time changed")
		}
		logf(LogWarn, "the exec agent of container %q (pid %d) reported process %d, which is not its own: %v; killed it",
			c.id, a.pid, pid, err)
		slot.kill()
		return nil, errAgentFallback{err}
	}
	if watch == nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			watch.signal(unix.SIGKILL)
			wctx, cancel := context.WithTimeout(context.Background(), c.rt.callTimeout)
			watch.wait(wctx)
			cancel()
		}
	}()
	if err != nil {
		return nil, err
	}
	if err := res.commit(); err != nil {
		return nil, err
	}
	if err := agentExecStatus(got[2]); err != nil {
		return nil, err
	}
	out := st.handover(pio.Terminal)
	if pio.Terminal {
		out.master, got[3] = got[3], nil
	}
	p := newProcess(id, res.dir, rec, watch, out)
	p.byAgent = true
	p.recycle = func(dir string) bool { return slot.recycle(dir, c.dir) }
	return p, nil
}

// send sends one START with fds, within agentDeadline (the socket's
// timeouts, set as the agent started).
func (a *agent) send(msg []byte, fds []int) error {
	fd := int(a.conn.Fd())
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	return retryEINTR(func() error { return unix.Sendmsg(fd, msg, oob, nil, unix.MSG_NOSIGNAL) })
}

// receive reads the READY of the START sent, within agentDeadline; got
// are the fds that came with it.
func (a *agent) receive() (reply agentMsg, got []*os.File, err error) {
	fd := int(a.conn.Fd())
	buf := make([]byte, agentMsgSize+1) // a READY has no strings
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn, flags int
	err = retryEINTR(func() (err error) {
		n, oobn, flags, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		return err
	})
	if oobn > 0 {
		if cmsgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
			for _, cm := range cmsgs {
				rights, _ := unix.ParseUnixRights(&cm)
				for _, fd := range rights {
					got = append(got, os.NewFile(uintptr(fd), "agent-fd"))
				}
			}
		}
	}
	switch {
	case err == unix.EAGAIN:
		return reply, got, errors.New("no answer in time")
	case err != nil:
		return reply, got, err
	case n == 0:
		return reply, got, io.EOF
	case flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0:
		return reply, got, errors.New("the agent's reply was truncated")
	}
	reply, err = decodeAgentMsg(buf[:n])
	if err == nil && reply.Type != agentReady {
		err = fmt.Errorf("the agent sent message type %d, not READY", reply.Type)
	}
	return reply, got, err
}

// verify checks what a READY passed, trusting nothing of the agent's word:
// want fds, the first a pidfd of a live process in the agent's pid
// namespace, other than the agent, started since the request was sent.
// It returns the process's host pid and start time; that it is a child of
// the monitor no one claimed yet, the claim checks.
func (a *agent) verify(got []*os.File, want int, sent uint64) (int, uint64, error) {
	if len(got) != want {
		return 0, 0, fmt.Errorf("it passed %d fds, not %d", len(got), want)
	}
	pid, err := pidfdPid(int(got[0].Fd()))
	if err != nil {
		return 0, 0, err
	}
	if pid == a.pid {
		return 0, 0, errors.New("it named itself")
	}
	ns, err := pidNamespace(pid)
	if err != nil || ns != a.pidns {
		return 0, 0, fmt.Errorf("process %d is not in the container's pid namespace", pid)
	}
	st, err := readProcStat(pid)
	if err != nil {
		return 0, 0, err
	}
	if st.startTime+1 < sent {
		return 0, 0, fmt.Errorf("process %d started before the request", pid)
	}
	// Alive now, so pid was still its own when its stat was read.
	if err := unix.PidfdSendSignal(int(got[0].Fd()), 0, nil, 0); err != nil {
		return 0, 0, fmt.Errorf("process %d is gone", pid)
	}
	return pid, st.startTime, nil
}

// agentExecStatus reads whether the released process's exec succeeded:
// EOF on the status pipe, or the errno of a failed one. A process that is
// stopped before its exec (by the container's own code) counts as started
// once agentDeadline ran out: it is claimed either way.
func agentExecStatus(status *os.File) error {
	fds := []unix.PollFd{{Fd: int32(status.Fd()), Events: unix.POLLIN}}
	deadline := time.Now().Add(agentDeadline)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return nil
		}
		break
	}
	buf := make([]byte, agentStatusSize)
	if n, err := unix.Read(int(status.Fd()), buf); err != nil || n != len(buf) {
		return nil
	}
	var s agentStatus
	binary.Read(bytes.NewReader(buf), binary.NativeEndian, &s)
	return wrapf(ErrRuntime, "exec %s failed: %v", agentStageNames[s.Stage], unix.Errno(s.Err))
}

// bootTicks is now in clock ticks after boot, the unit of a process's start
// time.
func bootTicks() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts)
	return uint64(ts.Nano()) / uint64(time.Second/clockTicksPerSecond)
}

// clockTicksPerSecond is USER_HZ, the unit of proc(5)'s start times.
const clockTicksPerSecond = 100

// rlimitNumbers are the RLIMIT_* numbers of runtime-spec's rlimit types.
var rlimitNumbers = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// retryEINTR runs call until it fails otherwise than with EINTR.
func retryEINTR(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}
