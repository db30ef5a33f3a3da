package runtime

import (
	"os"

	"github.com/containerd/cgroups/v3"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rootless makes spec runnable by a user who is not root, as `runc spec
// --rootless` does: /sys bound from the host rather than mounted afresh,
// and no device cgroup rules, which only root can apply.
func rootless(spec *specs.Spec) {
	for i, mnt := range spec.Mounts {
		if mnt.Destination == "/sys" {
			spec.Mounts[i] = specs.Mount{Destination: "/sys", Type: "none", Source: "/sys",
				Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
		}
	}
	spec.Linux.Resources.Devices = nil
}

// cgroupsWritable tells whether limits in a config the calling user
// writes can apply, which needs a cgroup of the container's own: as root,
// or on a unified (v2) host, where the user's cgroup can be delegated to
// it. A rootless runtime on a v1 host leaves its containers in its own.
func cgroupsWritable() bool {
	return os.Geteuid() == 0 || cgroups.Mode() == cgroups.Unified
}

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
		note, ok = readCgroupNote(c.dir)
		membership = note.Membership
	}
	if ok && membership != string(self) {
		return nil
	}
	return wrapf(ErrNotSupported, "%s container %q: it has no cgroup of its own, as a runtime run by uid %d gets one only in a cgroup delegated to it", op, c.id, os.Geteuid())
}
