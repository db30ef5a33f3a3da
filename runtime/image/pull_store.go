package image

// A pull writes into an OCI image layout as containerd's content store
// commits: each blob goes to a temp file inside the layout, is verified
// against its digest and size while it is written, synced and renamed to
// its name. A blob already there counts only once its content hashes to
// its name; index.json is replaced whole, under a lock on the layout dir.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// layoutStore is an OCI layout being written by a pull.
type layoutStore struct {
	dir string
}

// openStore makes dir an OCI layout where it is not one yet (mode 0755,
// as skopeo makes one).
func openStore(dir string) (*layoutStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, sysErr("image pull: layout", err)
	}
	s := &layoutStore{dir: dir}
	marker := filepath.Join(dir, ispec.ImageLayoutFile)
	if _, err := os.Lstat(marker); errors.Is(err, fs.ErrNotExist) {
		raw, _ := json.Marshal(ispec.ImageLayout{Version: ispec.ImageLayoutVersion})
		if err := s.writeFile(ispec.ImageLayoutFile, raw); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// blobFile is the path of the blob d in the layout.
func (s *layoutStore) blobFile(d digest.Digest) (string, error) {
	p, err := blobPath(d)
	if err != nil {
		return "", wrapf(ErrInvalid, "image pull: %v", err)
	}
	return filepath.Join(s.dir, p), nil
}

// has reports whether the layout holds the blob desc names, verified: a
// file of that name whose content does not hash to it is not counted (and
// is replaced by the pull).
func (s *layoutStore) has(desc ispec.Descriptor) bool {
	p, err := s.blobFile(desc.Digest)
	if err != nil {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != desc.Size {
		return false
	}
	h := desc.Digest.Algorithm().Digester()
	if _, err := io.Copy(h.Hash(), f); err != nil {
		return false
	}
	return h.Digest() == desc.Digest
}

// write copies the blob desc names from r into the layout: a temp file
// beside its final name, verified against desc's size and digest while it
// is written, synced, renamed. done is told the bytes written so far. On
// any failure nothing new is left in the layout.
func (s *layoutStore) write(desc ispec.Descriptor, r io.Reader, done func(int64)) error {
	final, err := s.blobFile(desc.Digest)
	if err != nil {
		return err
	}
	if desc.Size < 0 {
		return wrapf(ErrInvalid, "image pull: blob %s: negative size %d", desc.Digest, desc.Size)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return sysErr("image pull: blob dir", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".pull-"+desc.Digest.Encoded()+"-*")
	if err != nil {
		return sysErr("image pull: temp blob", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := desc.Digest.Algorithm().Digester()
	w := &progressWriter{w: io.MultiWriter(tmp, h.Hash()), done: done}
	n, err := io.Copy(w, io.LimitReader(r, desc.Size+1))
	if n == desc.Size && h.Digest() != desc.Digest {
		// Ours is the verdict, whatever the reader said at its end.
		err = nil
	}
	if err != nil {
		return err
	}
	if n != desc.Size {
		return wrapf(ErrInvalid, "image pull: blob %s: %d bytes where its descriptor says %d", desc.Digest, n, desc.Size)
	}
	if got := h.Digest(); got != desc.Digest {
		return wrapf(ErrInvalid, "image pull: blob %s: its content does not match its digest (it hashes to %s)", desc.Digest, got)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return sysErr("image pull: chmod blob", err)
	}
	if err := tmp.Sync(); err != nil {
		return sysErr("image pull: sync blob", err)
	}
	if err := tmp.Close(); err != nil {
		return sysErr("image pull: close blob", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return sysErr("image pull: commit blob", err)
	}
	ok = true
	return syncDirEntry(filepath.Dir(final))
}

// writeBytes stores a blob held in memory (a manifest), verified.
func (s *layoutStore) writeBytes(desc ispec.Descriptor, data []byte) error {
	if s.has(desc) {
		return nil
	}
	return s.write(desc, bytes.NewReader(data), func(int64) {})
}

// writeFile replaces the file name of the layout with data: temp file,
// sync, rename.
func (s *layoutStore) writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(s.dir, "."+name+"-*")
	if err != nil {
		return sysErr("image pull: "+name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return sysErr("image pull: "+name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return sysErr("image pull: "+name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return sysErr("image pull: "+name, err)
	}
	if err := tmp.Close(); err != nil {
		return sysErr("image pull: "+name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return sysErr("image pull: "+name, err)
	}
	return syncDirEntry(s.dir)
}

// tag points the ref name refName of index.json at desc, replacing what it
// named before, under an exclusive lock on the layout dir so concurrent
// pulls into one layout (from any process) each keep their entry.
func (s *layoutStore) tag(desc ispec.Descriptor, refName string) error {
	d, err := os.Open(s.dir)
	if err != nil {
		return sysErr("image pull: layout", err)
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return sysErr("image pull: lock layout", err)
	}
	idx := ispec.Index{MediaType: ispec.MediaTypeImageIndex}
	idx.SchemaVersion = 2
	raw, err := os.ReadFile(filepath.Join(s.dir, ispec.ImageIndexFile))
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &idx); err != nil {
			return wrapf(ErrInvalid, "image pull: %s of %s: %v", ispec.ImageIndexFile, s.dir, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return sysErr("image pull: "+ispec.ImageIndexFile, err)
	}
	kept := idx.Manifests[:0]
	for _, m := range idx.Manifests {
		if m.Annotations[ispec.AnnotationRefName] != refName {
			kept = append(kept, m)
		}
	}
	desc.Annotations = map[string]string{ispec.AnnotationRefName: refName}
	idx.Manifests = append(kept, desc)
	out, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("image pull: %v", err)
	}
	return s.writeFile(ispec.ImageIndexFile, out)
}

// syncDirEntry syncs the directory dir, so a rename in it is durable.
func syncDirEntry(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return sysErr("image pull: sync dir", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return sysErr("image pull: sync dir", err)
	}
	return nil
}

// progressWriter counts the bytes written through it and tells done.
type progressWriter struct {
	w    io.Writer
	n    int64
	done func(int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.done(p.n)
	return n, err
}
