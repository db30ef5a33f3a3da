package runtime

import (
	"context"
	"math"

	"github.com/libexecution/execution/runtime/internal/cgroup"
)

// Unlimited is a limit that is not set.
const Unlimited = math.MaxUint64

// v1Unlimited is the smallest value a v1 limit file holds when no limit is
// set (the kernel writes its page counter maximum, rounded to pages).
const v1Unlimited = 1 << 62

// Stats is a container's resource use, read from its cgroup.
type Stats struct {
	// CPUUsage, CPUUser and CPUSystem are the CPU time used, in ns.
	CPUUsage, CPUUser, CPUSystem uint64
	// CPUPeriods is the number of enforcement periods of a CPU quota, and
	// CPUThrottledPeriods those in which the container was throttled.
	CPUPeriods, CPUThrottledPeriods uint64
	// CPUThrottledTime is the time the container was throttled, in ns.
	CPUThrottledTime uint64
	// MemoryUsage is the memory used now, MemoryPeak the most used, in bytes.
	MemoryUsage, MemoryPeak uint64
	// MemoryLimit is the memory limit in bytes, or Unlimited.
	MemoryLimit uint64
	// MemoryCache is the page cache, MemorySwap the swap used, in bytes.
	MemoryCache, MemorySwap uint64
	// OOMKills is how many processes the kernel's OOM killer killed.
	OOMKills uint64
	// PidsCurrent is the number of tasks; PidsLimit their limit, or Unlimited.
	PidsCurrent, PidsLimit uint64
	// IOReadBytes and IOWriteBytes are the block IO done, in bytes.
	IOReadBytes, IOWriteBytes uint64
}

// Stats reads the container's resource use from its cgroup, in process,
// with no runtime call. It also answers for a stopped container until it is
// deleted; a cgroup that is gone is ErrState.
func (c *Container) Stats(ctx context.Context) (Stats, error) {
	if err := c.ownCgroup("stats"); err != nil {
		return Stats{}, err
	}
	membership, err := c.membership()
	if err != nil {
		return Stats{}, err
	}
	cg, err := c.openCgroup(membership)
	if err != nil {
		return Stats{}, err
	}
	m, err := cg.Stats()
	if err != nil {
		return Stats{}, c.cgroupErr("read stats", err)
	}
	s := statsOf(m, cg.V2())
	s.OOMKills, _ = cgroup.OOMKills(membership)
	return s, nil
}

// CgroupMembership is the container's cgroup as /proc/<pid>/cgroup names
// it, for a caller that reads the cgroup with a library of its own (the
// containerd shim reports containerd's metrics). It answers as Stats does.
func (c *Container) CgroupMembership(ctx context.Context) (string, error) {
	if err := c.ownCgroup("stats"); err != nil {
		return "", err
	}
	membership, err := c.membership()
	if err != nil {
		return "", err
	}
	if _, err := c.openCgroup(membership); err != nil {
		return "", err
	}
	return membership, nil
}

// cgroupErr reports a failed cgroup read: ErrState when the cgroup went
// away meanwhile (a concurrent delete).
func (c *Container) cgroupErr(op string, err error) error {
	if _, cerr := c.cgroup(); cerr != nil {
		return cerr
	}
	return sysErr(op, err)
}

// statsOf converts what the cgroups library read; v2 tells the layout,
// whose swap and limits it reports apart.
func statsOf(m *cgroup.Stats, v2 bool) Stats {
	s := Stats{MemoryLimit: Unlimited, PidsLimit: Unlimited}
	cpu := m.CpuStats
	s.CPUUsage, s.CPUUser, s.CPUSystem = cpu.CpuUsage.TotalUsage, cpu.CpuUsage.UsageInUsermode, cpu.CpuUsage.UsageInKernelmode
	t := cpu.ThrottlingData
	s.CPUPeriods, s.CPUThrottledPeriods, s.CPUThrottledTime = t.Periods, t.ThrottledPeriods, t.ThrottledTime
	mem := m.MemoryStats
	s.MemoryUsage, s.MemoryPeak = mem.Usage.Usage, mem.Usage.MaxUsage
	if v2 {
		s.MemoryCache = mem.Cache
		s.MemorySwap = mem.SwapOnlyUsage.Usage
		s.MemoryLimit = limitOf(mem.Usage.Limit)
	} else {
		s.MemoryCache = mem.Stats["total_cache"]
		if mem.Usage.Limit != 0 && mem.Usage.Limit < v1Unlimited {
			s.MemoryLimit = mem.Usage.Limit
		}
		// memsw counts memory plus swap.
		if mem.SwapUsage.Usage > mem.Usage.Usage {
			s.MemorySwap = mem.SwapUsage.Usage - mem.Usage.Usage
		}
	}
	s.PidsCurrent, s.PidsLimit = m.PidsStats.Current, limitOf(m.PidsStats.Limit)
	for _, e := range m.BlkioStats.IoServiceBytesRecursive {
		switch e.Op {
		case "Read":
			s.IOReadBytes += e.Value
		case "Write":
			s.IOWriteBytes += e.Value
		}
	}
	return s
}

// limitOf reads a limit the cgroup library gives as 0 or the maximum when
// none is set (pids.max "max" is 0, v2 memory.max "max" is the maximum).
func limitOf(v uint64) uint64 {
	if v == 0 {
		return Unlimited
	}
	return v
}
