package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"

	"github.com/libexecution/execution/runtime"
)

// execgo_container_exec implements exec_container_exec (see forward.c).
//
//export execgo_container_exec
func execgo_container_exec(h C.uintptr_t, processID, processJSON *C.char, io *C.exec_io, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(openProcess(h, processID, out, func(c *runtime.Container, id string) (*runtime.Process, error) {
		text, err := goString(processJSON, "process_json")
		if err != nil {
			return nil, err
		}
		spec, err := c.ProcessOver([]byte(text))
		if err != nil {
			return nil, err
		}
		streams, err := ioOf(io)
		if err != nil {
			return nil, err
		}
		return c.Exec(context.Background(), id, spec, streams)
	}))
}

// execgo_process_load implements exec_process_load (see forward.c).
//
//export execgo_process_load
func execgo_process_load(h C.uintptr_t, processID *C.char, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(openProcess(h, processID, out, func(c *runtime.Container, id string) (*runtime.Process, error) {
		return c.LoadProcess(context.Background(), id)
	}))
}

// openProcess checks h, processID and out, calls open, and stores a handle
// to the process it opened in *out.
func openProcess(h C.uintptr_t, processID *C.char, out *C.uintptr_t,
	open func(c *runtime.Container, id string) (*runtime.Process, error)) error {
	if out == nil {
		return invalidf("out is NULL")
	}
	c, _, err := containerOf(h, "c")
	if err != nil {
		return err
	}
	id, err := goString(processID, "process_id")
	if err != nil {
		return err
	}
	p, err := open(c, id)
	if err != nil {
		return err
	}
	*out = handles.add(kindProcess, p, p.ID())
	return nil
}

// onProcess looks up handle h and calls fn with its process.
func onProcess(h C.uintptr_t, fn func(p *runtime.Process) error) C.int {
	p, _, err := processOf(h, "p")
	if err == nil {
		err = fn(p)
	}
	return result(err)
}

// execgo_process_id implements exec_process_id (see forward.c).
//
//export execgo_process_id
func execgo_process_id(h C.uintptr_t) *C.char {
	defer guard(nil)
	_, e, err := processOf(h, "p")
	if err != nil {
		result(err)
		return nil
	}
	return e.id
}

// execgo_process_pid implements exec_process_pid (see forward.c).
//
//export execgo_process_pid
func execgo_process_pid(h C.uintptr_t, pid *C.int) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return storePid(p.Pid(), pid)
	})
}

// execgo_process_signal implements exec_process_signal (see forward.c).
//
//export execgo_process_signal
func execgo_process_signal(h C.uintptr_t, signal C.int) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		sig, err := signalOf(signal)
		if err != nil {
			return err
		}
		return p.Signal(sig)
	})
}

// execgo_process_wait implements exec_process_wait (see forward.c).
//
//export execgo_process_wait
func execgo_process_wait(h C.uintptr_t, timeoutMs C.int, out *C.exec_exit) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return waitExit(p, timeoutMs, out)
	})
}

// execgo_process_stdio implements exec_process_stdio (see forward.c).
//
//export execgo_process_stdio
func execgo_process_stdio(h C.uintptr_t, stream C.int, fd *C.int) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return handOver(p, stream, fd)
	})
}

// execgo_process_resize implements exec_process_resize (see forward.c).
//
//export execgo_process_resize
func execgo_process_resize(h C.uintptr_t, rows, cols C.uint) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return resize(p, rows, cols)
	})
}

// execgo_process_delete implements exec_process_delete (see forward.c).
//
//export execgo_process_delete
func execgo_process_delete(h C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return onProcess(h, func(p *runtime.Process) error {
		return p.Delete(context.Background())
	})
}

// execgo_process_free implements exec_process_free (see forward.c).
//
//export execgo_process_free
func execgo_process_free(h C.uintptr_t) {
	defer guard(nil)
	handles.remove(h, kindProcess)
}
