package spec

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
