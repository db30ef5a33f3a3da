package runtime

import (
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime/internal/cgroup"
)

// fastState reads a live container's state without running the runtime
// binary, the way runc itself decides it: paused when its freezer cgroup is
// frozen, created while the runtime's exec fifo exists, running otherwise.
// ok is false when it cannot tell; the caller then asks the runtime.
func (c *Container) fastState() (State, bool) {
	if !c.rt.fastState {
		return 0, false
	}
	frozen, ok := cgroup.Frozen(c.rec.Pid)
	if !ok {
		return 0, false
	}
	if frozen {
		return StatePaused, true
	}
	if _, err := os.Stat(filepath.Join(c.rt.client.Root, c.id, "exec.fifo")); err == nil {
		return StateCreated, true
	}
	return StateRunning, true
}
