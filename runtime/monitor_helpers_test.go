package runtime

// Helpers of the monitor's tests: the host processes they run (a host that
// does one thing and exits) and what they share.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/internal/monitor"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestFaultHelper is the process some tests here run again with
// EXEC_FAULT_HELPER set: a host that does one thing and exits.
func TestFaultHelper(t *testing.T) {
	args := strings.Fields(os.Getenv("EXEC_FAULT_HELPER"))
	if len(args) == 0 {
		t.Skip("helper process only")
	}
	var err error
	switch args[0] {
	case "load":
		err = helperLoad(args[1], args[2], false)
	case "load-delete":
		err = helperLoad(args[1], args[2], true)
	case "kill-on-exit":
		err = helperKillOnExit(args[1], args[2], args[3])
	case "run":
		err = helperRun(args[1], args[2], args[3], args[4])
	case "exec":
		err = helperExec(args[1], args[2], args[3])
	case "start":
		err = helperStart(args[1], args[2])
	case "die-reserving":
		err = helperDieReserving(args[1], args[2], args[3], args[4])
	case "subreaper":
		err = helperSubreaper(args[1])
	case "closed-stdio":
		err = helperClosedStdio(args[1], args[2])
	case "noexec2":
		err = helperNoexec2(args[1], args[2])
	case "shadowed":
		err = helperShadowed(args[1], args[2], args[3], args[4], args[5] == "hold")
	case "limits":
		err = helperLimits(args[1], args[2], args[3])
	case "hold-monitor":
		err = helperHoldMonitor(args[1])
	case "run-elsewhere":
		err = helperRunElsewhere(args[1], args[2])
	case "placed":
		err = helperPlaced(args[1], args[2], args[3], args[4])
	case "confined":
		err = helperConfined(args[1], args[2], args[3], args[4], args[5] == "hold")
	default:
		err = fmt.Errorf("no helper %q", args[0])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runFaultHelper runs TestFaultHelper with args and returns its output.
func runFaultHelper(t *testing.T, args ...string) string {
	t.Helper()
	out, err := faultHelper(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("helper %v: %v: %s", args, err, out)
	}
	return string(out)
}

// unprivilegedTestBinary is a copy of the test binary that any user can
// run, removed when the test ends.
func unprivilegedTestBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "exec-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "runtime.test"), data, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "runtime.test")
}

func faultHelper(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultHelper$")
	cmd.Env = append(os.Environ(), "EXEC_FAULT_HELPER="+strings.Join(args, " "))
	return cmd
}

// loadIn loads container id in a runtime of opts.
func loadIn(opts Options, id string) (*Container, error) {
	rt, err := New(opts)
	if err != nil {
		return nil, err
	}
	return rt.Load(bg, id)
}

// helperLoad loads container id, prints its exit, and deletes it when del
// is true.
func helperLoad(root, id string, del bool) error {
	c, err := loadIn(Options{Root: root}, id)
	if err != nil {
		return err
	}
	e, err := c.Wait(withTimeout(30 * time.Second))
	if err != nil {
		return err
	}
	fmt.Println(e.Status)
	if del {
		return c.Delete(bg, false)
	}
	return nil
}

// helperStart loads container id and starts it.
func helperStart(root, id string) error {
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Load(bg, id)
	if err != nil {
		return err
	}
	return c.Start(bg)
}

// helperKillOnExit runs container id with KillOnExit, hands its monitor
// connection to a child that outlives it, prints the init's pid and start
// time and the child's pid, and exits.
func helperKillOnExit(root, id, bundle string) error {
	rt, err := New(Options{Root: root, KillOnExit: true})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, id, bundle, NullIO())
	if err != nil {
		return err
	}
	mon, err := monitor.For(root)
	if err != nil {
		return err
	}
	sock, err := mon.File()
	if err != nil {
		return err
	}
	child := exec.Command("sleep", "60")
	child.ExtraFiles = []*os.File{sock}
	if err := child.Start(); err != nil {
		return err
	}
	fmt.Println(c.Pid(), c.rec.StartTime, child.Process.Pid)
	return nil
}

// helperRun runs container id with runtime (a path, or "-" for runc),
// with KillOnExit when killOnExit is "kill", prints the init's pid and
// exits.
func helperRun(root, runtime, killOnExit, id string) error {
	rt, err := New(Options{Root: root, RuntimePath: strings.TrimPrefix(runtime, "-"), KillOnExit: killOnExit == "kill"})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, id, filepath.Join(root, "bundle"), NullIO())
	if err != nil {
		return err
	}
	fmt.Println(c.Pid())
	return nil
}

// helperExec execs process "lingering" into container id with runtime.
func helperExec(root, runtime, id string) error {
	c, err := loadIn(Options{Root: root, RuntimePath: runtime}, id)
	if err != nil {
		return err
	}
	_, err = c.Exec(bg, "lingering", specs.Process{Args: []string{"sleep", "1000"}}, NullIO())
	return err
}

// helperDieReserving execs process through the agent of container id and
// is killed (SIGKILL) at point of the exec (see agentExecHook).
func helperDieReserving(root, id, process, point string) error {
	c, err := loadIn(Options{Root: root}, id)
	if err != nil {
		return err
	}
	agentExecHook = func(at string) {
		if at == point {
			unix.Kill(os.Getpid(), unix.SIGKILL)
		}
	}
	spec, err := c.ProcessOver([]byte(`{"args":["true"]}`))
	if err != nil {
		return err
	}
	_, err = c.Exec(bg, process, spec, NullIO())
	return fmt.Errorf("the exec returned (%v) instead of dying at %s", err, point)
}

// helperSubreaper makes itself a child subreaper, starts a monitor, and
// prints its own pid and the monitor's parent.
func helperSubreaper(root string) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return err
	}
	if _, err := New(Options{Root: root}); err != nil {
		return err
	}
	mon, err := monitor.For(root)
	if err != nil {
		return err
	}
	st, err := readProcStat(mon.Pid())
	if err != nil {
		return err
	}
	fmt.Println(os.Getpid(), st.ppid)
	return nil
}

// helperClosedStdio closes its stdio, then runs a container to its exit;
// it reports into root/helper.out, as it has no stdout.
func helperClosedStdio(root, bundle string) error {
	for fd := 0; fd < 3; fd++ {
		unix.Close(fd)
	}
	report := func(msg string) error {
		return os.WriteFile(filepath.Join(root, "helper.out"), []byte(msg), 0o600)
	}
	rt, err := New(Options{Root: root})
	if err != nil {
		return report(err.Error())
	}
	c, err := rt.Run(bg, fmt.Sprintf("go-%d-stdio", os.Getpid()), bundle, NullIO())
	if err != nil {
		return report(err.Error())
	}
	e, err := c.Wait(withTimeout(20 * time.Second))
	c.Delete(bg, true)
	if err != nil {
		return report(err.Error())
	}
	return report(strconv.Itoa(e.Status))
}

// helperNoexec2 sets vm.memfd_noexec to 2 in its own pid namespace (the
// caller made one), where the kernel executes no memfd, and runs a
// container to its exit, printing its status.
func helperNoexec2(root, bundle string) error {
	if err := os.WriteFile("/proc/sys/vm/memfd_noexec", []byte("2"), 0); err != nil {
		return err
	}
	if _, err := unix.MemfdCreate("probe", unix.MFD_CLOEXEC|unix.MFD_EXEC); err == nil {
		return errors.New("vm.memfd_noexec = 2 still lets an executable memfd be made")
	}
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, fmt.Sprintf("go-%d-noexec", os.Getpid()), bundle, NullIO())
	if err != nil {
		return err
	}
	defer c.Delete(bg, true)
	e, err := c.Wait(withTimeout(20 * time.Second))
	if err != nil {
		return err
	}
	fmt.Println(e.Status)
	return nil
}

// testMonitor returns the connection to root's monitor.
func testMonitor(t *testing.T, root string) *monitor.Conn {
	t.Helper()
	mon, err := monitor.For(root)
	if err != nil {
		t.Fatalf("monitor: %v", err)
	}
	return mon
}

// runSleeper runs a container that sleeps until killed.
func runSleeper(t *testing.T, rt *Runtime) *Container {
	t.Helper()
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100000"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	return c
}

// runExit runs a container of script to its exit.
func runExit(t *testing.T, rt *Runtime, script string) Exit {
	t.Helper()
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sh", "-c", script), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	return mustWait(t, c)
}

// setMonitorTimeout shortens the deadline of monitor requests for a test.
func setMonitorTimeout(t *testing.T, d time.Duration) {
	old := monitor.Timeout
	monitor.Timeout = d
	t.Cleanup(func() { monitor.Timeout = old })
}

// stopMonitor stops the monitor of mon until the test ends.
func stopMonitor(t *testing.T, mon *monitor.Conn) {
	t.Helper()
	if err := unix.Kill(mon.Pid(), unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Kill(mon.Pid(), unix.SIGCONT) })
}

// eventsUntil reads events until one of type typ about id, or fails.
func eventsUntil(t *testing.T, events *Events, typ EventType, id string) {
	t.Helper()
	ctx := withTimeout(20 * time.Second)
	for {
		ev, err := events.Next(ctx)
		if err != nil {
			t.Fatalf("no event %v of %s: %v", typ, id, err)
		}
		if ev.Type == typ && ev.ContainerID == id {
			return
		}
	}
}

// noContainerLeft fails if anything of container id is left in rt once
// its state dir is gone, or 10 s passed.
func noContainerLeft(t *testing.T, rt *Runtime, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, err := os.Stat(rt.containerDir(id)); os.IsNotExist(err) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, path := range []string{rt.containerDir(id), filepath.Join(rt.client.Root, id)} {
		if _, err := os.Lstat(path); err == nil {
			t.Errorf("%s left", path)
		}
	}
	if left := leftCgroups(id); len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
	if ids, _ := rt.List(bg); len(ids) != 0 {
		t.Errorf("List = %v", ids)
	}
}

// helperBundle makes the bundle the "run" helper runs: root/bundle.
func helperBundle(t *testing.T, root string, args ...string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", newBundle(t, false, args...), filepath.Join(root, "bundle")).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

// lingeringRuntime is a runtime that does what runc does, then lingers
// 30 s after a call of command op.
func lingeringRuntime(t *testing.T, rt *Runtime, op string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "runc")
	body := "#!/bin/sh\n" + rt.client.Command + " \"$@\"; rc=$?\n" +
		"for a in \"$@\"; do [ \"$a\" = " + op + " ] && sleep 30; done\nexit $rc\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// waitFile waits up to 20 s for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
	}
}
