package runtime

// A host that dies at any point of create, exec or delete, or a runtime
// call cut short, leaves a listed container with its exit recorded, or
// nothing.

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestKillOnExitFollowsHostProcess(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	id := testID(t)
	out := strings.Fields(runFaultHelper(t, "kill-on-exit", rt.Root(), id, newBundle(t, false, "sleep", "100000")))
	if len(out) < 3 {
		t.Fatalf("helper said %q", out)
	}
	pid, _ := strconv.Atoi(out[len(out)-3])
	start, _ := strconv.ParseUint(out[len(out)-2], 10, 64)
	child, _ := strconv.Atoi(out[len(out)-1])
	defer unix.Kill(child, unix.SIGKILL)
	defer func() {
		if c, err := rt.Load(bg, id); err == nil {
			c.Delete(bg, true)
		}
	}()
	// The helper's child still holds the connection; the helper is gone.
	for deadline := time.Now().Add(20 * time.Second); !reaped(pid, start); {
		if time.Now().After(deadline) {
			t.Fatal("the container outlived its host while the host's child held the connection")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeleteCutByDeadlineLeavesNoCgroup(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	hurried := newTestRuntime(t, Options{Root: rt.Root(), CallTimeout: time.Millisecond})
	loaded, err := hurried.Load(bg, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if err := loaded.Delete(bg, true); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Delete = %v, want ErrTimeout", err)
	}
	if left := leftCgroups(c.ID()); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
	if err := c.Delete(bg, true); err != nil {
		t.Errorf("Delete after the cut: %v", err)
	}
}

func TestKillOnExitCleanupDeletes(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	helperBundle(t, rt.Root(), "sleep", "100000")
	events, err := rt.Events(64)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	id := testID(t)
	runFaultHelper(t, "run", rt.Root(), "-", "kill", id)
	eventsUntil(t, events, EventExited, id)
	eventsUntil(t, events, EventDeleted, id)
	noContainerLeft(t, rt, id)
}

func TestHostDyingMidExecLeavesNothing(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	helper := faultHelper("exec", rt.Root(), lingeringRuntime(t, rt, "exec"), c.ID())
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.dir, processesDirName, "lingering")
	waitFile(t, filepath.Join(dir, pidFileName))
	data, _ := os.ReadFile(filepath.Join(dir, pidFileName))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	st, err := readProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	helper.Process.Kill()
	helper.Wait()
	for deadline := time.Now().Add(10 * time.Second); !reaped(pid, st.startTime); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the exec'd process outlived its dead host's exec")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process dir %s left", dir)
		}
	}
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("the container after: %v %v", s, err)
	}
}

func TestHostDyingMidCreateLeavesNothing(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	helperBundle(t, rt.Root(), "sleep", "100000")
	// The host dies while the call is in flight, after the container
	// exists (Run with runc: its create).
	script := lingeringRuntime(t, rt, "create")
	events, err := rt.Events(64)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	id := testID(t)
	helper := faultHelper("run", rt.Root(), script, "keep", id)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Process.Kill()
	waitFile(t, filepath.Join(rt.client.Root, id, "state.json"))
	helper.Process.Kill()
	helper.Wait()
	eventsUntil(t, events, EventDeleted, id)
	noContainerLeft(t, rt, id)
}

func TestRelativeRuntimeRootAndLog(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	rt := newTestRuntime(t, Options{Root: "r", RuntimeRoot: "state", LogPath: "runtime.log"})
	if e := runExit(t, rt, "exit 3"); e.Status != 3 {
		t.Errorf("exit %+v", e)
	}
	if _, err := os.Stat(filepath.Join(root, "state")); err != nil {
		t.Errorf("runtime root not under the working dir: %v", err)
	}
}
