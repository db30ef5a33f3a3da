package runtime

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"

	runc "github.com/containerd/go-runc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Process is a handle to a process exec'd into a container. It is safe for
// concurrent use.
type Process struct {
	id      string
	dir     string
	rec     record
	watch   *exitWatch
	streams *streams
	closed  atomic.Bool
}

// Exec starts spec as process id in the running container. A terminal is
// used when io.Terminal or spec.Terminal is set; an empty cwd is "/", and a
// nil env is the container's own.
func (c *Container) Exec(ctx context.Context, id string, spec specs.Process, io IO) (_ *Process, err error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if len(spec.Args) == 0 {
		return nil, wrapf(ErrInvalid, "process %q: no args", id)
	}
	if s, err := c.state(ctx); err != nil {
		return nil, err
	} else if s != StateRunning {
		return nil, wrapf(ErrState, "cannot exec in container %q: it is %s", c.id, s)
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
	if err := os.MkdirAll(filepath.Join(c.dir, processesDirName), 0o700); err != nil {
		return nil, sysErr("create processes dir", err)
	}
	dir := filepath.Join(c.dir, processesDirName, id)
	if err := makeStateDir(dir, "process", id); err != nil {
		return nil, err
	}
	l := &launched{}
	defer func() {
		if err != nil {
			if watch := l.follow(dir); watch != nil {
				watch.signal(syscall.SIGKILL)
				wctx, cancel := context.WithTimeout(context.Background(), c.rt.callTimeout)
				watch.wait(wctx)
				cancel()
			}
			os.RemoveAll(dir)
		}
	}()
	st, err := openStdio(io)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	opts := &runc.ExecOpts{IO: st, PidFile: filepath.Join(dir, pidFileName), Detach: true}
	var sock *consoleSocket
	if io.Terminal {
		if sock, err = newConsoleSocket(); err != nil {
			return nil, err
		}
		defer sock.Close()
		opts.ConsoleSocket = sock
	}
	call, err := c.rt.newLoggedCall(ctx, "exec")
	if err != nil {
		return nil, err
	}
	opts.LogFile = call.logPath()
	err = call.client.Exec(call.ctx, c.id, spec, opts)
	st.closeInner()
	if err = call.done(err); err != nil {
		return nil, c.classify(ctx, err, StateRunning)
	}
	l.rec = record{ID: id, Terminal: io.Terminal}
	if err := adopt(ctx, c.rt.callTimeout, l, dir, processRecordName, st, sock); err != nil {
		return nil, err
	}
	return &Process{id: id, dir: dir, rec: l.rec, watch: l.watch, streams: l.streams}, nil
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
	var rec record
	if err := readJSON(filepath.Join(dir, processRecordName), &rec); err != nil {
		if isNotExist(err) {
			return nil, wrapf(ErrNotFound, "no process %q in container %q", id, c.id)
		}
		return nil, sysErr("read process record", err)
	}
	watch, err := followRecord(dir, rec)
	if err != nil {
		return nil, err
	}
	return &Process{id: id, dir: dir, rec: rec, watch: watch}, nil
}

// ID is the process id given to Exec.
func (p *Process) ID() string { return p.id }

// Pid is the host pid of the process.
func (p *Process) Pid() int { return p.rec.Pid }

func (p *Process) checkOpen() error {
	if p.closed.Load() {
		return wrapf(ErrClosed, "process handle %q is closed", p.id)
	}
	return nil
}

// Signal sends sig to the process through its pidfd.
func (p *Process) Signal(sig syscall.Signal) error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	return p.watch.signal(sig)
}

// Wait waits for the process to exit; ctx ending first is ErrTimeout.
func (p *Process) Wait(ctx context.Context) (Exit, error) {
	if err := p.checkOpen(); err != nil {
		return Exit{}, err
	}
	return p.watch.wait(ctx)
}

// Stdio hands over the caller's end of a piped stream, or the pty master
// (stream 0), once. The caller owns the file.
func (p *Process) Stdio(stream int) (*os.File, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	return p.streams.take(stream)
}

// Resize sets the window size of the process's pty.
func (p *Process) Resize(rows, cols uint16) error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	return p.streams.resize(rows, cols)
}

// Delete removes an exited process's state; a running one is ErrState.
func (p *Process) Delete(ctx context.Context) error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	if _, err := os.Stat(p.dir); err != nil {
		return wrapf(ErrNotFound, "process %q was deleted", p.id)
	}
	if !p.watch.exited() {
		return wrapf(ErrState, "process %q is running", p.id)
	}
	return sysErr("remove process state", os.RemoveAll(p.dir))
}

// Close releases the handle and the stream ends it did not hand over. The
// process is left as it is.
func (p *Process) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.streams.close()
	return nil
}
