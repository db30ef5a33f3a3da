package main

import (
	_ "embed"

	"github.com/libexecution/execution/runtime"
)

// monitorProgram is the monitor executable (monitor/monitor.c), which the
// Makefile builds into this directory before the library: the library
// carries it, so libexecution.so alone is all a user installs.
//
//go:embed execution-monitor
var monitorProgram string

func init() {
	runtime.SetMonitorProgram(unsafeBytes(monitorProgram))
}
