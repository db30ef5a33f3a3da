package main

import (
	_ "embed"

	"github.com/libexecution/execution/runtime"
)

// agentProgram is the exec agent (monitor/agent.c, built static), which the
// Makefile builds into this directory before the library, as it does the
// monitor.
//
//go:embed execution-agent
var agentProgram string

func init() {
	runtime.SetAgentProgram(unsafeBytes(agentProgram))
}
