package network

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests attach namespaces of their own to the bridge with the real
// plugins (make deps installs them) and send traffic only to 127.0.0.1 and
// to the addresses they were given.

func newManager(t *testing.T) *Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	found := false
	for _, dir := range PluginDirs {
		if _, err := os.Stat(filepath.Join(dir, "bridge")); err == nil {
			found = true
		}
	}
	if !found {
		t.Fatalf("no CNI bridge plugin in %v (make deps installs containernetworking-plugins)", PluginDirs)
	}
	m, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// in runs busybox's applet in the network namespace at path.
func in(path string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=" + path, "/bin/busybox"}, args...)...)
}

func setup(t *testing.T, m *Manager, id string, ports []Port) (string, net.IP) {
	t.Helper()
	path, ips, err := m.Setup(context.Background(), id, ports)
	if err != nil {
		t.Fatalf("setup %s: %v", id, err)
	}
	t.Cleanup(func() { _ = m.Teardown(context.Background(), id) })
	_, subnet, _ := net.ParseCIDR(Subnet)
	if len(ips) != 1 || !subnet.Contains(ips[0]) {
		t.Fatalf("%s got addresses %v, want one in %s", id, ips, Subnet)
	}
	return path, ips[0]
}

func testID(t *testing.T, n int) string {
	return fmt.Sprintf("net-%d-%d-%s", os.Getpid(), n, strings.ToLower(t.Name()))
}

func TestBridgeAddressesLoopbackAndNeighbours(t *testing.T) {
	m := newManager(t)
	a, ipA := setup(t, m, testID(t, 1), nil)
	b, ipB := setup(t, m, testID(t, 2), nil)
	if ipA.Equal(ipB) {
		t.Fatalf("two containers share %s", ipA)
	}
	out, err := in(a, "ip", "addr").CombinedOutput()
	if err != nil || !strings.Contains(string(out), ipA.String()) || !strings.Contains(string(out), "127.0.0.1") {
		t.Fatalf("addresses in the namespace: %v\n%s", err, out)
	}
	if out, err := in(a, "ping", "-c", "1", "-W", "5", "127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("loopback is not up: %v\n%s", err, out)
	}
	if out, err := in(a, "ping", "-c", "1", "-W", "5", ipB.String()).CombinedOutput(); err != nil {
		t.Fatalf("%s does not reach %s: %v\n%s", ipA, ipB, err, out)
	}
	_ = b
}

func TestPortMappedToLoopback(t *testing.T) {
	m := newManager(t)
	hostPort := 20000 + os.Getpid()%10000
	path, _ := setup(t, m, testID(t, 1), []Port{{HostIP: "127.0.0.1", HostPort: hostPort, ContainerPort: 8080, Protocol: "tcp"}})
	www := t.TempDir()
	if err := os.WriteFile(filepath.Join(www, "hello"), []byte("hello from the bridge\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	httpd := in(path, "httpd", "-f", "-p", "8080", "-h", www)
	if err := httpd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = httpd.Process.Kill(); _ = httpd.Wait() }()
	client := http.Client{Timeout: 2 * time.Second}
	var body []byte
	for i := 0; ; i++ {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/hello", hostPort))
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if i == 50 {
			t.Fatalf("127.0.0.1:%d never answered: %v", hostPort, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if string(body) != "hello from the bridge\n" {
		t.Fatalf("got %q", body)
	}
}

func TestTeardownLeavesNothing(t *testing.T) {
	m := newManager(t)
	id := testID(t, 1)
	path, ip := setup(t, m, id, []Port{{HostIP: "127.0.0.1", HostPort: 30000 + os.Getpid()%10000, ContainerPort: 80}})
	lease := filepath.Join(m.dir, "ipam", networkName, ip.String())
	if _, err := os.Stat(lease); err != nil {
		t.Fatalf("no lease for %s: %v", ip, err)
	}
	rules := func() string {
		out, _ := exec.Command("iptables-save", "-t", "nat").CombinedOutput()
		return string(out)
	}
	if !strings.Contains(rules(), id) {
		t.Fatalf("no NAT rule names %s", id)
	}
	// A new manager on the same dir, as after a crash, finds and removes it.
	again, err := New(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	left, err := again.Leftovers()
	if err != nil || len(left) != 1 || left[0] != id {
		t.Fatalf("leftovers %v %v, want [%s]", left, err, id)
	}
	if err := again.Teardown(context.Background(), id); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	for _, p := range []string{path, lease} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s is left: %v", p, err)
		}
	}
	if strings.Contains(rules(), id) {
		t.Fatalf("a NAT rule still names %s", id)
	}
	if err := again.Teardown(context.Background(), id); err != nil {
		t.Fatalf("a second teardown: %v", err)
	}
}
