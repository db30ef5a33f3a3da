package main

/*
#include "capi.h"
*/
import "C"

import (
	"github.com/libexecution/execution/runtime"
)

// poolOf returns the pool of handle h.
func poolOf(h C.uintptr_t) (*runtime.Pool, error) {
	e, err := handles.lookup(h, kindPool, "pool")
	if err != nil {
		return nil, err
	}
	return e.obj.(*runtime.Pool), nil
}

// poolOptionsOf converts exec_pool_options.
func poolOptionsOf(o *C.exec_pool_options) (runtime.PoolOptions, error) {
	var r runtime.PoolOptions
	if o == nil {
		return r, invalidf("opts is NULL")
	}
	if err := checkVersion(o.version, C.EXEC_POOL_OPTIONS_VERSION, "opts"); err != nil {
		return r, err
	}
	bundle, err := goString(o.bundle, "opts->bundle")
	if err != nil {
		return r, err
	}
	if r.IO, err = ioOf(o.io); err != nil {
		return r, err
	}
	r.Bundle = bundle
	r.Size = int(o.size)
	r.IDPrefix = optString(o.id_prefix)
	r.Concurrency = int(o.concurrency)
	return r, nil
}

// execgo_pool_new implements exec_pool_new (see forward.c).
//
//export execgo_pool_new
func execgo_pool_new(rt C.uintptr_t, opts *C.exec_pool_options, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	r, err := runtimeOf(rt, "rt")
	if err != nil {
		return result(err)
	}
	if out == nil {
		return result(invalidf("out is NULL"))
	}
	o, err := poolOptionsOf(opts)
	if err != nil {
		return result(err)
	}
	p, err := r.NewPool(o)
	if err != nil {
		return result(err)
	}
	*out = handles.add(kindPool, p, "")
	return C.EXEC_OK
}

// execgo_pool_take implements exec_pool_take (see forward.c).
//
//export execgo_pool_take
func execgo_pool_take(h C.uintptr_t, timeoutMs C.int, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	p, err := poolOf(h)
	if err != nil {
		return result(err)
	}
	if out == nil {
		return result(invalidf("out is NULL"))
	}
	ctx, cancel := waitContext(timeoutMs)
	defer cancel()
	c, err := p.Take(ctx)
	if err != nil {
		return result(err)
	}
	*out = handles.add(kindContainer, c, c.ID())
	return C.EXEC_OK
}

// execgo_pool_fill implements exec_pool_fill (see forward.c).
//
//export execgo_pool_fill
func execgo_pool_fill(h C.uintptr_t, timeoutMs C.int) (rc C.int) {
	defer guard(&rc)
	p, err := poolOf(h)
	if err != nil {
		return result(err)
	}
	ctx, cancel := waitContext(timeoutMs)
	defer cancel()
	return result(p.Fill(ctx))
}

// execgo_pool_free implements exec_pool_free (see forward.c).
//
//export execgo_pool_free
func execgo_pool_free(h C.uintptr_t) {
	defer guard(nil)
	handles.remove(h, kindPool)
}
