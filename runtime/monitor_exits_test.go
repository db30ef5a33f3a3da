package runtime

// No exit is lost or unknown while the monitor lives, and events come in
// the header's order.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

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
	unix.Kill(mon.Pid(), unix.SIGCONT)
	if err := cmd.Wait(); err != nil || strings.TrimSpace(out.String()) != "137" {
		t.Errorf("load in another process: %v: %s", err, out.String())
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
	unix.Kill(mon.Pid(), unix.SIGKILL)
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
	if testMonitor(t, rt.Root()).Pid() == mon.Pid() {
		t.Errorf("no new monitor")
	}
}

// A monitor can close its sockets after its children have gone to init
// (its last thread does). A question sent to it then, or a message it
// never read, is lost with the connection and sent again to a new
// monitor. The test holds copies of the monitor's ends of this process's
// connections while it dies, and drops them once the message is there.
func TestMessageToADyingMonitorIsSentAgain(t *testing.T) {
	root := t.TempDir()
	id := testID(t)
	createElsewhere(t, root, id, newBundle(t, false, "sleep", "100"))
	rt := newTestRuntime(t, Options{Root: root})

	dead := killHoldingSockets(t, root)
	c, err := rt.Load(bg, id)
	if err != nil {
		t.Fatalf("Load after the monitor died: %v", err)
	}
	defer c.Close()
	if testMonitor(t, root).Pid() == dead {
		t.Errorf("no new monitor")
	}
	if err := c.Kill(bg, unix.SIGKILL, false); err != nil {
		t.Errorf("Kill: %v", err)
	}
	if _, err := c.Wait(withTimeout(10 * time.Second)); !errors.Is(err, ErrSys) || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("Wait: %v", err)
	}
	if err := c.Delete(bg, true); err != nil {
		t.Errorf("Delete: %v", err)
	}

	// This connection has asked its questions: a run's first message
	// is the runtime's spawn.
	runExit(t, rt, "true")
	dead = killHoldingSockets(t, root)
	if e := runExit(t, rt, "exit 3"); e.Status != 3 {
		t.Errorf("run after the monitor died: %+v", e)
	}
	if testMonitor(t, root).Pid() == dead {
		t.Errorf("no new monitor")
	}
}

// killHoldingSockets kills root's monitor while this process holds
// copies of its ends of this process's connections, and returns its pid
// once it has exited. The copies go when the next packet reaches one.
func killHoldingSockets(t *testing.T, root string) int {
	t.Helper()
	pid := testMonitor(t, root).Pid()
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pidfd)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	var held []unix.PollFd
	for _, e := range ents {
		n, _ := strconv.Atoi(e.Name())
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err != nil {
			continue
		}
		if cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED); err != nil || int(cred.Pid) != os.Getpid() {
			unix.Close(fd)
			continue
		}
		held = append(held, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	if len(held) == 0 {
		t.Fatalf("the monitor (pid %d) holds no connection of this process", pid)
	}
	unix.Kill(pid, unix.SIGKILL)
	exited := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(exited, 10_000); n != 1 {
		t.Fatalf("the monitor did not exit: %v", err)
	}
	go func() {
		end := time.Now().Add(10 * time.Second)
		for time.Now().Before(end) {
			if n, _ := unix.Poll(held, 10); n > 0 {
				break
			}
		}
		for _, p := range held {
			unix.Close(int(p.Fd))
		}
	}()
	return pid
}
