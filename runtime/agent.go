package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/monitor"
	"github.com/libexecution/execution/runtime/internal/rawfile"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The agent program (monitor/agent.c), as SetAgentProgram registered it,
// and the sealed memfd it runs from.
var agentProgram struct {
	sync.Mutex
	image []byte
	exe   *os.File
}

// SetAgentProgram registers the executable image of the exec agent
// (monitor/agent.c, built static by the Makefile). libexecution.so carries
// it and registers it when loaded; without one, every exec is a runtime
// call. The caller never changes image afterwards: it is registered, not
// copied, so that a host pays for its pages only once an agent runs.
func SetAgentProgram(image []byte) {
	agentProgram.Lock()
	defer agentProgram.Unlock()
	agentProgram.image = image
	if agentProgram.exe != nil {
		agentProgram.exe.Close()
		agentProgram.exe = nil
	}
}

// agentExe is the memfd the agents run from; nil when none is registered.
func agentExe() (*os.File, error) {
	agentProgram.Lock()
	defer agentProgram.Unlock()
	if agentProgram.exe != nil || len(agentProgram.image) == 0 {
		return agentProgram.exe, nil
	}
	f, err := monitor.ExecMemfd("execution-agent", agentProgram.image)
	if err != nil {
		return nil, err
	}
	agentProgram.exe = f
	return f, nil
}

// agentDeadline bounds each answer of an agent: one that does not answer
// in time (stopped, or busy beyond reason) is killed and the exec goes
// through the runtime.
var agentDeadline = 2 * time.Second

// agentExeFd is the fd the agent's executable is at in the runtime's exec:
// the first of the two it preserves (the second is the agent's socket).
const agentExeFd = 3

// agentsDirName is the dir, in a container's state dir, of the agents'
// state dirs (their exit records).
const agentsDirName = "agents"

// agent is a container's exec agent started by this process: a process in
// the container, a child of the monitor, serving this process alone over
// a socket pair. Its life is this process's connection to the monitor's
// (the monitor kills it when that ends), the container's, or until it
// misbehaves.
type agent struct {
	own   specs.Process // the container's process it was started as
	conn  *os.File      // blocking: a request waits in its own thread, not the poller
	pid   int           // on the host
	pidns uint64        // the inode of its pid namespace
	watch *exitWatch
}

// agentSlot is what this process knows of one container's agent; its lock
// makes the container's agent execs one at a time.
type agentSlot struct {
	sync.Mutex
	a *agent
	// unusable, with why, is set once the agent could not serve the
	// container at all (its seccomp filter refused a fork or a pidfd, or
	// the runtime could not start it): its execs go through the runtime.
	unusable error
	// oomFile is the container's OOM counter file, once found: its
	// cgroup is the container's for life.
	oomFile string
	// spares are process dir reservations made ahead for the next execs
	// (at most maxSpares), pending those being made; dropped, the
	// container is deleted.
	spares  []*reservation
	pending int
	dropped bool
	refills sync.WaitGroup // the spares being made
}

// maxSpares is how many spare process dirs a container's slot keeps: the
// one made after an exec, and the dir of a process deleted meanwhile.
const maxSpares = 2

// agents holds the slots, by container state dir and init.
var agents = struct {
	sync.Mutex
	m map[string]*agentSlot
}{m: map[string]*agentSlot{}}

// agentKey names a container's instance: a container deleted and made
// again under the same id is another.
func (c *Container) agentKey() string {
	return fmt.Sprintf("%s\x00%d\x00%d", c.dir, c.rec.Pid, c.rec.StartTime)
}

func (c *Container) agentSlot() *agentSlot {
	agents.Lock()
	defer agents.Unlock()
	s := agents.m[c.agentKey()]
	if s == nil {
		s = &agentSlot{}
		agents.m[c.agentKey()] = s
	}
	return s
}

// dropAgent forgets the container's agent once the container is deleted,
// closing this process's end of its socket.
func (c *Container) dropAgent() {
	agents.Lock()
	s := agents.m[c.agentKey()]
	delete(agents.m, c.agentKey())
	agents.Unlock()
	if s != nil {
		s.Lock()
		s.kill()
		s.dropped = true
		s.discardSpares()
		s.Unlock()
		// A refill under way discards what it made before the state dir
		// is removed.
		s.refills.Wait()
	}
}

// reserve reserves dir for process id, from a spare when there is one.
// A spare that cannot be placed for a reason of its own (its dir gone
// with the container's, deleted elsewhere) is dropped.
func (s *agentSlot) reserve(dir, id string) (*reservation, error) {
	for len(s.spares) > 0 {
		r := s.spares[len(s.spares)-1]
		s.spares = s.spares[:len(s.spares)-1]
		err := r.place(dir, id)
		switch {
		case err == nil:
			return r, nil
		case errors.Is(err, ErrExists), errors.Is(err, ErrInvalid):
			s.spares = append(s.spares, r)
			return nil, err
		}
		r.discard()
	}
	return reserveProcessDir(dir, id)
}

// refill has the next exec's spare reservation made in parent (the
// container's state dir, beside its processes) in the background, when
// there is none.
func (s *agentSlot) refill(parent string) {
	if len(s.spares)+s.pending == 0 && !s.dropped {
		s.makeSpare(func() (*reservation, error) { return makeReservation(parent) })
	}
}

// recycle takes the state dir of a deleted process an agent started back
// as a spare, when the slot is free and short of spares: it is moved
// beside the processes under a temporary name, at once, and made a spare
// in the background. It says whether it took dir; if not, the caller
// removes it.
func (s *agentSlot) recycle(dir, parent string) bool {
	if !s.TryLock() {
		return false // an exec holds the slot: not worth waiting for
	}
	defer s.Unlock()
	if s.dropped || s.a == nil || len(s.spares)+s.pending >= maxSpares {
		return false
	}
	tmp := filepath.Join(parent, fmt.Sprintf("%srecycled-%d-%d", reservedPrefix, os.Getpid(), recycleSeq.Add(1)))
	if renameNoReplace(dir, tmp) != nil {
		return false
	}
	s.makeSpare(func() (*reservation, error) { return reuseReservation(tmp) })
	return true
}

// recycleSeq numbers the dirs this process recycles.
var recycleSeq atomic.Uint64

// makeSpare runs make in the background and keeps the spare it makes;
// called with the slot locked.
func (s *agentSlot) makeSpare(make func() (*reservation, error)) {
	s.pending++
	s.refills.Add(1)
	go func() {
		defer s.refills.Done()
		r, err := make()
		s.Lock()
		defer s.Unlock()
		s.pending--
		switch {
		case err != nil:
			logf(LogDebug, "no spare process dir: %v", err)
		case s.dropped || len(s.spares) >= maxSpares:
			r.discard()
		default:
			s.spares = append(s.spares, r)
		}
	}()
}

// discardSpares removes the slot's spares; called with the slot locked.
func (s *agentSlot) discardSpares() {
	for _, r := range s.spares {
		r.discard()
	}
	s.spares = nil
}

// kill ends the slot's agent, if any: the next exec starts another.
func (s *agentSlot) kill() {
	if s.a == nil {
		return
	}
	s.a.watch.signal(unix.SIGKILL)
	s.a.conn.Close()
	s.a = nil
}

// get returns the slot's live agent for process p, starting one when there
// is none or the last one died; an error when the agent cannot run p
// (agentCanRun) or none can be had.
func (s *agentSlot) get(ctx context.Context, c *Container, p specs.Process) (*agent, error) {
	if s.unusable != nil {
		return nil, s.unusable
	}
	if s.a != nil && !s.a.watch.exited() {
		return s.a, agentCanRun(p, &s.a.own)
	}
	if s.a != nil {
		logf(LogWarn, "the exec agent of container %q (pid %d) is gone; starting another", c.id, s.a.pid)
		s.kill()
	}
	_, bspec, err := readBundle(c.rec.Bundle)
	if err != nil || bspec.Process == nil {
		return nil, errAgentUnusable{fmt.Errorf("the container's process is unknown: %v", err)}
	}
	if err := agentCanRun(p, bspec.Process); err != nil {
		return nil, err
	}
	a, err := c.startAgent(ctx, *bspec.Process)
	if err != nil {
		return nil, err
	}
	s.a = a
	go s.closeOnExit(a)
	return a, nil
}

// closeOnExit closes this process's end of a's socket once a exited, so a
// container deleted or stopped elsewhere leaves no fd here.
func (s *agentSlot) closeOnExit(a *agent) {
	a.watch.wait(context.Background())
	s.Lock()
	defer s.Unlock()
	a.conn.Close()
	// The container may be gone with its dir: this process holds
	// nothing of it.
	s.discardSpares()
	if s.a == a {
		s.a = nil
	}
}

// startAgent starts an agent in the container by the runtime's exec, as
// the container's own process own.
func (c *Container) startAgent(ctx context.Context, own specs.Process) (_ *agent, err error) {
	exe, err := agentExe()
	if err != nil || exe == nil {
		return nil, errAgentUnusable{fmt.Errorf("no agent program: %v", err)}
	}
	spec := own
	spec.Args = []string{fmt.Sprintf("/proc/self/fd/%d", agentExeFd)}
	spec.Terminal, spec.ConsoleSize = false, nil
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, sysErr("socketpair", err)
	}
	conn, theirs := os.NewFile(uintptr(fds[0]), "agent"), os.NewFile(uintptr(fds[1]), "agent")
	defer theirs.Close()
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()
	// Each request and its answer within agentDeadline.
	tv := unix.NsecToTimeval(agentDeadline.Nanoseconds())
	for _, opt := range []int{unix.SO_SNDTIMEO, unix.SO_RCVTIMEO} {
		if err := unix.SetsockoptTimeval(fds[0], unix.SOL_SOCKET, opt, &tv); err != nil {
			return nil, sysErr("agent socket", err)
		}
	}
	agentsDir := filepath.Join(c.dir, agentsDirName)
	if err := os.Mkdir(agentsDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, sysErr("create agents dir", err)
	}
	id := fmt.Sprintf("%d-%d", os.Getpid(), agentSeq.Add(1))
	l := &launch{
		op: "exec (agent)", dir: filepath.Join(agentsDir, id), what: "agent", recordName: processRecordName,
		rec: record{ID: id}, oom: &oomCounter{},
		invoke: func(call *call, st *stdio, pidFile string, _ *consoleSocket) error {
			call.extra = []*os.File{exe, theirs}
			opts := &runc.ExecOpts{IO: st, PidFile: pidFile, Detach: true, LogFile: call.logPath(),
				ExtraArgs: []string{"--preserve-fds", "2"}}
			return call.client.Exec(call.ctx, c.id, spec, opts)
		},
	}
	// The monitor kills the agent when this process's connection ends; one
	// whose start this process did not live to record exits as its socket
	// closes.
	l.cleanup = []string{}
	out, err := c.rt.start(ctx, l)
	if err != nil {
		return nil, errAgentUnusable{err}
	}
	a := &agent{own: own, conn: conn, pid: out.rec.Pid, watch: out.watch}
	if a.pidns, err = pidNamespace(a.pid); err != nil {
		a.watch.signal(unix.SIGKILL)
		return nil, errAgentUnusable{sysErr("read the agent's pid namespace", err)}
	}
	logf(LogInfo, "started the exec agent of container %q (pid %d)", c.id, a.pid)
	return a, nil
}

// agentSeq numbers the agents this process starts.
var agentSeq atomic.Uint64

// errAgentUnusable says the container's execs cannot use an agent.
type errAgentUnusable struct{ err error }

func (e errAgentUnusable) Error() string { return "no exec agent: " + e.err.Error() }

// pidNamespace is the inode of process pid's pid namespace.
func pidNamespace(pid int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/pid", &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// pidfdPid is the host pid of the process pidfd refers to, from this
// process's fdinfo.
func pidfdPid(pidfd int) (int, error) {
	data, err := rawfile.Read("/proc/self/fdinfo/" + strconv.Itoa(pidfd))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || pid <= 0 {
				return 0, fmt.Errorf("fd %d is not the pidfd of a live process", pidfd)
			}
			return pid, nil
		}
	}
	return 0, fmt.Errorf("fd %d is not a pidfd", pidfd)
}
