package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// testUserNS returns a user namespace mapping 0-65535 to 200000-265535,
// held by the monitor ($EXEC_TEST_MONITOR, `make monitor`).
func testUserNS(t *testing.T) *os.File {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("idmapped mounts need root")
	}
	path := os.Getenv("EXEC_TEST_MONITOR")
	if path == "" {
		t.Skip("EXEC_TEST_MONITOR is not set")
	}
	exe, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	m := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
	ns, err := newIDMap(m, m).userNS(exe)
	if err != nil {
		t.Fatalf("userNS: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// children returns the pids of this process's children.
func children(t *testing.T) string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, task := range tasks {
		data, _ := os.ReadFile(task)
		pids = append(pids, strings.Fields(string(data))...)
	}
	return strings.Join(pids, " ")
}

// TestUserNSLeavesNoProcess: the namespace has the mapping, and the
// process that held it is gone and reaped.
func TestUserNSLeavesNoProcess(t *testing.T) {
	ns := testUserNS(t)
	if pids := children(t); pids != "" {
		t.Fatalf("children left: %s", pids)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	var self unix.Stat_t
	unix.Stat("/proc/self/ns/user", &self)
	if st.Ino == self.Ino {
		t.Fatal("the namespace is this process's own")
	}
}

// TestIDMapProbe: a file system that takes idmapped mounts is found so,
// one that does not (procfs) is no error but false, and the answer is
// kept per file system.
func TestIDMapProbe(t *testing.T) {
	ns := testUserNS(t)
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		ok, err := idmapCapable(dir, ns)
		if err != nil || !ok {
			t.Fatalf("idmapCapable(%s) = %v, %v; want true", dir, ok, err)
		}
	}
	ok, err := idmapCapable("/proc/sys", ns)
	if err != nil || ok {
		t.Fatalf("idmapCapable(/proc/sys) = %v, %v; want false, nil", ok, err)
	}
}

// TestIDMappedLayers: layers mounted idmapped show their files owned by
// the mapped ids; a failure midway leaves none mounted, and
// unmountLowers unmounts what a call left.
func TestIDMappedLayers(t *testing.T) {
	ns := testUserNS(t)
	dir := t.TempDir()
	layer := filepath.Join(dir, "layer")
	os.Mkdir(layer, 0o700)
	os.WriteFile(filepath.Join(layer, "f"), nil, 0o600)
	os.Lchown(filepath.Join(layer, "f"), 1234, 5678)
	bundle := filepath.Join(dir, "bundle")
	os.Mkdir(bundle, 0o700)
	lowers, err := mountIDMapped(bundle, []string{layer, layer}, ns)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(lowers[1], "f"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 201234 || st.Gid != 205678 {
		t.Fatalf("f is %d:%d through the idmapped mount, want 201234:205678", st.Uid, st.Gid)
	}
	if err := unmountLowers(bundle); err != nil {
		t.Fatal(err)
	}
	assertNoMountBeneath(t, dir)
	os.RemoveAll(filepath.Join(bundle, lowerDir))
	if _, err := mountIDMapped(bundle, []string{layer, filepath.Join(dir, "missing")}, ns); err == nil {
		t.Fatal("a missing layer was mounted")
	}
	assertNoMountBeneath(t, dir)
}

// assertNoMountBeneath fails if anything is mounted at or beneath dir.
func assertNoMountBeneath(t *testing.T, dir string) {
	t.Helper()
	if m, err := mountBeneath(dir); err != nil || m != "" {
		t.Fatalf("mounted beneath %s: %q (%v)", dir, m, err)
	}
}
