package image

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// imageMarker is the file in a bundle made from an image that RemoveBundle
// looks for: it never removes a directory whose marker it did not write
// for that very directory.
const imageMarker = "image.json"

// bundleKind tags a marker as this library's.
const bundleKind = "libexecution image bundle"

// maxRecordBytes bounds a marker or a cache reference read back.
const maxRecordBytes = 1 << 20

// bundleRecord is what imageMarker holds, and a cache reference too.
type bundleRecord struct {
	// Kind is bundleKind.
	Kind string `json:"kind"`
	// Bundle is the bundle's own absolute path: a marker copied or moved
	// elsewhere does not match its dir.
	Bundle string `json:"bundle"`
	// Token is random, made for this bundle; it names the cache reference.
	Token  string `json:"token"`
	Image  string `json:"image"`
	Digest string `json:"digest"`
	// Cache is the layer cache the rootfs overlay uses, "" when unpacked.
	Cache  string   `json:"cache,omitempty"`
	Layers []string `json:"layers,omitempty"`
}

// newRecord returns the record of a new bundle at abs.
func newRecord(abs string) (*bundleRecord, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, sysErr("image: token", err)
	}
	return &bundleRecord{Kind: bundleKind, Bundle: abs, Token: hex.EncodeToString(b)}, nil
}

// readImageRecord reads the record at path: a regular file, not a link, owned
// by this user, at most maxRecordBytes.
func readImageRecord(path string) (*bundleRecord, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() {
		return nil, errors.New("not a regular file of this user")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRecordBytes {
		return nil, errors.New("too large")
	}
	var rec bundleRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	if rec.Kind != bundleKind || rec.Token == "" {
		return nil, errors.New("not written by this library")
	}
	return &rec, nil
}

// bundleMarker reads the marker of the bundle at abs, failing unless this
// library wrote it for abs.
func bundleMarker(abs string) (*bundleRecord, error) {
	rec, err := readImageRecord(filepath.Join(abs, imageMarker))
	if err != nil {
		return nil, fmt.Errorf("no marker of this library's (%s: %v)", imageMarker, err)
	}
	if rec.Bundle != abs {
		return nil, fmt.Errorf("its marker was written for %s", rec.Bundle)
	}
	return rec, nil
}

// refPath is the cache reference of the bundle rec describes.
func (c *layerCache) refPath(token string) string {
	return filepath.Join(c.dir, cacheRefs, token)
}

// addRef records in the cache that the bundle rec uses its layers.
func (c *layerCache) addRef(rec *bundleRecord) error {
	return writeRecord(c.refPath(rec.Token), rec)
}

// writeRecord writes rec to the new file path, mode 0600.
func writeRecord(path string, rec *bundleRecord) error {
	data, err := json.MarshalIndent(rec, "", "\t")
	if err != nil {
		return sysErr("image: "+path, err)
	}
	return createFile(path, append(data, '\n'), 0o600)
}

// createFile writes data to the new file path with mode, synced; a failed
// write removes it.
func createFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, mode)
	if err != nil {
		return sysErr("image: create "+path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return sysErr("image: write "+path, err)
	}
	return nil
}
