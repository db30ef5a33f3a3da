package image

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/umoci/oci/layer"
)

// idMap is the user namespace a bundle from an image runs in: its files
// are written owned by the host ids the image's ids map to, as podman's
// chowned layer copies are, so that root inside owns what the image says
// root owns. nil is no user namespace.
type idMap struct {
	uids, gids []specs.LinuxIDMapping
}

// newIDMap returns the mapping of uids and gids, or nil for none.
func newIDMap(uids, gids []specs.LinuxIDMapping) *idMap {
	if len(uids) == 0 && len(gids) == 0 {
		return nil
	}
	return &idMap{uids: uids, gids: gids}
}

// mapOptions returns umoci's form of m.
func (m *idMap) mapOptions() layer.MapOptions {
	if m == nil {
		return layer.MapOptions{}
	}
	return layer.MapOptions{UIDMappings: m.uids, GIDMappings: m.gids}
}

// suffix names the mapping in a cached layer's dir: "" for none.
func (m *idMap) suffix() string {
	if m == nil {
		return ""
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%v %v", m.uids, m.gids))
	return "-ids-" + hex.EncodeToString(sum[:6])
}

// root returns the host ids of root inside.
func (m *idMap) root() (uid, gid int) {
	return int(m.uids[0].HostID), int(m.gids[0].HostID)
}

// own gives the bundle dir and its rootfs (through the overlay, its upper
// dir) to root inside: the container's root must reach the rootfs, and
// nobody else of the host may (the bundle stays 0700).
func (m *idMap) own(bundle string) error {
	if m == nil {
		return nil
	}
	uid, gid := m.root()
	for _, p := range []string{bundle, filepath.Join(bundle, "rootfs")} {
		if err := os.Lchown(p, uid, gid); err != nil {
			return sysErr("image: chown "+p, err)
		}
	}
	return nil
}
