package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/internal/cgroup"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func specArgs(args ...string) specs.Process { return specs.Process{Args: args} }

// scriptRuntime writes a runtime script around runc; body runs with "$@"
// being the runtime's arguments and $RUNC the real runc.
func scriptRuntime(t *testing.T, body string) string {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "script-runtime")
	script := "#!/bin/sh\nRUNC=" + runc + "\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// leftCgroups lists the cgroup dirs named after id in every hierarchy, at
// its root or up to three levels down: runc makes a relative path (its
// default) beneath the cgroup of the monitor that runs it.
func leftCgroups(id string) []string {
	var left []string
	for _, h := range cgroup.Hierarchies() {
		for pattern := filepath.Join(h, id); strings.Count(pattern, "*") <= 3; pattern = filepath.Join(filepath.Dir(pattern), "*", id) {
			found, _ := filepath.Glob(pattern)
			left = append(left, found...)
		}
	}
	return left
}

// A failed create removes only what it made: a container that plain runc
// made under the same id in a shared runtime root keeps running.
func TestFailedCreateSparesAnotherContainer(t *testing.T) {
	runtimeRoot := t.TempDir()
	rt := newTestRuntime(t, Options{RuntimeRoot: runtimeRoot})
	bundle := newBundle(t, false, "sleep", "100")
	id := testID(t)
	// No output capture: the container would hold the pipe open.
	if err := exec.Command("runc", "--root", runtimeRoot, "run", "-d", "--bundle", bundle, id).Run(); err != nil {
		t.Fatalf("runc run: %v", err)
	}
	t.Cleanup(func() { exec.Command("runc", "--root", runtimeRoot, "delete", "--force", id).Run() })
	_, err := rt.Run(bg, id, bundle, NullIO())
	if !errors.Is(err, ErrExists) {
		t.Fatalf("Run over another's container: %v", err)
	}
	out, err := exec.Command("runc", "--root", runtimeRoot, "state", id).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"running"`) {
		t.Fatalf("the other container after the failed create: %v: %s", err, out)
	}
	if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
		t.Errorf("state dir left behind: %v", err)
	}
}

// A runtime killed in the middle of create, or cut off by the call's own
// deadline, leaves no state dir, runtime state or cgroup.
func TestCreateCutShortLeavesNothing(t *testing.T) {
	killed := scriptRuntime(t, `case " $* " in *" create "*|*" run "*)
	"$RUNC" "$@" & pid=$!; sleep 0.05; kill -9 $pid; exit 1;; esac
exec "$RUNC" "$@"`)
	bundle := newBundle(t, false, "sleep", "100")
	for _, opts := range []Options{{RuntimePath: killed}, {CallTimeout: 30 * time.Millisecond}} {
		rt := newTestRuntime(t, opts)
		for i := 0; i < 5; i++ {
			id := testID(t)
			c, err := rt.Run(bg, id, bundle, NullIO())
			if err == nil {
				c.Delete(bg, true)
				continue
			}
			if left := leftCgroups(id); len(left) > 0 {
				t.Errorf("%+v: cgroups left: %v (%v)", opts, left, err)
			}
			if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
				t.Errorf("state dir left behind: %v", err)
			}
			if _, err := os.Stat(filepath.Join(rt.client.Root, id)); !os.IsNotExist(err) {
				t.Errorf("runtime state left behind: %v", err)
			}
		}
	}
}

// A timed-out runtime call is killed with everything it started, and all
// of it is reaped.
func TestTimedOutCallLeavesNoProcess(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	hang := scriptRuntime(t, `sleep 100 & echo $! >>`+pids+`
sh -c 'sleep 100' & echo $! >>`+pids+`
echo $$ >>`+pids+`
wait`)
	rt := newTestRuntime(t, Options{RuntimePath: hang, CallTimeout: 200 * time.Millisecond})
	id := testID(t)
	if _, err := rt.Run(bg, id, newBundle(t, false, "true"), NullIO()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run on a hanging runtime: %v", err)
	}
	data, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data))
	if len(fields) < 3 {
		t.Fatalf("the runtime wrote %q", data)
	}
	end := time.Now().Add(5 * time.Second)
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		for {
			_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
			if os.IsNotExist(err) {
				break
			}
			if time.Now().After(end) {
				st, _ := readProcStat(pid)
				t.Fatalf("pid %d of the timed-out call is left (state %c)", pid, st.state)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestIDsThatLookLikeOptions(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	for _, id := range []string{"--help", "--debug", "-x"} {
		if _, err := rt.Run(bg, id, bundle, NullIO()); !errors.Is(err, ErrInvalid) {
			t.Errorf("Run(%q): %v", id, err)
		}
		if _, err := rt.Load(bg, id); !errors.Is(err, ErrInvalid) {
			t.Errorf("Load(%q): %v", id, err)
		}
	}
}

func TestLongIDLoadIsInvalid(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	for _, n := range []int{256, 1024} {
		id := strings.Repeat("a", n)
		if _, err := rt.Load(bg, id); !errors.Is(err, ErrInvalid) {
			t.Errorf("Load of a %d-byte id: %v", n, err)
		}
		if _, err := rt.Create(bg, id, newBundle(t, false, "true"), NullIO()); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create of a %d-byte id: %v", n, err)
		}
	}
}

func TestParseLogLineTrailingLevel(t *testing.T) {
	for _, line := range []string{"level=", "time=x level=", "level= msg=", `msg="x" level=`} {
		parseLogLine(line)
	}
	if got := runtimeMessage([]byte("level=\nboom\n")); !strings.Contains(got, "boom") {
		t.Errorf("runtimeMessage = %q", got)
	}
}

// A runtime's own output reaches the message when the library captures it.
func TestRuntimeStderrInMessage(t *testing.T) {
	loud := scriptRuntime(t, `case " $* " in *" start "*|*" create "*) echo "loud-runtime: no such thing" >&2; exit 1;; esac
exec "$RUNC" "$@"`)
	rt := newTestRuntime(t, Options{RuntimePath: loud})
	_, err := rt.Create(bg, testID(t), newBundle(t, false, "true"), IO{Stdin: StreamNull, Stdout: StreamNull, Stderr: StreamPipe})
	if !errors.Is(err, ErrRuntime) || !strings.Contains(err.Error(), "loud-runtime: no such thing") {
		t.Errorf("create: %v", err)
	}
}

// Exec racing delete never brings the deleted dir back.
func TestExecRacingDelete(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sleep", "100")
	for i := 0; i < 5; i++ {
		id := testID(t)
		c, err := rt.Run(bg, id, bundle, NullIO())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := c.Exec(bg, "p", specArgs("true"), NullIO()); err == nil {
				p.Close()
			}
		}()
		if err := c.Delete(bg, true); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		c.Close()
		if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
			t.Fatalf("state dir back after delete: %v", err)
		}
		c2, err := rt.Run(bg, id, bundle, NullIO())
		if err != nil {
			t.Fatalf("id not reusable: %v", err)
		}
		c2.Delete(bg, true)
		c2.Close()
	}
}

// Of two concurrent deletes, one succeeds and the other gets ErrNotFound.
func TestConcurrentDoubleDelete(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	for i := 0; i < 5; i++ {
		c, err := rt.Run(bg, testID(t), bundle, NullIO())
		if err != nil {
			t.Fatal(err)
		}
		mustWait(t, c)
		c2, err := rt.Load(bg, c.ID())
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, h := range []*Container{c, c2} {
			go func() { errs <- h.Delete(bg, false) }()
		}
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) || !(errors.Is(e1, ErrNotFound) || errors.Is(e2, ErrNotFound)) {
			t.Errorf("two deletes: %v, %v", e1, e2)
		}
		c.Close()
		c2.Close()
	}
}

func TestSignalDeletedProcessIsNotFound(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	p, err := c.Exec(bg, "p", specArgs("true"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustWait(t, p)
	if err := p.Delete(bg); err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(unix.SIGTERM); !errors.Is(err, ErrNotFound) {
		t.Errorf("Signal after delete: %v", err)
	}
	if err := p.Delete(bg); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
}

// A peer that connects to the console socket and never sends cannot hold
// the call past its deadline.
func TestConsoleSocketSilentPeer(t *testing.T) {
	s, err := newConsoleSocket()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(conn)
	if err := unix.Connect(conn, &unix.SockaddrUnix{Name: s.Path()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := s.receive(ctx); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("receive: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("receive did not return")
	}
}

// Forged or corrupted state records are refused, never believed.
func TestForgedRecordsAreRefused(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	for _, rec := range []string{
		`{"id":"%s","pid":0,"start_time":5}`,
		`{"id":"%s","pid":1,"start_time":5}`,
		`{"id":"%s","pid":-4,"start_time":5}`,
		`{"id":"%s","pid":` + strconv.Itoa(os.Getpid()) + `,"start_time":5}`,
		`{"id":"%s","pid":4242,"start_time":0}`,
		`{"id":"other","pid":4242,"start_time":5}`,
		`{"id":`,
	} {
		id := testID(t)
		dir := rt.containerDir(id)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		data := rec
		if strings.Contains(rec, "%s") {
			data = fmt.Sprintf(rec, id)
		}
		if err := os.WriteFile(filepath.Join(dir, containerRecordName), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := rt.Load(bg, id); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("Load of %s: %v", data, err)
		}
		os.RemoveAll(dir)
	}
}

// A loaded container whose monitor died is still signalled safely, on a
// kernel with pidfds and on one without (forced), and its wait says the
// exit is unknown.
func TestMonitorDiedFallbacks(t *testing.T) {
	for _, noPidfd := range []bool{false, true} {
		kernel.noPidfd.Store(noPidfd)
		root := t.TempDir()
		bundle := newBundle(t, false, "sleep", "100")
		id := testID(t)
		createElsewhere(t, root, id, bundle)
		rt := newTestRuntime(t, Options{Root: root})
		c, err := rt.Load(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := readProcStat(c.Pid())
		if err := unix.Kill(st.ppid, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		end := time.Now().Add(5 * time.Second)
		for {
			if s, _ := readProcStat(c.Pid()); s.ppid != st.ppid || time.Now().After(end) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		c2, err := rt.Load(bg, id)
		if err != nil {
			t.Fatal(err)
		}
		err = c2.Kill(bg, unix.SIGKILL, false)
		if noPidfd {
			if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "safely") {
				t.Errorf("Kill without pidfds: %v", err)
			}
			unix.Kill(c2.Pid(), unix.SIGKILL)
		} else if err != nil {
			t.Errorf("Kill through a pidfd: %v", err)
		}
		if _, err := c2.Wait(withTimeout(10 * time.Second)); !errors.Is(err, ErrSys) || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("Wait: %v", err)
		}
		if err := c2.Delete(bg, true); err != nil {
			t.Errorf("Delete: %v", err)
		}
		c.Close()
		c2.Close()
	}
	kernel.noPidfd.Store(false)
}
