package main

/*
#include "capi.h"
*/
import "C"

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// kind is the type of object a handle stands for.
type kind int

const (
	kindRuntime kind = iota + 1
	kindContainer
	kindProcess
	kindEvents
	kindPool
)

// String returns the C type name of the handle kind.
func (k kind) String() string {
	switch k {
	case kindRuntime:
		return "exec_runtime"
	case kindContainer:
		return "exec_container"
	case kindProcess:
		return "exec_process"
	case kindEvents:
		return "exec_events"
	case kindPool:
		return "exec_pool"
	}
	return "unknown handle"
}

// closer is the part of a container or process that freeing its handle uses.
type closer interface{ Close() error }

// entry is one open handle.
type entry struct {
	kind kind
	obj  any
	// id is the container or process id as C memory, borrowed by
	// exec_*_id callers and freed with the entry; nil for a runtime.
	id *C.char
}

// registry maps handle values to open objects. A handle value is a key,
// never memory: keys only grow and are never reused, so a freed or garbage
// handle finds no entry.
type registry struct {
	mu      sync.RWMutex
	next    uint64
	entries map[uint64]*entry
}

// handles is the library's one registry.
var handles = newRegistry()

// newRegistry returns an empty registry whose keys start at a random base
// far from small integers and typical addresses, so that a garbage handle is
// unlikely to name a live entry.
func newRegistry() *registry {
	var b [8]byte
	_, _ = rand.Read(b[:])
	seed := binary.LittleEndian.Uint64(b[:])
	var base uint64
	if unsafe.Sizeof(uintptr(0)) >= 8 {
		base = 1<<44 | seed%(1<<40)
	} else {
		base = 1<<30 | seed%(1<<24)
	}
	return &registry{next: base, entries: make(map[uint64]*entry)}
}

// add registers obj and returns its new handle value. id is kept as C
// memory for the getters: a container's or process's id, a runtime's root.
func (r *registry) add(k kind, obj any, id string) C.uintptr_t {
	e := &entry{kind: k, obj: obj}
	if k != kindEvents && k != kindPool {
		e.id = C.CString(id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.entries[r.next] = e
	return C.uintptr_t(r.next)
}

// lookup returns the open entry of handle h, which must be of kind k.
func (r *registry) lookup(h C.uintptr_t, k kind, arg string) (*entry, error) {
	if h == 0 {
		return nil, invalidf("%s is NULL", arg)
	}
	r.mu.RLock()
	e := r.entries[uint64(h)]
	r.mu.RUnlock()
	if e == nil {
		return nil, closedf("%s is not an open %s handle (freed or invalid)", arg, k)
	}
	if e.kind != k {
		return nil, closedf("%s is an %s handle, not an %s", arg, e.kind, k)
	}
	return e, nil
}

// remove drops handle h if it is an open handle of kind k, and releases
// its entry: the id's C memory, and the object's unhanded stream ends. A
// handle of another kind, or no open handle, is left alone.
func (r *registry) remove(h C.uintptr_t, k kind) {
	r.mu.Lock()
	e := r.entries[uint64(h)]
	if e == nil || e.kind != k {
		r.mu.Unlock()
		return
	}
	delete(r.entries, uint64(h))
	r.mu.Unlock()
	if e.id != nil {
		C.free(unsafe.Pointer(e.id))
	}
	if c, ok := e.obj.(closer); ok {
		_ = c.Close()
	}
}

// runtimeOf returns the runtime of handle h; arg names it in errors.
func runtimeOf(h C.uintptr_t, arg string) (*runtime.Runtime, error) {
	e, err := handles.lookup(h, kindRuntime, arg)
	if err != nil {
		return nil, err
	}
	return e.obj.(*runtime.Runtime), nil
}

// containerOf returns the container entry of handle h; arg names it in errors.
func containerOf(h C.uintptr_t, arg string) (*runtime.Container, *entry, error) {
	e, err := handles.lookup(h, kindContainer, arg)
	if err != nil {
		return nil, nil, err
	}
	return e.obj.(*runtime.Container), e, nil
}

// processOf returns the process entry of handle h; arg names it in errors.
func processOf(h C.uintptr_t, arg string) (*runtime.Process, *entry, error) {
	e, err := handles.lookup(h, kindProcess, arg)
	if err != nil {
		return nil, nil, err
	}
	return e.obj.(*runtime.Process), e, nil
}
