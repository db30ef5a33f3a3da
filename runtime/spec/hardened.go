package spec

import (
	"path"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Limits a hardened config sets when the caller sets none.
const (
	hardenedPids   = 1024
	hardenedMemory = 1 << 30
)

// hardenedMasked are the paths Docker and podman mask beyond those of
// `runc spec`.
var hardenedMasked = []string{"/proc/interrupts", "/sys/devices/virtual/powercap"}

// harden makes spec fit for untrusted code: no capability, no new
// privileges, the seccomp filter Docker and podman apply (moby's profile,
// for no capability), more masked paths, and default pids and memory
// limits where the caller can apply limits at all.
func harden(spec *specs.Spec, l *Limits) error {
	p := spec.Process
	p.Capabilities = &specs.LinuxCapabilities{
		Bounding: []string{}, Effective: []string{}, Permitted: []string{}, Ambient: []string{},
	}
	p.NoNewPrivileges = true
	spec.Root.Readonly = true
	spec.Linux.MaskedPaths = append(spec.Linux.MaskedPaths, hardenedMasked...)
	filter, err := seccomp.GetDefaultProfile(spec)
	if err != nil {
		return sysErr("seccomp profile", err)
	}
	spec.Linux.Seccomp = filter
	if cgroupsWritable() {
		if l.PidsLimit == 0 {
			l.PidsLimit = hardenedPids
		}
		if l.MemoryBytes == 0 {
			l.MemoryBytes = hardenedMemory
		}
	}
	return nil
}

// withTmpfs mounts a writable tmpfs (nosuid, nodev, as Docker's --tmpfs)
// at each of dirs, absolute paths inside the container.
func withTmpfs(spec *specs.Spec, dirs []string) error {
	for _, d := range dirs {
		if !path.IsAbs(d) || path.Clean(d) == "/" {
			return wrapf(ErrInvalid, "tmpfs %q is not an absolute path below /", d)
		}
		spec.Mounts = append(spec.Mounts, specs.Mount{
			Destination: path.Clean(d), Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "nodev", "mode=1777"},
		})
	}
	return nil
}
