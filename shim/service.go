package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/events"
	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/protobuf"
	ptypes "github.com/containerd/containerd/protobuf/types"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl/v2"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/libexecution/execution/runtime"
)

var empty = &ptypes.Empty{}

// service is containerd's task API over the library's runtime, for every
// container of this shim's group.
type service struct {
	ctx       context.Context
	ns        string
	publisher shim.Publisher
	shutdown  shutdown.Service

	rtOnce sync.Once
	rt     *runtime.Runtime
	rtErr  error

	mu    sync.Mutex
	tasks map[string]*task
}

var _ taskAPI.TaskService = (*service)(nil)

func newService(ctx context.Context, publisher shim.Publisher, sd shutdown.Service) (*service, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, err
	}
	s := &service{ctx: ctx, ns: ns, publisher: publisher, shutdown: sd, tasks: map[string]*task{}}
	if address, err := shim.ReadAddress("address"); err == nil {
		sd.RegisterCallback(func(context.Context) error { return shim.RemoveSocket(address) })
	}
	return s, nil
}

// RegisterTTRPC serves the task API.
func (s *service) RegisterTTRPC(server *ttrpc.Server) error {
	taskAPI.RegisterTaskService(server, s)
	return nil
}

// runtime opens the namespace's runtime on first use, with the bundle of
// the first container, and starts forwarding its events.
func (s *service) runtime(bundle string) (*runtime.Runtime, error) {
	s.rtOnce.Do(func() {
		s.rt, s.rtErr = openRuntime(bundle, s.ns)
		if s.rtErr != nil {
			return
		}
		events, err := s.rt.Events(4096)
		if err != nil {
			s.rtErr = err
			return
		}
		s.shutdown.RegisterCallback(func(context.Context) error { return events.Close() })
		go s.forward(events)
	})
	return s.rt, s.rtErr
}

// process finds a container's init (execID "") or exec'd process.
func (s *service) process(id, execID string) (*task, *proc, error) {
	t, err := s.task(id)
	if err != nil {
		return nil, nil, err
	}
	if p := t.process(execID); p != nil {
		return t, p, nil
	}
	return nil, nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "process %s of %s", execID, id)
}

func (s *service) task(id string) (*task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tasks[id]; t != nil {
		return t, nil
	}
	return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "container %s", id)
}

// publish sends an event to containerd; a lost event is logged by the
// publisher, which retries.
func (s *service) publish(topic string, event events.Event) {
	ctx := namespaces.WithNamespace(context.Background(), s.ns)
	_ = s.publisher.Publish(ctx, topic, event)
}

// toGRPC maps the library's errors to containerd's.
func toGRPC(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, runtime.ErrNotFound):
		return errdefs.ToGRPC(fmt.Errorf("%v: %w", err, errdefs.ErrNotFound))
	case errors.Is(err, runtime.ErrExists):
		return errdefs.ToGRPC(fmt.Errorf("%v: %w", err, errdefs.ErrAlreadyExists))
	case errors.Is(err, runtime.ErrInvalid):
		return errdefs.ToGRPC(fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument))
	case errors.Is(err, runtime.ErrState):
		return errdefs.ToGRPC(fmt.Errorf("%v: %w", err, errdefs.ErrFailedPrecondition))
	case errors.Is(err, runtime.ErrNotSupported):
		return errdefs.ToGRPC(fmt.Errorf("%v: %w", err, errdefs.ErrNotImplemented))
	}
	return errdefs.ToGRPC(err)
}

// Create mounts the rootfs containerd passes and creates the container.
func (s *service) Create(ctx context.Context, r *taskAPI.CreateTaskRequest) (_ *taskAPI.CreateTaskResponse, retErr error) {
	if r.Checkpoint != "" || r.ParentCheckpoint != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "checkpoint and restore")
	}
	rt, err := s.runtime(r.Bundle)
	if err != nil {
		return nil, toGRPC(err)
	}
	s.mu.Lock()
	if s.tasks[r.ID] != nil {
		s.mu.Unlock()
		return nil, errdefs.ToGRPCf(errdefs.ErrAlreadyExists, "container %s", r.ID)
	}
	t := &task{id: r.ID, bundle: r.Bundle, execs: map[string]*execProc{}}
	s.tasks[r.ID] = t
	s.mu.Unlock()
	defer func() {
		if retErr != nil {
			s.mu.Lock()
			delete(s.tasks, r.ID)
			s.mu.Unlock()
		}
	}()

	rootfs := filepath.Join(r.Bundle, "rootfs")
	if len(r.Rootfs) > 0 {
		var mounts []mount.Mount
		for _, m := range r.Rootfs {
			mounts = append(mounts, mount.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
		}
		if err := os.MkdirAll(rootfs, 0o711); err != nil {
			return nil, errdefs.ToGRPC(err)
		}
		if err := mount.All(mounts, rootfs); err != nil {
			return nil, errdefs.ToGRPCf(errdefs.ErrUnknown, "mount rootfs: %v", err)
		}
		t.mounted = true
		defer func() {
			if retErr != nil {
				_ = mount.UnmountAll(rootfs, 0)
			}
		}()
	}

	paths := stdio{stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr, terminal: r.Terminal}
	plan, rio, err := newIOPlan(paths)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	c, err := rt.Create(ctx, r.ID, r.Bundle, rio)
	if err != nil {
		plan.close()
		return nil, toGRPC(err)
	}
	if err := plan.attach(c); err != nil {
		plan.close()
		_ = c.Delete(ctx, true)
		return nil, toGRPC(err)
	}
	t.c = c
	t.init = newProc("", paths)
	t.init.io, t.init.pid = plan, c.Pid()
	t.init.settle(c)
	s.publish(topicCreate, &eventstypes.TaskCreate{
		ContainerID: r.ID,
		Bundle:      r.Bundle,
		Rootfs:      r.Rootfs,
		IO:          &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal},
		Pid:         uint32(c.Pid()),
	})
	return &taskAPI.CreateTaskResponse{Pid: uint32(c.Pid())}, nil
}

// Start starts the container, or an exec'd process made by Exec.
func (s *service) Start(ctx context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	if r.ExecID == "" {
		t.init.mu.Lock()
		defer t.init.mu.Unlock()
		if err := t.c.Start(ctx); err != nil {
			return nil, toGRPC(err)
		}
		s.publish(topicStart, &eventstypes.TaskStart{ContainerID: t.id, Pid: uint32(t.init.pid)})
		return &taskAPI.StartResponse{Pid: uint32(t.init.pid)}, nil
	}
	e := t.exec(r.ExecID)
	if e == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "process %s of %s", r.ExecID, r.ID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.p != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "process %s already started", r.ExecID)
	}
	var spec specs.Process
	if err := json.Unmarshal(e.spec, &spec); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "process spec: %v", err)
	}
	plan, rio, err := newIOPlan(e.paths)
	if err != nil {
		e.settle(nil)
		return nil, errdefs.ToGRPC(err)
	}
	p, err := t.c.Exec(ctx, r.ExecID, spec, rio)
	if err != nil {
		e.settle(nil)
		plan.close()
		return nil, toGRPC(err)
	}
	e.p, e.io, e.pid = p, plan, p.Pid()
	e.settle(p)
	if err := plan.attach(p); err != nil {
		return nil, toGRPC(err)
	}
	s.publish(topicExecStarted, &eventstypes.TaskExecStarted{ContainerID: t.id, ExecID: r.ExecID, Pid: uint32(e.pid)})
	return &taskAPI.StartResponse{Pid: uint32(e.pid)}, nil
}

// Delete deletes a stopped container, with its rootfs mount, or an exec'd
// process.
func (s *service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	if r.ExecID != "" {
		e := t.exec(r.ExecID)
		if e == nil {
			return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "process %s of %s", r.ExecID, r.ID)
		}
		exit := s.settledExit(ctx, t, e.proc)
		if e.p != nil {
			if err := e.p.Delete(ctx); err != nil && !errors.Is(err, runtime.ErrNotFound) {
				return nil, toGRPC(err)
			}
		}
		e.release()
		t.mu.Lock()
		delete(t.execs, r.ExecID)
		t.mu.Unlock()
		return deleteResponse(e.pid, exit), nil
	}
	exit := s.settledExit(ctx, t, t.init)
	if err := t.c.Delete(ctx, false); err != nil && !errors.Is(err, runtime.ErrNotFound) {
		return nil, toGRPC(err)
	}
	t.c.Close()
	t.init.io.close()
	t.mu.Lock()
	for _, e := range t.execs {
		e.release()
	}
	t.mu.Unlock()
	if t.mounted {
		_ = mount.UnmountAll(filepath.Join(t.bundle, "rootfs"), 0)
	}
	s.mu.Lock()
	delete(s.tasks, r.ID)
	s.mu.Unlock()
	resp := deleteResponse(t.init.pid, exit)
	s.publish(topicDelete, &eventstypes.TaskDelete{
		ContainerID: t.id, ID: t.id, Pid: resp.Pid, ExitStatus: resp.ExitStatus, ExitedAt: resp.ExitedAt,
	})
	return resp, nil
}

// settledExit is the exit of a process about to be deleted, published
// first if its event has not come yet.
func (s *service) settledExit(ctx context.Context, t *task, p *proc) *exitInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	exit := p.exitLocked(ctx)
	s.sendExit(t, p)
	return exit
}

func deleteResponse(pid int, exit *exitInfo) *taskAPI.DeleteResponse {
	resp := &taskAPI.DeleteResponse{Pid: uint32(pid)}
	if exit != nil {
		resp.ExitStatus, resp.ExitedAt = exit.status, protobuf.ToTimestamp(exit.at)
	}
	return resp
}

// Exec records a process to start in the container; Start starts it.
func (s *service) Exec(ctx context.Context, r *taskAPI.ExecProcessRequest) (*ptypes.Empty, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	if err := runtime.ValidateID(r.ExecID); err != nil {
		return nil, toGRPC(err)
	}
	if r.Spec == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "process %s: no spec", r.ExecID)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.execs[r.ExecID] != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrAlreadyExists, "process %s of %s", r.ExecID, r.ID)
	}
	t.execs[r.ExecID] = &execProc{
		proc: newProc(r.ExecID, stdio{stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr, terminal: r.Terminal}),
		spec: r.Spec.GetValue(),
	}
	s.publish(topicExecAdded, &eventstypes.TaskExecAdded{ContainerID: r.ID, ExecID: r.ExecID})
	return empty, nil
}

// ResizePty resizes a process's terminal.
func (s *service) ResizePty(ctx context.Context, r *taskAPI.ResizePtyRequest) (*ptypes.Empty, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	h := p.handle
	p.mu.Unlock()
	if h == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "process %s of %s not started", r.ExecID, r.ID)
	}
	return empty, toGRPC(h.Resize(uint16(r.Height), uint16(r.Width)))
}

// State reports a process's state and exit.
func (s *service) State(ctx context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	t, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	resp := &taskAPI.StateResponse{
		ID: r.ID, Bundle: t.bundle, Pid: uint32(p.pid),
		Stdin: p.paths.stdin, Stdout: p.paths.stdout, Stderr: p.paths.stderr, Terminal: p.paths.terminal,
		ExecID: r.ExecID,
	}
	if r.ExecID != "" {
		resp.ID = r.ExecID
	}
	exit := p.exitNow(ctx)
	switch {
	case exit != nil:
		resp.Status = tasktypes.Status_STOPPED
		resp.ExitStatus, resp.ExitedAt = exit.status, protobuf.ToTimestamp(exit.at)
	case p.handle == nil:
		resp.Status = tasktypes.Status_CREATED
	case r.ExecID != "":
		resp.Status = tasktypes.Status_RUNNING
	default:
		st, err := t.c.State(ctx)
		if err != nil {
			return nil, toGRPC(err)
		}
		resp.Status = map[runtime.State]tasktypes.Status{
			runtime.StateCreated: tasktypes.Status_CREATED,
			runtime.StateRunning: tasktypes.Status_RUNNING,
			runtime.StatePaused:  tasktypes.Status_PAUSED,
			runtime.StateStopped: tasktypes.Status_STOPPED,
		}[st]
	}
	return resp, nil
}

// Pause freezes the container.
func (s *service) Pause(ctx context.Context, r *taskAPI.PauseRequest) (*ptypes.Empty, error) {
	return s.transition(ctx, r.ID, (*runtime.Container).Pause, topicPaused, &eventstypes.TaskPaused{ContainerID: r.ID})
}

// Resume thaws the container.
func (s *service) Resume(ctx context.Context, r *taskAPI.ResumeRequest) (*ptypes.Empty, error) {
	return s.transition(ctx, r.ID, (*runtime.Container).Resume, topicResumed, &eventstypes.TaskResumed{ContainerID: r.ID})
}

// transition runs op on container id and publishes its event.
func (s *service) transition(ctx context.Context, id string, op func(*runtime.Container, context.Context) error,
	topic string, event events.Event) (*ptypes.Empty, error) {
	t, err := s.task(id)
	if err != nil {
		return nil, err
	}
	if err := op(t.c, ctx); err != nil {
		return nil, toGRPC(err)
	}
	s.publish(topic, event)
	return empty, nil
}

// Kill signals the init (all of the container's processes with All) or an
// exec'd process.
func (s *service) Kill(ctx context.Context, r *taskAPI.KillRequest) (*ptypes.Empty, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	sig := syscall.Signal(r.Signal)
	if r.ExecID == "" {
		return empty, toGRPC(t.c.Kill(ctx, sig, r.All))
	}
	e := t.exec(r.ExecID)
	if e == nil || e.p == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "process %s of %s", r.ExecID, r.ID)
	}
	return empty, toGRPC(e.p.Signal(sig))
}

// Pids lists the container's processes.
func (s *service) Pids(ctx context.Context, r *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	pids, err := t.c.Ps(ctx)
	if err != nil {
		return nil, toGRPC(err)
	}
	resp := &taskAPI.PidsResponse{}
	for _, pid := range pids {
		resp.Processes = append(resp.Processes, &tasktypes.ProcessInfo{Pid: uint32(pid)})
	}
	return resp, nil
}

// CloseIO ends a process's stdin.
func (s *service) CloseIO(ctx context.Context, r *taskAPI.CloseIORequest) (*ptypes.Empty, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	plan := p.io
	p.mu.Unlock()
	if plan == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "process %s of %s not started", r.ExecID, r.ID)
	}
	if r.Stdin {
		plan.closeStdin()
	}
	return empty, nil
}

// Checkpoint is not supported.
func (s *service) Checkpoint(ctx context.Context, r *taskAPI.CheckpointTaskRequest) (*ptypes.Empty, error) {
	return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "checkpoint")
}

// Update sets the container's resources (an OCI LinuxResources).
func (s *service) Update(ctx context.Context, r *taskAPI.UpdateTaskRequest) (*ptypes.Empty, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	var res specs.LinuxResources
	if err := json.Unmarshal(r.Resources.GetValue(), &res); err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrInvalidArgument, "resources: %v", err)
	}
	return empty, toGRPC(t.c.Update(ctx, &res))
}

// Wait waits for a process's exit.
func (s *service) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
	_, p, err := s.process(r.ID, r.ExecID)
	if err != nil {
		return nil, err
	}
	h, err := p.started(ctx)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if h == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "process %s failed to start", r.ExecID)
	}
	e, err := h.Wait(ctx)
	if err != nil {
		return nil, toGRPC(err)
	}
	p.mu.Lock()
	exit := p.exited(e, time.Now())
	p.mu.Unlock()
	return &taskAPI.WaitResponse{ExitStatus: exit.status, ExitedAt: protobuf.ToTimestamp(exit.at)}, nil
}

// Stats reads the container's cgroup metrics, in process.
func (s *service) Stats(ctx context.Context, r *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	t, err := s.task(r.ID)
	if err != nil {
		return nil, err
	}
	membership, err := t.c.CgroupMembership(ctx)
	if err != nil {
		return nil, toGRPC(err)
	}
	m, err := metricsOf(membership)
	if err != nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrUnavailable, "read cgroup metrics: %v", err)
	}
	data, err := typeurl.MarshalAny(m)
	if err != nil {
		return nil, err
	}
	return &taskAPI.StatsResponse{Stats: protobuf.FromAny(data)}, nil
}

// Connect tells the shim's and the init's pids.
func (s *service) Connect(ctx context.Context, r *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	resp := &taskAPI.ConnectResponse{ShimPid: uint32(os.Getpid())}
	if t, err := s.task(r.ID); err == nil {
		resp.TaskPid = uint32(t.init.pid)
	}
	return resp, nil
}

// Shutdown ends the shim once it serves no container.
func (s *service) Shutdown(ctx context.Context, r *taskAPI.ShutdownRequest) (*ptypes.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tasks) > 0 {
		return empty, nil
	}
	s.shutdown.Shutdown()
	return empty, nil
}
