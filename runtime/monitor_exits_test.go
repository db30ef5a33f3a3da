package runtime

// No exit is lost or unknown while the monitor lives, and events come in
// the header's order.

import (
	"bytes"
	"context"
	"errors"
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
