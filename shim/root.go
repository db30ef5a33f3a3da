package main

import (
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime"
)

// rootEnv names a dir that replaces the default parent of the library's
// roots (one per containerd namespace, below it).
const rootEnv = "EXECUTION_SHIM_ROOT"

// libraryRoot is the library's root for the containers of namespace ns
// whose bundle is bundle: <containerd state>/io.containerd.execution.v2/<ns>,
// beside containerd's own task dir, so a containerd with a private state dir
// gets private roots, and every shim of a namespace shares one monitor.
func libraryRoot(bundle, ns string) string {
	if dir := os.Getenv(rootEnv); dir != "" {
		return filepath.Join(dir, ns)
	}
	// bundle is <state>/io.containerd.runtime.v2.task/<ns>/<id>.
	state := filepath.Dir(filepath.Dir(filepath.Dir(bundle)))
	return filepath.Join(state, RuntimeType, ns)
}

// openRuntime opens the library's runtime for namespace ns. Containers
// outlive the shim: a shim that dies leaves them to the monitor, and the
// next shim (or containerd's cleanup) finds them again.
func openRuntime(bundle, ns string) (*runtime.Runtime, error) {
	return runtime.New(runtime.Options{Root: libraryRoot(bundle, ns)})
}
