package main

import (
	"errors"
	"strings"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
)

// cgroupMount is where the host mounts its cgroup hierarchies.
const cgroupMount = "/sys/fs/cgroup"

// metricsOf reads the metrics of the cgroup a membership names whole, as
// containerd's task API reports them: a *v1.Metrics
// (github.com/containerd/cgroups/v3/cgroup1/stats) on cgroup v1, a
// *v2.Metrics (.../cgroup2/stats) on v2.
func metricsOf(membership string) (any, error) {
	paths, unified, err := cgroups.ParseCgroupFromReaderUnified(strings.NewReader(membership))
	if err != nil {
		return nil, err
	}
	if cgroups.Mode() == cgroups.Unified {
		m, err := cgroup2.Load(unified)
		if err != nil {
			return nil, err
		}
		return m.StatFiltered(cgroup2.StatPids | cgroup2.StatCPU | cgroup2.StatMemory |
			cgroup2.StatMemoryEvents | cgroup2.StatIO)
	}
	cg, err := cgroup1.Load(func(name cgroup1.Name) (string, error) {
		if p, ok := paths[string(name)]; ok {
			return p, nil
		}
		if p, ok := paths["name="+string(name)]; ok {
			return p, nil
		}
		return "", cgroup1.ErrControllerNotActive
	}, cgroup1.WithHierarchy(func() ([]cgroup1.Subsystem, error) {
		// Kernel memory is not read, and a host without swap accounting
		// has no memsw files.
		memory := cgroup1.NewMemory(cgroupMount, cgroup1.IgnoreModules("kmem", "kmem.tcp"), cgroup1.OptionalSwap())
		return []cgroup1.Subsystem{
			cgroup1.NewCpu(cgroupMount), cgroup1.NewCpuacct(cgroupMount), memory,
			cgroup1.NewPids(cgroupMount), cgroup1.NewBlkio(cgroupMount),
		}, nil
	}))
	if errors.Is(err, cgroup1.ErrCgroupDeleted) {
		return nil, errors.New("its cgroup is gone")
	}
	if err != nil {
		return nil, err
	}
	return cg.Stat(cgroup1.IgnoreNotExist)
}
