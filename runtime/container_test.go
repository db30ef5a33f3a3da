package runtime

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var bg = context.Background()

func TestLifecycle(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sh", "-c", "echo out; echo err >&2; exit 3")
	io := IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamPipe}
	c, err := rt.Create(bg, testID(t), bundle, io)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	cleanup(t, c)
	if s, err := c.State(bg); err != nil || s != StateCreated {
		t.Fatalf("State = %v, %v; want created", s, err)
	}
	out, _ := c.Stdio(Stdout)
	errf, _ := c.Stdio(Stderr)
	if err := c.Start(bg); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := readAll(t, out); got != "out" {
		t.Errorf("stdout = %q", got)
	}
	if got := readAll(t, errf); got != "err" {
		t.Errorf("stderr = %q", got)
	}
	e := mustWait(t, c)
	if e != (Exit{Status: 3, Code: 3}) {
		t.Errorf("exit = %+v", e)
	}
	if s, err := c.State(bg); err != nil || s != StateStopped {
		t.Errorf("State = %v, %v; want stopped", s, err)
	}
	if err := c.Delete(bg, false); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("state dir left: %v", err)
	}
	if _, err := c.State(bg); !errors.Is(err, ErrNotFound) {
		t.Errorf("State after delete: %v", err)
	}
}

func TestRunKillSignaled(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	if s, _ := c.State(bg); s != StateRunning {
		t.Fatalf("state %v", s)
	}
	if err := c.Delete(bg, false); !errors.Is(err, ErrState) {
		t.Errorf("Delete running: %v", err)
	}
	if err := c.Kill(bg, syscall.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	e := mustWait(t, c)
	if e != (Exit{Status: 137, Code: -1, Signal: 9}) {
		t.Errorf("exit = %+v", e)
	}
	if err := c.Kill(bg, syscall.SIGKILL, false); !errors.Is(err, ErrState) {
		t.Errorf("Kill stopped: %v", err)
	}
}

// A runc-compatible binary the library does not know by name gets the
// conservative paths: Run as create then start, State from the binary.
func TestUnknownRuntimeName(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(t.TempDir(), "other-runtime")
	if err := os.Symlink(runc, alias); err != nil {
		t.Fatal(err)
	}
	rt := newTestRuntime(t, Options{RuntimePath: alias})
	if rt.fastState || rt.detachKeepsChild {
		t.Fatalf("fastState=%v detachKeepsChild=%v for an unknown binary", rt.fastState, rt.detachKeepsChild)
	}
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sh", "-c", "sleep 0.3; exit 6"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("State = %v, %v", s, err)
	}
	if err := c.Pause(bg); err != nil {
		t.Fatal(err)
	}
	if s, err := c.State(bg); err != nil || s != StatePaused {
		t.Errorf("State = %v, %v", s, err)
	}
	if err := c.Resume(bg); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e.Status != 6 {
		t.Errorf("exit %+v", e)
	}
}

func TestLogPathGetsEveryCall(t *testing.T) {
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	// runc itself logs nothing for some calls: a wrapper notes each call in
	// the log it is given, then runs runc.
	wrapper := filepath.Join(t.TempDir(), "runc")
	script := `#!/bin/sh
log=""
prev=""
for arg in "$@"; do
	[ "$prev" = --log ] && log="$arg"
	case "$arg" in -*) ;; *) [ "$prev" != --log ] && [ "$prev" != --root ] && [ "$prev" != --log-format ] && { cmd="$arg"; break; };; esac
	prev="$arg"
done
[ -n "$log" ] && printf '{"level":"info","msg":"call %s"}\n' "$cmd" >>"$log"
exec ` + runc + ` "$@"
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "runtime.log")
	rt := newTestRuntime(t, Options{RuntimePath: wrapper, LogPath: logPath})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if err := c.Pause(bg); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(bg); err != nil {
		t.Fatal(err)
	}
	logged, _ := os.ReadFile(logPath)
	// Run with runc is a create, then a start through the exec fifo.
	for _, call := range []string{"call create", "call pause", "call resume"} {
		if !strings.Contains(string(logged), call) {
			t.Errorf("no %q in the runtime log:\n%s", call, logged)
		}
	}
}
