package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testRootfs is a busybox rootfs: $EXEC_TEST_ROOTFS (make bundle), or one
// built by TestMain from the host's busybox-static.
var testRootfs string

func TestMain(m *testing.M) {
	if err := loadTestMonitor(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := loadTestImageHelper(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testRootfs = os.Getenv("EXEC_TEST_ROOTFS")
	var tmp string
	// The helper process (see TestHelperProcess) is given its bundle.
	if testRootfs == "" && os.Getenv("EXEC_HELPER") == "" {
		var err error
		tmp, err = os.MkdirTemp("", "exec-rootfs-")
		if err == nil {
			testRootfs = filepath.Join(tmp, "rootfs")
			err = makeRootfs(testRootfs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot build a busybox rootfs (is busybox-static installed?):", err)
			os.Exit(2)
		}
	}
	code := m.Run()
	removeTestImages()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// loadTestMonitor registers the monitor program: $EXEC_TEST_MONITOR (make
// monitor), or one built here from monitor/monitor.c.
func loadTestMonitor() error {
	path := os.Getenv("EXEC_TEST_MONITOR")
	if path == "" {
		dir, err := os.MkdirTemp("", "exec-monitor-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "execution-monitor")
		if out, err := exec.Command("cc", "-O2", "-o", path, "../monitor/monitor.c").CombinedOutput(); err != nil {
			return fmt.Errorf("cannot build the monitor: %v: %s", err, out)
		}
	}
	image, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the monitor program: %v", err)
	}
	SetMonitorProgram(image)
	return nil
}

// loadTestImageHelper registers the image helper: $EXEC_TEST_IMAGE_HELPER
// (make image-helper), or one built here from runtime/image/cmd.
func loadTestImageHelper() error {
	path := os.Getenv("EXEC_TEST_IMAGE_HELPER")
	if path == "" {
		dir, err := os.MkdirTemp("", "exec-image-helper-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "execution-image")
		cmd := exec.Command("go", "build", "-o", path, "./image/cmd/execution-image")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cannot build the image helper: %v: %s", err, out)
		}
	}
	image, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the image helper: %v", err)
	}
	SetImageProgram(image)
	return nil
}

func makeRootfs(dir string) error {
	for _, d := range []string{"bin", "proc", "sys", "dev", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if out, err := exec.Command("cp", "/bin/busybox", filepath.Join(dir, "bin/busybox")).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	for _, applet := range []string{"sh", "cat", "echo", "sleep", "true", "false", "kill", "id", "pwd", "ls", "env"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			return err
		}
	}
	return nil
}

var idCounter atomic.Int64

// testID is unique host-wide: container ids name cgroups.
func testID(t *testing.T) string {
	return fmt.Sprintf("go-%d-%d", os.Getpid(), idCounter.Add(1))
}

// newTestRuntime opens a runtime on a temp root.
func newTestRuntime(t *testing.T, opts Options) *Runtime {
	t.Helper()
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	rt, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return rt
}

// newBundle makes a bundle running args on the test rootfs.
func newBundle(t *testing.T, terminal bool, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", testRootfs, filepath.Join(dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	if err := BundleInit(dir, args, terminal); err != nil {
		t.Fatalf("BundleInit: %v", err)
	}
	return dir
}

// cleanup force-deletes a container when the test ends, whatever happened.
func cleanup(t *testing.T, c *Container) {
	t.Cleanup(func() {
		c.Delete(context.Background(), true)
		c.Close()
	})
}

func withTimeout(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	_ = cancel
	return ctx
}

func mustWait(t *testing.T, w interface {
	Wait(context.Context) (Exit, error)
}) Exit {
	t.Helper()
	e, err := w.Wait(withTimeout(20 * time.Second))
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return e
}

func readAll(t *testing.T, f *os.File) string {
	t.Helper()
	defer f.Close()
	// A stream something still holds open fails the test, not hangs it
	// (where the file takes deadlines: a pipe does).
	f.SetReadDeadline(time.Now().Add(time.Minute))
	data, err := io.ReadAll(f)
	if err != nil {
		t.Errorf("read: %v", err) // not Fatal: goroutines read too
	}
	return strings.TrimSpace(string(data))
}
