package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

func countFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// zombies counts this process's children that exited and were not reaped.
func zombies() int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(pid); err == nil && st.ppid == os.Getpid() && st.state == 'Z' {
			n++
		}
	}
	return n
}

func lifecycle(t *testing.T, rt *Runtime, bundle, want string) {
	c, err := rt.Run(bg, testID(t), bundle, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamPipe})
	if err != nil {
		t.Errorf("Run: %v", err)
		return
	}
	defer c.Close()
	out, _ := c.Stdio(Stdout)
	if got := readAll(t, out); got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if e, err := c.Wait(withTimeout(20 * time.Second)); err != nil || e.Status != 0 {
		t.Errorf("Wait: %+v %v", e, err)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

func TestNoLeaksOverManyLifecycles(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "echo", "hi")
	lifecycle(t, rt, bundle, "hi") // warm up the runtime's own fds
	fds, zs := countFDs(t), zombies()
	for i := 0; i < 50; i++ {
		lifecycle(t, rt, bundle, "hi")
	}
	if got := countFDs(t); got != fds {
		t.Errorf("fds: %d before, %d after", fds, got)
	}
	deadline := time.Now().Add(2 * time.Second)
	for zombies() > zs && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := zombies(); got > zs {
		t.Errorf("zombies: %d before, %d after", zs, got)
	}
	entries, _ := os.ReadDir(filepath.Join(rt.Root(), "containers"))
	runcEntries, _ := os.ReadDir(filepath.Join(rt.Root(), "runc"))
	if len(entries)+len(runcEntries) != 0 {
		t.Errorf("%d state dirs and %d runtime dirs left", len(entries), len(runcEntries))
	}
}

func TestConcurrentLifecycles(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		// Made here: newBundle fails the test, which only this goroutine may do.
		bundle := newBundle(t, false, "echo", fmt.Sprint(i))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				lifecycle(t, rt, bundle, fmt.Sprint(i))
			}
		}(i)
	}
	wg.Wait()
}

func TestWaitOnCreatedWaitsForStart(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Create(bg, testID(t), newBundle(t, false, "sh", "-c", "exit 255"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if _, err := c.Wait(withTimeout(200 * time.Millisecond)); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait on a created container before start: %v, want ErrTimeout", err)
	}
	if err := c.Start(bg); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e != (Exit{Status: 255, Code: 255}) {
		t.Errorf("exit %+v", e)
	}
	if err := c.Start(bg); !errors.Is(err, ErrState) {
		t.Errorf("Start of a stopped container: %v, want ErrState", err)
	}
}

func TestDeleteCreated(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Create(bg, testID(t), newBundle(t, false, "true"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if err := c.Delete(bg, false); err != nil {
		t.Fatalf("Delete created: %v", err)
	}
	if _, err := c.Wait(withTimeout(5 * time.Second)); err != nil {
		t.Errorf("Wait after delete: %v", err)
	}
}
