package runtime

import (
	"context"
	"math"

	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
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
	m, err := c.Metrics(ctx)
	if err != nil {
		return Stats{}, err
	}
	if m2, ok := m.(*v2.Metrics); ok {
		return statsV2(m2), nil
	}
	return statsV1(m.(*v1.Metrics)), nil
}

// Metrics reads the container's cgroup metrics whole, as the cgroups library
// gives them and containerd's task API reports them: a *v1.Metrics
// (github.com/containerd/cgroups/v3/cgroup1/stats) on cgroup v1, a
// *v2.Metrics (.../cgroup2/stats) on v2. It answers as Stats does.
func (c *Container) Metrics(ctx context.Context) (any, error) {
	if err := c.ownCgroup("stats"); err != nil {
		return nil, err
	}
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	m, err := cg.Metrics()
	if err != nil {
		return nil, c.cgroupErr("read stats", err)
	}
	return m, nil
}

// cgroupErr reports a failed cgroup read: ErrState when the cgroup went
// away meanwhile (a concurrent delete).
func (c *Container) cgroupErr(op string, err error) error {
	if _, cerr := c.cgroup(); cerr != nil {
		return cerr
	}
	return sysErr(op, err)
}

func statsV1(m *v1.Metrics) Stats {
	var s Stats
	if cpu := m.CPU; cpu != nil {
		if u := cpu.Usage; u != nil {
			s.CPUUsage, s.CPUUser, s.CPUSystem = u.Total, u.User, u.Kernel
		}
		if t := cpu.Throttling; t != nil {
			s.CPUPeriods, s.CPUThrottledPeriods, s.CPUThrottledTime = t.Periods, t.ThrottledPeriods, t.ThrottledTime
		}
	}
	s.MemoryLimit = Unlimited
	if mem := m.Memory; mem != nil {
		s.MemoryCache = mem.TotalCache
		if u := mem.Usage; u != nil {
			s.MemoryUsage, s.MemoryPeak = u.Usage, u.Max
			if u.Limit < v1Unlimited {
				s.MemoryLimit = u.Limit
			}
			// memsw counts memory plus swap.
			if sw := mem.Swap; sw != nil && sw.Usage > u.Usage {
				s.MemorySwap = sw.Usage - u.Usage
			}
		}
	}
	if o := m.MemoryOomControl; o != nil {
		s.OOMKills = o.OomKill
	}
	s.PidsLimit = Unlimited
	if p := m.Pids; p != nil {
		s.PidsCurrent, s.PidsLimit = p.Current, limitOf(p.Limit)
	}
	if b := m.Blkio; b != nil {
		for _, e := range b.IoServiceBytesRecursive {
			switch e.Op {
			case "Read":
				s.IOReadBytes += e.Value
			case "Write":
				s.IOWriteBytes += e.Value
			}
		}
	}
	return s
}

func statsV2(m *v2.Metrics) Stats {
	var s Stats
	if cpu := m.CPU; cpu != nil {
		s.CPUUsage, s.CPUUser, s.CPUSystem = cpu.UsageUsec*1000, cpu.UserUsec*1000, cpu.SystemUsec*1000
		s.CPUPeriods, s.CPUThrottledPeriods, s.CPUThrottledTime = cpu.NrPeriods, cpu.NrThrottled, cpu.ThrottledUsec*1000
	}
	s.MemoryLimit = Unlimited
	if mem := m.Memory; mem != nil {
		s.MemoryUsage, s.MemoryPeak, s.MemoryCache, s.MemorySwap = mem.Usage, mem.MaxUsage, mem.File, mem.SwapUsage
		s.MemoryLimit = limitOf(mem.UsageLimit)
	}
	if e := m.MemoryEvents; e != nil {
		s.OOMKills = e.OomKill
	}
	s.PidsLimit = Unlimited
	if p := m.Pids; p != nil {
		s.PidsCurrent, s.PidsLimit = p.Current, limitOf(p.Limit)
	}
	if io := m.Io; io != nil {
		for _, e := range io.Usage {
			s.IOReadBytes += e.Rbytes
			s.IOWriteBytes += e.Wbytes
		}
	}
	return s
}

// limitOf reads a limit the cgroup library gives as 0 or the maximum when
// none is set (v1 pids.max "max" is 0, v2 "max" is the maximum).
func limitOf(v uint64) uint64 {
	if v == 0 {
		return Unlimited
	}
	return v
}
