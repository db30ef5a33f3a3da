package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	runc "github.com/containerd/go-runc"
	"github.com/libexecution/execution/runtime/internal/cgroup"
	"github.com/libexecution/execution/runtime/internal/monitor"
)

// Create creates container id from bundle; its process waits for Start.
func (r *Runtime) Create(ctx context.Context, id, bundle string, io IO) (*Container, error) {
	return r.create(ctx, id, bundle, io, false, "")
}

// Run creates and starts container id. With runc: as a create and a start
// through the exec fifo (see Container.Start), or, for a bundle with
// poststart hooks, in one runtime call (run --detach), whose detached init
// is the monitor's child from the start. With other runtimes as Create
// then Start, since a helper of theirs may still be the init's parent when
// run --detach returns, and reap it.
func (r *Runtime) Run(ctx context.Context, id, bundle string, io IO) (*Container, error) {
	if r.detachKeepsChild {
		return r.create(ctx, id, bundle, io, true, "")
	}
	c, err := r.create(ctx, id, bundle, io, false, "")
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		c.Delete(context.Background(), true)
		c.Close()
		return nil, err
	}
	return c, nil
}

// create makes container id, started with start; pool, when not "",
// marks it as a warm pool's, not yet taken.
func (r *Runtime) create(ctx context.Context, id, bundle string, io IO, start bool, pool string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := io.checkExtraFDs(); err != nil {
		return nil, err
	}
	bundle, spec, err := readBundle(bundle)
	if err != nil {
		return nil, err
	}
	if io.Terminal != spec.Process.Terminal {
		return nil, wrapf(ErrInvalid, "io terminal=%v does not match process.terminal=%v in %s/config.json",
			io.Terminal, spec.Process.Terminal, bundle)
	}
	if r.runtimeHas(id) {
		return nil, wrapf(ErrExists, "container %q already exists in the runtime's root %s", id, r.client.Root)
	}
	runBundle, prepared, err := r.prepareCreate(ctx, id, bundle, spec)
	if err != nil {
		return nil, err
	}
	cgroups := cgroup.NewLeftovers(spec, id, r.client.SystemdCgroup, r.monitorMembership())
	// A start through the fifo is one runtime process fewer than run.
	fifoStart := r.fifoStart && (spec.Hooks == nil || len(spec.Hooks.Poststart) == 0)
	startAfter := start && fifoStart
	start = start && !startAfter
	op := "create"
	if start {
		op = "run"
	}
	l := &launch{
		op: op, dir: r.containerDir(id), what: "container", recordName: containerRecordName, container: id,
		rec: record{ID: id, Bundle: bundle, Terminal: io.Terminal, FifoStart: fifoStart}, io: io, pool: pool,
		invoke: func(c *call, st *stdio, pidFile string, sock *consoleSocket) error {
			opts := &runc.CreateOpts{IO: st, PidFile: pidFile, Detach: start, ExtraArgs: st.preserveFDs()}
			if sock != nil {
				opts.ConsoleSocket = sock
			}
			if start {
				_, err := c.client.Run(c.ctx, id, runBundle, opts)
				return err
			}
			return c.client.Create(c.ctx, id, runBundle, opts)
		},
		undo: func(started bool, err error) {
			// The runtime's container is this call's only if it got as far
			// as starting the init, or the runtime had none before the call
			// and does not say another holds the id.
			if started || (r.runtimeHas(id) && !isIDTaken(err)) {
				c := r.newCall(context.Background(), "delete")
				c.announce(id, "")
				c.done(c.client.Delete(c.ctx, id, &runc.DeleteOpts{Force: true}))
				// A runtime killed early leaves a state dir it cannot delete.
				os.RemoveAll(filepath.Join(r.client.Root, id))
			}
			cgroups.Remove()
		},
	}
	l.guard = r.deleteCommand(id)
	if r.killOnExit {
		l.cleanup = l.guard
	}
	var out *launched
	out, err = r.start(ctx, l)
	prepared(err == nil)
	if err != nil {
		if isIDTaken(err) {
			return nil, wrapf(ErrExists, "container %q already exists in the runtime: %v", id, err)
		}
		return nil, err
	}
	c := newContainer(r, id, l.dir, out.rec, out.watch, out.streams)
	if startAfter {
		if err := c.Start(ctx); err != nil {
			c.Delete(context.Background(), true)
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// runtimeHas tells whether the runtime's root has a container id.
func (r *Runtime) runtimeHas(id string) bool {
	_, err := os.Lstat(filepath.Join(r.client.Root, id))
	return err == nil
}

// isIDTaken tells whether a runtime failure says the id is in use.
func isIDTaken(err error) bool {
	return errors.Is(err, ErrRuntime) && strings.Contains(err.Error(), "already exists")
}

// deleteCommand is the runtime command that force-deletes container id.
func (r *Runtime) deleteCommand(id string) []string {
	argv := []string{r.client.Command, "--root", r.client.Root}
	if r.client.SystemdCgroup {
		argv = append(argv, "--systemd-cgroup")
	}
	return append(argv, "delete", "--force", id)
}

// runtimeEnv is the environment of every runtime call.
func runtimeEnv() []string {
	env := os.Environ()
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, "NOTIFY_SOCKET=") && !strings.HasPrefix(e, monitor.CallEnvKey+"=") {
			out = append(out, e)
		}
	}
	return out
}

// Load opens container id, also one created by another process, from its
// state dir.
func (r *Runtime) Load(ctx context.Context, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := r.containerDir(id)
	rec, err := readRecord(dir, containerRecordName, "container", id)
	if err != nil {
		return nil, err
	}
	watch, err := r.followRecord(dir, "container", rec)
	if err != nil {
		return nil, err
	}
	return newContainer(r, id, dir, rec, watch, nil), nil
}
