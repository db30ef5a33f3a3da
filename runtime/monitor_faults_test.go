package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The monitor under load and faults: what a host, a client or the kernel
// can do to it, and what it must still do.

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
		err = helperLoad(args[1], args[2])
	case "kill-on-exit":
		err = helperKillOnExit(args[1], args[2], args[3])
	case "run":
		err = helperRun(args[1], args[2], args[3], args[4])
	case "exec":
		err = helperExec(args[1], args[2], args[3])
	case "subreaper":
		err = helperSubreaper(args[1])
	case "closed-stdio":
		err = helperClosedStdio(args[1], args[2])
	case "noexec2":
		err = helperNoexec2(args[1], args[2])
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

func faultHelper(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFaultHelper$")
	cmd.Env = append(os.Environ(), "EXEC_FAULT_HELPER="+strings.Join(args, " "))
	return cmd
}

// helperLoad loads container id and prints its exit.
func helperLoad(root, id string) error {
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Load(bg, id)
	if err != nil {
		return err
	}
	e, err := c.Wait(withTimeout(30 * time.Second))
	if err != nil {
		return err
	}
	fmt.Println(e.Status)
	return nil
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
	mon, err := monitorFor(root)
	if err != nil {
		return err
	}
	sock, err := mon.conn.File()
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
	rt, err := New(Options{Root: root, RuntimePath: runtime})
	if err != nil {
		return err
	}
	c, err := rt.Load(bg, id)
	if err != nil {
		return err
	}
	_, err = c.Exec(bg, "lingering", specs.Process{Args: []string{"sleep", "1000"}}, NullIO())
	return err
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
	mon, err := monitorFor(root)
	if err != nil {
		return err
	}
	st, err := readProcStat(mon.pid)
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
	if _, err := unix.MemfdCreate("probe", unix.MFD_CLOEXEC|mfdExec); err == nil {
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
func testMonitor(t *testing.T, root string) *monitorConn {
	t.Helper()
	mon, err := monitorFor(root)
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
	old := monitorTimeout
	monitorTimeout = d
	t.Cleanup(func() { monitorTimeout = old })
}

// stopMonitor stops the monitor of mon until the test ends.
func stopMonitor(t *testing.T, mon *monitorConn) {
	t.Helper()
	if err := unix.Kill(mon.pid, unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Kill(mon.pid, unix.SIGCONT) })
}

func TestMonitorLargeEnvironment(t *testing.T) {
	// 300 kB of environment, more than a packet holds: the runtime's
	// environment and a kill_on_exit cleanup's travel in a memfd.
	for i := 0; i < 300; i++ {
		t.Setenv(fmt.Sprintf("EXEC_TEST_BIG_%d", i), strings.Repeat("x", 1000))
	}
	rt := newTestRuntime(t, Options{KillOnExit: true})
	if e := runExit(t, rt, "exit 3"); e.Status != 3 {
		t.Errorf("exit %+v", e)
	}
}

func TestMonitorEnvironmentTooLarge(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	for i := 0; i < 17; i++ {
		t.Setenv(fmt.Sprintf("EXEC_TEST_HUGE_%d", i), strings.Repeat("x", 1<<20))
	}
	id := testID(t)
	_, err := rt.Run(bg, id, bundle, NullIO())
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Run = %v, want ErrInvalid", err)
	}
	if ids, _ := rt.List(bg); len(ids) != 0 {
		t.Errorf("List = %v", ids)
	}
	if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
		t.Errorf("state dir left: %v", err)
	}
}

func TestMonitorClosesInheritedFds(t *testing.T) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil { // no O_CLOEXEC, as a careless host makes it
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	var st unix.Stat_t
	unix.Fstat(p[0], &st)
	pipe := fmt.Sprintf("pipe:[%d]", st.Ino)
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	mon := testMonitor(t, rt.Root())
	for _, pid := range []int{mon.pid, c.Pid()} {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); link == pipe {
				t.Errorf("pid %d has the host's pipe as fd %s", pid, fd.Name())
			}
		}
	}
}

// monitorNofile is the soft and hard fd limit of process pid.
func monitorNofile(t *testing.T, pid int) (soft, hard uint64) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &lim); err != nil {
		t.Fatal(err)
	}
	return lim.Cur, lim.Max
}

func TestMonitorRaisesFdLimit(t *testing.T) {
	var old unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &old)
	if old.Max <= 1024 {
		t.Skip("hard fd limit too low to tell")
	}
	low := unix.Rlimit{Cur: 1024, Max: old.Max}
	unix.Setrlimit(unix.RLIMIT_NOFILE, &low)
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	if soft, hard := monitorNofile(t, testMonitor(t, rt.Root()).pid); soft != hard {
		t.Errorf("monitor fd limit %d of %d", soft, hard)
	}
	// The runtime and the containers get the host's limit back.
	if soft, _ := monitorNofile(t, c.Pid()); soft == old.Max && old.Max != 1024 {
		t.Errorf("container got the monitor's raised limit %d", soft)
	}
}

// cpuTicks is the CPU time process pid used, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}

func TestMonitorOutOfFds(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	first := runSleeper(t, rt)
	mon := testMonitor(t, rt.Root())
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", mon.pid))
	var old unix.Rlimit
	if err := unix.Prlimit(mon.pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	tight := unix.Rlimit{Cur: uint64(len(fds)) + 3, Max: old.Max}
	if err := unix.Prlimit(mon.pid, unix.RLIMIT_NOFILE, &tight, nil); err != nil {
		t.Fatal(err)
	}
	restore := func() { unix.Prlimit(mon.pid, unix.RLIMIT_NOFILE, &old, nil) }
	defer restore()

	// Calls fail cleanly once the monitor has no fd left.
	running := []*Container{first}
	var failure error
	bundle := newBundle(t, false, "sleep", "100000")
	for i := 0; i < 10 && failure == nil; i++ {
		c, err := rt.Run(withTimeout(30*time.Second), testID(t), bundle, NullIO())
		if err != nil {
			failure = err
			break
		}
		cleanup(t, c)
		running = append(running, c)
	}
	if failure == nil {
		t.Fatalf("10 containers ran on a monitor with %d fds", tight.Cur)
	}
	t.Logf("at the limit: %v", failure)

	// A connection waiting for an fd does not make the monitor spin.
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: filepath.Join(rt.Root(), "monitor.sock"), Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := cpuTicks(t, mon.pid)
	time.Sleep(time.Second)
	if used := cpuTicks(t, mon.pid) - before; used > 20 {
		t.Errorf("the monitor used %d ticks in a second out of fds", used)
	}

	// The containers running keep exact exits, the connection goes on,
	// and with room again calls succeed.
	for _, c := range running {
		if err := c.Kill(bg, unix.SIGKILL, false); err != nil {
			t.Fatalf("Kill: %v", err)
		}
		if e := mustWait(t, c); e.Status != 137 {
			t.Errorf("exit %+v", e)
		}
	}
	restore()
	if e := runExit(t, rt, "exit 4"); e.Status != 4 {
		t.Errorf("exit %+v", e)
	}
	if mon2 := testMonitor(t, rt.Root()); mon2 != mon {
		t.Errorf("the connection was dropped at the limit")
	}
}

func TestMonitorStoppedHoldsUpItsRootOnly(t *testing.T) {
	setMonitorTimeout(t, time.Second)
	a := newTestRuntime(t, Options{})
	ca := runSleeper(t, a)
	b := newTestRuntime(t, Options{})
	stopMonitor(t, testMonitor(t, a.Root()))

	start := time.Now()
	err := ca.Kill(bg, unix.SIGKILL, false)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Kill on a stopped monitor = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Kill took %v", d)
	}
	if e := runExit(t, b, "exit 6"); e.Status != 6 {
		t.Errorf("exit %+v", e)
	}
	// A new process's connection to the stopped monitor times out too.
	if _, err := connectMonitor(a.Root()); !errors.Is(err, ErrTimeout) {
		t.Errorf("connect to a stopped monitor = %v, want ErrTimeout", err)
	}
}

// rawMonitor is a connection to a monitor that speaks the protocol by hand.
type rawMonitor struct {
	t    *testing.T
	conn *net.UnixConn
}

func dialRaw(t *testing.T, sock string) *rawMonitor {
	t.Helper()
	conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawMonitor{t, conn}
}

func (r *rawMonitor) send(data []byte) {
	if _, err := r.conn.Write(data); err != nil {
		r.t.Fatal(err)
	}
}

// next reads a message, or returns false at the deadline.
func (r *rawMonitor) next(d time.Duration) (monMsg, bool) {
	buf := make([]byte, monMaxMsg)
	r.conn.SetReadDeadline(time.Now().Add(d))
	n, err := r.conn.Read(buf)
	if err != nil {
		return monMsg{}, false
	}
	m, err := decodeMonMsg(buf[:n])
	return m, err == nil
}

func TestMonitorBoundsQueueOfStalledClient(t *testing.T) {
	monitorOptions = []string{"--queue-max=4096"}
	defer func() { monitorOptions = nil }()
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	events, err := rt.Events(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	// A client that subscribes and stops reading, as a stopped process.
	raw := dialRaw(t, filepath.Join(rt.Root(), "monitor.sock"))
	raw.send(monMsg{Type: monHello, Seq: 1, Count: monProtoVersion, Arg: monProtoVersion}.encode(nil))
	raw.send(monMsg{Type: monSubscribe, Seq: 2}.encode(nil))
	const cycles = 200
	for i := 0; i < cycles; i++ {
		if err := c.Pause(bg); err != nil {
			t.Fatalf("Pause: %v", err)
		}
		if err := c.Resume(bg); err != nil {
			t.Fatalf("Resume: %v", err)
		}
	}
	got, dropped := 0, uint64(0)
	for dropped == 0 {
		m, ok := raw.next(5 * time.Second)
		if !ok {
			break
		}
		switch m.Type {
		case monEvent:
			got++
		case monOverflow:
			dropped = m.Count
		}
	}
	t.Logf("the stalled client got %d events, then an overflow of %d", got, dropped)
	if dropped == 0 || uint64(got)+dropped != 2*cycles {
		t.Errorf("the stalled client got %d events and an overflow of %d, of %d", got, dropped, 2*cycles)
	}
	// The library's own stream, which reads, lost nothing.
	n := 0
	for {
		ev, err := events.Next(withTimeout(time.Second))
		if err != nil {
			break
		}
		if ev.Type == EventOverflow {
			t.Fatalf("the reading stream overflowed")
		}
		n++
	}
	if n != 2*cycles {
		t.Errorf("the reading stream got %d events of %d", n, 2*cycles)
	}
}

func TestMonitorExitRecordIsNoFifo(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	record := filepath.Join(c.dir, exitRecordName)
	os.Remove(record)
	if err := unix.Mkfifo(record, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(bg, unix.SIGKILL, false); err != nil {
		t.Fatal(err)
	}
	if e := mustWait(t, c); e.Status != 137 {
		t.Errorf("exit %+v", e)
	}
	if e, ok := recordedExit(c.dir); !ok || e.Status != 137 {
		t.Errorf("record %+v %v", e, ok)
	}
	if left, _ := filepath.Glob(filepath.Join(c.dir, "*.tmp")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}

func TestExitedEventBeforeWaitReturns(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	events, err := rt.Events(64)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	for round := 0; round < 5; round++ {
		id := testID(t)
		c, err := rt.Create(bg, id, newBundle(t, false, "true"), NullIO())
		if err != nil {
			t.Fatal(err)
		}
		cleanup(t, c)
		if err := c.Start(bg); err != nil {
			t.Fatal(err)
		}
		mustWait(t, c)
		polled, cancel := context.WithCancel(bg)
		cancel()
		for {
			ev, err := events.Next(polled)
			if err != nil {
				t.Fatalf("round %d: the wait returned before the EXITED event: %v", round, err)
			}
			if ev.Type == EventExited && ev.ContainerID == id {
				break
			}
		}
	}
}

func TestLoadOfUnreapedExitAsksMonitor(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	mon := testMonitor(t, rt.Root())
	stopMonitor(t, mon)
	unix.Kill(c.Pid(), unix.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if st, err := readProcStat(c.Pid()); err == nil && st.state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the init did not become a zombie")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd := faultHelper("load", rt.Root(), c.ID())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	unix.Kill(mon.pid, unix.SIGCONT)
	if err := cmd.Wait(); err != nil || strings.TrimSpace(out.String()) != "137" {
		t.Errorf("load in another process: %v: %s", err, out.String())
	}
}

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

func TestMonitorOlderVersionGetsOneBeside(t *testing.T) {
	root := t.TempDir()
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: filepath.Join(root, "monitor.sock"), Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(filepath.Join(root, "monitor.sock"), 0o600)
	// A monitor of protocol 2: it refuses a HELLO of another version with
	// EPROTO, in its own (shorter) message.
	go func() {
		for {
			conn, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, monMaxMsg)
				for {
					n, err := conn.Read(buf)
					if err != nil || n < monMsgHead {
						return
					}
					reply := make([]byte, 64)
					binary64(reply, buf[8:16], 2, monReply, int32(unix.EPROTO))
					conn.Write(reply)
				}
			}()
		}
	}()
	rt := newTestRuntime(t, Options{Root: root})
	if e := runExit(t, rt, "exit 9"); e.Status != 9 {
		t.Errorf("exit %+v", e)
	}
	if _, err := os.Stat(filepath.Join(root, monitorVersioned.socket)); err != nil {
		t.Errorf("no monitor of this version beside the old one: %v", err)
	}
}

// binary64 writes a protocol 2 reply header: version, type, seq, and err at
// its offset in that version (48).
func binary64(b, seq []byte, version, typ uint32, err int32) {
	put := func(off int, v uint32) {
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	put(0, version)
	put(4, typ)
	copy(b[8:16], seq)
	put(48, uint32(err))
}

func TestMonitorRefusesOlderHelloInItsVersion(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	runSleeper(t, rt)
	raw := dialRaw(t, filepath.Join(rt.Root(), "monitor.sock"))
	old := make([]byte, 64)
	binary64(old, []byte{7, 0, 0, 0, 0, 0, 0, 0}, 2, monHello, 0)
	raw.send(old)
	m, ok := raw.next(5 * time.Second)
	if !ok || m.Version != 2 || m.Seq != 7 || m.Err != int32(unix.EPROTO) || m.Arg != monProtoVersion {
		t.Errorf("reply %+v %v", m, ok)
	}
}

// resetMonitorProgram drops the process's memfd and copies, so that the
// next monitor started makes them anew.
func resetMonitorProgram(t *testing.T) {
	monitorProgram.Lock()
	image := monitorProgram.image
	monitorProgram.Unlock()
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
	monitorCopyOnly = true
	defer func() { monitorCopyOnly = false }()
	rt := newTestRuntime(t, Options{})
	if e := runExit(t, rt, "exit 2"); e.Status != 2 {
		t.Errorf("exit %+v", e)
	}
	exe := monitorExe(t, testMonitor(t, rt.Root()).pid)
	if !strings.HasPrefix(exe, filepath.Join(rt.Root(), "monitor-")) {
		t.Errorf("monitor runs from %s", exe)
	}
	if st, err := os.Stat(strings.TrimSuffix(exe, " (deleted)")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("copy %v %v", st, err)
	}
	// A copy that was changed is refused, and written again.
	other := t.TempDir()
	monitorProgram.Lock()
	defer monitorProgram.Unlock()
	f, err := monitorCopy(other)
	if err != nil {
		t.Fatalf("monitorCopy: %v", err)
	}
	copies, _ := filepath.Glob(filepath.Join(other, "monitor-*"))
	if len(copies) != 1 {
		t.Fatalf("copies %v", copies)
	}
	path := copies[0]
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if g, err := openMonitorCopy(path, monitorProgram.image); err == nil {
		g.Close()
		t.Errorf("a changed copy passed the check")
	}
	delete(monitorProgram.copies, other)
	f.Close()
	if f, err = monitorCopy(other); err != nil {
		t.Fatalf("monitorCopy over a changed copy: %v", err)
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
	if exe := monitorExe(t, mon.pid); !strings.HasPrefix(exe, "/memfd:") {
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
	for _, h := range cgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, c.ID())); err == nil {
			t.Errorf("cgroup %s left", filepath.Join(h, c.ID()))
		}
	}
	if err := c.Delete(bg, true); err != nil {
		t.Errorf("Delete after the cut: %v", err)
	}
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
	for _, h := range cgroupHierarchies() {
		if _, err := os.Stat(filepath.Join(h, id)); err == nil {
			t.Errorf("cgroup %s left", filepath.Join(h, id))
		}
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
	// exists.
	script := lingeringRuntime(t, rt, "run")
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
	if got := score(testMonitor(t, rt.Root()).pid); got != "-999" {
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

func TestMonitorKilled(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	done, err := rt.Run(bg, testID(t), newBundle(t, false, "sh", "-c", "exit 7"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, done)
	mustWait(t, done)
	running := runSleeper(t, rt)
	mon := testMonitor(t, rt.Root())
	unix.Kill(mon.pid, unix.SIGKILL)
	// An exit told before the monitor died is in its record, for any
	// process; one after it is unknown, and says so.
	if out := strings.TrimSpace(runFaultHelper(t, "load", rt.Root(), done.ID())); !strings.HasSuffix(out, "7") {
		t.Errorf("load after the monitor died: %s", out)
	}
	if err := running.Kill(bg, unix.SIGKILL, false); err != nil {
		t.Fatalf("Kill without a monitor: %v", err)
	}
	if _, err := running.Wait(withTimeout(20 * time.Second)); !errors.Is(err, ErrSys) {
		t.Errorf("Wait = %v, want ErrSys (unknown)", err)
	}
	// The next call starts a new monitor.
	if e := runExit(t, rt, "exit 5"); e.Status != 5 {
		t.Errorf("exit %+v", e)
	}
	if testMonitor(t, rt.Root()).pid == mon.pid {
		t.Errorf("no new monitor")
	}
}
