// Command containerd-shim-execution-v2 is containerd's shim v2 for the
// runtime type io.containerd.execution.v2: containerd's task API served by
// libexecution's Go core (package runtime), so that the containers
// containerd, and through it Kubernetes, schedules are run, reaped and
// reported by the same code as the library's own.
//
// One shim process serves every container of a pod (the CRI sandbox-id
// annotation), or of a whole namespace with EXECUTION_SHIM_GROUP=namespace
// in containerd's environment. The library's monitor, one per namespace
// root, is the reaper: a shim that dies loses no exit, and a new shim
// process finds the containers again.
package main

import (
	"context"

	"github.com/containerd/containerd/runtime/v2/shim"
)

// RuntimeType is the runtime name containerd knows this shim by.
const RuntimeType = "io.containerd.execution.v2"

func main() {
	shim.RunManager(context.Background(), newManager(RuntimeType))
}
