package runtime

import (
	"context"
	"os"
	"path/filepath"

	runc "github.com/containerd/go-runc"
)

// Create creates container id from bundle; its process waits for Start.
func (r *Runtime) Create(ctx context.Context, id, bundle string, io IO) (*Container, error) {
	return r.create(ctx, id, bundle, io, false)
}

// Run creates and starts container id: in one runtime call (run --detach)
// with runc, whose detached init is the caller's child from the start; with
// other runtimes as Create then Start, since a helper of theirs may still be
// the init's parent when run --detach returns, and reap it.
func (r *Runtime) Run(ctx context.Context, id, bundle string, io IO) (*Container, error) {
	if r.detachKeepsChild {
		return r.create(ctx, id, bundle, io, true)
	}
	c, err := r.create(ctx, id, bundle, io, false)
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

func (r *Runtime) create(ctx context.Context, id, bundle string, io IO, start bool) (_ *Container, err error) {
	if err := ValidateID(id); err != nil {
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
	dir := r.containerDir(id)
	if err := makeStateDir(dir, "container", id); err != nil {
		return nil, err
	}
	l := &launched{}
	defer func() {
		if err != nil {
			r.abandon(id, dir, l)
		}
	}()
	st, err := openStdio(io)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	opts := &runc.CreateOpts{IO: st, PidFile: filepath.Join(dir, pidFileName), Detach: start}
	var sock *consoleSocket
	if io.Terminal {
		if sock, err = newConsoleSocket(); err != nil {
			return nil, err
		}
		defer sock.Close()
		opts.ConsoleSocket = sock
	}
	op := "create"
	if start {
		op = "run"
	}
	call, err := r.newLoggedCall(ctx, op)
	if err != nil {
		return nil, err
	}
	if start {
		_, err = call.client.Run(call.ctx, id, bundle, opts)
	} else {
		err = call.client.Create(call.ctx, id, bundle, opts)
	}
	st.closeInner()
	if err = call.done(err); err != nil {
		return nil, err
	}
	l.rec = record{ID: id, Bundle: bundle, Terminal: io.Terminal}
	if err := adopt(ctx, r.callTimeout, l, dir, containerRecordName, st, sock); err != nil {
		return nil, err
	}
	return &Container{rt: r, id: id, dir: dir, rec: l.rec, watch: l.watch, streams: l.streams}, nil
}

// abandon undoes a failed create: the runtime's container if it has one,
// its init reaped, the state dir removed.
func (r *Runtime) abandon(id, dir string, l *launched) {
	watch := l.follow(dir)
	if _, err := os.Stat(filepath.Join(r.client.Root, id)); err == nil || watch != nil {
		call := r.newCall(context.Background(), "delete")
		call.done(call.client.Delete(call.ctx, id, &runc.DeleteOpts{Force: true}))
	}
	if watch != nil {
		ctx, cancel := context.WithTimeout(context.Background(), r.callTimeout)
		watch.wait(ctx)
		cancel()
	}
	os.RemoveAll(dir)
}

// Load opens container id, also one created by another process, from its
// state dir.
func (r *Runtime) Load(ctx context.Context, id string) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	dir := r.containerDir(id)
	var rec record
	if err := readJSON(filepath.Join(dir, containerRecordName), &rec); err != nil {
		if isNotExist(err) {
			return nil, wrapf(ErrNotFound, "no container %q", id)
		}
		return nil, sysErr("read container record", err)
	}
	watch, err := followRecord(dir, rec)
	if err != nil {
		return nil, err
	}
	return &Container{rt: r, id: id, dir: dir, rec: rec, watch: watch}, nil
}
