package runtime

import (
	"context"
	"sort"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// Ps lists the host pids of the container's processes, sorted, read from
// its cgroup with no runtime call. A stopped container has none; a cgroup
// that is gone is ErrState.
func (c *Container) Ps(ctx context.Context) ([]int, error) {
	if err := c.ownCgroup("ps"); err != nil {
		return nil, err
	}
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	var pids []int
	if cg.v2 != nil {
		procs, err := cg.v2.Procs(true)
		if err != nil {
			return nil, c.cgroupErr("list cgroup processes", err)
		}
		for _, p := range procs {
			pids = append(pids, int(p))
		}
	} else {
		procs, err := cg.v1.Processes(v1PidsController(cg), true)
		if err != nil {
			return nil, c.cgroupErr("list cgroup processes", err)
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
func v1PidsController(cg *cgroup) cgroup1.Name {
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
