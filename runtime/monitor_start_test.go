package runtime

// How the monitor starts and where it lives: memfd or private copy, a host
// with closed stdio, its OOM score, a subreaper host.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// resetMonitorProgram drops the process's memfd and copies, so that the
// next monitor started makes them anew.
func resetMonitorProgram(t *testing.T) {
	image := monitor.Program()
	SetMonitorProgram(image)
	t.Cleanup(func() { SetMonitorProgram(image) })
}

// monitorExe is what process pid runs from.
func monitorExe(t *testing.T, pid int) string {
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	return link
}

func TestMonitorRunsFromPrivateCopy(t *testing.T) {
	resetMonitorProgram(t)
	monitor.CopyOnly = true
	defer func() { monitor.CopyOnly = false }()
	rt := newTestRuntime(t, Options{})
	if e := runExit(t, rt, "exit 2"); e.Status != 2 {
		t.Errorf("exit %+v", e)
	}
	exe := monitorExe(t, testMonitor(t, rt.Root()).Pid())
	if !strings.HasPrefix(exe, filepath.Join(rt.Root(), "monitor-")) {
		t.Errorf("monitor runs from %s", exe)
	}
	if st, err := os.Stat(strings.TrimSuffix(exe, " (deleted)")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("copy %v %v", st, err)
	}
}

// setMemfdNoexec sets vm.memfd_noexec for the test, and back after.
func setMemfdNoexec(t *testing.T, v string) {
	t.Helper()
	const path = "/proc/sys/vm/memfd_noexec"
	old, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("no vm.memfd_noexec: %v", err)
	}
	if strings.TrimSpace(string(old)) != "0" {
		t.Skipf("vm.memfd_noexec is %s already", strings.TrimSpace(string(old)))
	}
	if err := os.WriteFile(path, []byte(v), 0); err != nil {
		t.Skipf("cannot set vm.memfd_noexec: %v", err)
	}
	t.Cleanup(func() { os.WriteFile(path, old, 0) })
}

func TestMonitorStartsUnderMemfdNoexec1(t *testing.T) {
	resetMonitorProgram(t)
	rt := newTestRuntime(t, Options{})
	setMemfdNoexec(t, "1")
	mon := testMonitor(t, rt.Root())
	os.WriteFile("/proc/sys/vm/memfd_noexec", []byte("0"), 0)
	if exe := monitorExe(t, mon.Pid()); !strings.HasPrefix(exe, "/memfd:") {
		t.Errorf("monitor runs from %s, not its memfd", exe)
	}
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "true"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	mustWait(t, c)
}

func TestMonitorStartsUnderMemfdNoexec2(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	if _, err := os.Stat("/proc/sys/vm/memfd_noexec"); err != nil {
		t.Skip("no vm.memfd_noexec")
	}
	root := t.TempDir()
	// 2 cannot be lowered again in a pid namespace: set it in a new one.
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", os.Args[0], "-test.run=^TestFaultHelper$")
	cmd.Env = append(os.Environ(), "EXEC_FAULT_HELPER=noexec2 "+root+" "+newBundle(t, false, "sh", "-c", "exit 8"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(out)), "8") {
		t.Fatalf("helper: %v: %s", err, out)
	}
	if copies, _ := filepath.Glob(filepath.Join(root, "monitor-*")); len(copies) != 1 {
		t.Errorf("copies %v", copies)
	}
}

func TestMonitorStartsFromHostWithClosedStdio(t *testing.T) {
	root := t.TempDir()
	cmd := faultHelper("closed-stdio", root, newBundle(t, false, "sh", "-c", "exit 5"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	err := cmd.Run()
	out, _ := os.ReadFile(filepath.Join(root, "helper.out"))
	if err != nil || string(out) != "5" {
		t.Errorf("helper: %v: %s", err, out)
	}
}

// canLowerOOMScore tells whether this process may lower an OOM score
// adjustment (CAP_SYS_RESOURCE).
func canLowerOOMScore() bool {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	return false
}

func TestMonitorOOMScoreBelowContainers(t *testing.T) {
	if !canLowerOOMScore() {
		t.Skip("no CAP_SYS_RESOURCE: the monitor keeps the host's OOM score")
	}
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	score := func(pid int) string {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(data))
	}
	host := score(os.Getpid())
	if got := score(testMonitor(t, rt.Root()).Pid()); got != "-999" {
		t.Errorf("monitor oom_score_adj %s", got)
	}
	if got := score(c.Pid()); got != host {
		t.Errorf("container oom_score_adj %s, the host's %s", got, host)
	}
}

func TestMonitorIsNoChildOfSubreaperHost(t *testing.T) {
	out := strings.Fields(runFaultHelper(t, "subreaper", t.TempDir()))
	if len(out) < 2 || out[len(out)-1] == out[len(out)-2] {
		t.Errorf("helper (pid, monitor's parent) = %v", out)
	}
	// The starter was this process's child: reap it.
	if children, _ := os.ReadDir("/proc"); children != nil {
		for _, e := range children {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, err := readProcStat(pid)
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if err == nil && st.state == 'Z' && strings.TrimSpace(string(comm)) == "exec-monitor" {
				var ws unix.WaitStatus
				unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			}
		}
	}
}
