package runtime

import (
	"bytes"
	"sync"
)

// The library's side of the monitor's events (MON_SUBSCRIBE, MON_EVENT):
// each connection subscribes once a stream opens on it, and its reader
// hands every event to the streams open on it.

// subscribers holds the open streams of each connection.
var subscribers = struct {
	sync.Mutex
	m map[*monitorConn]map[*Events]struct{}
}{m: map[*monitorConn]map[*Events]struct{}{}}

// subscribe asks the monitor for the root's events and adds e to the
// connection's streams as the reply is read: e gets every event published
// after the monitor answered, and none before.
func (c *monitorConn) subscribe(e *Events) error {
	_, err := c.request(monMsg{Type: monSubscribe}, nil, nil, func(r monMsg) {
		if r.Err != 0 {
			return
		}
		subscribers.Lock()
		defer subscribers.Unlock()
		if subscribers.m[c] == nil {
			subscribers.m[c] = map[*Events]struct{}{}
		}
		subscribers.m[c][e] = struct{}{}
	})
	if err != nil {
		c.unsubscribe(e)
	}
	return err
}

// unsubscribe forgets stream e; the monitor keeps sending events, which
// the connection then drops.
func (c *monitorConn) unsubscribe(e *Events) {
	subscribers.Lock()
	defer subscribers.Unlock()
	delete(subscribers.m[c], e)
	if len(subscribers.m[c]) == 0 {
		delete(subscribers.m, c)
	}
}

// publish hands an event message to the connection's streams.
func (c *monitorConn) publish(m monMsg, strs []byte) {
	ids := bytes.SplitN(strs, []byte{0}, 3)
	if len(ids) < 3 {
		return
	}
	ev := Event{Type: EventType(m.Arg), ContainerID: string(ids[0]), ProcessID: string(ids[1]),
		Pid: int(m.Pid), Time: m.Count}
	if ev.Type == EventExited || ev.Type == EventProcessExited {
		ev.Exit = monExitOf(monMsg{WStatus: m.WStatus, Arg: int64(m.State)})
	}
	subscribers.Lock()
	defer subscribers.Unlock()
	for e := range subscribers.m[c] {
		e.push(ev)
	}
}

// overflowed handles the monitor's note that it dropped n exits and events
// meant for this connection: the streams say so, and the watches ask the
// monitor whether their process is gone, whose exit is then in its record.
func (c *monitorConn) overflowed(n uint64) {
	logf(LogWarn, "the monitor of %s (pid %d) dropped %d exits and events for this process, which did not read them in time", c.root, c.pid, n)
	subscribers.Lock()
	for e := range subscribers.m[c] {
		e.lost(n)
	}
	subscribers.Unlock()
	go c.recheckWatches()
}

// endStreams ends the streams of a lost connection with err.
func endStreams(c *monitorConn, err error) {
	subscribers.Lock()
	streams := subscribers.m[c]
	delete(subscribers.m, c)
	subscribers.Unlock()
	for e := range streams {
		e.end(err)
	}
}

// callEvent is what a runtime call announces when it succeeds: the events
// (a mask of 1 << EventType) and whom they are about. The monitor that runs
// the call publishes them as it exits with status 0, before any exit of the
// container's init that happened while a start was in flight.
type callEvent struct {
	mask      int64
	container string
	process   string
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
	ev := callEvent{container: container, process: process}
	for _, t := range callEventOps[c.op] {
		ev.mask |= 1 << t
	}
	c.event = ev
}

// strings is the part of a SPAWN's strings area that names the events.
func (ev callEvent) strings(s *monStrings) *monStrings {
	if ev.mask != 0 {
		s.str(ev.container).str(ev.process)
	}
	return s
}

// callGuard is what the monitor undoes when this process dies while a
// create is in flight or not yet recorded (MON_SPAWN_GUARD): the runtime's
// force delete, then the state dir.
type callGuard struct {
	cleanup []string
	dir     string
}

// strings is the part of a SPAWN's strings area that names the guard.
func (g *callGuard) strings(s *monStrings) *monStrings {
	if g != nil {
		s.list(g.cleanup).str(g.dir)
	}
	return s
}
