package main

/*
#include "capi.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// maxEventCapacity bounds the capacity exec_events_open accepts.
const maxEventCapacity = 1 << 20

// eventStream is an exec_events handle: the stream, and the C strings of
// the event last returned, which the caller borrows until the next one.
type eventStream struct {
	*runtime.Events
	mu        sync.Mutex
	container *C.char
	process   *C.char
}

// keep makes ev's strings the borrowed ones, freeing those before.
func (s *eventStream) keep(ev runtime.Event) (*C.char, *C.char) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
	s.container, s.process = C.CString(ev.ContainerID), C.CString(ev.ProcessID)
	return s.container, s.process
}

// release, under mu, frees the borrowed strings.
func (s *eventStream) release() {
	C.free(unsafe.Pointer(s.container))
	C.free(unsafe.Pointer(s.process))
	s.container, s.process = nil, nil
}

// Close implements closer: the stream, its fd and its strings.
func (s *eventStream) Close() error {
	err := s.Events.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
	return err
}

func eventsOf(h C.uintptr_t) (*eventStream, error) {
	e, err := handles.lookup(h, kindEvents, "ev")
	if err != nil {
		return nil, err
	}
	return e.obj.(*eventStream), nil
}

// execgo_events_open implements exec_events_open (see forward.c).
//
//export execgo_events_open
func execgo_events_open(h C.uintptr_t, capacity C.uint, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	rt, err := runtimeOf(h, "rt")
	if err != nil {
		return result(err)
	}
	if out == nil {
		return result(invalidf("out is NULL"))
	}
	if capacity > maxEventCapacity {
		return result(invalidf("capacity %d is above %d", capacity, maxEventCapacity))
	}
	ev, err := rt.Events(int(capacity))
	if err != nil {
		return result(err)
	}
	*out = handles.add(kindEvents, &eventStream{Events: ev}, "")
	return C.EXEC_OK
}

// execgo_events_fd implements exec_events_fd (see forward.c).
//
//export execgo_events_fd
func execgo_events_fd(h C.uintptr_t, fd *C.int) (rc C.int) {
	defer guard(&rc)
	s, err := eventsOf(h)
	if err != nil {
		return result(err)
	}
	if fd == nil {
		return result(invalidf("fd is NULL"))
	}
	*fd = C.int(s.Fd())
	return C.EXEC_OK
}

// execgo_events_next implements exec_events_next (see forward.c).
//
//export execgo_events_next
func execgo_events_next(h C.uintptr_t, timeoutMs C.int, out *C.exec_event) (rc C.int) {
	defer guard(&rc)
	s, err := eventsOf(h)
	if err != nil {
		return result(err)
	}
	if out == nil {
		return result(invalidf("out is NULL"))
	}
	if err := checkVersion(out.version, C.EXEC_EVENT_VERSION, "out"); err != nil {
		return result(err)
	}
	ctx, cancel := waitContext(timeoutMs)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		return result(err)
	}
	out._type = C.int(ev.Type)
	out.container_id, out.process_id = s.keep(ev)
	out.pid = C.int(ev.Pid)
	out.time_ns = C.uint64_t(ev.Time)
	out.exit = C.exec_exit{version: C.EXEC_EXIT_VERSION}
	putExit(&out.exit, ev.Exit)
	out.dropped = C.uint64_t(ev.Dropped)
	return C.EXEC_OK
}

// execgo_events_free implements exec_events_free (see forward.c).
//
//export execgo_events_free
func execgo_events_free(h C.uintptr_t) {
	defer guard(nil)
	handles.remove(h, kindEvents)
}

// execgo_container_exit_fd implements exec_container_exit_fd (see forward.c).
//
//export execgo_container_exit_fd
func execgo_container_exit_fd(h C.uintptr_t, fd *C.int) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return putExitFd(c, fd)
	})
}

// execgo_process_exit_fd implements exec_process_exit_fd (see forward.c).
//
//export execgo_process_exit_fd
func execgo_process_exit_fd(h C.uintptr_t, fd *C.int) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return putExitFd(p, fd)
	})
}

func putExitFd(p interface{ ExitFd() (int, error) }, fd *C.int) error {
	if fd == nil {
		return invalidf("fd is NULL")
	}
	n, err := p.ExitFd()
	if err == nil {
		*fd = C.int(n)
	}
	return err
}
