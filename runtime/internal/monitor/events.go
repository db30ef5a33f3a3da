package monitor

import (
	"bytes"
	"sync"
)

// The library's side of the monitor's events (MON_SUBSCRIBE, MON_EVENT):
// each connection subscribes once a stream opens on it, and its reader
// hands every event to the streams open on it.

// Event is one event as the monitor published it.
type Event struct {
	Type      int // a runtime.EventType
	Container string
	Process   string
	Pid       int
	Time      uint64 // CLOCK_MONOTONIC ns
	WStatus   int32  // for an exit: its wait status,
	OOM       bool   // and whether the OOM killer ended it
}

// A Subscriber is one stream of a connection's events.
type Subscriber struct {
	// Push gets each event published after it subscribed.
	Push func(Event)
	// Lost says that the monitor dropped n events meant for it.
	Lost func(n uint64)
	// End says that no more events come, and why.
	End func(err error)
}

// subscribers holds the open streams of each connection.
var subscribers = struct {
	sync.Mutex
	m map[*Conn]map[*Subscriber]struct{}
}{m: map[*Conn]map[*Subscriber]struct{}{}}

// Subscribe asks the monitor for the root's events and adds e to the
// connection's streams as the reply is read: e gets every event published
// after the monitor answered, and none before.
func (c *Conn) Subscribe(e *Subscriber) error {
	_, err := c.Request(Msg{Type: MsgSubscribe}, nil, nil, func(r Msg) {
		if r.Err != 0 {
			return
		}
		subscribers.Lock()
		defer subscribers.Unlock()
		if subscribers.m[c] == nil {
			subscribers.m[c] = map[*Subscriber]struct{}{}
		}
		subscribers.m[c][e] = struct{}{}
	})
	if err != nil {
		c.Unsubscribe(e)
	}
	return err
}

// Unsubscribe forgets stream e; the monitor keeps sending events, which
// the connection then drops.
func (c *Conn) Unsubscribe(e *Subscriber) {
	subscribers.Lock()
	defer subscribers.Unlock()
	delete(subscribers.m[c], e)
	if len(subscribers.m[c]) == 0 {
		delete(subscribers.m, c)
	}
}

// publish hands an event message to the connection's streams.
func (c *Conn) publish(m Msg, strs []byte) {
	ids := bytes.SplitN(strs, []byte{0}, 3)
	if len(ids) < 3 {
		return
	}
	ev := Event{Type: int(m.Arg), Container: string(ids[0]), Process: string(ids[1]),
		Pid: int(m.Pid), Time: m.Count, WStatus: m.WStatus, OOM: m.State == 1}
	subscribers.Lock()
	defer subscribers.Unlock()
	for e := range subscribers.m[c] {
		e.Push(ev)
	}
}

// overflowed handles the monitor's note that it dropped n exits and events
// meant for this connection: the streams say so, and the watches ask the
// monitor whether their process is gone, whose exit is then in its record.
func (c *Conn) overflowed(n uint64) {
	logf(logWarn, "the monitor of %s (pid %d) dropped %d exits and events for this process, which did not read them in time", c.root, c.pid, n)
	subscribers.Lock()
	for e := range subscribers.m[c] {
		e.Lost(n)
	}
	subscribers.Unlock()
	go handlers.Overflow(c)
}

// endStreams ends the streams of a lost connection with err.
func endStreams(c *Conn, err error) {
	subscribers.Lock()
	streams := subscribers.m[c]
	delete(subscribers.m, c)
	subscribers.Unlock()
	for e := range streams {
		e.End(err)
	}
}

// CallEvent is what a runtime call announces when it succeeds: the events
// (a mask of 1 << runtime.EventType) and whom they are about. The monitor
// that runs the call publishes them as it exits with status 0, before any
// exit of the container's init that happened while a start was in flight.
type CallEvent struct {
	Mask      int64
	Container string
	Process   string
}

// strings is the part of a SPAWN's strings area that names the events.
func (ev CallEvent) strings(s *Strings) *Strings {
	if ev.Mask != 0 {
		s.Str(ev.Container).Str(ev.Process)
	}
	return s
}

// CallGuard is what the monitor undoes when this process dies while a
// create is in flight or not yet recorded (MON_SPAWN_GUARD): the runtime's
// force delete, then the state dir.
type CallGuard struct {
	Cleanup []string
	Dir     string
}

// strings is the part of a SPAWN's strings area that names the guard.
func (g *CallGuard) strings(s *Strings) *Strings {
	if g != nil {
		s.List(g.Cleanup).Str(g.Dir)
	}
	return s
}
