package runtime

import (
	"github.com/libexecution/execution/runtime/network"
	"github.com/libexecution/execution/runtime/spec"
)

// The config writers' types live in package spec; these names keep them
// where callers of the runtime have found them.

// BundleOptions shape the config BundleInitWith writes beyond its args
// (see spec.BundleOptions).
type BundleOptions = spec.BundleOptions

// Limits are the common resource limits of a bundle config.
type Limits = spec.Limits

// UserNS is how a bundle config maps the container's users to the host's.
type UserNS = spec.UserNS

// The user namespace modes (see spec.UserNS).
const (
	UserNSAuto   = spec.UserNSAuto
	UserNSNone   = spec.UserNSNone
	UserNSCaller = spec.UserNSCaller
	UserNSSubIDs = spec.UserNSSubIDs
	UserNSRange  = spec.UserNSRange
)

// Workload is what `docker run` says about a container beyond its command.
type Workload = spec.Workload

// Mount is a bind mount of the host into the container.
type Mount = spec.Mount

// Rlimit is a POSIX resource limit of the process.
type Rlimit = spec.Rlimit

// Network is the network a bundle asks for.
type Network = spec.Network

// NetworkMode is the kind of network a container gets.
type NetworkMode = spec.NetworkMode

// The network modes (see spec.NetworkMode).
const (
	NetworkNone   = spec.NetworkNone
	NetworkHost   = spec.NetworkHost
	NetworkPath   = spec.NetworkPath
	NetworkBridge = spec.NetworkBridge
)

// The annotations of the library's own that carry wishes from the bundle
// to create; no runtime acts on them.
const (
	NetworkAnnotation = spec.NetworkAnnotation
	RangeAnnotation   = spec.RangeAnnotation
)

// ParseMount reads docker's -v form "SOURCE:TARGET[:ro|rw]".
func ParseMount(s string) (Mount, error) { return spec.ParseMount(s) }

// ParseRlimit reads docker's --ulimit form "TYPE=SOFT[:HARD]".
func ParseRlimit(s string) (Rlimit, error) { return spec.ParseRlimit(s) }

// ParseNetwork reads "none", "host", "bridge" or an absolute netns path.
func ParseNetwork(s string) (Network, error) { return spec.ParseNetwork(s) }

// ParsePort reads docker's -p form "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]",
// the host ip 127.0.0.1 by default.
func ParsePort(s string) (network.Port, error) { return spec.ParsePort(s) }
