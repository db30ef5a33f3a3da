package image

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Idmapped layers. Where the cache's file system takes idmapped mounts
// (Linux 5.12, overlayfs over them 5.19), the cache holds one unmapped
// copy of each layer, shared by every bundle, and a bundle with a user
// namespace mounts each of its layers idmapped to that namespace,
// read-only, at <bundle>/lower/<n>, mounts its overlay over them, and
// unmounts them again: the overlay keeps private clones of its layers,
// idmaps included, so only the overlay stays mounted. Through the overlay,
// the host sees the image's files owned by the ids they map to, the
// container sees them as the image says, and what it writes lands in the
// bundle's upper dir owned by its mapped ids. Elsewhere each mapping gets
// chowned copies of the layers (idMap.suffix).

// lowerDir is the dir in a bundle where its idmapped layers are mounted
// while its overlay is.
const lowerDir = "lower"

// idmapProbe remembers, per file system (by device), whether it takes
// idmapped mounts.
var idmapProbe sync.Map

// idmapNS returns the user namespace of ids for the bundle's layers to be
// mounted idmapped to, or nil where the cache keeps chowned copies
// instead: no mapping, no holder, no way to make the namespace, or a file
// system without idmapped mounts.
func (c *layerCache) idmapNS(ids *idMap, holder Holder) (*os.File, error) {
	if ids == nil || holder == nil {
		return nil, nil
	}
	exe, err := holder()
	if err != nil {
		return nil, nil
	}
	ns, err := ids.userNS(exe)
	if err != nil {
		return nil, nil
	}
	ok, err := idmapCapable(filepath.Join(c.dir, cacheLayers), ns)
	if err != nil || !ok {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// idmapCapable reports whether the file system holding dir takes mounts
// idmapped to the user namespace ns, trying it once per file system.
func idmapCapable(dir string, ns *os.File) (bool, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false, sysErr("image: cache", err)
	}
	if ok, found := idmapProbe.Load(st.Dev); found {
		return ok.(bool), nil
	}
	fd, err := openIDMapped(dir, ns)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) &&
		!errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EOPNOTSUPP) {
		return false, sysErr("image: idmapped mount of "+dir, err)
	}
	idmapProbe.Store(st.Dev, err == nil)
	return err == nil, nil
}

// openIDMapped returns a detached mount of dir idmapped to ns, read-only,
// nosuid and nodev.
func openIDMapped(dir string, ns *os.File) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return -1, err
	}
	attr := unix.MountAttr{
		Attr_set:  unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV,
		Userns_fd: uint64(ns.Fd()),
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// mountIDMapped mounts each of layers idmapped to ns at
// <bundle>/lower/<n> and returns those paths, in layers' order. On
// failure nothing it mounted stays mounted.
func mountIDMapped(bundle string, layers []string, ns *os.File) (_ []string, err error) {
	dir := filepath.Join(bundle, lowerDir)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, sysErr("image: bundle", err)
	}
	lower, err := openLowerDir(bundle)
	if err != nil {
		return nil, err
	}
	defer lower.Close()
	defer func() {
		if err != nil {
			unmountLowersIn(lower)
		}
	}()
	paths := make([]string, len(layers))
	for i, l := range layers {
		name := strconv.Itoa(i)
		if err := unix.Mkdirat(int(lower.Fd()), name, 0o700); err != nil {
			return nil, sysErr("image: bundle", err)
		}
		fd, err := openIDMapped(l, ns)
		if err != nil {
			return nil, sysErr("image: idmapped mount of "+l, err)
		}
		err = unix.MoveMount(fd, "", int(lower.Fd()), name, unix.MOVE_MOUNT_F_EMPTY_PATH)
		unix.Close(fd)
		if err != nil {
			return nil, sysErr("image: mount idmapped layer", err)
		}
		paths[i] = filepath.Join(dir, name)
	}
	return paths, nil
}

// openLowerDir opens the bundle's lower dir: a dir of root's, not a
// link, so that nothing beneath it is anyone else's.
func openLowerDir(bundle string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(bundle, lowerDir), os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Uid != 0 || st.Mode&0o022 != 0 {
		f.Close()
		return nil, wrapf(ErrState, "image: %s is not the library's", f.Name())
	}
	return f, nil
}

// unmountLowers unmounts the idmapped layers still mounted in the bundle
// (after a crash, or while its overlay was being mounted); a bundle
// without them is no error.
func unmountLowers(bundle string) error {
	lower, err := openLowerDir(bundle)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return sysErr("image: bundle "+lowerDir, err)
	}
	defer lower.Close()
	return unmountLowersIn(lower)
}

// unmountLowersIn unmounts each mount on an entry of the open lower dir,
// through the fd, so that no path swapped in meanwhile redirects it.
func unmountLowersIn(lower *os.File) error {
	names, err := lower.Readdirnames(-1)
	if err != nil {
		return sysErr("image: bundle "+lowerDir, err)
	}
	base := "/proc/self/fd/" + strconv.Itoa(int(lower.Fd())) + "/"
	var errs []error
	for _, n := range names {
		errs = append(errs, unmountRootfs(base+n))
	}
	return errors.Join(errs...)
}
