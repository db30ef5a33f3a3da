package main

import (
	_ "embed"

	"github.com/libexecution/execution/runtime"
)

// monitorProgram is the library's monitor (monitor/monitor.c), which `make
// shim` builds and hands to the go command through an overlay, as it does
// for the library: the shim binary is all containerd needs.
//
//go:embed execution-monitor
var monitorProgram []byte

func init() {
	runtime.SetMonitorProgram(monitorProgram)
}
