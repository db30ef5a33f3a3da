package main

import (
	"context"
	"sync"
	"time"

	"github.com/libexecution/execution/runtime"
)

// proc is what the service keeps of a container's init or an exec'd process.
type proc struct {
	id    string // the exec id; "" for the init
	paths stdio
	io    *ioPlan

	// mu orders a start's event before the exit's: an exit is published
	// while holding it, and a start holds it from the runtime call until its
	// event is out.
	mu       sync.Mutex
	pid      int
	exit     *exitInfo
	exitSent bool
	handle waiter // nil until the process exists

	// ready is closed once the process was started or failed to start, so
	// a Wait sent before the Start (as ctr does) waits for it.
	ready     chan struct{}
	readyOnce sync.Once
}

// waiter is a container's init or an exec'd process of the runtime.
type waiter interface {
	Wait(ctx context.Context) (runtime.Exit, error)
	Resize(rows, cols uint16) error
}

func newProc(id string, paths stdio) *proc {
	return &proc{id: id, paths: paths, ready: make(chan struct{})}
}

// settle sets the process's handle (nil when it failed to start) and
// releases the waits. Call it holding mu.
func (p *proc) settle(h waiter) {
	p.handle = h
	p.readyOnce.Do(func() { close(p.ready) })
}

// started waits until the process was started and returns its handle; nil
// if its start failed.
func (p *proc) started(ctx context.Context) (waiter, error) {
	select {
	case <-p.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handle, nil
}

// exitInfo is a process's exit as containerd reports it.
type exitInfo struct {
	status uint32
	at     time.Time
}

// exited records the exit once; later calls keep the first.
func (p *proc) exited(e runtime.Exit, at time.Time) *exitInfo {
	if p.exit == nil {
		p.exit = &exitInfo{status: uint32(e.Status), at: at}
	}
	return p.exit
}

// exitNow is the recorded exit, or one read from the runtime when the
// process has exited but its event has not come yet; nil while it runs.
func (p *proc) exitNow(ctx context.Context) *exitInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitLocked(ctx)
}

func (p *proc) exitLocked(ctx context.Context) *exitInfo {
	if p.exit != nil || p.handle == nil {
		return p.exit
	}
	ctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if e, err := p.handle.Wait(ctx); err == nil {
		return p.exited(e, time.Now())
	}
	return nil
}

// task is a container the shim serves: its init, its exec'd processes and
// the rootfs it mounted.
type task struct {
	id, bundle string
	c          *runtime.Container
	init       *proc
	mounted    bool

	mu    sync.Mutex
	execs map[string]*execProc
}

// execProc is an exec'd process, made by Exec and started by Start.
type execProc struct {
	*proc
	spec []byte // the OCI process, as JSON
	p    *runtime.Process
}

// release closes the process's handle and streams; waits for a process
// that was never started end.
func (e *execProc) release() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.p != nil {
		e.p.Close()
		e.io.close()
		return
	}
	e.settle(nil)
}

func (t *task) exec(id string) *execProc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.execs[id]
}

// process is the init for "" and the exec'd process otherwise; nil if none.
func (t *task) process(execID string) *proc {
	if execID == "" {
		return t.init
	}
	if e := t.exec(execID); e != nil {
		return e.proc
	}
	return nil
}
