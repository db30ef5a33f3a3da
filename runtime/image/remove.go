package image

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// RemoveBundle removes a bundle MakeBundle made: it unmounts its
// overlay (then any idmapped layer a crashed call left mounted in it),
// removes the directory and drops its reference in the layer
// cache (the layers stay until PruneCache). A directory whose marker
// this library did not write for that very path is ErrInvalid and left
// alone. A bundle a running container uses (its rootfs mounted in another
// mount namespace), or with anything else mounted beneath it, is ErrState
// and left alone: removal never crosses a mount.
func RemoveBundle(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return wrapf(ErrInvalid, "bundle remove %q: %v", dir, err)
	}
	rec, err := bundleMarker(abs)
	if err != nil {
		return wrapf(ErrInvalid, "bundle remove %q: not a bundle made from an image: %v", dir, err)
	}
	rootfs := filepath.Join(abs, "rootfs")
	if pid, err := rootfsUser(rootfs); err != nil {
		return err
	} else if pid != 0 {
		return wrapf(ErrState, "bundle remove %q: a container uses it (pid %d has its rootfs mounted)", dir, pid)
	}
	if err := unmountBundle(abs); err != nil {
		return err
	}
	if m, err := mountBeneath(abs); err != nil {
		return err
	} else if m != "" {
		return wrapf(ErrState, "bundle remove %q: %s is mounted beneath it; unmount it first", dir, m)
	}
	if err := os.RemoveAll(abs); err != nil {
		return sysErr("bundle remove", err)
	}
	if rec.Cache != "" {
		os.Remove(filepath.Join(rec.Cache, cacheRefs, rec.Token))
	}
	return nil
}

// mountEntry is one line of a mountinfo file.
type mountEntry struct {
	dev        string // "major:minor"
	root       string // the mount's root within its file system
	mountPoint string
}

// readMountinfo parses a mountinfo file.
func readMountinfo(path string) ([]mountEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		out = append(out, mountEntry{dev: fields[2], root: unescapeMount(fields[3]), mountPoint: unescapeMount(fields[4])})
	}
	return out, sc.Err()
}

// unescapeMount undoes mountinfo's octal escapes ("\040" for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// within reports whether p is dir or beneath it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// mountBeneath returns a mount point of this mount namespace at or beneath
// dir, or "".
func mountBeneath(dir string) (string, error) {
	mounts, err := readMountinfo("/proc/self/mountinfo")
	if err != nil {
		return "", sysErr("bundle remove: mountinfo", err)
	}
	for _, m := range mounts {
		if within(m.mountPoint, dir) {
			return m.mountPoint, nil
		}
	}
	return "", nil
}

// rootfsUser returns a process of another mount namespace whose root is
// rootfs, as a container's is, or 0. It compares the
// file system and the path within it, so it finds both a bind mount of an
// unpacked rootfs and a copy of the overlay.
func rootfsUser(rootfs string) (int, error) {
	var st unix.Stat_t
	if err := unix.Stat(rootfs, &st); err != nil {
		return 0, nil // no rootfs: nothing to use
	}
	dev := fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	mounts, err := readMountinfo("/proc/self/mountinfo")
	if err != nil {
		return 0, sysErr("bundle remove: mountinfo", err)
	}
	// The path of rootfs within its file system, from the mount holding it.
	rel, best := "", ""
	for _, m := range mounts {
		if m.dev == dev && within(rootfs, m.mountPoint) && len(m.mountPoint) >= len(best) {
			best = m.mountPoint
			rel = filepath.Join(m.root, strings.TrimPrefix(rootfs, strings.TrimSuffix(m.mountPoint, "/")))
		}
	}
	if best == "" {
		return 0, nil
	}
	self, _ := os.Readlink("/proc/self/ns/mnt")
	seen := map[string]bool{self: true}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		ns, err := os.Readlink("/proc/" + p.Name() + "/ns/mnt")
		if err != nil || seen[ns] {
			continue
		}
		seen[ns] = true
		theirs, err := readMountinfo("/proc/" + p.Name() + "/mountinfo")
		if err != nil {
			continue
		}
		for _, m := range theirs {
			if m.mountPoint == "/" && m.dev == dev && within(m.root, rel) {
				return pid, nil
			}
		}
	}
	return 0, nil
}

// PruneCache removes from the layer cache at dir every layer no live
// bundle uses, and what calls that crashed left behind. A bundle is live
// while its marker is where its reference says; references of bundles
// removed by hand are dropped. It waits for calls making bundles on the
// cache to finish, and returns the number of layers removed.
func PruneCache(dir string) (int, error) {
	if dir == "" {
		return 0, wrapf(ErrInvalid, "image cache prune: cache_dir is empty")
	}
	if os.Geteuid() != 0 {
		return 0, wrapf(ErrState, "image cache prune: the cache holds root's files; it needs root")
	}
	c, err := openCacheExclusive(dir)
	if err != nil {
		return 0, err
	}
	defer c.close()
	used := map[string]bool{}
	refs, err := os.ReadDir(filepath.Join(c.dir, cacheRefs))
	if err != nil {
		return 0, sysErr("image cache prune", err)
	}
	for _, r := range refs {
		path := filepath.Join(c.dir, cacheRefs, r.Name())
		rec, err := readImageRecord(path)
		if err == nil {
			if live, lerr := bundleMarker(rec.Bundle); lerr == nil && live.Token == rec.Token {
				for _, l := range rec.Layers {
					used[filepath.Base(l)] = true
				}
				continue
			}
		}
		os.Remove(path)
	}
	layers, err := os.ReadDir(filepath.Join(c.dir, cacheLayers))
	if err != nil {
		return 0, sysErr("image cache prune", err)
	}
	removed := 0
	for _, l := range layers {
		if used[l.Name()] {
			continue
		}
		// Out of layers/ first, so that no half-removed layer looks whole.
		gone, err := os.MkdirTemp(filepath.Join(c.dir, cacheTmp), "gone-")
		if err != nil {
			return removed, sysErr("image cache prune", err)
		}
		if err := os.Rename(filepath.Join(c.dir, cacheLayers, l.Name()), filepath.Join(gone, "layer")); err != nil {
			os.Remove(gone)
			return removed, sysErr("image cache prune", err)
		}
		if err := os.RemoveAll(gone); err != nil {
			return removed, sysErr("image cache prune", err)
		}
		removed++
	}
	return removed, nil
}
