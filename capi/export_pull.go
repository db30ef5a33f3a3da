package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"time"
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// execgo_image_pull implements exec_image_pull (see forward.c). The pull
// reports progress on its own goroutine, which is this call's, so the
// callback runs on the caller's thread.
//
//export execgo_image_pull
func execgo_image_pull(ref, dir *C.char, opts *C.exec_pull_options, out **C.char) (rc C.int) {
	defer guard(&rc)
	r, err := goString(ref, "ref")
	if err != nil {
		return result(err)
	}
	d, err := goString(dir, "layout_dir")
	if err != nil {
		return result(err)
	}
	o, err := pullOptionsOf(opts)
	if err != nil {
		return result(err)
	}
	got, err := runtime.ImagePull(context.Background(), r, d, o)
	if err != nil {
		return result(err)
	}
	if out != nil {
		*out = C.CString(string(got))
	}
	return C.EXEC_OK
}

// pullOptionsOf converts exec_pull_options; NULL gives the defaults.
func pullOptionsOf(o *C.exec_pull_options) (runtime.PullOptions, error) {
	var r runtime.PullOptions
	if o == nil {
		return r, nil
	}
	if o.version == 0 || o.version > C.EXEC_PULL_OPTIONS_VERSION {
		return r, invalidf("opts->version %d is unknown (this library knows up to %d)",
			uint(o.version), C.EXEC_PULL_OPTIONS_VERSION)
	}
	if o.timeout_ms < 0 || o.parallel < 0 {
		return r, invalidf("opts->timeout_ms and opts->parallel must not be negative")
	}
	r.Platform = optString(o.platform)
	r.Username = optString(o.username)
	r.Password = optString(o.password)
	r.CAFile = optString(o.ca_file)
	r.Insecure = o.insecure != 0
	r.Timeout = time.Duration(o.timeout_ms) * time.Millisecond
	r.Parallel = int(o.parallel)
	r.Progress = progressFunc(o.progress, o.progress_payload)
	return r, nil
}

// progressFunc calls the C callback fn with payload; nil for a NULL fn.
// The Go side calls it on the goroutine of the export, so fn runs on the
// caller's thread.
func progressFunc(fn C.exec_progress_fn, payload unsafe.Pointer) func(runtime.ImageProgress) bool {
	if fn == nil {
		return nil
	}
	return func(p runtime.ImageProgress) bool {
		blob := C.CString(p.Blob)
		defer C.free(unsafe.Pointer(blob))
		return C.capi_call_progress(fn, blob, C.longlong(p.Done), C.longlong(p.Total), payload) != 0
	}
}
