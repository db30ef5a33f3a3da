package runtime

import "context"

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
	pids, err := cg.Pids()
	if err != nil {
		return nil, c.cgroupErr("list cgroup processes", err)
	}
	return pids, nil
}
