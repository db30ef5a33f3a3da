// Package cgroup reads containers' cgroups, v1 (or hybrid) and v2: their
// stats, processes and OOM kills, through runc's cgroups library (the fs and
// fs2 managers only, which bring in no systemd, D-Bus or eBPF code); and
// removes the cgroups a failed runtime call left behind. containerd's cgroups
// library parses memberships.
package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/cgroups/v3"
	cgroupfs "github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fs"
	"github.com/opencontainers/cgroups/fs2"
)

// Cgroup is one container's cgroup, on a v1 (or hybrid) or a v2 host.
type Cgroup struct {
	v1 *fs.Manager
	v2 *fs2.Manager
	// pids is the dir whose processes Pids lists: the v2 cgroup, or the
	// v1 pids controller's (else the first controller's) dir.
	pids string
}

// Stats is a cgroup's resource use, as runc's cgroups library reads it.
type Stats = cgroupfs.Stats

// Mount is where the host mounts its cgroup hierarchies.
const Mount = "/sys/fs/cgroup"

// ErrGone is a cgroup the runtime has removed.
var ErrGone = errors.New("cgroup is gone")

// v1Controllers are the v1 controllers the library reads: those of the
// stats, and pids also for ps.
var v1Controllers = []string{"cpu", "cpuacct", "memory", "pids", "blkio"}

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
		dir := filepath.Join(Mount, unified)
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil {
			return nil, ErrGone
		}
		m, err := fs2.NewManager(&cgroupfs.Cgroup{Resources: &cgroupfs.Resources{}}, dir)
		if err != nil {
			return nil, err
		}
		return &Cgroup{v2: m, pids: dir}, nil
	}
	dirs := map[string]string{}
	for _, name := range v1Controllers {
		p, ok := v1Path(paths, name)
		if !ok {
			continue
		}
		dir := filepath.Join(Mount, name, p)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		dirs[name] = dir
	}
	pids := dirs["pids"]
	for _, name := range v1Controllers {
		if pids == "" {
			pids = dirs[name]
		}
	}
	if pids == "" {
		return nil, ErrGone
	}
	m, err := fs.NewManager(&cgroupfs.Cgroup{Resources: &cgroupfs.Resources{}}, dirs)
	if err != nil {
		return nil, err
	}
	return &Cgroup{v1: m, pids: pids}, nil
}

// v1Path resolves a v1 controller to its path in the membership.
func v1Path(paths map[string]string, name string) (string, bool) {
	if p, ok := paths[name]; ok {
		return p, true
	}
	p, ok := paths["name="+name]
	return p, ok
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

// Stats reads the cgroup's CPU, memory, pids and IO use; the OOM kills
// are OOMKills'.
func (cg *Cgroup) Stats() (*Stats, error) {
	opts := &cgroupfs.StatsOptions{Controllers: cgroupfs.CPU | cgroupfs.Memory | cgroupfs.Pids | cgroupfs.IO}
	if cg.v2 != nil {
		return cg.v2.Stats(opts)
	}
	return cg.v1.Stats(opts)
}

// V2 tells whether the cgroup is a v2 one.
func (cg *Cgroup) V2() bool { return cg.v2 != nil }

// Pids lists the host pids of the cgroup's processes and its
// descendants', sorted.
func (cg *Cgroup) Pids() ([]int, error) {
	pids, err := cgroupfs.GetAllPids(cg.pids)
	if err != nil {
		return nil, err
	}
	sort.Ints(pids)
	return dedupeInts(pids), nil
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
