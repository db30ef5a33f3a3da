package cgroup

import (
	"bytes"
	"path/filepath"
	"strconv"

	"github.com/containerd/cgroups/v3"
	"github.com/libexecution/execution/runtime/internal/rawfile"
)

// Frozen reads the freezer state of pid's cgroup: the v1 freezer
// hierarchy's when it is mounted, else the unified hierarchy's on a v2
// host. ok is false when there is none to read (pid gone, no freezer).
func Frozen(pid int) (frozen, ok bool) {
	data, err := rawfile.Read("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return false, false
	}
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(bytes.NewReader(data))
	if err != nil {
		return false, false
	}
	if p, found := paths["freezer"]; found {
		state, err := rawfile.Read(filepath.Join(Mount, "freezer", p, "freezer.state"))
		if err != nil {
			return false, false
		}
		state = bytes.TrimSpace(state)
		return string(state) == "FROZEN" || string(state) == "FREEZING", true
	}
	if unified == "" || cgroups.Mode() != cgroups.Unified {
		return false, false
	}
	state, err := rawfile.Read(filepath.Join(Mount, unified, "cgroup.freeze"))
	if err != nil {
		return false, false
	}
	return string(bytes.TrimSpace(state)) == "1", true
}
