// Package cgroup reads containers' cgroups, v1 (or hybrid) and v2, through
// containerd's cgroups library: their metrics, processes and OOM kills; and
// removes the cgroups a failed runtime call left behind.
package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
)

// Cgroup is one container's cgroup, on a v1 (or hybrid) or a v2 host.
type Cgroup struct {
	v1 cgroup1.Cgroup
	v2 *cgroup2.Manager
}

// Mount is where the host mounts its cgroup hierarchies.
const Mount = "/sys/fs/cgroup"

// ErrGone is a cgroup the runtime has removed.
var ErrGone = errors.New("cgroup is gone")

// Open opens the cgroup that a /proc/<pid>/cgroup membership names,
// with the controllers of the host's layout: v2 on a unified host, v1 on a
// legacy or hybrid one.
func Open(membership string) (*Cgroup, error) {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil {
		return nil, err
	}
	if cgroups.Mode() == cgroups.Unified {
		if unified == "" {
			return nil, ErrGone
		}
		m, err := cgroup2.Load(unified)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(filepath.Join(Mount, unified, "cgroup.procs")); err != nil {
			return nil, ErrGone
		}
		return &Cgroup{v2: m}, nil
	}
	cg, err := cgroup1.Load(v1Path(paths), cgroup1.WithHierarchy(v1Controllers))
	if errors.Is(err, cgroup1.ErrCgroupDeleted) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, err
	}
	return &Cgroup{v1: cg}, nil
}

// v1Controllers are the v1 controllers the library reads: those of the
// stats, and pids also for ps. Kernel memory is not read (each memory file
// costs an open), and a host without swap accounting has no memsw files.
func v1Controllers() ([]cgroup1.Subsystem, error) {
	memory := cgroup1.NewMemory(Mount, cgroup1.IgnoreModules("kmem", "kmem.tcp"), cgroup1.OptionalSwap())
	return []cgroup1.Subsystem{
		cgroup1.NewCpu(Mount), cgroup1.NewCpuacct(Mount), memory,
		cgroup1.NewPids(Mount), cgroup1.NewBlkio(Mount),
	}, nil
}

// v1Path resolves each v1 controller to its path in the membership.
func v1Path(paths map[string]string) cgroup1.Path {
	return func(name cgroup1.Name) (string, error) {
		if p, ok := paths[string(name)]; ok {
			return p, nil
		}
		if p, ok := paths["name="+string(name)]; ok {
			return p, nil
		}
		return "", cgroup1.ErrControllerNotActive
	}
}

// InRoot tells whether a membership has a root cgroup, where an
// exiting process shows up in v1 hierarchies before it is a zombie (its v2
// cgroup stays); a container never lives there.
func InRoot(membership string) bool {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil || unified == "/" {
		return true
	}
	for _, p := range paths {
		if p == "/" {
			return true
		}
	}
	return false
}

// Metrics reads the cgroup's metrics whole, as the cgroups library gives
// them: a *v1.Metrics (github.com/containerd/cgroups/v3/cgroup1/stats) on
// cgroup v1, a *v2.Metrics (.../cgroup2/stats) on v2.
func (cg *Cgroup) Metrics() (any, error) {
	if cg.v2 != nil {
		return cg.v2.StatFiltered(cgroup2.StatPids | cgroup2.StatCPU | cgroup2.StatMemory |
			cgroup2.StatMemoryEvents | cgroup2.StatIO)
	}
	return cg.v1.Stat(cgroup1.IgnoreNotExist)
}

// Pids lists the host pids of the cgroup's processes and its
// descendants', sorted.
func (cg *Cgroup) Pids() ([]int, error) {
	var pids []int
	if cg.v2 != nil {
		procs, err := cg.v2.Procs(true)
		if err != nil {
			return nil, err
		}
		for _, p := range procs {
			pids = append(pids, int(p))
		}
	} else {
		procs, err := cg.v1.Processes(v1PidsController(cg), true)
		if err != nil {
			return nil, err
		}
		for _, p := range procs {
			pids = append(pids, p.Pid)
		}
	}
	sort.Ints(pids)
	return dedupeInts(pids), nil
}

// v1PidsController picks the v1 controller to list processes from: pids,
// else the first one the cgroup has.
func v1PidsController(cg *Cgroup) cgroup1.Name {
	subs := cg.v1.Subsystems()
	for _, s := range subs {
		if s.Name() == cgroup1.Pids {
			return cgroup1.Pids
		}
	}
	if len(subs) == 0 {
		return cgroup1.Pids
	}
	return subs[0].Name()
}

// dedupeInts drops repeats from a sorted slice.
func dedupeInts(v []int) []int {
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}
