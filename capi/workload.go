package main

// #include "capi.h"
import "C"

import (
	"github.com/libexecution/execution/runtime"
)

// workloadOf converts the version 3 fields of exec_bundle_options.
func workloadOf(o *C.exec_bundle_options) (runtime.Workload, error) {
	w := runtime.Workload{
		Env:      stringsOf(o.env),
		Cwd:      optString(o.cwd),
		User:     optString(o.user),
		Groups:   stringsOf(o.groups),
		Hostname: optString(o.hostname),
		CapAdd:   stringsOf(o.cap_add),
		CapDrop:  stringsOf(o.cap_drop),
	}
	var err error
	if w.NoNewPrivileges, err = flagOf(o.no_new_privileges, "no_new_privileges"); err != nil {
		return w, err
	}
	if w.ReadonlyRootfs, err = flagOf(o.readonly_rootfs, "readonly_rootfs"); err != nil {
		return w, err
	}
	for _, s := range stringsOf(o.mounts) {
		m, err := runtime.ParseMount(s)
		if err != nil {
			return w, err
		}
		w.Mounts = append(w.Mounts, m)
	}
	for _, s := range stringsOf(o.rlimits) {
		r, err := runtime.ParseRlimit(s)
		if err != nil {
			return w, err
		}
		w.Rlimits = append(w.Rlimits, r)
	}
	if w.Network, err = runtime.ParseNetwork(optString(o.network)); err != nil {
		return w, err
	}
	for _, s := range stringsOf(o.ports) {
		p, err := runtime.ParsePort(s)
		if err != nil {
			return w, err
		}
		w.Network.Ports = append(w.Network.Ports, p)
	}
	return w, nil
}

// flagOf converts an EXEC_FLAG_* value: nil keeps the config's.
func flagOf(v C.int, arg string) (*bool, error) {
	switch v {
	case C.EXEC_FLAG_KEEP:
		return nil, nil
	case C.EXEC_FLAG_ON:
		b := true
		return &b, nil
	case C.EXEC_FLAG_OFF:
		b := false
		return &b, nil
	}
	return nil, invalidf("%s %d is not an EXEC_FLAG_* value", arg, int(v))
}
