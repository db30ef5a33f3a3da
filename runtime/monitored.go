package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// The lifecycle's side of the monitor's client (internal/monitor): what
// becomes of the exits and events a connection receives, and what a
// runtime call tells the spawner.

func init() {
	monitor.SetHandlers(monitor.Handlers{
		Exit:     monitorExit,
		Overflow: recheckWatches,
		Lost:     orphanWatches,
		Log:      func(level int, msg string) { logf(LogLevel(level), "%s", msg) },
	})
}

// SetMonitorProgram registers the executable image of the monitor
// (monitor/monitor.c, built by the Makefile). libexecution.so carries it and
// registers it when loaded; a Go program using this package directly must
// register it before the first runtime call, and never change image
// afterwards (it is not copied).
func SetMonitorProgram(image []byte) { monitor.SetProgram(image) }

// monitorExit finishes the watch of a claimed process that exited.
func monitorExit(m monitor.Msg) {
	w := lookupWatch(m.Pid, m.Start)
	if w == nil {
		return
	}
	if m.Err != 0 {
		// The monitor could not write the record (a full disk): this
		// process tries, so that a later load finds it.
		writeJSON(filepath.Join(w.dir, exitRecordName), exitOfMsg(m))
	}
	w.finish(exitOfMsg(m), nil)
}

// exitOfMsg is the exit an EXIT message or a claim's reply carries.
func exitOfMsg(m monitor.Msg) Exit {
	e := exitFromWaitStatus(unix.WaitStatus(m.WStatus))
	e.OOMKilled = m.Arg == 1
	return e
}

// subscriber is the stream e as its connection hands it events.
func (e *Events) subscriber() *monitor.Subscriber {
	return &monitor.Subscriber{
		Push: func(m monitor.Event) {
			ev := Event{Type: EventType(m.Type), ContainerID: m.Container, ProcessID: m.Process,
				Pid: m.Pid, Time: m.Time}
			if ev.Type == EventExited || ev.Type == EventProcessExited {
				ev.Exit = exitFromWaitStatus(unix.WaitStatus(m.WStatus))
				ev.Exit.OOMKilled = m.OOM
			}
			e.push(ev)
		},
		Lost: e.lost,
		End:  e.end,
	}
}

// callEventOps are the events a runtime command announces.
var callEventOps = map[string][]EventType{
	"create": {EventCreated},
	"run":    {EventCreated, EventStarted},
	"start":  {EventStarted},
	"pause":  {EventPaused},
	"resume": {EventResumed},
	"delete": {EventDeleted},
	"exec":   {EventExecAdded},
}

// announce makes the call publish the events of its command about
// container (and process, for an exec) when it succeeds.
func (c *call) announce(container, process string) {
	ev := monitor.CallEvent{Container: container, Process: process}
	for _, t := range callEventOps[c.op] {
		ev.Mask |= 1 << t
	}
	c.event = ev
}

// Context implements monitor.Call.
func (c *call) Context() context.Context { return c.ctx }

// Root implements monitor.Call.
func (c *call) Root() string { return c.rt.root }

// Log implements monitor.Call.
func (c *call) Log() (*os.File, string) {
	if c.log == nil {
		return nil, ""
	}
	return c.log, c.logPath()
}

// Event implements monitor.Call.
func (c *call) Event() monitor.CallEvent { return c.event }

// Extra implements monitor.Call.
func (c *call) Extra() []*os.File { return c.extra }

// Moves implements monitor.Call: a create, run or exec (the agent's among
// them) moves its process into the container's cgroups.
func (c *call) Moves() bool {
	return c.op == "create" || c.op == "run" || strings.HasPrefix(c.op, "exec")
}

// Guard implements monitor.Call.
func (c *call) Guard() *monitor.CallGuard { return c.guard }

// Guarded implements monitor.Call.
func (c *call) Guarded(s *monitor.Spawned) { c.guarded = s }
