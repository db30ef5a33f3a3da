package runtime

// Nothing a client does blocks the monitor or another root: a stopped
// monitor, a client that stops reading, a FIFO for a record, a client of
// another protocol version.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

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
	if _, err := monitor.Connect(a.Root()); !errors.Is(err, ErrTimeout) {
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
func (r *rawMonitor) next(d time.Duration) (monitor.Msg, bool) {
	buf := make([]byte, monitor.MaxMsg)
	r.conn.SetReadDeadline(time.Now().Add(d))
	n, err := r.conn.Read(buf)
	if err != nil {
		return monitor.Msg{}, false
	}
	m, err := monitor.DecodeMsg(buf[:n])
	return m, err == nil
}

func TestMonitorBoundsQueueOfStalledClient(t *testing.T) {
	monitor.ExtraOptions = []string{"--queue-max=4096"}
	defer func() { monitor.ExtraOptions = nil }()
	rt := newTestRuntime(t, Options{})
	c := runSleeper(t, rt)
	events, err := rt.Events(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	// A client that subscribes and stops reading, as a stopped process.
	raw := dialRaw(t, filepath.Join(rt.Root(), "monitor.sock"))
	raw.send(monitor.Msg{Type: monitor.MsgHello, Seq: 1, Count: monitor.ProtoVersion, Arg: monitor.ProtoVersion}.Encode(nil))
	raw.send(monitor.Msg{Type: monitor.MsgSubscribe, Seq: 2}.Encode(nil))
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
		case monitor.MsgEvent:
			got++
		case monitor.MsgOverflow:
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
				buf := make([]byte, monitor.MaxMsg)
				for {
					n, err := conn.Read(buf)
					if err != nil || n < monitor.MsgHead {
						return
					}
					reply := make([]byte, 64)
					binary64(reply, buf[8:16], 2, monitor.MsgReply, int32(unix.EPROTO))
					conn.Write(reply)
				}
			}()
		}
	}()
	rt := newTestRuntime(t, Options{Root: root})
	if e := runExit(t, rt, "exit 9"); e.Status != 9 {
		t.Errorf("exit %+v", e)
	}
	if _, err := os.Stat(filepath.Join(root, fmt.Sprintf("monitor.v%d.sock", monitor.ProtoVersion))); err != nil {
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
	binary64(old, []byte{7, 0, 0, 0, 0, 0, 0, 0}, 2, monitor.MsgHello, 0)
	raw.send(old)
	m, ok := raw.next(5 * time.Second)
	if !ok || m.Version != 2 || m.Seq != 7 || m.Err != int32(unix.EPROTO) || m.Arg != monitor.ProtoVersion {
		t.Errorf("reply %+v %v", m, ok)
	}
}

func TestSpawnTimedOutIsCancelled(t *testing.T) {
	setMonitorTimeout(t, time.Second)
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sleep", "100000")
	mon := testMonitor(t, rt.Root())
	stopMonitor(t, mon)
	id := testID(t)
	if _, err := rt.Run(bg, id, bundle, NullIO()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run on a stopped monitor = %v, want ErrTimeout", err)
	}
	// Resumed, the monitor runs the late call and kills it at once.
	unix.Kill(mon.Pid(), unix.SIGCONT)
	time.Sleep(500 * time.Millisecond)
	noContainerLeft(t, rt, id)
	if e := runExit(t, rt, "exit 3"); e.Status != 3 {
		t.Errorf("exit %+v", e)
	}
}
