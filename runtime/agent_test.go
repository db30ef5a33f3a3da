package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execModes are the two ways an exec runs: through the container's agent
// (the default) and through the runtime's exec (Options.NoAgent).
var execModes = []struct {
	name    string
	noAgent bool
}{{"agent", false}, {"runtime", true}}

// processOver is the process of json laid over c's own, as the C API
// makes it.
func processOver(t *testing.T, c *Container, json string) specs.Process {
	t.Helper()
	p, err := c.ProcessOver([]byte(json))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runAgentContainer runs a container that sleeps, in a runtime of mode.
func runAgentContainer(t *testing.T, noAgent bool) (*Runtime, *Container) {
	t.Helper()
	rt := newTestRuntime(t, Options{NoAgent: noAgent})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "1000"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	return rt, c
}

// loadProcess loads process id of container cid through rt, as another
// handle does; both handles close at the test's end.
func loadProcess(t *testing.T, rt *Runtime, cid, id string) *Process {
	t.Helper()
	c, err := rt.Load(bg, cid)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p, err := c.LoadProcess(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// execOut execs json's process in c with stdout piped and returns the
// process and its output once it exited.
func execOut(t *testing.T, c *Container, id, json string) (*Process, string, Exit) {
	t.Helper()
	p, err := c.Exec(bg, id, processOver(t, c, json), IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Exec %s: %v", id, err)
	}
	t.Cleanup(func() { p.Close() })
	out, err := p.Stdio(Stdout)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, out)
	return p, got, mustWait(t, p)
}

func TestExecModes(t *testing.T) {
	for _, mode := range execModes {
		t.Run(mode.name, func(t *testing.T) {
			rt, c := runAgentContainer(t, mode.noAgent)
			events, err := rt.Events(0)
			if err != nil {
				t.Fatal(err)
			}
			defer events.Close()

			p, out, e := execOut(t, c, "env", `{"args":["sh","-c","echo $FOO; pwd; ulimit -u; exit 5"],
				"env":["FOO=bar","PATH=/bin"],"cwd":"/tmp",
				"rlimits":[{"type":"RLIMIT_NPROC","hard":888,"soft":777}]}`)
			if p.byAgent == mode.noAgent {
				t.Errorf("byAgent = %v", p.byAgent)
			}
			if out != "bar\n/tmp\n777" || e.Status != 5 || e.Code != 5 {
				t.Errorf("output %q, exit %+v", out, e)
			}
			if _, err := c.Exec(bg, "env", processOver(t, c, `{"args":["true"]}`), NullIO()); !errors.Is(err, ErrExists) {
				t.Errorf("duplicate exec id: %v", err)
			}
			if err := p.Delete(bg); err != nil {
				t.Errorf("Delete: %v", err)
			}
			var added, exited bool
			for !exited {
				ctx, cancel := context.WithTimeout(bg, 30*time.Second)
				ev, err := events.Next(ctx)
				cancel()
				if err != nil {
					t.Fatalf("events: %v (added %v)", err, added)
				}
				if ev.ProcessID != "env" {
					continue
				}
				switch ev.Type {
				case EventExecAdded:
					added = true
				case EventProcessExited:
					if !added || ev.Exit.Status != 5 {
						t.Errorf("exit event %+v after added %v", ev, added)
					}
					exited = true
				}
			}

			// stdin from the caller's pipe, stdout to the caller's fd
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cat, err := c.Exec(bg, "cat", processOver(t, c, `{"args":["sh","-c","cat; echo done >&2"]}`),
				IO{Stdin: StreamPipe, Stdout: Stream(w.Fd()), Stderr: Stream(w.Fd())})
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer cat.Close()
			in, err := cat.Stdio(Stdin)
			if err != nil {
				t.Fatal(err)
			}
			in.WriteString("through\n")
			in.Close()
			buf := make([]byte, 64)
			var got []byte
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			r.Close()
			if string(got) != "through\ndone\n" {
				t.Errorf("cat said %q", got)
			}
			if e := mustWait(t, cat); e.Status != 0 {
				t.Errorf("cat exit %+v", e)
			}

			// signal, wait, load from another runtime, delete
			long, err := c.Exec(bg, "long", processOver(t, c, `{"args":["sleep","1000"]}`), NullIO())
			if err != nil {
				t.Fatal(err)
			}
			defer long.Close()
			if long.byAgent == mode.noAgent {
				t.Errorf("long byAgent = %v", long.byAgent)
			}
			if err := long.Delete(bg); !errors.Is(err, ErrState) {
				t.Errorf("Delete running: %v", err)
			}
			other := newTestRuntime(t, Options{Root: rt.Root(), NoAgent: mode.noAgent})
			loaded := loadProcess(t, other, c.ID(), "long")
			if lp := loaded.Pid(); lp != long.rec.Pid {
				t.Errorf("loaded pid %d, exec'd %d", lp, long.rec.Pid)
			}
			if err := loaded.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if e := mustWait(t, long); e.Signal != int(syscall.SIGTERM) || e.Status != 143 {
				t.Errorf("exit %+v", e)
			}
			if e := mustWait(t, loaded); e.Status != 143 {
				t.Errorf("loaded exit %+v", e)
			}
			if err := loaded.Delete(bg); err != nil {
				t.Errorf("Delete: %v", err)
			}
			if err := long.Delete(bg); !errors.Is(err, ErrNotFound) {
				t.Errorf("second Delete: %v", err)
			}

			// a program that is not there, a cwd that is not there
			if _, err := c.Exec(bg, "missing", processOver(t, c, `{"args":["/no/such/program"]}`), NullIO()); !errors.Is(err, ErrRuntime) {
				t.Errorf("missing program: %v", err)
			}
			if _, err := c.Exec(bg, "nocwd", processOver(t, c, `{"args":["true"],"cwd":"/no/such/dir"}`), NullIO()); !errors.Is(err, ErrRuntime) {
				t.Errorf("missing cwd: %v", err)
			}
			if _, err := os.Stat(c.dir + "/processes/missing"); !os.IsNotExist(err) {
				t.Errorf("a failed exec left its dir: %v", err)
			}
			// a program found but that the kernel refuses to run
			execOut(t, c, "mkbad", `{"args":["sh","-c","printf '\\001\\002\\003' > /tmp/bad; chmod +x /tmp/bad"]}`)
			if _, err := c.Exec(bg, "bad", processOver(t, c, `{"args":["/tmp/bad"]}`), NullIO()); !errors.Is(err, ErrRuntime) {
				t.Errorf("a program the kernel refuses: %v", err)
			}
			if _, err := c.LoadProcess(bg, "bad"); !errors.Is(err, ErrNotFound) {
				t.Errorf("load of a failed exec: %v", err)
			}
		})
	}
}

func TestExecModesTerminal(t *testing.T) {
	for _, mode := range execModes {
		t.Run(mode.name, func(t *testing.T) {
			_, c := runAgentContainer(t, mode.noAgent)
			spec := processOver(t, c, `{"args":["sh","-c","stty size; tty; exit 4"],"consoleSize":{"height":33,"width":101}}`)
			spec.ConsoleSize = &specs.Box{Height: 33, Width: 101}
			p, err := c.Exec(bg, "tty", spec, IO{Terminal: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if p.byAgent == mode.noAgent {
				t.Errorf("byAgent = %v", p.byAgent)
			}
			master, err := p.Stdio(Stdin)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			buf := make([]byte, 256)
			for !strings.Contains(string(got), "/dev/pts/") || !strings.HasSuffix(string(got), "\n") {
				n, err := master.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			master.Close()
			if !strings.HasPrefix(string(got), "33 101\r\n/dev/pts/") {
				t.Errorf("terminal said %q", got)
			}
			if e := mustWait(t, p); e.Status != 4 {
				t.Errorf("exit %+v", e)
			}
		})
	}
}

// TestExecFallback: a process that needs what the container's own process
// lacks goes through the runtime, with the agent on.
func TestExecFallback(t *testing.T) {
	_, c := runAgentContainer(t, false)
	for i, json := range []string{
		`{"args":["sh","-c","grep CapEff /proc/self/status"],"capabilities":{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"],"permitted":["CAP_SYS_ADMIN"]}}`,
		`{"args":["id","-u"],"user":{"uid":65534,"gid":65534}}`,
		`{"args":["true"],"noNewPrivileges":false}`,
	} {
		p, out, e := execOut(t, c, fmt.Sprintf("p%d", i), json)
		if p.byAgent {
			t.Errorf("%s went through the agent", json)
		}
		if e.Status != 0 {
			t.Errorf("%s: exit %+v, output %q", json, e, out)
		}
		if i == 0 && out != "CapEff:\t0000000000200000" {
			t.Errorf("capabilities: %q", out)
		}
		if i == 1 && out != "65534" {
			t.Errorf("user: %q", out)
		}
	}
	p, out, _ := execOut(t, c, "same", `{"args":["sh","-c","grep CapEff /proc/self/status"]}`)
	if !p.byAgent {
		t.Error("a process like the container's went through the runtime")
	}
	if want := ownCapEff(t, c); out != want {
		t.Errorf("through the agent %q, the container's process %q", out, want)
	}
	// Args and env too large for the agent's packet: the runtime runs it,
	// and the agent serves on.
	a := agentOf(c)
	big := strings.Repeat("x", 100*1024)
	env := `"PATH=/bin","B1=` + big + `","B2=` + big + `","B3=` + big + `"`
	if p, out, _ := execOut(t, c, "big", `{"args":["sh","-c","echo ${#B1} ${#B3}"],"env":[`+env+`]}`); p.byAgent || out != "102400 102400" {
		t.Errorf("an env larger than the agent takes: byAgent %v, %q", p.byAgent, out)
	}
	if agentOf(c) != a || a.watch.exited() {
		t.Error("the agent did not survive a request too large for it")
	}
}

// ownCapEff is the CapEff line of c's init.
func ownCapEff(t *testing.T, c *Container) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(c.rec.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "CapEff:") {
			return l
		}
	}
	t.Fatal("no CapEff")
	return ""
}

// agentOf is c's agent in this process, nil when none runs.
func agentOf(c *Container) *agent {
	s := c.agentSlot()
	s.Lock()
	defer s.Unlock()
	return s.a
}

// nsPid is host pid's pid in its own pid namespace.
func nsPid(t *testing.T, pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(v)
			return f[len(f)-1]
		}
	}
	t.Fatal("no NSpid")
	return ""
}

// TestAgentKilledInside: code in the container kills the agent; the next
// exec still runs, and a new agent serves the ones after.
func TestAgentKilledInside(t *testing.T) {
	_, c := runAgentContainer(t, false)
	if p, out, _ := execOut(t, c, "first", `{"args":["echo","one"]}`); !p.byAgent || out != "one" {
		t.Fatalf("first exec: byAgent %v, %q", p.byAgent, out)
	}
	a := agentOf(c)
	_, _, e := execOut(t, c, "killer", fmt.Sprintf(`{"args":["kill","-9","%s"]}`, nsPid(t, a.pid)))
	if e.Status != 0 {
		t.Fatalf("kill exit %+v", e)
	}
	if ex, err := a.watch.wait(bg); err != nil || ex.Signal != 9 {
		t.Fatalf("agent exit %+v, %v", ex, err)
	}
	for i := 0; i < 2; i++ {
		p, out, e := execOut(t, c, fmt.Sprintf("after%d", i), `{"args":["echo","two"]}`)
		if out != "two" || e.Status != 0 {
			t.Errorf("exec after the kill: %q, %+v", out, e)
		}
		if !p.byAgent {
			t.Errorf("exec %d after the kill went through the runtime", i)
		}
	}
	if b := agentOf(c); b == nil || b.pid == a.pid {
		t.Errorf("no new agent: %+v", b)
	}
}

// TestAgentStoppedInside: code in the container stops the agent; the exec
// goes through the runtime after a short deadline, and the next one through
// a new agent.
func TestAgentStoppedInside(t *testing.T) {
	old := agentDeadline
	agentDeadline = 300 * time.Millisecond
	defer func() { agentDeadline = old }()
	_, c := runAgentContainer(t, false)
	execOut(t, c, "first", `{"args":["true"]}`)
	a := agentOf(c)
	if _, _, e := execOut(t, c, "stopper", fmt.Sprintf(`{"args":["kill","-STOP","%s"]}`, nsPid(t, a.pid))); e.Status != 0 {
		t.Fatalf("kill -STOP exit %+v", e)
	}
	p, out, e := execOut(t, c, "during", `{"args":["echo","three"]}`)
	if p.byAgent || out != "three" || e.Status != 0 {
		t.Errorf("exec with the agent stopped: byAgent %v, %q, %+v", p.byAgent, out, e)
	}
	if ex, err := a.watch.wait(bg); err != nil || ex.Signal != 9 {
		t.Errorf("the stopped agent: %+v, %v", ex, err)
	}
	if p, out, _ := execOut(t, c, "after", `{"args":["echo","four"]}`); !p.byAgent || out != "four" {
		t.Errorf("exec after: byAgent %v, %q", p.byAgent, out)
	}
}

// TestAgentLies: an agent that passes the pidfd of a process it did not
// start (the container's init, another exec'd process, a host process) is
// killed, the exec goes through the runtime, and the process it named is
// left alone.
func TestAgentLies(t *testing.T) {
	_, c := runAgentContainer(t, false)
	victim, err := c.Exec(bg, "victim", processOver(t, c, `{"args":["sleep","1000"]}`), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	host := exec.Command("sleep", "1000")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { host.Process.Kill(); host.Wait() }()
	for _, liar := range []struct {
		name string
		pid  int
	}{{"init", c.rec.Pid}, {"exec", victim.rec.Pid}, {"host", host.Process.Pid}} {
		t.Run(liar.name, func(t *testing.T) {
			execOut(t, c, "warm-"+liar.name, `{"args":["true"]}`)
			a := agentOf(c)
			agentTamper = func(got []*os.File) {
				fd, err := unix.PidfdOpen(liar.pid, 0)
				if err != nil {
					t.Errorf("pidfd_open: %v", err)
					return
				}
				got[0].Close()
				got[0] = os.NewFile(uintptr(fd), "lie")
			}
			p, out, e := execOut(t, c, "lied-"+liar.name, `{"args":["echo","five"]}`)
			agentTamper = nil
			if p.byAgent || out != "five" || e.Status != 0 {
				t.Errorf("exec with a lying agent: byAgent %v, %q, %+v", p.byAgent, out, e)
			}
			if p.rec.Pid == liar.pid {
				t.Errorf("the exec took the pid the agent named")
			}
			if ex, err := a.watch.wait(bg); err != nil || ex.Signal != 9 {
				t.Errorf("the lying agent: %+v, %v", ex, err)
			}
			if err := unix.Kill(liar.pid, 0); err != nil {
				t.Errorf("the process named: %v", err)
			}
		})
	}
	if s, _ := c.State(bg); s != StateRunning {
		t.Errorf("container %v", s)
	}
	if victim.watch.exited() {
		t.Error("the victim exited")
	}
}

// TestHostDyingMidAgentExec: a host killed between reserving an agent
// exec's state dir and recording its process leaves a dir that the next
// exec of the id, through the agent or the runtime, removes and reuses.
func TestHostDyingMidAgentExec(t *testing.T) {
	for _, point := range []string{"reserved", "noted"} {
		for _, noAgent := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/noAgent=%v", point, noAgent), func(t *testing.T) {
				rt, c := runAgentContainer(t, noAgent)
				err := faultHelper("die-reserving", rt.Root(), c.ID(), "dup", point).Run()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("helper: %v", err)
				}
				dir := filepath.Join(c.dir, processesDirName, "dup")
				var noted record
				data, err := os.ReadFile(filepath.Join(dir, reservationName))
				if err != nil {
					t.Fatalf("the dead host's reservation: %v", err)
				}
				if point == "noted" {
					if err := json.Unmarshal(data, &noted); err != nil || noted.Pid <= 0 {
						t.Fatalf("noted %q: %v", data, err)
					}
					// Its process exits once the host is gone: until then
					// the id stays taken.
					for deadline := time.Now().Add(10 * time.Second); !reaped(noted.Pid, noted.StartTime); time.Sleep(10 * time.Millisecond) {
						if time.Now().After(deadline) {
							t.Fatal("the dead host's process lives on")
						}
					}
				}
				if _, err := c.LoadProcess(bg, "dup"); !errors.Is(err, ErrNotFound) {
					t.Errorf("LoadProcess of the dead reservation = %v, want ErrNotFound", err)
				}
				p, out, e := execOut(t, c, "dup", `{"args":["echo","again"]}`)
				if out != "again" || e.Status != 0 || p.byAgent == noAgent {
					t.Errorf("the exec after: %q, %+v, byAgent %v", out, e, p.byAgent)
				}
				if err := p.Delete(bg); err != nil {
					t.Errorf("Delete: %v", err)
				}
				entries, _ := os.ReadDir(filepath.Join(c.dir, processesDirName))
				for _, e := range entries {
					t.Errorf("left in processes/: %s", e.Name())
				}
			})
		}
	}
}

// TestAgentReservationHeld: while an agent exec holds its state dir, a
// reservation of the same id (as another process's agent exec makes it)
// and an exec of it through the runtime are refused and leave it alone.
func TestAgentReservationHeld(t *testing.T) {
	rt, c := runAgentContainer(t, false)
	other := newTestRuntime(t, Options{Root: rt.Root(), NoAgent: true})
	oc, err := other.Load(bg, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	dir := filepath.Join(c.dir, processesDirName, "held")
	var others []error
	agentExecHook = func(point string) {
		if res, err := reserveProcessDir(dir, "held"); err == nil {
			res.release()
			others = append(others, fmt.Errorf("reserved again at %s", point))
		} else {
			others = append(others, err)
		}
		_, err := oc.Exec(bg, "held", processOver(t, oc, `{"args":["true"]}`), NullIO())
		others = append(others, err)
	}
	defer func() { agentExecHook = nil }()
	p, out, e := execOut(t, c, "held", `{"args":["echo","mine"]}`)
	agentExecHook = nil
	if out != "mine" || e.Status != 0 || !p.byAgent {
		t.Errorf("the holder's exec: %q, %+v, byAgent %v", out, e, p.byAgent)
	}
	if len(others) != 4 {
		t.Fatalf("the hook ran %d times, want 2", len(others)/2)
	}
	for i, err := range others {
		if !errors.Is(err, ErrExists) {
			t.Errorf("attempt %d on a held id = %v, want ErrExists", i, err)
		}
	}
}

// TestAgentGoPipeUnwritable: an agent that passes a go pipe no one reads,
// or no pipe at all, makes the exec fail at once with an error; the
// process is killed, nothing of it is left, and the next exec runs.
func TestAgentGoPipeUnwritable(t *testing.T) {
	_, c := runAgentContainer(t, false)
	execOut(t, c, "warm", `{"args":["true"]}`)
	for _, lie := range []string{"closed", "not-a-pipe"} {
		t.Run(lie, func(t *testing.T) {
			var real *os.File
			defer func() {
				if real != nil {
					real.Close()
				}
			}()
			agentTamper = func(got []*os.File) {
				var f *os.File
				if lie == "closed" {
					r, w, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					r.Close()
					f = w
				} else {
					var err error
					if f, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
						t.Fatal(err)
					}
				}
				// The real go pipe stays open: its process waits.
				real = got[1]
				got[1] = f
			}
			defer func() { agentTamper = nil }()
			start := time.Now()
			_, err := c.Exec(bg, "lied-"+lie, processOver(t, c, `{"args":["true"]}`), NullIO())
			agentTamper = nil
			if !errors.Is(err, ErrSys) || !strings.Contains(err.Error(), "start the process") {
				t.Errorf("Exec = %v, want ErrSys saying the process could not start", err)
			}
			if d := time.Since(start); d >= agentDeadline {
				t.Errorf("the exec took %v, as long as an agent's deadline", d)
			}
			if _, err := os.Stat(filepath.Join(c.dir, processesDirName, "lied-"+lie)); !os.IsNotExist(err) {
				t.Errorf("the failed exec left its dir: %v", err)
			}
			if p, out, e := execOut(t, c, "after-"+lie, `{"args":["echo","ok"]}`); out != "ok" || e.Status != 0 || !p.byAgent {
				t.Errorf("exec after: byAgent %v, %q, %+v", p.byAgent, out, e)
			}
		})
	}
}

// TestAgentSpareDir: after an agent exec the next one's state dir is made
// ahead, beside the container's processes and not among them; the
// container's delete, even as it is being made, leaves nothing of it.
func TestAgentSpareDir(t *testing.T) {
	rt, c := runAgentContainer(t, false)
	execOut(t, c, "first", `{"args":["true"]}`)
	var spares []string
	for deadline := time.Now().Add(10 * time.Second); len(spares) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		spares, _ = filepath.Glob(filepath.Join(c.dir, reservedPrefix+"reserving-*"))
	}
	if len(spares) != 1 {
		t.Fatalf("spare dirs %v, want one", spares)
	}
	if _, err := os.Stat(filepath.Join(spares[0], exitRecordName)); err != nil {
		t.Errorf("the spare has no empty exit record: %v", err)
	}
	p, _, _ := execOut(t, c, "second", `{"args":["true"]}`)
	if !p.byAgent {
		t.Fatal("the second exec went through the runtime")
	}
	if _, err := os.Stat(spares[0]); !os.IsNotExist(err) {
		t.Errorf("the second exec did not take the spare: %v", err)
	}
	if e, ok := recordedExit(p.dir); !ok || e.Status != 0 {
		t.Errorf("the exit recorded in the spare's record: %+v, %v", e, ok)
	}
	for i := 0; i < 3; i++ {
		c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "1000"), NullIO())
		if err != nil {
			t.Fatal(err)
		}
		execOut(t, c, "p", `{"args":["true"]}`)
		if err := c.Delete(bg, true); err != nil {
			t.Errorf("Delete with a spare being made: %v", err)
		}
		if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
			t.Errorf("the deleted container's dir: %v", err)
		}
		c.Close()
	}
}

// TestAgentRecycledDir: the state dir of an agent-run process deleted
// through its handle becomes a spare (the same directory, emptied), and
// the exec that takes it records its own process there; a process
// deleted through a handle loaded elsewhere is removed; the container's
// delete leaves no dir.
func TestAgentRecycledDir(t *testing.T) {
	rt, c := runAgentContainer(t, false)
	sparesOf := func(want int) map[uint64]string {
		t.Helper()
		var dirs []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			dirs, _ = filepath.Glob(filepath.Join(c.dir, reservedPrefix+"re*-*"))
			if len(dirs) == want && spareComplete(dirs) {
				break
			}
		}
		if !spareComplete(dirs) {
			t.Fatalf("spares %v are not each an empty %s and a %s", dirs, exitRecordName, reservationName)
		}
		inodes := map[uint64]string{}
		for _, d := range dirs {
			inodes[inodeOf(t, d)] = d
		}
		if len(inodes) != want {
			t.Fatalf("spare dirs %v, want %d", dirs, want)
		}
		return inodes
	}
	a, _, _ := execOut(t, c, "a", `{"args":["true"]}`)
	sparesOf(1)
	aInode := inodeOf(t, a.dir)
	if err := a.Delete(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.dir); !os.IsNotExist(err) {
		t.Errorf("the deleted process's dir is still there: %v", err)
	}
	spares := sparesOf(2)
	if _, ok := spares[aInode]; !ok {
		t.Fatalf("the deleted process's dir is not among the spares %v", spares)
	}
	b, _, e := execOut(t, c, "b", `{"args":["sh","-c","exit 3"]}`)
	if !b.byAgent || e.Status != 3 {
		t.Fatalf("exec b: by agent %v, exit %+v", b.byAgent, e)
	}
	if _, ok := spares[inodeOf(t, b.dir)]; !ok {
		t.Errorf("exec b did not take a spare")
	}
	var rec record
	if err := readJSON(filepath.Join(b.dir, processRecordName), &rec); err != nil || rec.ID != "b" || rec.Pid != b.Pid() {
		t.Errorf("b's record %+v (%v), want its own", rec, err)
	}
	if got, ok := recordedExit(b.dir); !ok || got.Status != 3 {
		t.Errorf("b's recorded exit %+v, %v", got, ok)
	}
	lb := loadProcess(t, rt, c.id, "b")
	before := len(sparesOf(1))
	if err := lb.Delete(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.dir); !os.IsNotExist(err) {
		t.Errorf("b's dir after its delete: %v", err)
	}
	if after, _ := filepath.Glob(filepath.Join(c.dir, reservedPrefix+"*")); len(after) != before {
		t.Errorf("a delete through a loaded handle made a spare: %v", after)
	}
	if err := c.Delete(bg, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("the deleted container's dir: %v", err)
	}
}

// spareComplete tells whether each dir is a spare made whole: its
// reservation file and an empty exit record, nothing else.
func spareComplete(dirs []string) bool {
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil || len(entries) != 2 || entries[0].Name() != exitRecordName || entries[1].Name() != reservationName {
			return false
		}
		if st, err := os.Stat(filepath.Join(d, exitRecordName)); err != nil || st.Size() != 0 {
			return false
		}
	}
	return true
}

// inodeOf is path's inode number.
func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestAgentExecPaused: an exec into a paused container whose agent is live
// is ErrState (the request reached the frozen agent, which is killed), and
// leaves no dir; once resumed, execs go through a new agent.
func TestAgentExecPaused(t *testing.T) {
	_, c := runAgentContainer(t, false)
	execOut(t, c, "first", `{"args":["true"]}`)
	a := agentOf(c)
	if err := c.Pause(bg); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(bg, "paused", processOver(t, c, `{"args":["true"]}`), NullIO())
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "paused") {
		t.Errorf("Exec in a paused container = %v, want ErrState", err)
	}
	if _, err := os.Stat(filepath.Join(c.dir, processesDirName, "paused")); !os.IsNotExist(err) {
		t.Errorf("the refused exec left its dir: %v", err)
	}
	if err := c.Resume(bg); err != nil {
		t.Fatal(err)
	}
	p, out, e := execOut(t, c, "after", `{"args":["echo","ok"]}`)
	if out != "ok" || e.Status != 0 || !p.byAgent {
		t.Errorf("exec after resume: byAgent %v, %q, %+v", p.byAgent, out, e)
	}
	if b := agentOf(c); b == nil || b.pid == a.pid {
		t.Errorf("the paused container's agent was not replaced: %+v", b)
	}
}
