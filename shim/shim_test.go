package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests drive a real containerd from Debian's package, started with a
// private config, state and socket under a temp dir and stopped by pid,
// through ctr, with the shim binary `make test-shim` built
// (EXEC_TEST_SHIM) and the busybox rootfs (EXEC_TEST_ROOTFS) as the
// containers' rootfs: no image is pulled.

// daemon is a private containerd.
type daemon struct {
	t      testing.TB
	dir    string
	config string
	env    []string
	cmd    *exec.Cmd
	log    *os.File
}

func requireSetup(t testing.TB) (shimBin, rootfs string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	shimBin, rootfs = os.Getenv("EXEC_TEST_SHIM"), os.Getenv("EXEC_TEST_ROOTFS")
	if shimBin == "" || rootfs == "" {
		t.Fatal("EXEC_TEST_SHIM and EXEC_TEST_ROOTFS must be set (make test-shim)")
	}
	for _, tool := range []string{"containerd", "ctr", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs it)", tool)
		}
	}
	return shimBin, rootfs
}

// startDaemon starts containerd with everything under a new temp dir, and
// the shim's dir first on its PATH.
func startDaemon(t testing.TB, shimBin string, env ...string) *daemon {
	dir, err := os.MkdirTemp("", "shim-test-")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, dir: dir, config: filepath.Join(dir, "config.toml")}
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), d.socket(), filepath.Join(dir, "opt"))
	if err := os.WriteFile(d.config, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	d.env = append(append(os.Environ(), "PATH="+filepath.Dir(shimBin)+":"+os.Getenv("PATH")), env...)
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) socket() string { return filepath.Join(d.dir, "containerd.sock") }

func (d *daemon) start() {
	t := d.t
	var err error
	d.log, err = os.OpenFile(filepath.Join(d.dir, "containerd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command("containerd", "--config", d.config)
	d.cmd.Env = d.env
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if out, err := d.ctr("version"); err == nil && strings.Contains(out, "Server") {
			return
		}
		if i == 300 {
			t.Fatalf("containerd did not come up; its log:\n%s", d.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops containerd by pid, leaving its shims as a crash would.
func (d *daemon) stopDaemon() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
	d.log.Close()
}

// stop removes every task left, stops containerd and removes its dirs.
func (d *daemon) stop() {
	if d.cmd != nil {
		if out, err := d.ctr("task", "ls", "-q"); err == nil {
			for _, id := range strings.Fields(out) {
				_, _ = d.ctr("task", "kill", "-s", "SIGKILL", id)
				_, _ = d.ctr("task", "delete", "-f", id)
			}
		}
		if out, err := d.ctr("container", "ls", "-q"); err == nil {
			for _, id := range strings.Fields(out) {
				_, _ = d.ctr("container", "delete", id)
			}
		}
	}
	d.stopDaemon()
	for _, pid := range shimPids(d.dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = exec.Command("umount", "-R", filepath.Join(d.dir, "root")).Run()
	os.RemoveAll(d.dir)
}

func (d *daemon) logText() string {
	data, _ := os.ReadFile(filepath.Join(d.dir, "containerd.log"))
	return string(data)
}

// ctr runs ctr on this containerd in namespace "test".
func (d *daemon) ctr(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", d.socket(), "-n", "test"}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustCtr is ctr that fails the test on an error.
func (d *daemon) mustCtr(args ...string) string {
	d.t.Helper()
	out, err := d.ctr(args...)
	if err != nil {
		d.t.Fatalf("ctr %s: %v\n%s\ncontainerd's log:\n%s", strings.Join(args, " "), err, out, d.logText())
	}
	return out
}

// busyboxPath is the PATH of a container of the busybox rootfs, which no
// image config gives it here.
const busyboxPath = "PATH=/bin:/sbin:/usr/bin:/usr/sbin"

// run starts a container of the busybox rootfs in the background.
func (d *daemon) run(rootfs, id string, args ...string) {
	d.t.Helper()
	d.mustCtr(append([]string{"run", "-d", "--runtime", RuntimeType, "--env", busyboxPath, "--rootfs", rootfs, id}, args...)...)
}

// status is a task's status as `ctr task ls` shows it.
func (d *daemon) status(id string) string {
	out, _ := d.ctr("task", "ls")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

func (d *daemon) waitStatus(id, want string) {
	d.t.Helper()
	for i := 0; i < 300; i++ {
		if d.status(id) == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("task %s is %q, never %s", id, d.status(id), want)
}

// shimPids are the shim processes of the containerd whose dir is dir.
func shimPids(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), "containerd-shim-execution-v2") {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil &&
			strings.HasPrefix(cwd, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// events collects `ctr events` lines until stopped.
type eventLog struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
}

func (d *daemon) events() *eventLog {
	e := &eventLog{cmd: exec.Command("ctr", "--address", d.socket(), "events")}
	out, err := e.cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := e.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			e.mu.Lock()
			e.lines = append(e.lines, s.Text())
			e.mu.Unlock()
		}
	}()
	d.t.Cleanup(func() { _ = e.cmd.Process.Kill(); _ = e.cmd.Wait() })
	time.Sleep(300 * time.Millisecond)
	return e
}

// wait waits for a line matching re and returns it.
func (e *eventLog) wait(t *testing.T, re string) string {
	t.Helper()
	r := regexp.MustCompile(re)
	for i := 0; i < 300; i++ {
		e.mu.Lock()
		for _, l := range e.lines {
			if r.MatchString(l) {
				e.mu.Unlock()
				return l
			}
		}
		e.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Fatalf("no event matching %s in:\n%s", re, strings.Join(e.lines, "\n"))
	return ""
}

func testID(t *testing.T) string {
	return fmt.Sprintf("shim-%d-%s", os.Getpid(), strings.ToLower(regexp.MustCompile(`\W`).ReplaceAllString(t.Name(), "")))
}

func TestExitCodesAndOutput(t *testing.T) {
	shimBin, rootfs := requireSetup(t)
	d := startDaemon(t, shimBin)
	ev := d.events()
	id := testID(t)
	out, err := d.ctr("run", "--rm", "--runtime", RuntimeType, "--env", busyboxPath, "--rootfs", rootfs, id,
		"sh", "-c", "echo out; echo err >&2; exit 3")
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("ctr run: %v, want exit status 3\n%s\n%s", err, out, d.logText())
	}
	if !strings.Contains(out, "out\n") || !strings.Contains(out, "err\n") {
		t.Fatalf("output %q lacks the container's", out)
	}
	for _, topic := range []string{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"} {
		ev.wait(t, topic+`.*"`+id+`"`)
	}
	ev.wait(t, `/tasks/exit.*"`+id+`".*exit_status":3`)
}

// sleeper starts a containerd and a running container of `sleep` on it.
func sleeper(t *testing.T) (d *daemon, ev *eventLog, id string) {
	shimBin, rootfs := requireSetup(t)
	d = startDaemon(t, shimBin)
	ev = d.events()
	id = testID(t)
	d.run(rootfs, id, "sleep", "1000")
	d.waitStatus(id, "RUNNING")
	return d, ev, id
}

func TestSignalsExecPauseMetrics(t *testing.T) {
	d, ev, id := sleeper(t)

	out := d.mustCtr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo from exec")
	if out != "from exec\n" {
		t.Fatalf("exec printed %q", out)
	}
	out, err := d.ctr("task", "exec", "--exec-id", "e2", id, "sh", "-c", "exit 4")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("exec exit: %v %q, want 4", err, out)
	}
	ev.wait(t, `/tasks/exec-added.*"`+id+`".*"e1"`)
	ev.wait(t, `/tasks/exec-started.*"`+id+`".*"e1"`)
	ev.wait(t, `/tasks/exit.*"`+id+`".*"e2".*exit_status":4`)

	d.mustCtr("task", "pause", id)
	d.waitStatus(id, "PAUSED")
	ev.wait(t, `/tasks/paused.*"`+id+`"`)
	d.mustCtr("task", "resume", id)
	d.waitStatus(id, "RUNNING")
	ev.wait(t, `/tasks/resumed.*"`+id+`"`)

	// Input reaches the process, and its end (CloseIO) ends cat.
	cat := exec.Command("ctr", "--address", d.socket(), "-n", "test", "task", "exec", "--exec-id", "cat", id, "cat")
	cat.Stdin = strings.NewReader("through stdin\n")
	if out, err := cat.CombinedOutput(); err != nil || string(out) != "through stdin\n" {
		t.Fatalf("exec cat: %v %q", err, out)
	}

	out = d.mustCtr("task", "metrics", id)
	if !regexp.MustCompile(`memory\.usage_in_bytes\s+[1-9]`).MatchString(out) {
		t.Fatalf("metrics: %s", out)
	}
	out = d.mustCtr("task", "ps", id)
	if !regexp.MustCompile(`\n\d+`).MatchString(out) {
		t.Fatalf("ps: %s", out)
	}

	d.mustCtr("task", "kill", "-s", "SIGTERM", id) // sleep as pid 1 ignores it
	time.Sleep(300 * time.Millisecond)
	if s := d.status(id); s != "RUNNING" {
		t.Fatalf("after SIGTERM the task is %s", s)
	}
	d.mustCtr("task", "kill", "-s", "SIGKILL", id)
	d.waitStatus(id, "STOPPED")
	ev.wait(t, `/tasks/exit.*"`+id+`".*exit_status":137`)
	d.mustCtr("task", "delete", id)
	d.mustCtr("container", "delete", id)
	ev.wait(t, `/tasks/delete.*"`+id+`"`)
}

func TestKilledShimLosesNoExit(t *testing.T) {
	d, ev, id := sleeper(t)
	root := filepath.Join(d.dir, "state", RuntimeType, "test")
	state := filepath.Join(root, "containers", id)
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("the container's state dir: %v", err)
	}
	init := d.mustCtr("task", "ls")
	pids := shimPids(d.dir)
	if len(pids) != 1 {
		t.Fatalf("shim processes: %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, `/tasks/exit.*"`+id+`".*exit_status":137`)
	for i := 0; d.status(id) != ""; i++ {
		if i == 300 {
			t.Fatalf("the task of the dead shim is still listed: %s", d.status(id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Nothing of the container is left: its process, the library's state
	// and the runtime's.
	for _, f := range strings.Fields(init) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			if err := syscall.Kill(pid, 0); err == nil {
				t.Fatalf("the init %d lives on", pid)
			}
		}
	}
	for _, dir := range []string{state, filepath.Join(root, "runc", id)} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("%s is left: %v", dir, err)
		}
	}
}

func TestContainerdRestartFindsTasks(t *testing.T) {
	shimBin, rootfs := requireSetup(t)
	d := startDaemon(t, shimBin)
	id := testID(t)
	d.run(rootfs, id, "sleep", "1000")
	d.waitStatus(id, "RUNNING")
	d.stopDaemon()
	d.start()
	d.waitStatus(id, "RUNNING")
	out := d.mustCtr("task", "exec", "--exec-id", "after", id, "echo", "still here")
	if out != "still here\n" {
		t.Fatalf("exec after the restart printed %q", out)
	}
	d.mustCtr("task", "kill", "-s", "SIGKILL", id)
	d.waitStatus(id, "STOPPED")
	d.mustCtr("task", "delete", id)
}


func TestOneShimServesANamespace(t *testing.T) {
	shimBin, rootfs := requireSetup(t)
	d := startDaemon(t, shimBin, groupEnv+"=namespace")
	ids := []string{testID(t) + "-a", testID(t) + "-b", testID(t) + "-c"}
	for _, id := range ids {
		d.run(rootfs, id, "sleep", "1000")
	}
	for _, id := range ids {
		d.waitStatus(id, "RUNNING")
	}
	if pids := shimPids(d.dir); len(pids) != 1 {
		t.Fatalf("%d containers of one namespace have shims %v, want one", len(ids), pids)
	}
	for i, id := range ids {
		out := d.mustCtr("task", "exec", "--exec-id", "x", id, "sh", "-c", fmt.Sprintf("echo %d", i))
		if out != fmt.Sprintf("%d\n", i) {
			t.Fatalf("exec in %s printed %q", id, out)
		}
		d.mustCtr("task", "kill", "-s", "SIGKILL", id)
		d.waitStatus(id, "STOPPED")
		d.mustCtr("task", "delete", id)
	}
	for i := 0; len(shimPids(d.dir)) != 0; i++ {
		if i == 300 {
			t.Fatalf("the shim serves no container and lives on: %v", shimPids(d.dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestTerminalAndResize(t *testing.T) {
	shimBin, rootfs := requireSetup(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("no script(1) to give ctr a terminal")
	}
	d := startDaemon(t, shimBin)
	id := testID(t)
	// ctr sizes the container's terminal as its own, which script(1) gives it.
	line := fmt.Sprintf("stty cols 100 rows 30; ctr --address %s -n test run -t --rm --runtime %s "+
		"--env %s --rootfs %s %s sh -c 'sleep 0.3; tty; stty size; exit 5'",
		d.socket(), RuntimeType, busyboxPath, rootfs, id)
	out, err := exec.Command("script", "-qec", line, "/dev/null").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 {
		t.Fatalf("ctr run -t: %v, want exit status 5\n%s\n%s", err, out, d.logText())
	}
	if !strings.Contains(string(out), "/dev/pts/") || !strings.Contains(string(out), "30 100") {
		t.Fatalf("the container's terminal: %q", out)
	}
}

func TestOOMKill(t *testing.T) {
	shimBin, rootfs := requireSetup(t)
	d := startDaemon(t, shimBin)
	ev := d.events()
	id := testID(t)
	out, err := d.ctr("run", "--rm", "--runtime", RuntimeType, "--env", busyboxPath, "--memory-limit", "16777216",
		"--rootfs", rootfs, id, "sh", "-c", "x=0123456789; while true; do x=$x$x; done")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 137 {
		t.Fatalf("ctr run: %v, want the OOM killer's 137\n%s", err, out)
	}
	ev.wait(t, `/tasks/oom.*"`+id+`"`)
	ev.wait(t, `/tasks/exit.*"`+id+`".*exit_status":137`)
}
