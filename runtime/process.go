package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	runc "github.com/containerd/go-runc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Process is a handle to a process exec'd into a container. It is safe for
// concurrent use.
type Process struct {
	proc
	byAgent bool // started by the container's agent, not the runtime
	// recycle, for a process the agent started through this handle's
	// runtime, takes its state dir back as the agent's spare on delete;
	// false when it did not, and the dir is removed.
	recycle func(dir string) bool
}

func newProcess(id, dir string, rec record, watch *exitWatch, st *streams) *Process {
	return &Process{proc: proc{what: "process", id: id, dir: dir, rec: rec, watch: watch, streams: st}}
}

// Exec starts spec as process id in the running container. A terminal is
// used when io.Terminal or spec.Terminal is set; an empty cwd is "/", and a
// nil env is the container's own. Unless Options.NoAgent, a process that
// needs nothing its container's own process lacks (see agentCanRun) and is
// passed no extra fds is started by the container's exec agent, a fork
// instead of a runtime call; any other, or one the agent fails to start,
// by the runtime's exec. The
// handle is the same either way.
func (c *Container) Exec(ctx context.Context, id string, spec specs.Process, io IO) (*Process, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if len(spec.Args) == 0 {
		return nil, wrapf(ErrInvalid, "process %q: no args", id)
	}
	if err := io.checkExtraFDs(); err != nil {
		return nil, err
	}
	// Read once, and for an agent exec while the agent forks.
	running := sync.OnceValue(func() error {
		if s, err := c.state(ctx); err != nil {
			return err
		} else if s != StateRunning {
			return wrapf(ErrState, "cannot exec in container %q: it is %s", c.id, s)
		}
		return nil
	})
	if c.watch.exited() {
		return nil, running()
	}
	io.Terminal = io.Terminal || spec.Terminal
	spec.Terminal = io.Terminal
	if spec.Cwd == "" {
		spec.Cwd = "/"
	}
	if spec.Env == nil {
		if _, bspec, err := readBundle(c.rec.Bundle); err == nil {
			spec.Env = bspec.Process.Env
		}
	}
	// Never MkdirAll: a delete that won the race must not see its dir back.
	processes := filepath.Join(c.dir, processesDirName)
	if err := os.Mkdir(processes, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		if isNotExist(err) {
			return nil, wrapf(ErrNotFound, "container %q was deleted", c.id)
		}
		return nil, sysErr("create processes dir", err)
	}
	if c.rt.agent && len(io.ExtraFDs) == 0 {
		p, used, err := c.execByAgent(ctx, id, filepath.Join(processes, id), spec, io, running)
		if used {
			return p, err
		}
		logf(LogDebug, "process %q of container %q goes through the runtime: %v", id, c.id, err)
	}
	if err := running(); err != nil {
		return nil, err
	}
	l := &launch{
		op: "exec", dir: filepath.Join(processes, id), what: "process", recordName: processRecordName, container: c.id,
		rec: record{ID: id, Terminal: io.Terminal}, io: io,
		invoke: func(call *call, st *stdio, pidFile string, sock *consoleSocket) error {
			opts := &runc.ExecOpts{IO: st, PidFile: pidFile, Detach: true, LogFile: call.logPath(),
				ExtraArgs: st.preserveFDs()}
			if sock != nil {
				opts.ConsoleSocket = sock
			}
			return call.client.Exec(call.ctx, c.id, spec, opts)
		},
	}
	l.guard = []string{}
	if c.rt.killOnExit {
		l.cleanup = []string{}
	}
	l.oom = c.execOOMCounter()
	out, err := c.rt.start(ctx, l)
	if err != nil {
		if isNotExist(err) {
			return nil, wrapf(ErrNotFound, "container %q was deleted", c.id)
		}
		return nil, c.classify(ctx, err, StateRunning)
	}
	return newProcess(id, l.dir, out.rec, out.watch, out.streams), nil
}

// LoadProcess opens process id exec'd earlier, also by another process.
func (c *Container) LoadProcess(ctx context.Context, id string) (*Process, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := filepath.Join(c.dir, processesDirName, id)
	rec, err := readRecord(dir, processRecordName, "process", id)
	if err != nil {
		return nil, err
	}
	watch, err := c.rt.followRecord(dir, "process", rec)
	if err != nil {
		return nil, err
	}
	return newProcess(id, dir, rec, watch, nil), nil
}

// Signal sends sig to the process, never to one that reused its pid; a
// deleted process is ErrNotFound, an exited one ErrState.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := p.check(); err != nil {
		return err
	}
	return p.watch.signal(sig)
}

// Delete removes an exited process's state; a running one is ErrState, and
// of two deletes the second gets ErrNotFound.
func (p *Process) Delete(ctx context.Context) error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	unlock, err := lockDir(p.dir, p.what, p.id)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(p.dir, processRecordName)); err != nil {
		return wrapf(ErrNotFound, "process %q was deleted", p.id)
	}
	if !p.watch.exited() {
		return wrapf(ErrState, "process %q is running", p.id)
	}
	if p.recycle != nil && p.recycle(p.dir) {
		return nil
	}
	return removeStateDir(p.dir, processRecordName)
}
