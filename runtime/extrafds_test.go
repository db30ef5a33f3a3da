package runtime

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/libexecution/execution/runtime/internal/monitor"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestExtraFDs: a container and an exec'd process get the caller's extra
// fds as 3, 4, ... in order.
func TestExtraFDs(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	ra, wa, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	rb, wb, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	io := NullIO()
	io.ExtraFDs = []int{int(wb.Fd()), int(wa.Fd())}
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sh", "-c", "echo three >&3; echo four >&4; sleep 100"), io)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	io.ExtraFDs = []int{int(wa.Fd())}
	p, err := c.Exec(bg, "p1", specs.Process{Args: []string{"sh", "-c", "echo exec >&3"}}, io)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	defer p.Close()
	mustWait(t, p)
	wa.Close()
	wb.Close()
	if got := readLine(t, rb); got != "three\n" {
		t.Errorf("fd 3 of the container: %q", got)
	}
	a := readLine(t, ra) + readLine(t, ra)
	if a != "four\nexec\n" && a != "exec\nfour\n" {
		t.Errorf("fd 4 of the container and fd 3 of the exec: %q", a)
	}
}

// readLine reads one line of f, byte by byte so nothing after it is taken.
func readLine(t *testing.T, f *os.File) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := f.Read(buf)
		if n == 1 {
			b.WriteByte(buf[0])
			if buf[0] == '\n' {
				return b.String()
			}
		}
		if err != nil {
			t.Fatalf("read: %v (after %q)", err, b.String())
		}
	}
}

// TestExtraFDsRefused: too many, negative, closed and the library's own
// fds (its monitor connection, also dup'ed) are ErrInvalid before anything
// starts.
func TestExtraFDsRefused(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), newBundle(t, false, "sleep", "100"), NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	mon, err := monitor.For(rt.root)
	if err != nil {
		t.Fatal(err)
	}
	var monFD, monDup int
	mon.Fd(func(fd int) { monFD = fd })
	if monDup, err = unix.FcntlInt(uintptr(monFD), unix.F_DUPFD_CLOEXEC, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(monDup)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	closed := int(w.Fd())
	r.Close()
	w.Close()
	bundle := newBundle(t, false, "true")
	for _, fds := range [][]int{{-1}, {closed}, {monFD}, {monDup}, make([]int, MaxExtraFDs+1)} {
		io := NullIO()
		io.ExtraFDs = fds
		id := testID(t)
		if _, err := rt.Run(bg, id, bundle, io); !errors.Is(err, ErrInvalid) {
			t.Errorf("Run with %v: %v", fds, err)
		}
		if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
			t.Errorf("Run with %v left its state dir: %v", fds, err)
		}
		if _, err := c.Exec(bg, "refused", specs.Process{Args: []string{"true"}}, io); !errors.Is(err, ErrInvalid) {
			t.Errorf("Exec with %v: %v", fds, err)
		}
	}
}
