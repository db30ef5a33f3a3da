package spec

import (
	"math"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BundleOptions shape the config BundleInitWith writes beyond its args.
type BundleOptions struct {
	// Terminal sets process.terminal.
	Terminal bool
	// Limits are written as linux.resources.
	Limits Limits
	// UserNS says how the container's users map to the host's; a caller
	// who is not root always gets a user namespace and a rootless config.
	UserNS UserNS
	// Hardened makes the config fit for untrusted code: no capability,
	// Docker's seccomp filter, no new privileges, more masked paths, a
	// user namespace also as root, default pids and memory limits.
	Hardened bool
	// Tmpfs are the container's dirs that get a writable tmpfs over the
	// read-only rootfs.
	Tmpfs []string
	// Workload is the process, mounts and network the container gets,
	// as `docker run` gives them.
	Workload Workload
}

// Limits are the common resource limits of a bundle config. A zero field
// leaves its limit unset.
type Limits struct {
	// MemoryBytes limits memory, in bytes.
	MemoryBytes int64
	// MemorySwapBytes limits memory plus swap, in bytes; -1 is unlimited
	// swap. It needs MemoryBytes and is at least as large.
	MemorySwapBytes int64
	// CPUs limits CPU time to that many CPUs (1.5 is one and a half),
	// written as a quota for CPUPeriod. It excludes CPUQuota.
	CPUs float64
	// CPUQuota is the CPU time allowed per CPUPeriod, in µs; -1 is none.
	CPUQuota int64
	// CPUPeriod is the CPU quota's period, in µs (1000 to 1000000); zero
	// with CPUs means 100000.
	CPUPeriod uint64
	// CPUShares is the relative CPU weight (2 to 262144); runtimes turn it
	// into cpu.weight on cgroup v2.
	CPUShares uint64
	// PidsLimit is the most tasks the container may have; -1 is unlimited.
	PidsLimit int64
}

// Bounds the kernel puts on CPU settings.
const (
	defaultCPUPeriod = 100000
	minCPUPeriod     = 1000
	maxCPUPeriod     = 1000000
	minCPUShares     = 2
	maxCPUShares     = 262144
	minCPUQuota      = 1000
)

// apply checks the limits and writes them into r.
func (l Limits) apply(r *specs.LinuxResources) error {
	if l.MemoryBytes < 0 {
		return wrapf(ErrInvalid, "memory limit %d is negative", l.MemoryBytes)
	}
	if l.MemorySwapBytes != 0 {
		if l.MemoryBytes == 0 {
			return wrapf(ErrInvalid, "a memory+swap limit needs a memory limit")
		}
		if l.MemorySwapBytes != -1 && l.MemorySwapBytes < l.MemoryBytes {
			return wrapf(ErrInvalid, "memory+swap limit %d is below the memory limit %d", l.MemorySwapBytes, l.MemoryBytes)
		}
	}
	if l.MemoryBytes != 0 {
		r.Memory = &specs.LinuxMemory{Limit: ptr(l.MemoryBytes)}
		if l.MemorySwapBytes != 0 {
			r.Memory.Swap = ptr(l.MemorySwapBytes)
		}
	}
	cpu, err := l.cpu()
	if err != nil {
		return err
	}
	r.CPU = cpu
	if l.PidsLimit < -1 {
		return wrapf(ErrInvalid, "pids limit %d is below -1", l.PidsLimit)
	}
	if l.PidsLimit != 0 {
		r.Pids = &specs.LinuxPids{Limit: ptr(l.PidsLimit)}
	}
	return nil
}

// cpu checks the CPU limits and returns them, or nil when none is set.
func (l Limits) cpu() (*specs.LinuxCPU, error) {
	if math.IsNaN(l.CPUs) || math.IsInf(l.CPUs, 0) || l.CPUs < 0 {
		return nil, wrapf(ErrInvalid, "cpus %v is not a positive number", l.CPUs)
	}
	if l.CPUs != 0 && l.CPUQuota != 0 {
		return nil, wrapf(ErrInvalid, "cpus and a CPU quota exclude each other")
	}
	if l.CPUPeriod != 0 && (l.CPUPeriod < minCPUPeriod || l.CPUPeriod > maxCPUPeriod) {
		return nil, wrapf(ErrInvalid, "CPU period %d is not between %d and %d µs", l.CPUPeriod, minCPUPeriod, maxCPUPeriod)
	}
	if l.CPUShares != 0 && (l.CPUShares < minCPUShares || l.CPUShares > maxCPUShares) {
		return nil, wrapf(ErrInvalid, "CPU shares %d are not between %d and %d", l.CPUShares, minCPUShares, maxCPUShares)
	}
	quota, period := l.CPUQuota, l.CPUPeriod
	if l.CPUs != 0 {
		if period == 0 {
			period = defaultCPUPeriod
		}
		q := math.Round(l.CPUs * float64(period))
		if q > math.MaxInt32 {
			return nil, wrapf(ErrInvalid, "cpus %v is too large", l.CPUs)
		}
		quota = int64(q)
	}
	if quota != 0 && quota != -1 && quota < minCPUQuota {
		return nil, wrapf(ErrInvalid, "CPU quota %d µs is below %d µs", quota, minCPUQuota)
	}
	if quota == 0 && period == 0 && l.CPUShares == 0 {
		return nil, nil
	}
	cpu := &specs.LinuxCPU{}
	if quota != 0 {
		cpu.Quota = ptr(quota)
	}
	if period != 0 {
		cpu.Period = ptr(period)
	}
	if l.CPUShares != 0 {
		cpu.Shares = ptr(l.CPUShares)
	}
	return cpu, nil
}

func ptr[T any](v T) *T { return &v }

// New returns the config of args as opts shape it, for the rootfs at
// rootfs on the host.
func New(args []string, opts BundleOptions, rootfs string) (*specs.Spec, error) {
	spec := Default(args, opts.Terminal)
	if err := Apply(spec, opts, "bundle init", rootfs); err != nil {
		return nil, err
	}
	return spec, nil
}

// Apply writes opts' limits, hardening, tmpfs dirs, workload
// and user namespace into spec, whose rootfs is at rootfs on the host;
// what names the caller in errors.
func Apply(spec *specs.Spec, opts BundleOptions, what, rootfs string) error {
	userns, err := opts.UserNS.Resolve(opts.Hardened)
	if err != nil {
		return wrapf(ErrInvalid, "%s: %v", what, err)
	}
	limits := opts.Limits
	if limits != (Limits{}) && !cgroupsWritable() {
		return wrapf(ErrNotSupported, "%s: limits need a cgroup of the container's own, which a rootless runtime gets only on a cgroup v2 host", what)
	}
	if opts.Hardened {
		if err := harden(spec, &limits); err != nil {
			return err
		}
	}
	if err := limits.apply(spec.Linux.Resources); err != nil {
		return wrapf(ErrInvalid, "%s: %v", what, err)
	}
	if err := withTmpfs(spec, opts.Tmpfs); err != nil {
		return wrapf(ErrInvalid, "%s: %v", what, err)
	}
	if err := opts.Workload.apply(spec, rootfs); err != nil {
		return wrapf(ErrInvalid, "%s: %v", what, err)
	}
	if os.Geteuid() != 0 {
		rootless(spec)
	}
	if userns != UserNSNone {
		if err := withUserNS(spec, userns); err != nil {
			return wrapf(ErrInvalid, "%s: %v", what, err)
		}
	}
	return nil
}
