package main

import (
	"context"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/protobuf"
	cdruntime "github.com/containerd/containerd/runtime"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/libexecution/execution/runtime"
)

// The topics of the events the shim publishes.
const (
	topicCreate      = cdruntime.TaskCreateEventTopic
	topicStart       = cdruntime.TaskStartEventTopic
	topicExit        = cdruntime.TaskExitEventTopic
	topicOOM         = cdruntime.TaskOOMEventTopic
	topicDelete      = cdruntime.TaskDeleteEventTopic
	topicExecAdded   = cdruntime.TaskExecAddedEventTopic
	topicExecStarted = cdruntime.TaskExecStartedEventTopic
	topicPaused      = cdruntime.TaskPausedEventTopic
	topicResumed     = cdruntime.TaskResumedEventTopic
)

// forward publishes the exits and OOM kills of this shim's containers from
// the root's event stream, in the monitor's order, each exit after its
// process's start event.
func (s *service) forward(events *runtime.Events) {
	for {
		ev, err := events.Next(context.Background())
		if err != nil {
			return
		}
		switch ev.Type {
		case runtime.EventExited, runtime.EventProcessExited:
			s.publishExit(ev)
		case runtime.EventOOM:
			if t, _ := s.task(ev.ContainerID); t != nil {
				s.publish(topicOOM, &eventstypes.TaskOOM{ContainerID: ev.ContainerID})
			}
		case runtime.EventOverflow:
			log.G(s.ctx).Errorf("the root's event stream dropped %d events", ev.Dropped)
		}
	}
}

// publishExit records an exit on its process and publishes it.
func (s *service) publishExit(ev runtime.Event) {
	t, _ := s.task(ev.ContainerID)
	if t == nil {
		return
	}
	p := t.process(ev.ProcessID)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.exited(ev.Exit, wallTime(ev.Time))
	s.sendExit(t, p)
}

// sendExit publishes a process's recorded exit once, holding p.mu: from the
// event stream, or from a Delete that came first, so containerd always sees
// the exit before the delete.
func (s *service) sendExit(t *task, p *proc) {
	if p.exit == nil || p.exitSent {
		return
	}
	p.exitSent = true
	id := p.id
	if id == "" {
		id = t.id
	}
	s.publish(topicExit, &eventstypes.TaskExit{
		ContainerID: t.id,
		ID:          id,
		Pid:         uint32(p.pid),
		ExitStatus:  p.exit.status,
		ExitedAt:    protobuf.ToTimestamp(p.exit.at),
	})
}

// wallTime turns an event's CLOCK_MONOTONIC time into wall-clock time.
func wallTime(mono uint64) time.Time {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return time.Now()
	}
	return time.Now().Add(-time.Duration(uint64(ts.Nano()) - mono))
}
