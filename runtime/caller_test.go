package runtime

// The monitor runs each call as its caller would: in the caller's mount
// namespace, with its limits. Every library process on a root shares one
// monitor, whoever started it.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/libexecution/execution/runtime/internal/monitor"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// callerHelper is the command of TestFaultHelper with args, run through
// wrap (a command line before it; none for none).
func callerHelper(wrap []string, args ...string) *exec.Cmd {
	cmd := faultHelper(args...)
	if len(wrap) > 0 {
		cmd.Args = append(append([]string{}, wrap...), cmd.Args...)
		cmd.Path = cmd.Args[0]
		if p, err := exec.LookPath(cmd.Path); err == nil {
			cmd.Path = p
		}
	}
	return cmd
}

// helperShadowed runs, in a mount namespace where a tmpfs covers shadow,
// a bundle it makes in that tmpfs: a path no other namespace sees. It
// prints "ran" once the container exited 5; with hold, it then keeps its
// runtime (and so the monitor) until its stdin closes.
func helperShadowed(root, shadow, rootfs, id string, hold bool) error {
	bundle := filepath.Join(shadow, "a")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("cp", "-a", rootfs, filepath.Join(bundle, "rootfs")).CombinedOutput(); err != nil {
		return fmt.Errorf("copy rootfs: %v: %s", err, out)
	}
	if err := BundleInit(bundle, []string{"sh", "-c", "exit 5"}, false); err != nil {
		return err
	}
	if err := helperRunTo(root, bundle, id, 5); err != nil {
		return err
	}
	fmt.Println("ran")
	if hold {
		io.Copy(io.Discard, os.Stdin)
	}
	return nil
}

// helperRunTo runs a container of bundle on root to its exit, which
// must be status, and deletes it.
func helperRunTo(root, bundle, id string, status int) error {
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, id, bundle, NullIO())
	if err != nil {
		return err
	}
	defer c.Delete(bg, true)
	if e, err := c.Wait(withTimeout(20 * time.Second)); err != nil || e.Status != status {
		return fmt.Errorf("exit %+v, %v", e, err)
	}
	return nil
}

// helperHoldMonitor starts the monitor of root, says so and keeps it
// until its stdin closes.
func helperHoldMonitor(root string) error {
	if _, err := monitor.For(root); err != nil {
		return err
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// helperRunElsewhere runs a bundle it makes in dir on root, and prints why
// that failed; it fails itself if the container ran.
func helperRunElsewhere(root, dir string) error {
	bundle := filepath.Join(dir, "b")
	if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		return err
	}
	if err := BundleInit(bundle, []string{"true"}, false); err != nil {
		return err
	}
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, "elsewhere", bundle, NullIO())
	if err == nil {
		c.Delete(bg, true)
		return errors.New("the container ran")
	}
	fmt.Println(err)
	if !errors.Is(err, ErrSys) {
		return fmt.Errorf("not ErrSys: %v", err)
	}
	return nil
}

// helperLimits lowers its own fd and process limits and narrows its
// umask, then prints what a container of bundle (one with no rlimits of
// its own) sees of the limits, and the mode of the runtime's state dir of
// it, made under the runtime's umask (the container's own is runc's
// 0022).
func helperLimits(root, bundle, id string) error {
	unix.Umask(0o027)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 300, Max: 400}); err != nil {
		return err
	}
	if err := unix.Setrlimit(unix.RLIMIT_NPROC, &unix.Rlimit{Cur: 2000, Max: 2500}); err != nil {
		return err
	}
	rt, err := New(Options{Root: root})
	if err != nil {
		return err
	}
	c, err := rt.Run(bg, id, bundle, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		return err
	}
	defer c.Delete(bg, true)
	out, err := c.Stdio(Stdout)
	if err != nil {
		return err
	}
	data, _ := io.ReadAll(out)
	out.Close()
	if _, err := c.Wait(withTimeout(20 * time.Second)); err != nil {
		return err
	}
	st, err := os.Stat(filepath.Join(root, "runc", id))
	if err != nil {
		return err
	}
	fmt.Printf("%s%#o\n", data, st.Mode().Perm())
	return nil
}

// startHeld starts a helper that holds its runtime until its stdin
// closes, and returns the first line it prints; it is let go when the
// test ends.
func startHeld(t *testing.T, helper *exec.Cmd) string {
	t.Helper()
	stdin, err := helper.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	helper.Stderr = &stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := helper.Wait(); err != nil {
			t.Errorf("helper: %v: %s", err, stderr.String())
		}
	})
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line == "" {
		t.Logf("helper: %s", stderr.String())
	}
	return line
}

// unshareShadowing wraps a command: it runs in a new mount namespace in
// which a tmpfs covers shadow.
func unshareShadowing(t *testing.T, shadow string) []string {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	if os.Geteuid() != 0 {
		t.Skip("a mount namespace of its own needs root")
	}
	return []string{"unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs tmpfs "$0" && exec "$@"`, shadow}
}

// mntNS names the mount namespace of pid.
func mntNS(t *testing.T, pid int) string {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestCallerNamespaceFirst: a process in a mount namespace of its own, in
// which a tmpfs covers a dir, starts the root's monitor; a process in the
// host's namespace then runs a bundle under that dir, which the first
// process cannot see, on the same root.
func TestCallerNamespaceFirst(t *testing.T) {
	root := t.TempDir()
	shadow := filepath.Join(t.TempDir(), "shadow")
	hostBundle := newBundle(t, false, "sh", "-c", "exit 6")
	if err := os.MkdirAll(shadow, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(hostBundle, filepath.Join(shadow, "b")); err != nil {
		t.Fatal(err)
	}
	hostBundle = filepath.Join(shadow, "b")
	helper := callerHelper(unshareShadowing(t, shadow), "shadowed", root, shadow, testRootfs, testID(t), "hold")
	if line := startHeld(t, helper); line != "ran\n" {
		t.Fatalf("helper said %q", line)
	}
	// The monitor is the helper's: it lives in the helper's namespace.
	mon := testMonitor(t, root)
	if mntNS(t, mon.Pid()) == mntNS(t, os.Getpid()) {
		t.Fatalf("the monitor runs in this process's mount namespace: the helper did not start it")
	}
	rt := newTestRuntime(t, Options{Root: root})
	c, err := rt.Run(bg, testID(t), hostBundle, NullIO())
	if err != nil {
		t.Fatalf("Run of a bundle the monitor's namespace does not see: %v", err)
	}
	cleanup(t, c)
	if e := mustWait(t, c); e.Status != 6 {
		t.Errorf("exit %+v", e)
	}
}

// TestCallerNamespaceSecond: the host's process starts the monitor; a
// process in a mount namespace of its own then runs a bundle only its
// namespace sees, on the same root.
func TestCallerNamespaceSecond(t *testing.T) {
	root := t.TempDir()
	shadow := filepath.Join(t.TempDir(), "shadow")
	if err := os.MkdirAll(shadow, 0o755); err != nil {
		t.Fatal(err)
	}
	wrap := unshareShadowing(t, shadow)
	rt := newTestRuntime(t, Options{Root: root})
	if e := runExit(t, rt, "exit 6"); e.Status != 6 {
		t.Fatalf("exit %+v", e)
	}
	mon := testMonitor(t, root)
	if mntNS(t, mon.Pid()) != mntNS(t, os.Getpid()) {
		t.Fatalf("the monitor is not in this process's mount namespace")
	}
	out, err := callerHelper(wrap, "shadowed", root, shadow, testRootfs, testID(t), "go").CombinedOutput()
	if err != nil || string(out) != "ran\n" {
		t.Fatalf("helper in a namespace of its own: %v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(shadow, "a")); err == nil {
		t.Errorf("the helper's bundle is in this process's view: its tmpfs covered nothing")
	}
}

// TestCallerLimits: a caller's lowered fd and process limits and its
// umask are those of its runtime calls, and so of a container whose config
// sets none, though another process with higher limits and another umask
// started the monitor.
func TestCallerLimits(t *testing.T) {
	root := t.TempDir()
	rt := newTestRuntime(t, Options{Root: root})
	if e := runExit(t, rt, "exit 0"); e.Status != 0 {
		t.Fatalf("exit %+v", e)
	}
	bundle := newBundle(t, false, "sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu")
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	spec.Process.Rlimits = nil
	if data, err = json.Marshal(&spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := callerHelper(nil, "limits", root, bundle, testID(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	// The soft fd limit is the runtime's business: runc, a Go program,
	// raises it to the hard limit, which is the caller's.
	got := strings.Fields(string(out))
	if len(got) != 5 || (got[0] != "300" && got[0] != "400") || got[1] != "400" || got[2] != "2000" || got[3] != "2500" ||
		got[4] != "0710" {
		t.Errorf("the container's limits (nofile soft, hard; nproc soft, hard) and its runtime state dir's mode = %q; "+
			"want the caller's limits 300 400 2000 2500 and 0710 (0711 under the caller's umask 027)", out)
	}
	if e := runExit(t, rt, "[ $(ulimit -n) = 1024 ]"); e.Status != 0 {
		t.Errorf("this process's container did not keep its config's limit: %+v", e)
	}
}

// helperConfined runs a container of bundle under a seccomp filter (kind
// "seccomp", an allow-all one) or no_new_privs (kind "nnp", which its
// command line set), then prints the pid of the monitor that spawned it
// and what confines that monitor; with hold, it keeps its runtime until
// its stdin closes. The root's shared monitor must refuse it.
func helperConfined(root, bundle, id, kind string, hold bool) error {
	if kind == "seccomp" {
		allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		prog := unix.SockFprog{Len: 1, Filter: &allow[0]}
		// TSYNC: every thread of this process, not only this one.
		if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
			unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); e != 0 {
			return fmt.Errorf("seccomp: %v", e)
		}
	}
	if conn, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: filepath.Join(root, "monitor.sock"), Net: "unixpacket"}); err == nil {
		defer conn.Close()
		hello := monitor.Msg{Type: monitor.MsgHello, Seq: 1, Count: monitor.OldestVersion, Arg: monitor.ProtoVersion}
		if _, err := conn.Write(hello.Encode(nil)); err != nil {
			return err
		}
		buf := make([]byte, monitor.MaxMsg)
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		if m, err := monitor.DecodeMsg(buf[:n]); err != nil || m.Err == 0 {
			return errors.New("the root's shared monitor served a confined process")
		} else if m.Err != int32(unix.EPERM) {
			return fmt.Errorf("the shared monitor refused otherwise: %v", unix.Errno(m.Err))
		}
	}
	if err := helperRunTo(root, bundle, id, 0); err != nil {
		return err
	}
	mon, err := monitor.For(root)
	if err != nil {
		return err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", mon.Pid()))
	if err != nil {
		return err
	}
	fmt.Printf("%d %s\n", mon.Pid(), confinementOf(string(status)))
	if hold {
		io.Copy(io.Discard, os.Stdin)
	}
	return nil
}

// confinementOf is the seccomp mode and no_new_privs of a status file.
func confinementOf(status string) string {
	var out []string
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && (k == "Seccomp" || k == "NoNewPrivs") {
			out = append(out, k+"="+strings.TrimSpace(v))
		}
	}
	return strings.Join(out, ",")
}

// confinedWrap is the command line that runs a helper of kind confined.
func confinedWrap(t *testing.T, kind string) []string {
	if kind != "nnp" {
		return nil
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv")
	}
	return []string{"setpriv", "--no-new-privs"}
}

// TestCallerConfined: a caller under a seccomp filter or no_new_privs that
// the root's monitor lacks is refused by it and gets a monitor of its own,
// confined as it is, in both orders of who comes first; the shared monitor
// stays unconfined.
func TestCallerConfined(t *testing.T) {
	for _, kind := range []string{"nnp", "seccomp"} {
		want := map[string]string{"nnp": "NoNewPrivs=1", "seccomp": "Seccomp=2"}[kind]
		t.Run(kind+"/second", func(t *testing.T) {
			root := t.TempDir()
			rt := newTestRuntime(t, Options{Root: root})
			if e := runExit(t, rt, "exit 0"); e.Status != 0 {
				t.Fatalf("exit %+v", e)
			}
			shared := testMonitor(t, root)
			out, err := callerHelper(confinedWrap(t, kind), "confined", root, newBundle(t, false, "true"),
				testID(t), kind, "go").CombinedOutput()
			if err != nil {
				t.Fatalf("confined helper: %v: %s", err, out)
			}
			f := strings.Fields(string(out))
			if len(f) != 2 || f[0] == strconv.Itoa(shared.Pid()) || !strings.Contains(f[1], want) {
				t.Errorf("the confined caller's monitor (pid, confinement) = %q; want one of its own with %s, not %d",
					out, want, shared.Pid())
			}
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", shared.Pid()))
			if c := confinementOf(string(status)); c != "NoNewPrivs=0,Seccomp=0" {
				t.Errorf("the shared monitor is confined: %s", c)
			}
		})
		t.Run(kind+"/first", func(t *testing.T) {
			root := t.TempDir()
			helper := callerHelper(confinedWrap(t, kind), "confined", root, newBundle(t, false, "true"),
				testID(t), kind, "hold")
			line := startHeld(t, helper)
			if !strings.Contains(line, want) {
				t.Fatalf("helper said %q", line)
			}
			// The confined process came first, and yet this one gets an
			// unconfined monitor.
			rt := newTestRuntime(t, Options{Root: root})
			if e := runExit(t, rt, "exit 0"); e.Status != 0 {
				t.Fatalf("exit %+v", e)
			}
			shared := testMonitor(t, root)
			if strings.HasPrefix(line, strconv.Itoa(shared.Pid())+" ") {
				t.Errorf("this process shares the confined caller's monitor")
			}
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", shared.Pid()))
			if c := confinementOf(string(status)); c != "NoNewPrivs=0,Seccomp=0" {
				t.Errorf("this process's monitor is confined: %s", c)
			}
		})
	}
}

// TestCallerNamespaceRootless: a rootless monitor cannot join another mount
// namespace, so a caller of its user placed in one (as a service manager
// places a service) gets a clear ErrSys, and nothing runs in the monitor's
// view instead.
func TestCallerNamespaceRootless(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("placing a user's process in a mount namespace needs root")
	}
	for _, tool := range []string{"unshare", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no " + tool)
		}
	}
	bin := unprivilegedTestBinary(t)
	user := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	root, dir := t.TempDir(), t.TempDir()
	for _, d := range []string{root, dir} {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Dir(root), 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	helper := func(wrap []string, args ...string) *exec.Cmd {
		cmd := callerHelper(append(append([]string{}, wrap...), user...), args...)
		cmd.Args[len(wrap)+len(user)] = bin
		return cmd
	}
	if line := startHeld(t, helper(nil, "hold-monitor", root)); line != "ready\n" {
		t.Fatalf("the first helper said %q", line)
	}
	out, err := helper([]string{"unshare", "-m", "--propagation", "private"}, "run-elsewhere", root, dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "mount namespace") {
		t.Fatalf("a caller in another mount namespace: %v: %s", err, out)
	}
	t.Logf("%s", out)
	if entries, _ := os.ReadDir(filepath.Join(root, "containers")); len(entries) != 0 {
		t.Errorf("the refused call left %d state dirs", len(entries))
	}
}
