package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// readConfig reads the config.json of bundle dir.
func readConfig(t *testing.T, dir string) specs.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// newOptionsBundle makes a bundle running args on the test rootfs with opts.
func newOptionsBundle(t *testing.T, opts BundleOptions, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(testRootfs, filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := BundleInitWith(dir, args, opts); err != nil {
		t.Fatalf("BundleInitWith: %v", err)
	}
	return dir
}

func TestHardenedConfig(t *testing.T) {
	spec := readConfig(t, newOptionsBundle(t, BundleOptions{Hardened: true, Tmpfs: []string{"/tmp"}}, "true"))
	p := spec.Process
	if !p.NoNewPrivileges || len(p.Capabilities.Bounding)+len(p.Capabilities.Effective)+
		len(p.Capabilities.Permitted)+len(p.Capabilities.Ambient) != 0 {
		t.Errorf("process keeps privileges: nnp %v, caps %+v", p.NoNewPrivileges, p.Capabilities)
	}
	if spec.Linux.Seccomp == nil || spec.Linux.Seccomp.DefaultAction != specs.ActErrno {
		t.Fatalf("seccomp = %+v, want moby's default profile", spec.Linux.Seccomp)
	}
	if !spec.Root.Readonly || !slices.Contains(spec.Linux.MaskedPaths, "/proc/interrupts") {
		t.Errorf("rootfs read-only %v, masked %v", spec.Root.Readonly, spec.Linux.MaskedPaths)
	}
	if !slices.ContainsFunc(spec.Mounts, func(m specs.Mount) bool { return m.Destination == "/tmp" && m.Type == "tmpfs" }) {
		t.Errorf("no tmpfs at /tmp in %+v", spec.Mounts)
	}
	if os.Geteuid() == 0 {
		// Each container gets a range of its own at create.
		if spec.Annotations[RangeAnnotation] == "" || len(spec.Linux.UIDMappings) != 0 {
			t.Errorf("no range per container: annotations %v, uid mappings %+v", spec.Annotations, spec.Linux.UIDMappings)
		}
	} else if len(spec.Linux.UIDMappings) == 0 || spec.Linux.UIDMappings[0].ContainerID != 0 ||
		spec.Linux.UIDMappings[0].HostID == 0 {
		t.Errorf("root inside is root outside: uid mappings %+v", spec.Linux.UIDMappings)
	}
	if os.Geteuid() == 0 {
		if r := spec.Linux.Resources; r.Pids == nil || *r.Pids.Limit != 1024 ||
			r.Memory == nil || *r.Memory.Limit != 1<<30 {
			t.Errorf("no default pids and memory limits: %+v", r)
		}
	}
}

func TestBundleOptionsInvalid(t *testing.T) {
	for _, o := range []BundleOptions{
		{Tmpfs: []string{"tmp"}},
		{Tmpfs: []string{"/"}},
		{UserNS: UserNS(9)},
	} {
		dir := t.TempDir()
		if err := BundleInitWith(dir, []string{"true"}, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", o, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
			t.Errorf("%+v: a config was written", o)
		}
	}
}

// TestHardenedStopsUnshare runs the same attempt under the default config
// and a hardened one: only the seccomp filter of the latter stops it.
func TestHardenedStopsUnshare(t *testing.T) {
	script := "unshare -U true 2>&1; echo rc=$?"
	for _, hardened := range []bool{false, true} {
		rt := newTestRuntime(t, Options{})
		bundle := newOptionsBundle(t, BundleOptions{Hardened: hardened}, "sh", "-c", script)
		c, err := rt.Run(bg, testID(t), bundle, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
		if err != nil {
			t.Fatalf("Run (hardened %v): %v", hardened, err)
		}
		cleanup(t, c)
		out, err := c.Stdio(Stdout)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, out)
		mustWait(t, c)
		denied := strings.Contains(got, "Operation not permitted") && strings.HasSuffix(got, "rc=1")
		if denied != hardened {
			t.Errorf("hardened %v: unshare -U said %q", hardened, got)
		}
	}
}
