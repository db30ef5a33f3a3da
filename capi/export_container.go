package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"sort"

	"github.com/libexecution/execution/runtime"
)

// createFunc is Runtime.Create or Runtime.Run.
type createFunc func(r *runtime.Runtime, ctx context.Context, id, bundle string, io runtime.IO) (*runtime.Container, error)

// execgo_container_create implements exec_container_create (see forward.c).
//
//export execgo_container_create
func execgo_container_create(rt C.uintptr_t, id, bundle *C.char, io *C.exec_io, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(createContainer((*runtime.Runtime).Create, rt, id, bundle, io, out))
}

// execgo_container_run implements exec_container_run (see forward.c).
//
//export execgo_container_run
func execgo_container_run(rt C.uintptr_t, id, bundle *C.char, io *C.exec_io, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(createContainer((*runtime.Runtime).Run, rt, id, bundle, io, out))
}

// createContainer implements exec_container_create and exec_container_run.
func createContainer(create createFunc, rt C.uintptr_t, id, bundle *C.char, io *C.exec_io, out *C.uintptr_t) error {
	return openContainer(rt, id, out, func(r *runtime.Runtime, cid string) (*runtime.Container, error) {
		dir, err := goString(bundle, "bundle")
		if err != nil {
			return nil, err
		}
		streams, err := ioOf(io)
		if err != nil {
			return nil, err
		}
		return create(r, context.Background(), cid, dir, streams)
	})
}

// execgo_container_load implements exec_container_load (see forward.c).
//
//export execgo_container_load
func execgo_container_load(rt C.uintptr_t, id *C.char, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(openContainer(rt, id, out, func(r *runtime.Runtime, cid string) (*runtime.Container, error) {
		return r.Load(context.Background(), cid)
	}))
}

// openContainer checks rt, id and out, calls open, and stores a handle to
// the container it opened in *out.
func openContainer(rt C.uintptr_t, id *C.char, out *C.uintptr_t,
	open func(r *runtime.Runtime, id string) (*runtime.Container, error)) error {
	if out == nil {
		return invalidf("out is NULL")
	}
	r, err := runtimeOf(rt, "rt")
	if err != nil {
		return err
	}
	cid, err := goString(id, "id")
	if err != nil {
		return err
	}
	c, err := open(r, cid)
	if err != nil {
		return err
	}
	*out = handles.add(kindContainer, c, c.ID())
	return nil
}

// execgo_container_list implements exec_container_list (see forward.c).
//
//export execgo_container_list
func execgo_container_list(rt C.uintptr_t, ids ***C.char, count *C.size_t) (rc C.int) {
	defer guard(&rc)
	return result(listContainers(rt, ids, count))
}

// listContainers implements exec_container_list.
func listContainers(rt C.uintptr_t, ids ***C.char, count *C.size_t) error {
	if ids == nil {
		return invalidf("ids is NULL")
	}
	if count == nil {
		return invalidf("count is NULL")
	}
	r, err := runtimeOf(rt, "rt")
	if err != nil {
		return err
	}
	list, err := r.List(context.Background())
	if err != nil {
		return err
	}
	sort.Strings(list)
	*ids = cStrings(list)
	*count = C.size_t(len(list))
	return nil
}

// onContainer looks up handle h and calls fn with its container.
func onContainer(h C.uintptr_t, fn func(c *runtime.Container) error) C.int {
	c, _, err := containerOf(h, "c")
	if err == nil {
		err = fn(c)
	}
	return result(err)
}

// execgo_container_start implements exec_container_start (see forward.c).
//
//export execgo_container_start
func execgo_container_start(h C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return c.Start(context.Background())
	})
}

// execgo_container_state implements exec_container_state (see forward.c).
//
//export execgo_container_state
func execgo_container_state(h C.uintptr_t, out *C.exec_state) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		if out == nil {
			return invalidf("out is NULL")
		}
		s, err := c.State(context.Background())
		if err != nil {
			return err
		}
		*out = C.exec_state(s)
		return nil
	})
}

// execgo_container_pid implements exec_container_pid (see forward.c).
//
//export execgo_container_pid
func execgo_container_pid(h C.uintptr_t, pid *C.int) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return storePid(c.Pid(), pid)
	})
}

// execgo_container_id implements exec_container_id (see forward.c).
//
//export execgo_container_id
func execgo_container_id(h C.uintptr_t) *C.char {
	defer guard(nil)
	_, e, err := containerOf(h, "c")
	if err != nil {
		result(err)
		return nil
	}
	return e.id
}

// execgo_container_pause implements exec_container_pause (see forward.c).
//
//export execgo_container_pause
func execgo_container_pause(h C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return c.Pause(context.Background())
	})
}

// execgo_container_resume implements exec_container_resume (see forward.c).
//
//export execgo_container_resume
func execgo_container_resume(h C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return c.Resume(context.Background())
	})
}

// execgo_container_kill implements exec_container_kill (see forward.c).
//
//export execgo_container_kill
func execgo_container_kill(h C.uintptr_t, signal, all C.int) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		sig, err := signalOf(signal)
		if err != nil {
			return err
		}
		return c.Kill(context.Background(), sig, all != 0)
	})
}

// execgo_container_wait implements exec_container_wait (see forward.c).
//
//export execgo_container_wait
func execgo_container_wait(h C.uintptr_t, timeoutMs C.int, out *C.exec_exit) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return waitExit(c, timeoutMs, out)
	})
}

// execgo_container_stdio implements exec_container_stdio (see forward.c).
//
//export execgo_container_stdio
func execgo_container_stdio(h C.uintptr_t, stream C.int, fd *C.int) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return handOver(c, stream, fd)
	})
}

// execgo_container_resize implements exec_container_resize (see forward.c).
//
//export execgo_container_resize
func execgo_container_resize(h C.uintptr_t, rows, cols C.uint) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return resize(c, rows, cols)
	})
}

// execgo_container_delete implements exec_container_delete (see forward.c).
//
//export execgo_container_delete
func execgo_container_delete(h C.uintptr_t, force C.int) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		return c.Delete(context.Background(), force != 0)
	})
}

// execgo_container_free implements exec_container_free (see forward.c).
//
//export execgo_container_free
func execgo_container_free(h C.uintptr_t) {
	defer guard(nil)
	handles.remove(h, kindContainer)
}
