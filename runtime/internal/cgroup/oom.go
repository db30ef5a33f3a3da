package cgroup

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
	"github.com/libexecution/execution/runtime/internal/rawfile"
)

// OOMKills is how many processes of the cgroup a membership names the
// kernel's OOM killer has killed: oom_kill of memory.events on v2, of
// memory.oom_control on v1. It reads that one file only (a whole v1 memory
// stat opens ten), as it runs on every exit before the waiters wake.
func OOMKills(membership string) (uint64, error) {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil {
		return 0, err
	}
	if cgroups.Mode() == cgroups.Unified {
		return ReadOOMKills(filepath.Join(Mount, unified, "memory.events"))
	}
	path, ok := paths["memory"]
	if !ok {
		return 0, ErrGone
	}
	return ReadOOMKills(filepath.Join(Mount, "memory", path, "memory.oom_control"))
}

// ReadOOMKills reads the oom_kill line of a v1 memory.oom_control file
// (or of a v2 memory.events file, which has the same line).
func ReadOOMKills(path string) (uint64, error) {
	data, err := rawfile.Read(path)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s has no oom_kill line", path)
}

// OOMFile is the file whose oom_kill line counts the OOM kills in the
// cgroup a membership names: memory.events on v2, memory.oom_control on
// v1; "" when the membership names no memory cgroup.
func OOMFile(membership string) string {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil {
		return ""
	}
	if cgroups.Mode() == cgroups.Unified {
		return filepath.Join(Mount, unified, "memory.events")
	}
	if path, ok := paths["memory"]; ok {
		return filepath.Join(Mount, "memory", path, "memory.oom_control")
	}
	return ""
}
