package runtime

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestHelperProcess is not a test: the reattach tests run the test binary
// again with EXEC_HELPER set, to create a container from another process.
func TestHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv("EXEC_HELPER"))
	if len(args) != 3 {
		t.Skip("helper process only")
	}
	rt, err := New(Options{Root: args[0]})
	if err == nil {
		_, err = rt.Run(bg, args[1], args[2], NullIO())
	}
	if err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(1)
	}
	os.Exit(0) // leaves the container running, handle and all
}

func createElsewhere(t *testing.T, root, id, bundle string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "EXEC_HELPER="+root+" "+id+" "+bundle)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v: %s", err, out)
	}
}

func TestLoadAdoptsOrphanOfExitedProcess(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	id := testID(t)
	// The container exits once the test creates /tmp/go in its rootfs.
	bundle := newBundle(t, false, "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.02; done; exit 7")
	createElsewhere(t, rt.Root(), id, bundle)
	c, err := rt.Load(bg, id)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	cleanup(t, c)
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("state %v %v", s, err)
	}
	if ids, _ := rt.List(bg); len(ids) != 1 || ids[0] != id {
		t.Errorf("List = %v", ids)
	}
	if err := os.WriteFile(filepath.Join(bundle, "rootfs/tmp/go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e.Status != 7 {
		t.Errorf("exit %+v", e)
	}
	// A later load finds the recorded exit.
	again, err := rt.Load(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, again); e.Status != 7 {
		t.Errorf("recorded exit %+v", e)
	}
	if _, err := rt.Load(bg, "no-such-"+id); !errors.Is(err, ErrNotFound) {
		t.Errorf("load unknown: %v", err)
	}
}

func TestSharedWaiterInOneProcess(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	id := testID(t)
	c, err := rt.Run(bg, id, newBundle(t, false, "sh", "-c", "sleep 0.2; exit 4"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	d, err := rt.Load(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if e1, e2 := mustWait(t, c), mustWait(t, d); e1.Status != 4 || e1 != e2 {
		t.Errorf("exits %+v %+v", e1, e2)
	}
}

func TestHostChildKeepsItsStatus(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	child := exec.Command("sh", "-c", "sleep 0.3; exit 42")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "true"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	mustWait(t, c)
	err = child.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 42 {
		t.Errorf("host child: %v", err)
	}
}

// The host cannot take a container's exit status: the init is the
// monitor's child, not the host's.
func TestHostCannotStealExit(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sh", "-c", "sleep 0.3; exit 9"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	var ws unix.WaitStatus
	if pid, err := unix.Wait4(c.Pid(), &ws, 0, nil); !errors.Is(err, unix.ECHILD) {
		t.Fatalf("wait4 on the init from the host: pid %d, %v; want ECHILD", pid, err)
	}
	if pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil); pid > 0 {
		t.Fatalf("wait4(-1) in the host reaped pid %d (%v)", pid, err)
	}
	if e := mustWait(t, c); e.Status != 9 {
		t.Errorf("exit %+v, want status 9", e)
	}
}
