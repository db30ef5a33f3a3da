package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// createFifoStarted creates a container of args that starts through the
// runtime's exec fifo.
func createFifoStarted(t *testing.T, rt *Runtime, args ...string) *Container {
	t.Helper()
	c, err := rt.Create(bg, testID(t), newBundle(t, false, args...), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if !c.rec.FifoStart {
		t.Fatalf("a runc container without poststart hooks does not start through the fifo")
	}
	return c
}

// execFifo is the runtime's exec fifo of c: there while c is created.
func execFifo(c *Container) string {
	return filepath.Join(c.rt.client.Root, c.id, "exec.fifo")
}

func TestStartThroughFifo(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	if err := c.Start(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(execFifo(c)); !os.IsNotExist(err) {
		t.Fatalf("exec fifo after start: %v", err)
	}
	if s, err := c.runtimeState(bg); err != nil || s != StateRunning {
		t.Fatalf("runtime says %v, %v after start", s, err)
	}
	if err := c.Start(bg); !errors.Is(err, ErrState) {
		t.Fatalf("second start: %v, want ErrState", err)
	}
	// Its process runs what the bundle says: the start released the init.
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.Pid()))
	if err != nil || string(data) != "sleep\x00100\x00" {
		t.Fatalf("init runs %q (%v)", data, err)
	}
}

// The start of a container whose process exits at once is published
// before its exit, every time.
func TestStartThroughFifoEventOrder(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	e := openEvents(t, rt, 0)
	bundle := newBundle(t, false, "true")
	for i := 0; i < 20; i++ {
		c, err := rt.Create(bg, fmt.Sprintf("%s-%d", testID(t), i), bundle, NullIO())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(bg); err != nil {
			t.Fatal(err)
		}
		if x := mustWait(t, c); x.Status != 0 {
			t.Fatalf("exit %+v", x)
		}
		if err := c.Delete(bg, false); err != nil {
			t.Fatal(err)
		}
		c.Close()
		want := []EventType{EventCreated, EventStarted, EventExited, EventDeleted}
		if got := typesOf(nextEvents(t, e, 4)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: events %v, want %v", i, got, want)
		}
	}
}

// Another process's handle (a second runtime on the root) starts it too.
func TestStartThroughFifoFromLoadedHandle(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	other := newTestRuntime(t, Options{Root: rt.root})
	loaded, err := other.Load(bg, c.id)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if err := loaded.Start(bg); err != nil {
		t.Fatal(err)
	}
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Fatalf("state %v, %v", s, err)
	}
}

func TestStartThroughFifoConcurrent(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Start(bg)
		}()
	}
	wg.Wait()
	started := 0
	for _, err := range errs {
		switch {
		case err == nil:
			started++
		case !errors.Is(err, ErrState):
			t.Errorf("start: %v, want nil or ErrState", err)
		}
	}
	if started != 1 {
		t.Fatalf("%d starts succeeded: %v", started, errs)
	}
}

func TestStartAfterInitDied(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	unix.Kill(c.Pid(), unix.SIGKILL)
	mustWait(t, c)
	if err := c.Start(bg); !errors.Is(err, ErrState) {
		t.Fatalf("start of a dead container: %v, want ErrState", err)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Fatal(err)
	}
}

// A start that runs out of time before the init could be released fails
// with ErrTimeout and leaves a container that delete removes entirely.
func TestStartThroughFifoTimesOut(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	unix.Kill(c.Pid(), unix.SIGSTOP)
	err := c.Start(withTimeout(300 * time.Millisecond))
	unix.Kill(c.Pid(), unix.SIGCONT)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("start of a stopped init: %v, want ErrTimeout", err)
	}
	if err := c.Delete(bg, true); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{c.dir, filepath.Join(c.rt.client.Root, c.id)} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s after delete: %v", dir, err)
		}
	}
}

// A bundle with poststart hooks starts through the runtime, which runs
// them.
func TestStartWithPoststartHookRunsRuntime(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sleep", "100")
	spec := readConfig(t, bundle)
	mark := filepath.Join(t.TempDir(), "poststart")
	spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo ran > " + mark}}}}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, run := range []bool{false, true} {
		os.Remove(mark)
		var c *Container
		if run {
			c, err = rt.Run(bg, testID(t), bundle, NullIO())
		} else if c, err = rt.Create(bg, testID(t), bundle, NullIO()); err == nil {
			err = c.Start(bg)
		}
		if err != nil {
			t.Fatal(err)
		}
		cleanup(t, c)
		if c.rec.FifoStart {
			t.Errorf("a bundle with poststart hooks starts through the fifo")
		}
		if _, err := os.Stat(mark); err != nil {
			t.Errorf("run=%v: the poststart hook did not run: %v", run, err)
		}
	}
}

// A host that dies while the monitor waits on the exec fifo for its start
// leaves a start that completes: the fifo removed, the start published.
func TestHostDyingMidStartStillStarts(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := createFifoStarted(t, rt, "sleep", "100")
	events := openEvents(t, rt, 0)
	mon := testMonitor(t, rt.Root())
	unix.Kill(c.Pid(), unix.SIGSTOP)
	helper := faultHelper("start", rt.Root(), c.ID())
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	for deadline := time.Now().Add(20 * time.Second); !holdsFile(mon.Pid(), execFifo(c)); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			unix.Kill(c.Pid(), unix.SIGCONT)
			t.Fatal("the monitor never opened the exec fifo")
		}
	}
	helper.Process.Kill()
	helper.Wait()
	unix.Kill(c.Pid(), unix.SIGCONT)
	eventsUntil(t, events, EventStarted, c.ID())
	if _, err := os.Stat(execFifo(c)); !os.IsNotExist(err) {
		t.Errorf("exec fifo after the start: %v", err)
	}
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("state %v, %v", s, err)
	}
}

// holdsFile tells whether process pid has path open.
func holdsFile(pid int, path string) bool {
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	entries, _ := os.ReadDir(fds)
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}
