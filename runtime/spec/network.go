package spec

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/libexecution/execution/runtime/network"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// NetworkMode is the kind of network a container gets.
type NetworkMode string

const (
	// NetworkNone is a network namespace of the container's own with only
	// its loopback, up (the default).
	NetworkNone NetworkMode = "none"
	// NetworkHost is the host's network namespace.
	NetworkHost NetworkMode = "host"
	// NetworkPath joins the existing network namespace at Network.Path.
	NetworkPath NetworkMode = "path"
	// NetworkBridge attaches the container to the library's CNI bridge
	// at create, with Network.Ports mapped, and detaches it at delete.
	NetworkBridge NetworkMode = "bridge"
)

// Network is the network a bundle asks for. The zero value is NetworkNone.
type Network struct {
	// Mode is the kind of network; "" is NetworkNone.
	Mode NetworkMode
	// Path is the network namespace NetworkPath joins (as a
	// /proc/PID/ns/net or a bind mount of one).
	Path string
	// Ports are the bridge's port mappings from the host.
	Ports []network.Port
}

// NetworkAnnotation is the annotation of the library's own that carries a
// bridge network's wish from the bundle to create: {"mode":"bridge",
// "ports":[...]}. No runtime acts on it.
const NetworkAnnotation = "org.libexecution.network"

// ParseNetwork reads "none", "host", "bridge" or an absolute netns path.
func ParseNetwork(s string) (Network, error) {
	switch s {
	case "", "none":
		return Network{Mode: NetworkNone}, nil
	case "host":
		return Network{Mode: NetworkHost}, nil
	case "bridge":
		return Network{Mode: NetworkBridge}, nil
	}
	if filepath.IsAbs(s) {
		return Network{Mode: NetworkPath, Path: s}, nil
	}
	return Network{}, wrapf(ErrInvalid, "network %q is not none, host, bridge or an absolute netns path", s)
}

// ParsePort reads docker's -p form "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]";
// the host ip defaults to 127.0.0.1, not to every address as docker's.
func ParsePort(s string) (network.Port, error) {
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	p := network.Port{HostIP: "127.0.0.1"}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return p, wrapf(ErrInvalid, "port %q is not [HOST_IP:]HOST_PORT:CONTAINER_PORT", s)
	}
	hostPart, cport := spec[:i], spec[i+1:]
	hport := hostPart
	if j := strings.LastIndexByte(hostPart, ':'); j >= 0 {
		p.HostIP, hport = strings.Trim(hostPart[:j], "[]"), hostPart[j+1:]
	}
	var err1, err2 error
	p.HostPort, err1 = strconv.Atoi(hport)
	p.ContainerPort, err2 = strconv.Atoi(cport)
	if err1 != nil || err2 != nil {
		return p, wrapf(ErrInvalid, "port %q: ports must be numbers", s)
	}
	p.Protocol = proto
	if err := (Network{Mode: NetworkBridge, Ports: []network.Port{p}}).Check(); err != nil {
		return p, wrapf(ErrInvalid, "port %q: %v", s, err)
	}
	return p, nil
}

// check refuses a network that cannot be set up.
func (n Network) Check() error {
	switch n.Mode {
	case "", NetworkNone, NetworkHost, NetworkBridge:
	case NetworkPath:
		if !filepath.IsAbs(n.Path) {
			return fmt.Errorf("network namespace path %q is not absolute", n.Path)
		}
	default:
		return fmt.Errorf("network mode %q is unknown", n.Mode)
	}
	if len(n.Ports) > 0 && n.Mode != NetworkBridge {
		return fmt.Errorf("ports need a bridge network")
	}
	for _, p := range n.Ports {
		if p.HostPort < 1 || p.HostPort > 65535 || p.ContainerPort < 1 || p.ContainerPort > 65535 {
			return fmt.Errorf("port mapping %d:%d is out of range", p.HostPort, p.ContainerPort)
		}
		if p.Protocol != "" && p.Protocol != "tcp" && p.Protocol != "udp" {
			return fmt.Errorf("port protocol %q is not tcp or udp", p.Protocol)
		}
		if p.HostIP != "" && net.ParseIP(p.HostIP) == nil {
			return fmt.Errorf("port host ip %q is not an address", p.HostIP)
		}
	}
	return nil
}

// apply writes the network wish into spec: host drops the network
// namespace, a path joins it, a bridge is noted in NetworkAnnotation for
// create to set up.
func (n Network) apply(spec *specs.Spec) error {
	if err := n.Check(); err != nil {
		return err
	}
	ns := spec.Linux.Namespaces
	switch n.Mode {
	case NetworkHost:
		spec.Linux.Namespaces = WithoutNamespace(ns, specs.NetworkNamespace)
	case NetworkPath:
		spec.Linux.Namespaces = append(WithoutNamespace(ns, specs.NetworkNamespace),
			specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: n.Path})
	case NetworkBridge:
		data, err := json.Marshal(BridgeWish{Mode: NetworkBridge, Ports: n.Ports})
		if err != nil {
			return err
		}
		if spec.Annotations == nil {
			spec.Annotations = map[string]string{}
		}
		spec.Annotations[NetworkAnnotation] = string(data)
	}
	return nil
}

// BridgeWish is the value of NetworkAnnotation.
type BridgeWish struct {
	Mode  NetworkMode    `json:"mode"`
	Ports []network.Port `json:"ports,omitempty"`
}

// WithoutNamespace is ns without the namespaces of type t.
func WithoutNamespace(ns []specs.LinuxNamespace, t specs.LinuxNamespaceType) []specs.LinuxNamespace {
	out := ns[:0:0]
	for _, n := range ns {
		if n.Type != t {
			out = append(out, n)
		}
	}
	return out
}
