package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostUID is the host uid of pid, from /proc/PID/status.
func hostUID(t *testing.T, pid int) uint32 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		var real, eff uint32
		if n, _ := fmt.Sscanf(line, "Uid:\t%d\t%d", &real, &eff); n == 2 {
			return eff
		}
	}
	t.Fatalf("no Uid line in %s", data)
	return 0
}

func TestHardenedContainersGetRangesOfTheirOwn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ranges per container are root's")
	}
	rt := newTestRuntime(t, Options{})
	bundle := newOptionsBundle(t, BundleOptions{Hardened: true}, "sleep", "100")
	var uids []uint32
	var containers []*Container
	for i := 0; i < 2; i++ {
		c, err := rt.Run(bg, testID(t), bundle, NullIO())
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		cleanup(t, c)
		containers = append(containers, c)
		pid := c.Pid()
		uid := hostUID(t, pid)
		start, err := rangeOf(rt.root, c.ID())
		if err != nil || uid != start || uid < rangeFirst {
			t.Fatalf("container %d: host uid %d, range %d %v", i, uid, start, err)
		}
		uids = append(uids, uid)
	}
	if uids[0] == uids[1] {
		t.Fatalf("two hardened containers share host uid %d", uids[0])
	}
	if d := int64(uids[1]) - int64(uids[0]); d < rangeSize && d > -rangeSize {
		t.Fatalf("ranges at %d and %d overlap", uids[0], uids[1])
	}
	if err := containers[0].Delete(bg, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rangeDir(rt.root), containers[0].ID())); err == nil {
		t.Errorf("delete kept the range of %s", containers[0].ID())
	}
	// A range a crash left, of a container that never was, goes when a
	// runtime opens the root.
	if _, err := allocateRange(rt.root, "crashed"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Root: rt.root}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rangeDir(rt.root), "crashed")); err == nil {
		t.Errorf("the leftover range was not released")
	}
	if _, err := rangeOf(rt.root, containers[1].ID()); err != nil {
		t.Errorf("the live container's range went: %v", err)
	}
}
