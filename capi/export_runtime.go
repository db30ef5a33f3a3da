package main

/*
#include "capi.h"
*/
import "C"

import (
	"github.com/libexecution/execution/runtime"
)

// execgo_bundle_init implements exec_bundle_init (see forward.c).
//
//export execgo_bundle_init
func execgo_bundle_init(dir *C.char, argv **C.char, terminal C.int) (rc C.int) {
	defer guard(&rc)
	return result(bundleInit(dir, argv, func() (runtime.BundleOptions, error) {
		return runtime.BundleOptions{Terminal: terminal != 0}, nil
	}))
}

// bundleInit converts the arguments of exec_bundle_init and
// exec_bundle_init_ext, the options through options, and writes the config.
func bundleInit(dir *C.char, argv **C.char, options func() (runtime.BundleOptions, error)) error {
	d, err := goString(dir, "bundle_dir")
	if err != nil {
		return err
	}
	args, err := argvOf(argv, "argv")
	if err != nil {
		return err
	}
	o, err := options()
	if err != nil {
		return err
	}
	return runtime.BundleInitWith(d, args, o)
}

// execgo_runtime_new implements exec_runtime_new (see forward.c).
//
//export execgo_runtime_new
func execgo_runtime_new(opts *C.exec_runtime_options, out *C.uintptr_t) (rc C.int) {
	defer guard(&rc)
	return result(runtimeNew(opts, out))
}

// runtimeNew converts the options of exec_runtime_new and opens the runtime.
func runtimeNew(opts *C.exec_runtime_options, out *C.uintptr_t) error {
	if out == nil {
		return invalidf("out is NULL")
	}
	o, err := optionsOf(opts)
	if err != nil {
		return err
	}
	r, err := runtime.New(o)
	if err != nil {
		return err
	}
	*out = handles.add(kindRuntime, r, r.Root())
	return nil
}

// execgo_runtime_root implements exec_runtime_root (see forward.c).
//
//export execgo_runtime_root
func execgo_runtime_root(h C.uintptr_t) *C.char {
	defer guard(nil)
	e, err := handles.lookup(h, kindRuntime, "rt")
	if err != nil {
		result(err)
		return nil
	}
	return e.id
}

// execgo_runtime_free implements exec_runtime_free (see forward.c).
//
//export execgo_runtime_free
func execgo_runtime_free(rt C.uintptr_t) {
	defer guard(nil)
	handles.remove(rt, kindRuntime)
}
