package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/opencontainers/umoci/oci/layer"
	"golang.org/x/sys/unix"
)

// Whiteout names, as the image-spec defines them.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// maxLinkDepth bounds the symlinks followed while checking one path, as
// the kernel's ELOOP does.
const maxLinkDepth = 40

// entryCost is what each entry of a layer or archive counts against the
// budget besides its content and names: a tar header's size, about what an
// inode costs.
const entryCost = 512

// unpackBudget is what is left of the bytes a bundle's layers may write.
type unpackBudget struct {
	left  int64
	limit string
}

// take counts n bytes against the budget, failing once it is spent.
func (b *unpackBudget) take(n int64) error {
	if n < 0 || n > b.left {
		return fmt.Errorf("it needs %d bytes, more than the %d left within the %s", n, b.left, b.limit)
	}
	b.left -= n
	return nil
}

// newBudget allows maxBytes, or with 0 what the file system holding dir has
// free.
func newBudget(dir string, maxBytes int64) (*unpackBudget, error) {
	if maxBytes > 0 {
		return &unpackBudget{left: maxBytes, limit: "max_bytes"}, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return nil, sysErr("image: statfs "+dir, err)
	}
	return &unpackBudget{left: int64(st.Bavail) * st.Bsize, limit: "free space of " + dir}, nil
}

// unpackLayer applies the layer l to root with umoci's extractor: its
// files written, its whiteouts removing what lower layers had. The layer
// is read once, verified on the way (see openLayer); a mismatch fails
// after the unpack, and the caller then drops what was written. Each entry
// is checked first, so that a layer reaching outside root fails with
// ErrInvalid naming the entry instead of being silently confined: umoci
// resolves every path inside root (securejoin), this makes the attempt
// visible.
func unpackLayer(root string, l layerBlob, ids *idMap, budget *unpackBudget) error {
	s, err := openLayer(l)
	if err != nil {
		return wrapf(ErrInvalid, "image: layer %s: %v", l.name, err)
	}
	defer s.close()
	te := layer.NewTarExtractor(&layer.UnpackOptions{OnDiskFormat: layer.DirRootfs{MapOptions: ids.mapOptions()}})
	tr := tar.NewReader(s.tar)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrapf(ErrInvalid, "image: layer %s: %v", l.name, err)
		}
		if err := checkEntry(root, hdr, budget); err != nil {
			return wrapf(ErrInvalid, "image: layer %s: entry %q: %v", l.name, hdr.Name, err)
		}
		if err := te.UnpackEntry(root, hdr, tr); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return wrapf(ErrInvalid, "image: layer %s: entry %q: truncated", l.name, hdr.Name)
			}
			return sysErr(fmt.Sprintf("image: layer %s: entry %q", l.name, hdr.Name), err)
		}
	}
	if err := s.finish(); err != nil {
		return wrapf(ErrInvalid, "image: layer %s: %v", l.name, err)
	}
	return nil
}

// checkEntry refuses an entry whose name or hard-link target is absolute,
// climbs with "..", or has a parent reached through a symlink pointing out
// of root, a whiteout naming no plain file, or an entry whose size and
// names exceed the budget.
func checkEntry(root string, hdr *tar.Header, budget *unpackBudget) error {
	if err := checkName(hdr.Name); err != nil {
		return err
	}
	if err := checkWhiteout(hdr.Name); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink {
		if err := checkName(hdr.Linkname); err != nil {
			return fmt.Errorf("hard link target %q: %v", hdr.Linkname, err)
		}
		if link := escapingLink(root, filepath.Dir(filepath.Clean(hdr.Linkname))); link != "" {
			return fmt.Errorf("hard link target %q: its parent %s is a symlink that points out of the rootfs", hdr.Linkname, link)
		}
	}
	if link := escapingLink(root, filepath.Dir(filepath.Clean(hdr.Name))); link != "" {
		return fmt.Errorf("its parent %s is a symlink that points out of the rootfs", link)
	}
	cost := int64(entryCost + len(hdr.Name) + len(hdr.Linkname))
	if hdr.Typeflag == tar.TypeReg || hdr.Typeflag == tar.TypeRegA {
		if hdr.Size < 0 || hdr.Size > budget.left {
			return fmt.Errorf("it claims %d bytes, more than the %d left within the %s", hdr.Size, budget.left, budget.limit)
		}
		cost += hdr.Size
	}
	return budget.take(cost)
}

// checkWhiteout refuses a whiteout that names no plain file as containerd
// does: ".wh." alone, ".wh.." and ".wh..." (whose removal would reach the
// dir itself or its parent), and the AUFS metadata ".wh..wh.*" other than
// the opaque marker.
func checkWhiteout(name string) error {
	base := path.Base(path.Clean("/" + name))
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return nil
	}
	if base == whiteoutOpaque {
		return nil
	}
	target := strings.TrimPrefix(base, whiteoutPrefix)
	if target == "" || target == "." || target == ".." || strings.HasPrefix(target, whiteoutPrefix) {
		return fmt.Errorf("invalid whiteout: %q names no file", base)
	}
	return nil
}

// checkName refuses an absolute name or one with a ".." component.
func checkName(name string) error {
	if strings.HasPrefix(name, "/") {
		return errors.New("absolute name")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return errors.New(`".." in the name climbs out of the rootfs`)
		}
	}
	return nil
}

// escapingLink returns the first symlink met while resolving rel inside
// root (the rootfs as "/") whose target climbs above root, or "" if none
// does. A missing component ends the walk: nothing below it is a link.
func escapingLink(root, rel string) string {
	var stack []string
	todo := strings.Split(rel, "/")
	for depth := 0; len(todo) > 0; {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		here := filepath.Join(append([]string{root}, append(stack, part)...)...)
		fi, err := os.Lstat(here)
		if err != nil {
			return ""
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			stack = append(stack, part)
			continue
		}
		target, err := os.Readlink(here)
		if depth++; err != nil || depth > maxLinkDepth {
			return ""
		}
		if strings.HasPrefix(target, "/") {
			stack = nil
		} else if climbs(stack, target) {
			return "/" + strings.Join(append(stack, part), "/")
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return ""
}

// climbs reports whether a relative symlink target, read in the directory
// stack, goes above the root.
func climbs(stack []string, target string) bool {
	depth := len(stack)
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
