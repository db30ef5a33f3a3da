package runtime

// The monitor lives in a cgroup of its own beside its host's, so that
// what kills the host's cgroup leaves it, and every exit of the root, alive.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/internal/cgroup"
	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// hostCgroups makes a cgroup of its own for a host process in every
// hierarchy, <h>/libexecution-test-N/host, and returns their dirs; they
// are emptied and removed when the test ends.
func hostCgroups(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	var homes []string
	t.Cleanup(func() {
		for _, home := range homes {
			killCgroup(home)
			parent := filepath.Dir(home)
			left, _ := filepath.Glob(filepath.Join(parent, "*"))
			for _, dir := range left {
				if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
					removeCgroup(dir)
				}
			}
			removeCgroup(parent)
		}
	})
	name := fmt.Sprintf("libexecution-test-%d-%d", os.Getpid(), idCounter.Add(1))
	for _, h := range cgroup.Hierarchies() {
		parent := filepath.Join(h, name)
		home := filepath.Join(parent, "host")
		for _, dir := range []string{parent, home} {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if v, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f)); err == nil {
					os.WriteFile(filepath.Join(dir, f), v, 0)
				}
			}
		}
		homes = append(homes, home)
	}
	return homes
}

// killCgroup kills every process in the cgroup dir, as a service manager
// stopping it does: cgroup.kill on v2, each pid of cgroup.procs on v1.
func killCgroup(dir string) {
	if os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) == nil {
		return
	}
	procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(procs)) {
		if pid, err := strconv.Atoi(f); err == nil {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// removeCgroup removes the cgroup dir once the processes killed in it are
// gone, waiting up to 5 s.
func removeCgroup(dir string) {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) || time.Now().After(deadline) {
			return
		}
	}
}

// helperPlaced joins the cgroups of homes (comma-separated), prints the
// pid of root's monitor, and, unless bundle is "-", runs container id of
// bundle and waits to be killed.
func helperPlaced(root, bundle, id, homes string) error {
	for _, home := range strings.Split(homes, ",") {
		if err := os.WriteFile(filepath.Join(home, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
			return err
		}
	}
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	mon, err := monitor.For(root)
	if err != nil {
		return err
	}
	fmt.Println(mon.Pid())
	if bundle == "-" {
		return nil
	}
	if _, err := rt.Run(bg, id, bundle, NullIO()); err != nil {
		return err
	}
	fmt.Println("running")
	time.Sleep(time.Hour)
	return nil
}

// monitorCgroups returns the cgroup of monitor pid beside each home, and
// fails where it has none.
func monitorCgroups(t *testing.T, homes []string, pid int) []string {
	t.Helper()
	var dirs []string
	for _, home := range homes {
		dir := filepath.Join(filepath.Dir(home), fmt.Sprintf("libexecution-monitor-*-%d", pid))
		found, _ := filepath.Glob(dir)
		if len(found) != 1 {
			t.Errorf("no cgroup %s", dir)
			continue
		}
		procs, _ := os.ReadFile(filepath.Join(found[0], "cgroup.procs"))
		if !strings.Contains(" "+strings.Join(strings.Fields(string(procs)), " ")+" ", fmt.Sprintf(" %d ", pid)) {
			t.Errorf("the monitor is not in %s: it holds %q", found[0], procs)
		}
		dirs = append(dirs, found[0])
	}
	return dirs
}

// waitProcessGone waits up to 20 s for process pid to be gone.
func waitProcessGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); unix.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
	}
}

func TestMonitorOutlivesHostCgroupKill(t *testing.T) {
	homes := hostCgroups(t)
	root := t.TempDir()
	id := testID(t)
	bundle := newBundle(t, false, "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exit 7")
	host := faultHelper("placed", root, bundle, id, strings.Join(homes, ","))
	host.Stderr = os.Stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Process.Kill()
	lines := bufio.NewScanner(out)
	var said []string
	for lines.Scan() && lines.Text() != "running" {
		said = append(said, lines.Text())
	}
	if len(said) == 0 {
		t.Fatalf("the host said %q", said)
	}
	mon, err := strconv.Atoi(said[len(said)-1])
	if err != nil {
		t.Fatalf("the host said %q", said)
	}
	defer func() {
		rt := newTestRuntime(t, Options{Root: root})
		if c, err := rt.Load(bg, id); err == nil {
			c.Delete(bg, true)
		}
	}()
	own := monitorCgroups(t, homes, mon)

	for _, home := range homes {
		killCgroup(home)
	}
	host.Wait()
	if err := unix.Kill(mon, 0); err != nil {
		t.Fatalf("the monitor died with its host's cgroup: %v", err)
	}
	// This process holds the monitor until another has deleted the
	// container: on v1 the container's cgroup is beneath the monitor's,
	// which stays while it does.
	hold, err := monitor.Connect(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(runFaultHelper(t, "load-delete", root, id)); !strings.HasSuffix(got, "7") {
		t.Errorf("the exit after the host's cgroup was killed: %q, want 7", got)
	}
	hold.Close()
	// Nothing holds the monitor now: it leaves, removing its cgroups.
	waitProcessGone(t, mon)
	for _, dir := range own {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s left after the monitor exited", dir)
		}
	}
}

func TestMonitorRemovesLeftoverCgroups(t *testing.T) {
	homes := hostCgroups(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// Leftovers: of a pid that is gone, and an old one whose pid may be
	// of another pid namespace; kept: a new one of a live pid.
	var leftovers, live []string
	long := time.Now().Add(-2 * time.Minute)
	for _, home := range homes {
		parent := filepath.Dir(home)
		leftover := filepath.Join(parent, fmt.Sprintf("libexecution-monitor-0-%d", gone.Process.Pid))
		old := filepath.Join(parent, "libexecution-monitor-1-1")
		kept := filepath.Join(parent, fmt.Sprintf("libexecution-monitor-0-%d", os.Getpid()))
		for _, dir := range []string{leftover, old, kept} {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(old, long, long); err != nil {
			t.Fatal(err)
		}
		leftovers = append(leftovers, leftover, old)
		live = append(live, kept)
	}
	out := strings.Fields(runFaultHelper(t, "placed", t.TempDir(), "-", "-", strings.Join(homes, ",")))
	if len(out) == 0 {
		t.Fatal("the host said nothing")
	}
	mon, _ := strconv.Atoi(out[len(out)-1])
	waitProcessGone(t, mon)
	for _, dir := range leftovers {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("leftover %s of a monitor that is gone is still there", dir)
		}
	}
	for _, dir := range live {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("the cgroup of a live process was removed: %v", err)
		}
	}
}

// The calls that move a process into cgroups ask the monitor to prime
// the kernel's wait before a move; the others do not.
func TestCallsThatMoveCgroupsPrime(t *testing.T) {
	for op, moves := range map[string]bool{
		"create": true, "run": true, "exec": true, "exec (agent)": true,
		"start": false, "delete": false, "kill": false, "state": false, "update": false,
	} {
		if got := (&call{op: op}).Moves(); got != moves {
			t.Errorf("call %q: Moves() = %v, want %v", op, got, moves)
		}
	}
}
