package runtime

import (
	"context"
	"sync"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// EventType is what an Event reports. The values are the C API's
// exec_event_type and never change.
type EventType int

// The events of a root: the task events containerd publishes, and the
// stream's own EventOverflow.
const (
	EventCreated       EventType = 1  // a container was created
	EventStarted       EventType = 2  // a created container was started
	EventPaused        EventType = 3  // a container was paused
	EventResumed       EventType = 4  // a paused container was resumed
	EventExited        EventType = 5  // a container's init exited; Exit says how
	EventOOM           EventType = 6  // the OOM killer killed a process of a container
	EventDeleted       EventType = 7  // a container was deleted
	EventExecAdded     EventType = 8  // a process was exec'd in a container
	EventProcessExited EventType = 9  // an exec'd process exited; Exit says how
	EventOverflow      EventType = 10 // the stream dropped Dropped events here
)

// DefaultEventCapacity is how many events a stream holds for its reader
// when no capacity is given.
const DefaultEventCapacity = 1024

// Event is one lifecycle event of a root's containers.
type Event struct {
	Type        EventType
	ContainerID string // "" for EventOverflow
	ProcessID   string // the exec'd process, "" for a container's init
	Pid         int    // the process that exited or was OOM-killed; else 0
	Time        uint64 // CLOCK_MONOTONIC, in nanoseconds
	Exit        Exit   // for EventExited and EventProcessExited
	Dropped     uint64 // for EventOverflow
}

// Events is a stream of the events of a root, every library process's
// included, from the moment it was opened. Events come in the order the
// root's monitor published them. A reader that falls behind by the stream's
// capacity loses the newest events, never blocking anything: an
// EventOverflow takes their place and says how many. Waits never depend on
// a stream. It is safe for concurrent use.
type Events struct {
	mon      *monitor.Conn
	sub      *monitor.Subscriber // this stream, as mon hands it events
	capacity int
	notify   chan struct{} // gets a token when an event is queued
	gone     chan struct{} // closed by Close, waking every Next

	mu      sync.Mutex
	queue   []Event
	dropped uint64 // events lost since the last queued one
	ended   error  // why no more events come, once none do
	fd      int    // an eventfd, readable while Next has something
	closed  bool
}

// Events opens a stream of the root's events. capacity bounds the events
// held for the reader; 0 means DefaultEventCapacity.
func (r *Runtime) Events(capacity int) (*Events, error) {
	if capacity < 0 {
		return nil, wrapf(ErrInvalid, "event capacity %d is negative", capacity)
	}
	if capacity == 0 {
		capacity = DefaultEventCapacity
	}
	mon, err := r.monitor()
	if err != nil {
		return nil, err
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, sysErr("eventfd", err)
	}
	e := &Events{mon: mon, capacity: capacity, notify: make(chan struct{}, 1),
		gone: make(chan struct{}), fd: fd}
	e.sub = e.subscriber()
	if err := mon.Subscribe(e.sub); err != nil {
		unix.Close(fd)
		return nil, sysErr("subscribe to events", err)
	}
	holdFD(fd)
	return e, nil
}

// Fd is an fd that polls readable while Next has an event (or an error) to
// return at once. It belongs to the stream.
func (e *Events) Fd() int { return e.fd }

// Next returns the next event; ctx ending first is ErrTimeout (an ended ctx
// polls). Once the monitor is lost, Next returns the events queued before,
// then ErrSys.
func (e *Events) Next(ctx context.Context) (Event, error) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return Event{}, wrapf(ErrClosed, "event stream is closed")
		}
		ev, ok := e.pop()
		ended := e.ended
		e.mu.Unlock()
		if ok {
			return ev, nil
		}
		if ended != nil {
			return Event{}, ended
		}
		select {
		case <-e.notify:
		case <-e.gone:
		case <-ctx.Done():
			select {
			case <-e.notify:
				continue
			default:
			}
			return Event{}, wrapf(ErrTimeout, "no event: %v", ctx.Err())
		}
	}
}

// pop takes the next event, under mu, and keeps the fd readable exactly
// while another waits.
func (e *Events) pop() (Event, bool) {
	var ev Event
	switch {
	case len(e.queue) > 0:
		ev = e.queue[0]
		e.queue[0] = Event{}
		e.queue = e.queue[1:]
	case e.dropped > 0:
		ev = overflowEvent(e.dropped)
		e.dropped = 0
	default:
		return ev, false
	}
	if len(e.queue) == 0 && e.dropped == 0 && e.ended == nil {
		var buf [8]byte
		unix.Read(e.fd, buf[:])
	}
	return ev, true
}

func overflowEvent(dropped uint64) Event {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return Event{Type: EventOverflow, Time: uint64(ts.Nano()), Dropped: dropped}
}

// push queues ev for the reader, or counts it dropped when the queue is
// full; it never blocks.
func (e *Events) push(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.ended != nil {
		return
	}
	if len(e.queue) >= e.capacity {
		if e.dropped == 0 {
			logf(LogWarn, "an event stream is full (%d events): its reader falls behind, newer events are dropped", e.capacity)
		}
		e.dropped++
		return
	}
	if e.dropped > 0 {
		e.queue = append(e.queue, overflowEvent(e.dropped))
		e.dropped = 0
	}
	e.queue = append(e.queue, ev)
	e.wake()
}

// lost tells the reader, in order, that n events never reached the stream
// (the monitor dropped them for a connection that did not read).
func (e *Events) lost(n uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.ended != nil {
		return
	}
	e.dropped += n
	if len(e.queue) < e.capacity {
		e.queue = append(e.queue, overflowEvent(e.dropped))
		e.dropped = 0
	}
	e.wake()
}

// end makes err the stream's last word, once the queue is read.
func (e *Events) end(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.ended != nil {
		return
	}
	e.ended = err
	e.wake()
}

// wake, under mu, makes the fd readable and wakes a blocked Next.
func (e *Events) wake() {
	one := [8]byte{1}
	unix.Write(e.fd, one[:])
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// Close ends the stream and closes its fd; a Next blocked on it returns
// ErrClosed. Closing twice is a no-op.
func (e *Events) Close() error {
	e.mon.Unsubscribe(e.sub)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	close(e.gone)
	e.queue = nil
	releaseFD(e.fd)
	unix.Close(e.fd)
	e.fd = -1
	return nil
}
