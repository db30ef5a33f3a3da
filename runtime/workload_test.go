package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libexecution/execution/runtime/network"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Traffic in these tests goes only to 127.0.0.1 and to the addresses of
// the containers they made.

// workloadBundle makes a bundle of the test rootfs, with a user "ci"
// (1000:1000) and /www/hello, running args as opts say.
func workloadBundle(t *testing.T, opts BundleOptions, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	if out, err := exec.Command("cp", "-a", testRootfs, rootfs).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nci:x:1000:1000:ci:/workspace:/bin/sh\n",
		"etc/group":  "root:x:0:\nci:x:1000:\nbuilders:x:2000:ci\n",
		"www/hello":  "hello from the container\n",
	}
	for name, text := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(rootfs, name)), 0o755)
		if err := os.WriteFile(filepath.Join(rootfs, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := BundleInitWith(dir, args, opts); err != nil {
		t.Fatalf("BundleInitWith: %v", err)
	}
	return dir
}

// outputOf runs bundle to its end and returns its stdout.
func outputOf(t *testing.T, rt *Runtime, bundle string) string {
	t.Helper()
	c, err := rt.Run(bg, testID(t), bundle, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	out, err := c.Stdio(Stdout)
	if err != nil {
		t.Fatal(err)
	}
	text := readAll(t, out)
	if e := mustWait(t, c); e.Status != 0 {
		t.Fatalf("exit %+v, output %q", e, text)
	}
	return text
}

func TestWorkloadCIJob(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	workspace := t.TempDir()
	if err := os.Chown(workspace, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	bundle := workloadBundle(t, BundleOptions{Workload: Workload{
		Env:      []string{"CI=true"},
		Cwd:      "/workspace",
		User:     "ci",
		Groups:   []string{"builders"},
		Hostname: "ci-runner",
		Mounts:   []Mount{{Source: workspace, Target: "/workspace"}},
		Rlimits:  []Rlimit{{Type: "nofile", Soft: 512, Hard: 512}},
	}}, "sh", "-c", "echo built > artifact; sleep 100")
	c, err := rt.Run(bg, testID(t), bundle, NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	// The exec names only its command: it inherits the rest.
	spec, err := c.ProcessOver([]byte(`{"args":["sh","-c","id -u; id -G; pwd; hostname; echo $CI; ulimit -n; cat artifact"]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Exec(bg, "job", spec, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	defer p.Close()
	out, _ := p.Stdio(Stdout)
	want := "1000\n1000 2000\n/workspace\nci-runner\ntrue\n512\nbuilt"
	if got := readAll(t, out); got != want {
		t.Errorf("exec output %q, want %q", got, want)
	}
	mustWait(t, p)
	fi, err := os.Stat(filepath.Join(workspace, "artifact"))
	if err != nil {
		t.Fatal(err)
	}
	if uid, gid := fileOwner(fi); uid != 1000 || gid != 1000 {
		t.Errorf("artifact owned by %d:%d, want 1000:1000", uid, gid)
	}
	// What the exec gives replaces the container's.
	spec, err = c.ProcessOver([]byte(`{"args":["sh","-c","id -u; pwd"],"user":{"uid":0,"gid":0},"cwd":"/"}`))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.Exec(bg, "root", spec, IO{Stdin: StreamNull, Stdout: StreamPipe, Stderr: StreamNull})
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	defer p2.Close()
	out, _ = p2.Stdio(Stdout)
	if got := readAll(t, out); got != "0\n/" {
		t.Errorf("exec as root: %q", got)
	}
	mustWait(t, p2)
}

func TestWorkloadBadInputWritesNothing(t *testing.T) {
	for name, w := range map[string]Workload{
		"relative cwd":  {Cwd: "work"},
		"unknown user":  {User: "nobody-here"},
		"missing mount": {Mounts: []Mount{{Source: "/nonexistent/dir", Target: "/w"}}},
		"unknown cap":   {CapAdd: []string{"FLY"}},
		"bad rlimit":    {Rlimits: []Rlimit{{Type: "nofile", Soft: 2, Hard: 1}}},
		"ports no net":  {Network: Network{Ports: []network.Port{{HostPort: 1, ContainerPort: 1}}}},
	} {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "rootfs"), 0o755)
		err := BundleInitWith(dir, []string{"true"}, BundleOptions{Workload: w})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
			t.Errorf("%s: a config was written", name)
		}
	}
	for _, s := range []string{"80", "a:80", "1:2:3:4:5/sctp"} {
		if _, err := ParsePort(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePort(%q): %v", s, err)
		}
	}
}

// interfaces lists the network interfaces a container sees.
const interfaces = "ls /sys/class/net"

func TestNetworkNone(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	got := outputOf(t, rt, workloadBundle(t, BundleOptions{}, "sh", "-c", interfaces))
	if got != "lo" {
		t.Errorf("interfaces %q, want lo only", got)
	}
}

func TestNetworkHost(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var host []string
	for _, e := range entries {
		host = append(host, e.Name())
	}
	sort.Strings(host)
	got := strings.Fields(outputOf(t, rt, workloadBundle(t, BundleOptions{Workload: Workload{Network: Network{Mode: NetworkHost}}}, "sh", "-c", interfaces)))
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(host, " ") {
		t.Errorf("interfaces %v, want the host's %v", got, host)
	}
}

// freePort is a TCP port of 127.0.0.1 nobody listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestNetworkBridge(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	hostPort := freePort(t)
	server := workloadBundle(t, BundleOptions{Workload: Workload{Network: Network{Mode: NetworkBridge,
		Ports: []network.Port{{HostIP: "127.0.0.1", HostPort: hostPort, ContainerPort: 8080}}}}},
		"httpd", "-f", "-p", "8080", "-h", "/www")
	os.Symlink("busybox", filepath.Join(server, "rootfs/bin/httpd"))
	c, err := rt.Run(bg, testID(t), server, NullIO())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	cleanup(t, c)
	addrs, err := c.Addresses()
	if err != nil || len(addrs) != 1 {
		t.Fatalf("Addresses: %v %v", addrs, err)
	}
	_, subnet, _ := net.ParseCIDR(network.Subnet)
	if !subnet.Contains(addrs[0]) {
		t.Fatalf("address %s not in %s", addrs[0], network.Subnet)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/hello", hostPort)); got != "hello from the container\n" {
		t.Errorf("host got %q", got)
	}
	// A second bridge container reaches the first by its address.
	client := workloadBundle(t, BundleOptions{Workload: Workload{Network: Network{Mode: NetworkBridge}}},
		"sh", "-c", fmt.Sprintf("printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 %s 8080", addrs[0]))
	if got := outputOf(t, rt, client); !strings.HasSuffix(got, "hello from the container") {
		t.Errorf("the other container got %q", got)
	}
	// Delete leaves nothing of the network.
	if err := c.Delete(bg, true); err != nil {
		t.Fatal(err)
	}
	assertNoNetwork(t, rt, c.ID())
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := http.Client{Timeout: 2 * time.Second}
	for i := 0; ; i++ {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(body)
		}
		if i == 100 {
			t.Fatalf("%s never answered: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertNoNetwork checks that nothing of container id's network is left
// under rt's root: namespace, config copy, IP lease, NAT rule.
func assertNoNetwork(t *testing.T, rt *Runtime, id string) {
	t.Helper()
	dir := networkDir(rt.root)
	for _, p := range []string{filepath.Join(dir, "netns", id), networkBundleDir(rt.root, id), filepath.Join(dir, "locks", id)} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left", p)
		}
	}
	leases, _ := filepath.Glob(filepath.Join(dir, "ipam", "*", "10.*"))
	for _, l := range leases {
		if data, _ := os.ReadFile(l); strings.Contains(string(data), id) {
			t.Errorf("lease %s of %s is left", l, id)
		}
	}
	if out, _ := exec.Command("iptables-save", "-t", "nat").CombinedOutput(); strings.Contains(string(out), id) {
		t.Errorf("a NAT rule names %s", id)
	}
}

func TestNetworkCrashLeftoversSwept(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	bundle := workloadBundle(t, BundleOptions{Workload: Workload{Network: Network{Mode: NetworkBridge,
		Ports: []network.Port{{HostIP: "127.0.0.1", HostPort: freePort(t), ContainerPort: 80}}}}}, "true")
	_, spec, err := readBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	// A create that set up the network and died before the container
	// was made.
	id := testID(t)
	if _, done, err := rt.prepareCreate(context.Background(), id, bundle, spec); err != nil {
		t.Fatal(err)
	} else {
		done(true)
	}
	if _, err := os.Lstat(filepath.Join(networkDir(rt.root), "netns", id)); err != nil {
		t.Fatalf("no namespace was set up: %v", err)
	}
	if _, err := New(Options{Root: rt.root}); err != nil {
		t.Fatal(err)
	}
	assertNoNetwork(t, rt, id)
}

func TestNetworkFailedCreateLeavesNothing(t *testing.T) {
	rt := newTestRuntime(t, Options{})
	// The process is not in the rootfs: the runtime's create fails after
	// the network is set up.
	bundle := workloadBundle(t, BundleOptions{Workload: Workload{Network: Network{Mode: NetworkBridge}}}, "/no/such/program")
	id := testID(t)
	if c, err := rt.Run(bg, id, bundle, NullIO()); err == nil {
		c.Delete(bg, true)
		t.Fatal("Run of a missing program succeeded")
	}
	assertNoNetwork(t, rt, id)
}

func fileOwner(fi os.FileInfo) (uint32, uint32) {
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

func TestWorkloadOverImageConfig(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "b")
	opts := ImageOptions{
		Args: []string{"sh", "-c", "id -u; id -g; pwd; hostname; echo $CI"},
		Bundle: BundleOptions{Workload: Workload{
			Env: []string{"CI=true"}, Cwd: "/tmp", User: "1000:1001", Hostname: "from-image",
		}},
	}
	if err := BundleFromImage(bundle, filepath.Join(testImages(t), "busybox"), opts); err != nil {
		t.Fatalf("BundleFromImage: %v", err)
	}
	t.Cleanup(func() { BundleRemove(bundle) })
	if out, status := runBundle(t, bundle); out != "1000\n1001\n/tmp\nfrom-image\ntrue" || status != 0 {
		t.Errorf("output %q, status %d", out, status)
	}
}

func TestWorkloadConfig(t *testing.T) {
	no := false
	spec := readConfig(t, newOptionsBundle(t, BundleOptions{Workload: Workload{
		CapAdd: []string{"net_admin"}, CapDrop: []string{"CAP_KILL"},
		NoNewPrivileges: &no, ReadonlyRootfs: &no,
		Rlimits: []Rlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}, {Type: "nproc", Soft: 5, Hard: 5}},
		Network: Network{Mode: NetworkPath, Path: "/proc/1/ns/net"},
	}}, "true"))
	caps := spec.Process.Capabilities
	for _, set := range [][]string{caps.Bounding, caps.Effective, caps.Permitted} {
		if !slices.Contains(set, "CAP_NET_ADMIN") || slices.Contains(set, "CAP_KILL") {
			t.Errorf("capabilities %v", set)
		}
	}
	if spec.Process.NoNewPrivileges || spec.Root.Readonly {
		t.Errorf("noNewPrivileges %v, readonly %v", spec.Process.NoNewPrivileges, spec.Root.Readonly)
	}
	if len(spec.Process.Rlimits) != 2 || spec.Process.Rlimits[0].Hard != 20 || spec.Process.Rlimits[1].Type != "RLIMIT_NPROC" {
		t.Errorf("rlimits %+v", spec.Process.Rlimits)
	}
	if !slices.ContainsFunc(spec.Linux.Namespaces, func(n specs.LinuxNamespace) bool {
		return n.Type == specs.NetworkNamespace && n.Path == "/proc/1/ns/net"
	}) {
		t.Errorf("namespaces %+v", spec.Linux.Namespaces)
	}
}
