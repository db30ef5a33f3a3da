package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const mib = 1 << 20

// newLimitedBundle makes a bundle running args under limits.
func newLimitedBundle(t *testing.T, limits Limits, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(testRootfs, filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := BundleInitWith(dir, args, BundleOptions{Limits: limits}); err != nil {
		t.Fatalf("BundleInitWith: %v", err)
	}
	return dir
}

// runLimited runs args under limits and deletes the container at the end.
func runLimited(t *testing.T, limits Limits, io IO, args ...string) *Container {
	t.Helper()
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newLimitedBundle(t, limits, args...), io)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	return c
}

// pollStats reads stats until ok accepts them, or fails after a while.
func pollStats(t *testing.T, c *Container, what string, ok func(Stats) bool) Stats {
	t.Helper()
	var s Stats
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if s, err = c.Stats(bg); err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if ok(s) {
			return s
		}
	}
	t.Fatalf("stats never showed %s: %+v", what, s)
	return s
}

func TestBundleLimitsWritten(t *testing.T) {
	dir := newLimitedBundle(t, Limits{MemoryBytes: 64 * mib, MemorySwapBytes: -1, CPUs: 1.5, CPUShares: 512, PidsLimit: 20}, "true")
	var spec specs.Spec
	if err := readJSON(filepath.Join(dir, "config.json"), &spec); err != nil {
		t.Fatal(err)
	}
	r := spec.Linux.Resources
	if len(r.Devices) != 1 || *r.Memory.Limit != 64*mib || *r.Memory.Swap != -1 ||
		*r.CPU.Quota != 150000 || *r.CPU.Period != 100000 || *r.CPU.Shares != 512 || *r.Pids.Limit != 20 {
		data, _ := json.Marshal(r)
		t.Fatalf("resources = %s", data)
	}
	plain := newLimitedBundle(t, Limits{}, "true")
	data, _ := os.ReadFile(filepath.Join(plain, "config.json"))
	if strings.Contains(string(data), `"memory"`) || strings.Contains(string(data), `"pids"`) {
		t.Errorf("a config without limits sets some: %s", data)
	}
}

func TestBundleLimitsInvalid(t *testing.T) {
	for _, l := range []Limits{
		{MemoryBytes: -1},
		{MemorySwapBytes: 64 * mib},
		{MemoryBytes: 64 * mib, MemorySwapBytes: 32 * mib},
		{CPUs: -1},
		{CPUs: 1, CPUQuota: 50000},
		{CPUPeriod: 10},
		{CPUShares: 1},
		{CPUs: 0.001},
		{PidsLimit: -2},
	} {
		dir := t.TempDir()
		err := BundleInitWith(dir, []string{"true"}, BundleOptions{Limits: l})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", l, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
			t.Errorf("%+v: a config was written", l)
		}
	}
}

func TestStatsRise(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 128 * mib, PidsLimit: 50}, NullIO(),
		"sh", "-c", "busybox dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done")
	s := pollStats(t, c, "CPU use and 24 MiB in use", func(s Stats) bool {
		return s.CPUUsage > 50e6 && s.MemoryUsage >= 24*mib
	})
	if s.MemoryLimit != 128*mib || s.PidsLimit != 50 || s.PidsCurrent < 1 || s.MemoryPeak < s.MemoryUsage {
		t.Errorf("stats = %+v", s)
	}
	if s.CPUUser+s.CPUSystem == 0 || s.MemoryCache < 24*mib {
		t.Errorf("no user/system time or cache: %+v", s)
	}
	pids, err := c.Ps(bg)
	if err != nil || !slices.Contains(pids, c.Pid()) {
		t.Errorf("Ps = %v, %v; want it to hold %d", pids, err, c.Pid())
	}
}

func TestStatsUnlimited(t *testing.T) {
	c := runLimited(t, Limits{}, NullIO(), "sleep", "100")
	// Tasks, not processes: the runtime's init has threads until its exec.
	s := pollStats(t, c, "one task", func(s Stats) bool { return s.PidsCurrent == 1 })
	if s.MemoryLimit != Unlimited || s.PidsLimit != Unlimited {
		t.Errorf("stats = %+v", s)
	}
}

func TestStatsStoppedAndDeleted(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Create(bg, testID(t), newLimitedBundle(t, Limits{}, "true"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if err := c.Start(bg); err != nil {
		t.Fatal(err)
	}
	mustWait(t, c)
	if _, err := c.Stats(bg); err != nil {
		t.Errorf("Stats of a stopped container: %v", err)
	}
	if pids, err := c.Ps(bg); err != nil || len(pids) != 0 {
		t.Errorf("Ps of a stopped container = %v, %v", pids, err)
	}
	// The runtime removes the cgroup on its delete.
	if out, err := exec.Command(c.rt.client.Command, "--root", c.rt.client.Root, "delete", c.id).CombinedOutput(); err != nil {
		t.Fatalf("runtime delete: %v: %s", err, out)
	}
	if _, err := c.Stats(bg); !errors.Is(err, ErrState) {
		t.Errorf("Stats with the cgroup gone: %v, want ErrState", err)
	}
	if _, err := c.Ps(bg); !errors.Is(err, ErrState) {
		t.Errorf("Ps with the cgroup gone: %v, want ErrState", err)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stats(bg); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stats after delete: %v, want ErrNotFound", err)
	}
	if _, err := c.Ps(bg); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ps after delete: %v, want ErrNotFound", err)
	}
	if err := c.Update(bg, &specs.LinuxResources{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update after delete: %v, want ErrNotFound", err)
	}
}

func TestUpdateMemoryLimit(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 64 * mib}, NullIO(), "sleep", "100")
	limit := int64(32 * mib)
	if err := c.Update(bg, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if s, err := c.Stats(bg); err != nil || s.MemoryLimit != 32*mib {
		t.Errorf("after update: %+v, %v", s, err)
	}
	if err := c.Update(bg, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Update(nil): %v", err)
	}
	tiny := int64(4096)
	if err := c.Update(bg, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &tiny}}); !errors.Is(err, ErrRuntime) {
		t.Errorf("Update to a limit below the usage: %v, want ErrRuntime", err)
	}
}

func TestPidsLimitStopsForks(t *testing.T) {
	io := IO{Stdin: StreamNull, Stdout: StreamNull, Stderr: StreamPipe}
	c := runLimited(t, Limits{PidsLimit: 4}, io,
		"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all started >&2")
	errf, err := c.Stdio(Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e.Status == 0 {
		t.Errorf("exit = %+v; want a failure", e)
	}
	if s, err := c.Stats(bg); err != nil || s.PidsLimit != 4 {
		t.Errorf("stats = %+v, %v", s, err)
	}
	msg := readAll(t, errf)
	if !strings.Contains(msg, "fork") || strings.Contains(msg, "all started") {
		t.Errorf("stderr = %q; want a failed fork", msg)
	}
}

func TestOOMKilled(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 16 * mib, MemorySwapBytes: 16 * mib}, NullIO(), "busybox", "tail", "/dev/zero")
	e := mustWait(t, c)
	if !e.OOMKilled || e.Signal != 9 || e.Status != 137 {
		t.Errorf("exit = %+v, want killed by the OOM killer", e)
	}
	if s, err := c.Stats(bg); err != nil || s.OOMKills < 1 {
		t.Errorf("stats = %+v, %v; want an OOM kill", s, err)
	}
	loaded, err := c.rt.Load(bg, c.id)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if e2 := mustWait(t, loaded); e2 != e {
		t.Errorf("loaded exit = %+v, want %+v", e2, e)
	}
	if e, ok := recordedExit(c.dir); !ok || !e.OOMKilled {
		t.Errorf("recorded exit = %+v, %v", e, ok)
	}
}

func TestNoOOMOnPlainKill(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 16 * mib}, NullIO(), "sleep", "100")
	c.Kill(bg, 9, false)
	if e := mustWait(t, c); e.OOMKilled || e.Signal != 9 {
		t.Errorf("exit = %+v", e)
	}
}

func TestExecOOMKilled(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 16 * mib, MemorySwapBytes: 16 * mib}, NullIO(), "sleep", "100")
	p, err := c.Exec(bg, "hog", specs.Process{Args: []string{"busybox", "tail", "/dev/zero"}}, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if e := mustWait(t, p); !e.OOMKilled || e.Signal != 9 {
		t.Errorf("exec'd exit = %+v", e)
	}
	q, err := c.Exec(bg, "calm", specs.Process{Args: []string{"true"}}, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if e := mustWait(t, q); e.OOMKilled {
		t.Errorf("calm exit = %+v", e)
	}
}

func TestStatsWithoutNoteFromRuntimeState(t *testing.T) {
	c := runLimited(t, Limits{PidsLimit: 9}, NullIO(), "true")
	mustWait(t, c)
	// As if the init had exited before it could be noted.
	if c.rec.Cgroup == nil {
		t.Fatal("the record keeps no cgroup note")
	}
	c.rec.Cgroup = nil
	if s, err := c.Stats(bg); err != nil || s.PidsLimit != 9 {
		t.Errorf("Stats = %+v, %v", s, err)
	}
}

// A state dir of an earlier version keeps the init's cgroup note in a
// file of its own, which is still read.
func TestStatsFromEarlierCgroupNoteFile(t *testing.T) {
	c := runLimited(t, Limits{PidsLimit: 9}, NullIO(), "true")
	mustWait(t, c)
	data, err := json.Marshal(c.rec.Cgroup)
	if err != nil || c.rec.Cgroup == nil {
		t.Fatalf("the record keeps no cgroup note (%v)", err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, cgroupNoteName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.rec.Cgroup = nil
	c.rt.fastState = false // not from the runtime's state
	if s, err := c.Stats(bg); err != nil || s.PidsLimit != 9 {
		t.Errorf("Stats = %+v, %v", s, err)
	}
}
