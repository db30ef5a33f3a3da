package runtime

import (
	"os"
)

// ownCgroup checks that c has a cgroup of its own before op, which needs
// one (stats, ps, pause, update). A runtime run by a user who is not root
// makes one only where the user's cgroup is delegated to it; elsewhere its
// containers stay in the cgroups of their caller, and reading or freezing
// those would reach processes that are not the container's. So for such a
// user, a container whose cgroup is the caller's own, or cannot be found,
// has none.
func (c *Container) ownCgroup(op string) error {
	if err := c.check(); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		return nil
	}
	self, _ := os.ReadFile("/proc/self/cgroup")
	membership, ok := liveMembership(c.rec.Pid, c.rec.StartTime)
	if !ok {
		var note cgroupNote
		note, ok = c.cgroupNote()
		membership = note.Membership
	}
	if ok && membership != string(self) {
		return nil
	}
	return wrapf(ErrNotSupported, "%s container %q: it has no cgroup of its own, as a runtime run by uid %d gets one only in a cgroup delegated to it", op, c.id, os.Geteuid())
}
