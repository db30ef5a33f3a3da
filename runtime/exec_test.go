package runtime

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExec(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	spec := specs.Process{
		Args: []string{"sh", "-c", "echo $FOO; pwd; id -u; exit 5"},
		Env:  []string{"FOO=bar", "PATH=/bin"},
		Cwd:  "/tmp",
		User: specs.User{UID: 65534, GID: 65534},
	}
	p, err := c.Exec(bg, "p1", spec, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	defer p.Close()
	out, err := p.Stdio(Stdout)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, out); got != "bar\n/tmp\n65534" {
		t.Errorf("output %q", got)
	}
	if e := mustWait(t, p); e.Status != 5 {
		t.Errorf("exit %+v", e)
	}
	if _, err := c.Exec(bg, "p1", spec, NullIO()); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate exec id: %v", err)
	}
	if err := p.Delete(bg); err != nil {
		t.Errorf("Delete: %v", err)
	}

	long, err := c.Exec(bg, "p2", specs.Process{Args: []string{"sleep", "100"}}, NullIO())
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	defer long.Close()
	if err := long.Delete(bg); !errors.Is(err, ErrState) {
		t.Errorf("Delete running process: %v", err)
	}
	if err := long.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, long); e.Signal != int(syscall.SIGTERM) || e.Status != 143 {
		t.Errorf("exit %+v", e)
	}
	again, err := c.LoadProcess(bg, "p2")
	if err != nil {
		t.Fatalf("LoadProcess: %v", err)
	}
	if e := mustWait(t, again); e.Status != 143 {
		t.Errorf("loaded exit %+v", e)
	}
	if _, err := c.Exec(bg, "bad/id", spec, NullIO()); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad id: %v", err)
	}
}

func TestTerminal(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, true, "sh", "-c", "sleep 0.3; stty size")
	if _, err := rt.Create(bg, testID(t), bundle, NullIO()); !errors.Is(err, ErrInvalid) {
		t.Errorf("terminal mismatch: %v", err)
	}
	c, err := rt.Run(bg, testID(t), bundle, IO{Terminal: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	if err := c.Resize(33, 101); err != nil {
		t.Fatal(err)
	}
	master, err := c.Stdio(Stdin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stdio(Stdin); !errors.Is(err, ErrState) {
		t.Errorf("second Stdio: %v", err)
	}
	mustWait(t, c)
	buf := make([]byte, 256)
	n, _ := master.Read(buf)
	master.Close()
	if got := strings.TrimSpace(string(buf[:n])); got != "33 101" {
		t.Errorf("stty size = %q", got)
	}
}

func TestPauseResume(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sleep", "100")
	created, err := rt.Create(bg, testID(t), bundle, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, created)
	if err := created.Pause(bg); !errors.Is(err, ErrState) {
		t.Errorf("pause created: %v", err)
	}
	c, err := rt.Run(bg, testID(t), bundle, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if err := c.Resume(bg); !errors.Is(err, ErrState) {
		t.Errorf("resume running: %v", err)
	}
	if err := c.Pause(bg); err != nil {
		t.Fatal(err)
	}
	for _, slow := range []bool{false, true} {
		var s State
		if slow {
			s, err = c.runtimeState(bg)
		} else {
			s, err = c.State(bg)
		}
		if err != nil || s != StatePaused {
			t.Errorf("state (slow=%v) = %v, %v", slow, s, err)
		}
	}
	if err := c.Resume(bg); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.State(bg); s != StateRunning {
		t.Errorf("state after resume %v", s)
	}
	if err := c.Kill(bg, syscall.SIGKILL, true); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e.Signal != 9 {
		t.Errorf("exit %+v", e)
	}
}
