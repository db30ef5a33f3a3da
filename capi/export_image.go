package main

/*
#include "capi.h"
*/
import "C"

import (
	"github.com/libexecution/execution/runtime"
)

// execgo_bundle_from_image implements exec_bundle_from_image (see forward.c).
//
//export execgo_bundle_from_image
func execgo_bundle_from_image(dir, image *C.char, opts *C.exec_image_options) (rc C.int) {
	defer guard(&rc)
	return result(bundleFromImage(dir, image, opts))
}

// bundleFromImage converts the arguments of exec_bundle_from_image and makes
// the bundle.
func bundleFromImage(dir, image *C.char, opts *C.exec_image_options) error {
	d, err := goString(dir, "bundle_dir")
	if err != nil {
		return err
	}
	ref, err := goString(image, "image")
	if err != nil {
		return err
	}
	o, err := imageOptionsOf(opts)
	if err != nil {
		return err
	}
	return runtime.BundleFromImage(d, ref, o)
}

// imageOptionsOf converts exec_image_options; NULL gives the defaults.
func imageOptionsOf(o *C.exec_image_options) (runtime.ImageOptions, error) {
	var r runtime.ImageOptions
	if o == nil {
		return r, nil
	}
	if o.version == 0 || o.version > C.EXEC_IMAGE_OPTIONS_VERSION {
		return r, invalidf("opts->version %d is unknown (this library knows up to %d)",
			uint(o.version), C.EXEC_IMAGE_OPTIONS_VERSION)
	}
	var err error
	if o.argv != nil {
		args, err := argvOf(o.argv, "opts->argv")
		if err != nil {
			return r, err
		}
		if o.version >= 2 {
			r.Cmd = args
		} else {
			r.Args = args
		}
	}
	if o.version >= 2 {
		if o.entrypoint != nil {
			r.Entrypoint = append([]string{}, stringsOf(o.entrypoint)...)
		}
		r.Platform = optString(o.platform)
		if r.Bundle, err = bundleOptionsOf(o.bundle); err != nil {
			return r, err
		}
	}
	if o.version >= 3 {
		r.Progress = progressFunc(o.progress, o.progress_payload)
	}
	r.Env = stringsOf(o.env)
	if o.max_bytes < 0 {
		return r, invalidf("opts->max_bytes is negative")
	}
	r.CacheDir = optString(o.cache_dir)
	r.Terminal = o.terminal != 0
	r.MaxBytes = int64(o.max_bytes)
	return r, nil
}

// execgo_bundle_remove implements exec_bundle_remove (see forward.c).
//
//export execgo_bundle_remove
func execgo_bundle_remove(dir *C.char) (rc C.int) {
	defer guard(&rc)
	d, err := goString(dir, "bundle_dir")
	if err != nil {
		return result(err)
	}
	return result(runtime.BundleRemove(d))
}

// execgo_image_cache_prune implements exec_image_cache_prune (see forward.c).
//
//export execgo_image_cache_prune
func execgo_image_cache_prune(dir *C.char, removed *C.size_t) (rc C.int) {
	defer guard(&rc)
	d, err := goString(dir, "cache_dir")
	if err != nil {
		return result(err)
	}
	n, err := runtime.ImageCachePrune(d)
	if err != nil {
		return result(err)
	}
	if removed != nil {
		*removed = C.size_t(n)
	}
	return C.EXEC_OK
}
