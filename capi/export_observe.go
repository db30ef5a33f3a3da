package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"

	"github.com/libexecution/execution/runtime"
)

// execgo_bundle_init_ext implements exec_bundle_init_ext (see forward.c).
//
//export execgo_bundle_init_ext
func execgo_bundle_init_ext(dir *C.char, argv **C.char, opts *C.exec_bundle_options) (rc C.int) {
	defer guard(&rc)
	return result(bundleInit(dir, argv, func() (runtime.BundleOptions, error) {
		return bundleOptionsOf(opts)
	}))
}

// execgo_container_stats implements exec_container_stats (see forward.c).
//
//export execgo_container_stats
func execgo_container_stats(h C.uintptr_t, out *C.exec_stats) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		if out == nil {
			return invalidf("out is NULL")
		}
		if err := checkVersion(out.version, C.EXEC_STATS_VERSION, "out"); err != nil {
			return err
		}
		s, err := c.Stats(context.Background())
		if err != nil {
			return err
		}
		putStats(out, s)
		return nil
	})
}

// execgo_container_ps implements exec_container_ps (see forward.c).
//
//export execgo_container_ps
func execgo_container_ps(h C.uintptr_t, pids **C.int, count *C.size_t) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		if pids == nil {
			return invalidf("pids is NULL")
		}
		if count == nil {
			return invalidf("count is NULL")
		}
		list, err := c.Ps(context.Background())
		if err != nil {
			return err
		}
		*pids = cInts(list)
		*count = C.size_t(len(list))
		return nil
	})
}

// execgo_container_update implements exec_container_update (see forward.c).
//
//export execgo_container_update
func execgo_container_update(h C.uintptr_t, resourcesJSON *C.char) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		r, err := resourcesOfJSON(resourcesJSON)
		if err != nil {
			return err
		}
		return c.Update(context.Background(), r)
	})
}

// execgo_container_addresses implements exec_container_addresses (see forward.c).
//
//export execgo_container_addresses
func execgo_container_addresses(h C.uintptr_t, addrs ***C.char, count *C.size_t) (rc C.int) {
	defer guard(&rc)
	return onContainer(h, func(c *runtime.Container) error {
		if addrs == nil {
			return invalidf("addrs is NULL")
		}
		if count == nil {
			return invalidf("count is NULL")
		}
		ips, err := c.Addresses()
		if err != nil {
			return err
		}
		text := make([]string, len(ips))
		for i, ip := range ips {
			text[i] = ip.String()
		}
		*addrs = cStrings(text)
		*count = C.size_t(len(text))
		return nil
	})
}
