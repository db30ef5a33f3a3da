package runtime

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// fastState reads a live container's state without running the runtime
// binary, the way runc itself decides it: paused when its freezer cgroup is
// frozen, created while the runtime's exec fifo exists, running otherwise.
// ok is false when it cannot tell; the caller then asks the runtime.
func (c *Container) fastState() (State, bool) {
	if !c.rt.fastState {
		return 0, false
	}
	frozen, ok := cgroupFrozen(c.rec.Pid)
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

// cgroupFrozen reads the freezer state of pid's cgroup: the v1 freezer
// hierarchy when mounted, else the v2 unified hierarchy.
func cgroupFrozen(pid int) (frozen, ok bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return false, false
	}
	defer f.Close()
	var unified string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			if ctrl == "freezer" {
				data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/freezer", parts[2], "freezer.state"))
				if err != nil {
					return false, false
				}
				state := strings.TrimSpace(string(data))
				return state == "FROZEN" || state == "FREEZING", true
			}
		}
	}
	if unified == "" {
		return false, false
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		return false, false // v2 not mounted at the root: a hybrid layout
	}
	data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", unified, "cgroup.freeze"))
	if err != nil {
		return false, false
	}
	return strings.TrimSpace(string(data)) == "1", true
}
