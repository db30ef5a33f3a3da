package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nextEvents reads n events, failing on a timeout.
func nextEvents(t *testing.T, e *Events, n int) []Event {
	t.Helper()
	var out []Event
	for len(out) < n {
		ev, err := e.Next(withTimeout(20 * time.Second))
		if err != nil {
			t.Fatalf("Next after %v: %v", out, err)
		}
		out = append(out, ev)
	}
	return out
}

// polled is a context already ended: a Next with it polls.
func polled() context.Context {
	ctx, cancel := context.WithCancel(bg)
	cancel()
	return ctx
}

func openEvents(t *testing.T, rt *Runtime, capacity int) *Events {
	t.Helper()
	e, err := rt.Events(capacity)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func typesOf(evs []Event) []EventType {
	var ts []EventType
	for _, ev := range evs {
		ts = append(ts, ev.Type)
	}
	return ts
}

func TestEventsLifecycle(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	id := testID(t)
	before, err := rt.Run(bg, id+"-before", newBundle(t, false, "true"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	mustWait(t, before)
	before.Delete(bg, true)
	before.Close()
	e := openEvents(t, rt, 0)
	c, err := rt.Create(bg, id, newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	for _, step := range []func(context.Context) error{c.Start, c.Pause, c.Resume} {
		if err := step(bg); err != nil {
			t.Fatal(err)
		}
	}
	p, err := c.Exec(bg, "job", specs.Process{Args: []string{"sh", "-c", "exit 3"}}, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustWait(t, p)
	c.Kill(bg, unix.SIGKILL, false)
	mustWait(t, c)
	if err := c.Delete(bg, false); err != nil {
		t.Fatal(err)
	}
	evs := nextEvents(t, e, 8)
	want := []EventType{EventCreated, EventStarted, EventPaused, EventResumed, EventExecAdded,
		EventProcessExited, EventExited, EventDeleted}
	if fmt.Sprint(typesOf(evs)) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", typesOf(evs), want)
	}
	for i, ev := range evs {
		if ev.ContainerID != id {
			t.Errorf("event %d names %q, want %q", i, ev.ContainerID, id)
		}
		if i > 0 && ev.Time < evs[i-1].Time {
			t.Errorf("event %d at %d, before its predecessor at %d", i, ev.Time, evs[i-1].Time)
		}
	}
	if x := evs[5]; x.ProcessID != "job" || x.Exit.Status != 3 || x.Pid != p.Pid() {
		t.Errorf("process exit event = %+v", x)
	}
	if x := evs[6]; x.ProcessID != "" || x.Exit.Signal != 9 || x.Pid != c.Pid() {
		t.Errorf("exit event = %+v", x)
	}
	if ev, err := e.Next(polled()); err == nil {
		t.Errorf("an event more: %+v", ev)
	}
}

func TestEventsConcurrentLifecycles(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	streams := []*Events{openEvents(t, rt, 0), openEvents(t, rt, 0)}
	const n = 20
	bundle := newBundle(t, false, "true")
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		id := testID(t)
		ids[id] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := rt.Run(bg, id, bundle, NullIO())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			if _, err := c.Wait(withTimeout(20 * time.Second)); err != nil {
				t.Error(err)
			}
			if err := c.Delete(bg, false); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	want := fmt.Sprint([]EventType{EventCreated, EventStarted, EventExited, EventDeleted})
	for _, e := range streams {
		per := map[string][]EventType{}
		for _, ev := range nextEvents(t, e, 4*n) {
			if !ids[ev.ContainerID] {
				t.Fatalf("unexpected event %+v", ev)
			}
			per[ev.ContainerID] = append(per[ev.ContainerID], ev.Type)
		}
		for id := range ids {
			if got := fmt.Sprint(per[id]); got != want {
				t.Errorf("%s: events %s, want %s", id, got, want)
			}
		}
	}
}

func TestEventsOverflow(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	e := openEvents(t, rt, 3)
	bundle := newBundle(t, false, "true")
	for i := 0; i < 2; i++ {
		c, err := rt.Run(bg, testID(t), bundle, NullIO())
		if err != nil {
			t.Fatal(err)
		}
		mustWait(t, c)
		c.Delete(bg, false)
		c.Close()
	}
	var fds = []unix.PollFd{{Fd: int32(e.Fd()), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 1 {
		t.Errorf("event fd not readable with events queued")
	}
	evs := nextEvents(t, e, 4)
	want := fmt.Sprint([]EventType{EventCreated, EventStarted, EventExited, EventOverflow})
	if got := fmt.Sprint(typesOf(evs)); got != want || evs[3].Dropped != 5 {
		t.Errorf("events %s (dropped %d), want %s (dropped 5)", got, evs[3].Dropped, want)
	}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		t.Errorf("event fd readable with nothing queued")
	}
	if _, err := e.Next(polled()); !errors.Is(err, ErrTimeout) {
		t.Errorf("Next on an empty stream: %v, want a timeout", err)
	}
}

func TestEventsCloseWakesNext(t *testing.T) {
	e := openEvents(t, newTestRuntime(t, Options{}), 0)
	done := make(chan error)
	go func() {
		_, err := e.Next(bg)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	e.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next blocked across Close: %v, want ErrClosed", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not wake a blocked Next")
	}
}

func TestEventsOOM(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 16 * mib, MemorySwapBytes: 16 * mib}, NullIO(), "sleep", "100")
	e := openEvents(t, c.rt, 0)
	p, err := c.Exec(bg, "hog", specs.Process{Args: []string{"busybox", "tail", "/dev/zero"}}, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustWait(t, p)
	evs := nextEvents(t, e, 3)
	if evs[0].Type != EventExecAdded {
		t.Fatalf("events %v, want the exec first", typesOf(evs))
	}
	// The kernel counts the kill a moment after its SIGKILL: an exit reaped
	// before that is no OOM kill, and the OOM event then comes after it.
	oom, exit := evs[1], evs[2]
	if oom.Type != EventOOM {
		oom, exit = exit, oom
	}
	if oom.Type != EventOOM || oom.ContainerID != c.id || oom.ProcessID != "" || oom.Pid != 0 {
		t.Errorf("OOM event = %+v", oom)
	}
	if exit.Type != EventProcessExited || exit.ProcessID != "hog" || exit.Exit.Signal != 9 {
		t.Errorf("exit event = %+v", exit)
	}
	if exit.Exit.OOMKilled && evs[1].Type != EventOOM {
		t.Errorf("an OOM-killed exit came before its OOM event: %v", typesOf(evs))
	}
}

func TestEventsOOMWhileRunning(t *testing.T) {
	c := runLimited(t, Limits{MemoryBytes: 16 * mib, MemorySwapBytes: 16 * mib}, NullIO(),
		"sh", "-c", "sleep 0.3; busybox tail /dev/zero; sleep 100")
	e := openEvents(t, c.rt, 0)
	ev := nextEvents(t, e, 1)[0]
	if ev.Type != EventOOM || ev.ContainerID != c.id || ev.ProcessID != "" || ev.Pid != 0 {
		t.Fatalf("event = %+v, want an OOM of the container", ev)
	}
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("state after a child's OOM kill = %v, %v", s, err)
	}
	c.Kill(bg, unix.SIGKILL, false)
	mustWait(t, c)
	if ev := nextEvents(t, e, 1)[0]; ev.Type != EventExited || !ev.Exit.OOMKilled {
		t.Errorf("exit event = %+v, want one OOM-killed and no second OOM event", ev)
	}
}

func TestExitFd(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	fd, err := c.ExitFd()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.ExitFd(); again != fd {
		t.Errorf("a second ExitFd gave %d, the first %d", again, fd)
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		t.Fatal("exit fd readable while the container runs")
	}
	c.Kill(bg, unix.SIGKILL, false)
	if n, _ := unix.Poll(fds, 20000); n != 1 {
		t.Fatal("exit fd not readable after the exit")
	}
	if _, err := c.Wait(bg); err != nil {
		t.Errorf("Wait after the fd polled readable: %v", err)
	}
	// Closed, the handle deletes nothing: delete the container first.
	if err := c.Delete(bg, false); err != nil {
		t.Errorf("Delete: %v", err)
	}
	c.Close()
	if _, err := c.ExitFd(); !errors.Is(err, ErrClosed) {
		t.Errorf("ExitFd of a closed handle: %v", err)
	}
}
