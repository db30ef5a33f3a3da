package spec

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/libexecution/execution/runtime/internal/guest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Workload is what `docker run` says about a container's process beyond
// its command: BundleOptions carries one, for BundleInitWith and
// BundleFromImage (where it goes over the image's config). A zero field
// leaves the default config's value.
type Workload struct {
	// Env entries ("NAME=value") are set over the default environment
	// (PATH, TERM) or the image's.
	Env []string
	// Cwd is the process's working dir, an absolute path.
	Cwd string
	// User is "uid[:gid]" or "name[:group]"; names are looked up in the
	// rootfs's /etc/passwd and /etc/group, resolved beneath the rootfs.
	// A uid without a gid gets the user's primary group, or gid 0.
	User string
	// Groups are extra groups, by number or by name (in /etc/group).
	Groups []string
	// Hostname is the container's hostname.
	Hostname string
	// Mounts are bind mounts of host paths into the container.
	Mounts []Mount
	// Rlimits are set over the default ones, by type.
	Rlimits []Rlimit
	// CapAdd are capabilities added ("NET_ADMIN" or "CAP_NET_ADMIN").
	CapAdd []string
	// CapDrop are capabilities dropped; "ALL" drops every one (CapAdd
	// then adds back).
	CapDrop []string
	// NoNewPrivileges, when not nil, sets process.noNewPrivileges.
	NoNewPrivileges *bool
	// ReadonlyRootfs, when not nil, sets root.readonly.
	ReadonlyRootfs *bool
	// Network is the container's network (see Network).
	Network Network
}

// Mount is a bind mount of the host's Source at the container's Target,
// with private propagation.
type Mount struct {
	// Source is an absolute path on the host that exists.
	Source string
	// Target is an absolute path in the container.
	Target string
	// Readonly mounts it read-only.
	Readonly bool
}

// Rlimit is a POSIX resource limit of the process.
type Rlimit struct {
	// Type is the limit's name: "nofile" or "RLIMIT_NOFILE".
	Type string
	// Soft and Hard are its values; Soft is at most Hard.
	Soft, Hard uint64
}

// ParseMount reads docker's -v form "SOURCE:TARGET[:ro|rw]".
func ParseMount(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Mount{}, wrapf(ErrInvalid, "mount %q is not SOURCE:TARGET[:ro|rw]", s)
	}
	m := Mount{Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			m.Readonly = true
		case "rw":
		default:
			return Mount{}, wrapf(ErrInvalid, "mount %q: mode %q is not ro or rw", s, parts[2])
		}
	}
	return m, nil
}

// ParseRlimit reads docker's --ulimit form "TYPE=SOFT[:HARD]".
func ParseRlimit(s string) (Rlimit, error) {
	name, values, ok := strings.Cut(s, "=")
	if !ok {
		return Rlimit{}, wrapf(ErrInvalid, "rlimit %q is not TYPE=SOFT[:HARD]", s)
	}
	soft, hard, two := strings.Cut(values, ":")
	if !two {
		hard = soft
	}
	sv, err1 := strconv.ParseUint(soft, 10, 64)
	hv, err2 := strconv.ParseUint(hard, 10, 64)
	if err1 != nil || err2 != nil {
		return Rlimit{}, wrapf(ErrInvalid, "rlimit %q: values must be unsigned numbers", s)
	}
	return Rlimit{Type: name, Soft: sv, Hard: hv}, nil
}

// rlimitTypes are the limits setrlimit(2) knows.
var rlimitTypes = []string{"AS", "CORE", "CPU", "DATA", "FSIZE", "LOCKS", "MEMLOCK", "MSGQUEUE",
	"NICE", "NOFILE", "NPROC", "RSS", "RTPRIO", "RTTIME", "SIGPENDING", "STACK"}

// knownCaps are the capabilities of Linux, in the kernel's order.
var knownCaps = []string{"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	"SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	"MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
	"CHECKPOINT_RESTORE"}

// capName is name as the config spells it ("CAP_NET_ADMIN"), or an error.
func capName(name string) (string, error) {
	n := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	if !slices.Contains(knownCaps, n) {
		return "", fmt.Errorf("capability %q is unknown", name)
	}
	return "CAP_" + n, nil
}

// apply writes w into spec, whose rootfs is at rootfs on the host.
func (w *Workload) apply(spec *specs.Spec, rootfs string) error {
	p := spec.Process
	for _, e := range w.Env {
		if strings.IndexByte(e, '=') <= 0 {
			return fmt.Errorf("env entry %q is not NAME=value", e)
		}
		p.Env = guest.SetEnv(p.Env, e)
	}
	if w.Cwd != "" {
		if !path.IsAbs(w.Cwd) {
			return fmt.Errorf("cwd %q is not absolute", w.Cwd)
		}
		p.Cwd = path.Clean(w.Cwd)
	}
	if err := w.applyUser(p, rootfs); err != nil {
		return err
	}
	if w.Hostname != "" {
		if len(w.Hostname) > 64 || strings.ContainsAny(w.Hostname, "/ \x00") {
			return fmt.Errorf("hostname %q is not a host name", w.Hostname)
		}
		spec.Hostname = w.Hostname
	}
	for _, m := range w.Mounts {
		mnt, err := m.spec()
		if err != nil {
			return err
		}
		spec.Mounts = append(spec.Mounts, mnt)
	}
	for _, r := range w.Rlimits {
		if err := setRlimit(p, r); err != nil {
			return err
		}
	}
	if err := w.applyCaps(p); err != nil {
		return err
	}
	if w.NoNewPrivileges != nil {
		p.NoNewPrivileges = *w.NoNewPrivileges
	}
	if w.ReadonlyRootfs != nil {
		spec.Root.Readonly = *w.ReadonlyRootfs
	}
	return w.Network.apply(spec)
}

// spec is m as a config mount.
func (m Mount) spec() (specs.Mount, error) {
	if !filepath.IsAbs(m.Source) {
		return specs.Mount{}, fmt.Errorf("mount source %q is not absolute", m.Source)
	}
	if _, err := os.Stat(m.Source); err != nil {
		return specs.Mount{}, fmt.Errorf("mount source %q: %v", m.Source, err)
	}
	if !path.IsAbs(m.Target) || path.Clean(m.Target) == "/" {
		return specs.Mount{}, fmt.Errorf("mount target %q is not an absolute path below /", m.Target)
	}
	opts := []string{"rbind", "rprivate"}
	if m.Readonly {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: path.Clean(m.Target), Type: "bind", Source: filepath.Clean(m.Source), Options: opts}, nil
}

// setRlimit sets r in p, over one of its type.
func setRlimit(p *specs.Process, r Rlimit) error {
	name := strings.TrimPrefix(strings.ToUpper(r.Type), "RLIMIT_")
	if !slices.Contains(rlimitTypes, name) {
		return fmt.Errorf("rlimit %q is unknown", r.Type)
	}
	if r.Soft > r.Hard {
		return fmt.Errorf("rlimit %s: soft %d is above hard %d", name, r.Soft, r.Hard)
	}
	lim := specs.POSIXRlimit{Type: "RLIMIT_" + name, Soft: r.Soft, Hard: r.Hard}
	for i := range p.Rlimits {
		if p.Rlimits[i].Type == lim.Type {
			p.Rlimits[i] = lim
			return nil
		}
	}
	p.Rlimits = append(p.Rlimits, lim)
	return nil
}

// applyCaps drops, then adds, capabilities in every set; as docker, added
// ones are ambient only for a process that is not root.
func (w *Workload) applyCaps(p *specs.Process) error {
	if len(w.CapAdd)+len(w.CapDrop) == 0 {
		return nil
	}
	if p.Capabilities == nil {
		p.Capabilities = &specs.LinuxCapabilities{}
	}
	c := p.Capabilities
	sets := []*[]string{&c.Bounding, &c.Effective, &c.Permitted, &c.Ambient}
	for _, d := range w.CapDrop {
		if strings.EqualFold(d, "ALL") {
			for _, s := range sets {
				*s = []string{}
			}
			continue
		}
		n, err := capName(d)
		if err != nil {
			return err
		}
		for _, s := range sets {
			*s = slices.DeleteFunc(*s, func(x string) bool { return x == n })
		}
	}
	for _, a := range w.CapAdd {
		n, err := capName(a)
		if err != nil {
			return err
		}
		for _, s := range sets {
			if !slices.Contains(*s, n) {
				*s = append(*s, n)
			}
		}
	}
	return nil
}
