package runtime

// The monitor at the kernel's limits: message sizes, fds inherited, its
// fd limit and its fds exhausted.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

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
	for _, pid := range []int{mon.Pid(), c.Pid()} {
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
	if soft, hard := monitorNofile(t, testMonitor(t, rt.Root()).Pid()); soft != hard {
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
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", mon.Pid()))
	var old unix.Rlimit
	if err := unix.Prlimit(mon.Pid(), unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	tight := unix.Rlimit{Cur: uint64(len(fds)) + 3, Max: old.Max}
	if err := unix.Prlimit(mon.Pid(), unix.RLIMIT_NOFILE, &tight, nil); err != nil {
		t.Fatal(err)
	}
	restore := func() { unix.Prlimit(mon.Pid(), unix.RLIMIT_NOFILE, &old, nil) }
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
	before := cpuTicks(t, mon.Pid())
	time.Sleep(time.Second)
	if used := cpuTicks(t, mon.Pid()) - before; used > 20 {
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
