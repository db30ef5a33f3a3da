package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// failingRuntime writes a runtime that fails every call the way runc does:
// its message on stderr and, as an error line, in the --log file.
func failingRuntime(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "failing-runtime")
	script := `#!/bin/sh
log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--log) log="$2"; shift 2;;
	--root|--log-format|--criu) shift 2;;
	--*) shift;;
	*) break;;
	esac
done
msg="failing-runtime: deliberate failure in $1"
echo "$msg" >&2
[ -n "$log" ] && printf '{"level":"error","msg":"%s","time":"now"}\n' "$msg" >>"$log"
exit 1
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFailingRuntimeLeavesNothing(t *testing.T) {
	rt := newTestRuntime(t, Options{RuntimePath: failingRuntime(t)})
	bundle := newBundle(t, false, "true")
	for _, run := range []bool{false, true} {
		id := testID(t)
		var err error
		if run {
			_, err = rt.Run(bg, id, bundle, IO{Stdin: StreamPipe, Stdout: StreamPipe, Stderr: StreamNull})
		} else {
			_, err = rt.Create(bg, id, bundle, NullIO())
		}
		if !errors.Is(err, ErrRuntime) || !strings.Contains(err.Error(), "deliberate failure in") {
			t.Errorf("run=%v: %v", run, err)
		}
		if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
			t.Errorf("state dir left behind: %v", err)
		}
	}
	if ids, err := rt.List(bg); err != nil || len(ids) != 0 {
		t.Errorf("List = %v, %v", ids, err)
	}
}

func TestBadInput(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "true")
	for _, id := range []string{"", ".", "..", "../x", "a/b", "a b", strings.Repeat("x", 2000)} {
		if _, err := rt.Create(bg, id, bundle, NullIO()); !errors.Is(err, ErrInvalid) {
			t.Errorf("id %.20q: %v", id, err)
		}
	}
	if _, err := rt.Create(bg, strings.Repeat("y", 300), bundle, NullIO()); !errors.Is(err, ErrInvalid) {
		t.Errorf("id longer than a file name: %v", err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "config.json"), []byte("{not json"), 0o644)
	for name, b := range map[string]string{"missing": "/no/such/bundle", "no config": t.TempDir(), "broken": broken} {
		if _, err := rt.Create(bg, testID(t), b, NullIO()); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s bundle: %v", name, err)
		}
	}
	if _, err := rt.Create(bg, testID(t), bundle, IO{Stdin: -7, Stdout: StreamNull, Stderr: StreamNull}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad stream: %v", err)
	}
	if _, err := rt.Create(bg, testID(t), bundle, IO{Stdin: 999, Stdout: StreamNull, Stderr: StreamNull}); !errors.Is(err, ErrInvalid) {
		t.Errorf("closed fd: %v", err)
	}
	if _, err := New(Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no root: %v", err)
	}
	if _, err := New(Options{Root: t.TempDir(), RuntimePath: "/no/such/runc"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing runtime: %v", err)
	}
	if err := BundleInit(bundle, []string{"true"}, false); !errors.Is(err, ErrExists) {
		t.Errorf("BundleInit twice: %v", err)
	}
	if ids, _ := rt.List(bg); len(ids) != 0 {
		t.Errorf("List = %v", ids)
	}
	entries, _ := os.ReadDir(filepath.Join(rt.Root(), "containers"))
	if len(entries) != 0 {
		t.Errorf("%d state dirs left", len(entries))
	}
}

func TestDuplicateIDLeavesFirstAlone(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := newBundle(t, false, "sleep", "100")
	id := testID(t)
	c, err := rt.Run(bg, id, bundle, NullIO())
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, c)
	if _, err := rt.Run(bg, id, bundle, NullIO()); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate: %v", err)
	}
	if s, err := c.State(bg); err != nil || s != StateRunning {
		t.Errorf("first container: %v %v", s, err)
	}
}

func TestBundleInitResolvesSymlinkedRootfs(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(testRootfs, filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := BundleInit(dir, []string{"true"}, false); err != nil {
		t.Fatal(err)
	}
	rt := newTestRuntime(t, Options{})
	c, err := rt.Run(bg, testID(t), dir, NullIO())
	if err != nil {
		t.Fatalf("Run on a symlinked rootfs: %v", err)
	}
	cleanup(t, c)
	if e := mustWait(t, c); e.Status != 0 {
		t.Errorf("exit %+v", e)
	}
}

func TestRuntimeCallDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hanging-runtime")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rt := newTestRuntime(t, Options{RuntimePath: path, CallTimeout: 300 * time.Millisecond})
	id := testID(t)
	_, err := rt.Run(bg, id, newBundle(t, false, "true"), NullIO())
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("Run on a hanging runtime: %v", err)
	}
	if _, err := os.Stat(rt.containerDir(id)); !os.IsNotExist(err) {
		t.Errorf("state dir left behind: %v", err)
	}
}
