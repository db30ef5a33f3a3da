package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/cgroup"
	"github.com/libexecution/execution/runtime/internal/errdefs"
	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// State is a container's lifecycle state.
type State int

// The states a container goes through.
const (
	StateCreated State = 1
	StateRunning State = 2
	StatePaused  State = 3
	StateStopped State = 4
)

func (s State) String() string {
	switch s {
	case StateCreated:
		return "created"
	case StateRunning:
		return "running"
	case StatePaused:
		return "paused"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// Container is a handle to one container. Handles to the same container in
// one process share the watch of its init. It is safe for concurrent use.
type Container struct {
	proc
	rt *Runtime
}

func newContainer(rt *Runtime, id, dir string, rec record, watch *exitWatch, st *streams) *Container {
	return &Container{rt: rt, proc: proc{what: "container", id: id, dir: dir, rec: rec, watch: watch, streams: st}}
}

// Start starts a created container's process. With runc (a container
// whose record says FifoStart) the monitor does what `runc start` does,
// without running it: it reads the byte the init writes into the
// runtime's exec fifo, then removes the fifo, and publishes the start;
// where it cannot, the runtime's start runs.
func (c *Container) Start(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	if c.watch.exited() {
		return wrapf(ErrState, "container %q has stopped", c.id)
	}
	if c.rec.FifoStart {
		if done, err := c.startByFifo(ctx); done {
			return err
		}
	}
	call := c.rt.newCall(ctx, "start")
	call.announce(c.id, "")
	err := call.done(call.client.Start(call.ctx, c.id))
	return c.classify(ctx, err, StateCreated)
}

// startByFifo starts the container through the monitor (monitor.Conn.Start);
// done is false when the runtime's start is to run instead: the init is
// not the monitor's claim, or no fifo it may read is there (the runtime
// then says why the container cannot start).
func (c *Container) startByFifo(ctx context.Context) (done bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.rt.callTimeout)
	defer cancel()
	fifo := filepath.Join(c.rt.client.Root, c.id, "exec.fifo")
	err = monitor.With(c.rt.root, func(mon *monitor.Conn) error {
		return mon.Start(ctx, c.rec.Pid, c.rec.StartTime, fifo, c.id)
	})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ECHILD), errors.Is(err, unix.ENOENT), errors.Is(err, unix.EACCES),
		errors.Is(err, unix.EPERM), errors.Is(err, unix.EINVAL):
		return false, nil
	case errors.Is(err, unix.ESRCH):
		return true, wrapf(ErrState, "container %q has stopped: its process exited before it started", c.id)
	case errors.Is(err, unix.EALREADY):
		return true, wrapf(ErrState, "container %q is being started by another call", c.id)
	case errors.Is(err, unix.ECANCELED) && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return true, wrapf(ErrTimeout, "start of container %q: its process did not start within %v", c.id, c.rt.callTimeout)
	case errors.Is(err, unix.ECANCELED):
		return true, wrapf(errdefs.ErrCanceled, "start of container %q: canceled before its process started", c.id)
	}
	return true, sysErr("start container "+c.id, err)
}

// State reports the container's current state.
func (c *Container) State(ctx context.Context) (State, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.state(ctx)
}

func (c *Container) state(ctx context.Context) (State, error) {
	if c.watch.exited() {
		return StateStopped, nil
	}
	if s, ok := c.fastState(); ok {
		return s, nil
	}
	return c.runtimeState(ctx)
}

// runtimeState asks the runtime binary.
func (c *Container) runtimeState(ctx context.Context) (State, error) {
	call := c.rt.newCall(ctx, "state")
	st, err := call.client.State(call.ctx, c.id)
	if err = call.done(err); err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return 0, wrapf(ErrNotFound, "container %q does not exist in the runtime", c.id)
		}
		return 0, err
	}
	switch st.Status {
	case "created":
		return StateCreated, nil
	case "running":
		return StateRunning, nil
	case "paused", "pausing":
		return StatePaused, nil
	case "stopped":
		return StateStopped, nil
	}
	return 0, wrapf(ErrRuntime, "%s state: unknown status %q", c.rt.name, st.Status)
}

// Pause freezes a running container.
func (c *Container) Pause(ctx context.Context) error {
	if err := c.ownCgroup("pause"); err != nil {
		return err
	}
	return c.transition(ctx, "pause", StateRunning, (*runc.Runc).Pause)
}

// Resume thaws a paused container.
func (c *Container) Resume(ctx context.Context) error {
	return c.transition(ctx, "resume", StatePaused, (*runc.Runc).Resume)
}

func (c *Container) transition(ctx context.Context, op string, from State,
	fn func(*runc.Runc, context.Context, string) error) error {
	if err := c.check(); err != nil {
		return err
	}
	if s, err := c.state(ctx); err != nil {
		return err
	} else if s != from {
		return wrapf(ErrState, "cannot %s container %q: it is %s", op, c.id, s)
	}
	call := c.rt.newCall(ctx, op)
	call.announce(c.id, "")
	err := call.done(fn(call.client, call.ctx, c.id))
	return c.classify(ctx, err, from)
}

// classify turns a runtime failure into ErrState when the container was not
// in the state the operation needs.
func (c *Container) classify(ctx context.Context, err error, need State) error {
	if err == nil {
		return nil
	}
	if s, serr := c.state(ctx); serr == nil && s != need {
		return wrapf(ErrState, "container %q is %s: %v", c.id, s, err)
	}
	return err
}

// Kill sends sig to the container's init through its pidfd, or with all to
// every process of the container through the runtime.
func (c *Container) Kill(ctx context.Context, sig syscall.Signal, all bool) error {
	if err := c.check(); err != nil {
		return err
	}
	if !all {
		return c.watch.signal(sig)
	}
	if c.watch.exited() {
		return wrapf(ErrState, "container %q has stopped", c.id)
	}
	call := c.rt.newCall(ctx, "kill")
	err := call.done(call.client.Kill(call.ctx, c.id, int(sig), &runc.KillOpts{All: true}))
	if err != nil && c.watch.exited() {
		return wrapf(ErrState, "container %q has stopped", c.id)
	}
	return err
}

// removeCutCgroup kills what runs in the container's cgroup and removes it,
// after a delete whose runtime call its deadline cut: the runtime may have
// stopped between killing the container and removing its cgroup. A
// later delete finishes the rest.
func (c *Container) removeCutCgroup() {
	note, ok := c.cgroupNote()
	if !ok {
		note, ok = c.rt.runtimeNote(c.id)
	}
	if ok {
		cgroup.MembershipLeftovers(note.Membership).Remove()
	}
}

// Delete deletes the container and its state dir. Without force a running or
// paused container is ErrState; with it the container is killed first.
func (c *Container) Delete(ctx context.Context, force bool) error {
	if err := c.checkOpen(); err != nil {
		return err
	}
	unlock, err := lockDir(c.dir, c.what, c.id)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(c.dir, containerRecordName)); err != nil {
		return wrapf(ErrNotFound, "container %q was deleted", c.id)
	}
	if !force && !c.watch.exited() {
		s, err := c.state(ctx)
		if err != nil {
			return err
		}
		if s == StateRunning || s == StatePaused {
			return wrapf(ErrState, "container %q is %s: stop it first or delete with force", c.id, s)
		}
	}
	call := c.rt.newCall(ctx, "delete")
	call.announce(c.id, "")
	err = call.done(call.client.Delete(call.ctx, c.id, &runc.DeleteOpts{Force: force}))
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		if errors.Is(err, ErrTimeout) {
			c.removeCutCgroup()
		}
		return c.classify(ctx, err, StateStopped)
	}
	wctx, cancel := context.WithTimeout(ctx, c.rt.callTimeout)
	c.watch.wait(wctx)
	cancel()
	c.dropAgent()
	if err := removeStateDir(c.dir, containerRecordName); err != nil {
		return err
	}
	return releaseCreated(c.rt.root, c.id)
}
