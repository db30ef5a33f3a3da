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

// cgroupsWritable tells whether the calling user's containers can get
// cgroups of their own, which limits, stats and pause need: as root, or
// on a unified (v2) host where the user's cgroup can be delegated to it.
// A rootless runtime on a v1 host leaves its containers in its own.
func cgroupsWritable() bool {
	return os.Geteuid() == 0 || cgroups.Mode() == cgroups.Unified
}

// ownCgroup checks that c can have a cgroup of its own before op, which
// needs one (stats, ps, pause, update): a rootless runtime on a cgroup v1
// host leaves its containers in the cgroups of its caller, and reading or
// freezing those would reach processes that are not the container's.
func (c *Container) ownCgroup(op string) error {
	if err := c.check(); err != nil {
		return err
	}
	if !cgroupsWritable() {
		return wrapf(ErrNotSupported, "%s container %q: it has no cgroup of its own, as a runtime run by uid %d gets none on a cgroup v1 host", op, c.id, os.Geteuid())
	}
	return nil
}
