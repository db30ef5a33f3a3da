// Package network gives containers a network through CNI, the plugins
// containerd, CRI-O, podman and Kubernetes use: a bridge with a subnet of
// the library's own, NAT to the outside and port mappings from the host,
// set up in a network namespace made for the container and torn down with
// it. Everything it keeps (namespaces, IP leases, the plugins' cache) lives
// under a directory of the caller's, so a crash between setup and teardown
// leaves what Cleanup removes.
package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
)

// PluginDirs are where the CNI plugins are looked for, in order: Debian's
// containernetworking-plugins, then the usual upstream dir.
var PluginDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Subnet is the bridge's subnet: clear of docker's (172.17.0.0/16 and up)
// and podman's (10.88.0.0/16, then 10.89.x.0/24).
const Subnet = "10.217.0.0/16"

// BridgeName is the host's bridge device.
const BridgeName = "lexec0"

// networkName names the library's CNI network.
const networkName = "libexecution"

// Port maps a port of the host to one of the container.
type Port struct {
	// HostIP is the host address to listen on; "" is every address.
	HostIP string `json:"hostIP,omitempty"`
	// HostPort and ContainerPort are the two ports.
	HostPort      int `json:"hostPort"`
	ContainerPort int `json:"containerPort"`
	// Protocol is "tcp" (when empty) or "udp".
	Protocol string `json:"protocol"`
}

// Manager sets up and tears down the networks of one library root.
type Manager struct {
	dir    string
	cni    *libcni.CNIConfig
	bridge *libcni.NetworkConfigList
	lo     *libcni.NetworkConfigList
}

// New is a Manager keeping its state in dir (made mode 0700).
func New(dir string) (*Manager, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	bridge, err := libcni.ConfListFromBytes(bridgeConfig(filepath.Join(dir, "ipam")))
	if err != nil {
		return nil, err
	}
	lo, err := libcni.ConfListFromBytes([]byte(`{"cniVersion": "1.0.0", "name": "lo",
		"plugins": [{"type": "loopback"}]}`))
	if err != nil {
		return nil, err
	}
	exec := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}
	return &Manager{
		dir:    dir,
		cni:    libcni.NewCNIConfigWithCacheDir(PluginDirs, filepath.Join(dir, "cache"), exec),
		bridge: bridge,
		lo:     lo,
	}, nil
}

// bridgeConfig is the library's network: a bridge that is the containers'
// gateway with NAT, IPs from host-local with its leases in ipamDir, port
// mappings, and the firewall plugin's rules for forwarding.
func bridgeConfig(ipamDir string) []byte {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       networkName,
		"plugins": []map[string]any{
			{
				"type":        "bridge",
				"bridge":      BridgeName,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": Subnet}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"dataDir": ipamDir,
				},
			},
			{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
			{"type": "firewall"},
		},
	}
	data, _ := json.Marshal(conf)
	return data
}

// NetnsPath is where the network namespace of container id is kept.
func (m *Manager) NetnsPath(id string) string {
	return filepath.Join(m.dir, "netns", id)
}

// Setup makes container id's network namespace, brings its loopback up and
// attaches it to the bridge with ports mapped; it returns the namespace's
// path, for the container's config, and the addresses the container got.
// On failure nothing of it is left.
func (m *Manager) Setup(ctx context.Context, id string, ports []Port) (string, []net.IP, error) {
	path := m.NetnsPath(id)
	if err := newNetns(path); err != nil {
		return "", nil, err
	}
	rt := m.runtimeConf(id, path, ports)
	if _, err := m.cni.AddNetworkList(ctx, m.lo, &libcni.RuntimeConf{ContainerID: id, NetNS: path, IfName: "lo"}); err != nil {
		removeNetns(path)
		return "", nil, fmt.Errorf("loopback: %w", err)
	}
	res, err := m.cni.AddNetworkList(ctx, m.bridge, rt)
	if err != nil {
		_ = m.cni.DelNetworkList(ctx, m.bridge, rt)
		removeNetns(path)
		return "", nil, fmt.Errorf("bridge network: %w", err)
	}
	result, err := current.NewResultFromResult(res)
	if err != nil {
		_ = m.Teardown(ctx, id)
		return "", nil, err
	}
	var ips []net.IP
	for _, ip := range result.IPs {
		ips = append(ips, ip.Address.IP)
	}
	return path, ips, nil
}

func (m *Manager) runtimeConf(id, path string, ports []Port) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: path, IfName: "eth0"}
	if len(ports) > 0 {
		mapped := make([]Port, len(ports))
		for i, p := range ports {
			if p.Protocol == "" {
				p.Protocol = "tcp"
			}
			mapped[i] = p
		}
		rt.CapabilityArgs = map[string]any{"portMappings": mapped}
	}
	return rt
}

// Teardown detaches container id from the bridge (its IP lease and port
// mappings go, as the plugins cached them at setup) and removes its network
// namespace. What is gone already is no error, so a second teardown, or
// one after a crash, is harmless.
func (m *Manager) Teardown(ctx context.Context, id string) error {
	path := m.NetnsPath(id)
	rt := m.runtimeConf(id, path, nil)
	if _, cached, err := m.cni.GetNetworkListCachedConfig(m.bridge, rt); err == nil && cached != nil {
		rt.CapabilityArgs = cached.CapabilityArgs
	}
	if _, err := os.Stat(path); err != nil {
		rt.NetNS = "" // the plugins still release the lease and the mappings
	}
	err := m.cni.DelNetworkList(ctx, m.bridge, rt)
	if rerr := removeNetns(path); err == nil {
		err = rerr
	}
	return err
}

// Leftovers are the containers that still hold a network namespace; a
// cleanup tears down those of containers that no longer exist.
func (m *Manager) Leftovers() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(m.dir, "netns"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}
