package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"

	"github.com/libexecution/execution/runtime/network"
	"github.com/libexecution/execution/runtime/spec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The hooks that give a bundle's bridge network (NetworkAnnotation) to
// its container: set up before the runtime's create, torn down at delete
// and on every failure of create, and swept when a runtime opens. The
// runtime is given a copy of the bundle's config, beneath the root, whose
// network namespace is the one set up here.

// networkDir is where the root keeps its networks: the CNI manager's
// state, and per container a dir with its config copy and addresses.
func networkDir(root string) string { return filepath.Join(root, "network") }

func networkBundleDir(root, id string) string {
	return filepath.Join(networkDir(root), "bundles", id)
}

// prepareCreate gives container id what its config asks of the library:
// a bridge network (NetworkAnnotation) and a range of host ids
// (RangeAnnotation). It returns the bundle the runtime is to create from
// (bundle itself when the config asks nothing) and done, which create
// calls with its outcome: on failure it undoes what this call did. The
// container's lock is held until done, so that no sweep takes what it
// made for a crash's leftover.
func (r *Runtime) prepareCreate(ctx context.Context, id, bundle string, config *specs.Spec) (string, func(ok bool), error) {
	raw, wantNet := config.Annotations[NetworkAnnotation]
	_, wantRange := config.Annotations[RangeAnnotation]
	if !wantNet && !wantRange {
		return bundle, func(bool) {}, nil
	}
	var wish spec.BridgeWish
	if wantNet {
		if err := json.Unmarshal([]byte(raw), &wish); err != nil || wish.Mode != NetworkBridge {
			return "", nil, wrapf(ErrInvalid, "bundle %q: annotation %s is not a bridge network", bundle, NetworkAnnotation)
		}
		if err := (Network{Mode: NetworkBridge, Ports: wish.Ports}).Check(); err != nil {
			return "", nil, wrapf(ErrInvalid, "bundle %q: %v", bundle, err)
		}
	}
	if wantRange && os.Geteuid() != 0 {
		return "", nil, wrapf(ErrInvalid, "bundle %q: a range of ids per container needs root", bundle)
	}
	unlock, err := lockNetwork(r.root, id, true)
	if err != nil {
		return "", nil, err
	}
	undo := func() {
		_ = releaseCreated(r.root, id)
		unlock()
	}
	dir := networkBundleDir(r.root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		unlock()
		return "", nil, sysErr("config copy", err)
	}
	c := *config
	linux := *config.Linux
	c.Linux = &linux
	var ips []net.IP
	if wantNet {
		m, err := network.New(networkDir(r.root))
		if err != nil {
			undo()
			return "", nil, sysErr("network", err)
		}
		path, addrs, err := m.Setup(ctx, id, wish.Ports)
		if err != nil {
			undo()
			return "", nil, wrapf(ErrSys, "container %q: bridge network: %v", id, err)
		}
		ips = addrs
		c.Linux.Namespaces = append(spec.WithoutNamespace(config.Linux.Namespaces, specs.NetworkNamespace),
			specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: path})
	}
	if wantRange {
		start, err := allocateRange(r.root, id)
		if err != nil {
			undo()
			return "", nil, err
		}
		withRange(&c, start)
	}
	if err := writeConfigCopy(dir, bundle, &c, ips); err != nil {
		undo()
		return "", nil, err
	}
	return dir, func(ok bool) {
		if ok {
			unlock()
		} else {
			undo()
		}
	}, nil
}

// releaseCreated undoes what prepareCreate did for container id: its
// network, its range of ids, its config copy.
func releaseCreated(root, id string) error {
	err := detachNetwork(root, id)
	if rerr := releaseRange(root, id); err == nil {
		err = rerr
	}
	return err
}

// writeConfigCopy writes into dir spec, the config of bundle, with its
// paths made absolute, and the addresses ips.
func writeConfigCopy(dir, bundle string, config *specs.Spec, ips []net.IP) error {
	c := *config
	root := *config.Root
	if !filepath.IsAbs(root.Path) {
		root.Path = filepath.Join(bundle, root.Path)
	}
	c.Root = &root
	c.Mounts = append([]specs.Mount(nil), config.Mounts...)
	for i, m := range c.Mounts {
		if m.Type == "bind" && !filepath.IsAbs(m.Source) {
			c.Mounts[i].Source = filepath.Join(bundle, m.Source)
		}
	}
	data, err := json.Marshal(&c)
	if err != nil {
		return sysErr("config copy", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return sysErr("config copy", err)
	}
	addrs := make([]string, len(ips))
	for i, ip := range ips {
		addrs[i] = ip.String()
	}
	data, _ = json.Marshal(addrs)
	return sysErr("network addresses", os.WriteFile(filepath.Join(dir, "addresses"), data, 0o600))
}

// detachNetwork tears down container id's bridge network, if it has one,
// and removes its config copy.
func detachNetwork(root, id string) error {
	m := networkDir(root)
	_, errNs := os.Lstat(filepath.Join(m, "netns", id))
	_, errAddrs := os.Lstat(filepath.Join(networkBundleDir(root, id), "addresses"))
	if errNs == nil || errAddrs == nil {
		mgr, err := network.New(m)
		if err != nil {
			return sysErr("network", err)
		}
		if err := mgr.Teardown(context.Background(), id); err != nil {
			return wrapf(ErrSys, "container %q: tear down its network: %v", id, err)
		}
	}
	if err := os.RemoveAll(networkBundleDir(root, id)); err != nil {
		return sysErr("config copy", err)
	}
	os.Remove(filepath.Join(m, "locks", id))
	return nil
}

// sweepLeftovers releases what a crash left of prepareCreate: the
// networks and ranges of ids that have no container in the root and that
// no create holds.
func sweepLeftovers(root string) {
	ids := map[string]bool{}
	if _, err := os.Lstat(networkDir(root)); err == nil {
		if mgr, err := network.New(networkDir(root)); err == nil {
			left, _ := mgr.Leftovers()
			for _, id := range left {
				ids[id] = true
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(networkDir(root), "bundles"))
	for _, e := range entries {
		ids[e.Name()] = true
	}
	for _, id := range heldRanges(root) {
		ids[id] = true
	}
	for id := range ids {
		if ValidateID(id) != nil {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, "containers", id)); err == nil {
			continue
		}
		unlock, err := lockNetwork(root, id, false)
		if err != nil {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, "containers", id)); err != nil {
			_ = releaseCreated(root, id)
		}
		unlock()
	}
}

// lockNetwork takes the lock of container id's network, waiting for it
// when wait is set.
func lockNetwork(root, id string, wait bool) (func(), error) {
	dir := filepath.Join(networkDir(root), "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, sysErr("network lock", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, id), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, sysErr("network lock", err)
	}
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, sysErr("network lock", err)
	}
	return func() { f.Close() }, nil
}

// Addresses are the container's addresses on the library's bridge; none
// for a container with another network.
func (c *Container) Addresses() ([]net.IP, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(networkBundleDir(c.rt.root, c.id), "addresses"))
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, sysErr("network addresses", err)
	}
	var addrs []string
	if err := json.Unmarshal(data, &addrs); err != nil {
		return nil, sysErr("network addresses", err)
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil {
			ips = append(ips, ip)
		}
	}
	return ips, nil
}
