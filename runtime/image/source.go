package image

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageSource is an image opened from disk, its config verified and
// parsed; close releases what opening it took (the layout an OCI archive
// was extracted to).
type imageSource struct {
	// id names the image: its manifest's digest, or for a docker archive
	// its config's.
	id     digest.Digest
	config ispec.Image
	layers []layerBlob
	close  func()
}

// layerBlob is one layer of an image, not yet read.
type layerBlob struct {
	// name is how messages name the layer: its blob's digest.
	name string
	// desc is the stored blob's descriptor; nil where the image records
	// no digest of the stored form (a docker archive's layer files).
	desc *ispec.Descriptor
	// diffID is the digest of the uncompressed tar, from the config.
	diffID digest.Digest
	// open returns the stored blob (compressed or not).
	open func() (io.ReadCloser, error)
}

// setConfig parses the image's config and refuses an image made for
// another platform than plat.
func (s *imageSource) setConfig(raw []byte, plat imagePlatform) error {
	if len(raw) > maxMetadataBytes {
		return fmt.Errorf("config is larger than the %d bytes allowed", maxMetadataBytes)
	}
	if err := json.Unmarshal(raw, &s.config); err != nil {
		return fmt.Errorf("config: %v", err)
	}
	return plat.check(s.config)
}

// splitImageRef splits "PATH[:TAG]" at the first colon whose left side
// exists, so that paths with colons and tags with colons (docker archives
// tag "name:tag") both work. An existing PATH alone has no tag.
func splitImageRef(ref string) (path, tag string, err error) {
	if _, err := os.Stat(ref); err == nil {
		return ref, "", nil
	}
	for i := strings.IndexByte(ref, ':'); i >= 0; {
		if _, err := os.Stat(ref[:i]); err == nil && i > 0 {
			return ref[:i], ref[i+1:], nil
		}
		next := strings.IndexByte(ref[i+1:], ':')
		if next < 0 {
			break
		}
		i += next + 1
	}
	return "", "", wrapf(ErrInvalid, "image %q: no such file or directory", ref)
}

// openImage opens ref: an OCI image layout directory, a docker archive (as
// `docker save` and `podman save` write) or an OCI archive (a tar of a
// layout, as `skopeo copy ... oci-archive:` writes), each with an optional
// ":TAG", for the platform plat. scratch is where an OCI archive is
// extracted, within budget.
func openImage(ref, scratch string, plat imagePlatform, budget *unpackBudget) (*imageSource, error) {
	path, tag, err := splitImageRef(ref)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	if fi.IsDir() {
		src, err := openLayout(path, tag, plat)
		if err != nil {
			return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
		}
		return src, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, wrapf(ErrInvalid, "image %q: not a directory or an archive file", ref)
	}
	isLayout, err := tarHasLayout(path)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	if isLayout {
		return openOCIArchive(ref, path, tag, scratch, plat, budget)
	}
	src, err := openDockerArchive(path, tag, plat)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	return src, nil
}

// openOCIArchive extracts the OCI archive at path under scratch and opens
// the layout there; closing the image removes it.
func openOCIArchive(ref, path, tag, scratch string, plat imagePlatform, budget *unpackBudget) (*imageSource, error) {
	dir, err := os.MkdirTemp(scratch, ".oci-archive-")
	if err != nil {
		return nil, sysErr("image: extract "+path, err)
	}
	var src *imageSource
	err = extractLayout(path, dir, budget)
	if err == nil {
		src, err = openLayout(dir, tag, plat)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	closeLayout := src.close
	src.close = func() {
		closeLayout()
		os.RemoveAll(dir)
	}
	return src, nil
}

// openDockerArchive opens the image tagged tag in the docker archive at
// path. Such an archive records no digest of its files: each layer is
// verified against its config's diff id as it is read.
func openDockerArchive(path, tag string, plat imagePlatform) (*imageSource, error) {
	var t *name.Tag
	if tag != "" {
		parsed, err := name.NewTag(tag)
		if err != nil {
			return nil, fmt.Errorf("tag: %v", err)
		}
		t = &parsed
	}
	img, err := tarball.ImageFromPath(path, t)
	if err != nil {
		return nil, err
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	src := &imageSource{id: digest.FromBytes(raw), close: func() {}}
	if err := src.setConfig(raw, plat); err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("layers: %v", err)
	}
	if len(layers) != len(src.config.RootFS.DiffIDs) {
		return nil, fmt.Errorf("the archive holds %d layers, its config %d diff ids", len(layers), len(src.config.RootFS.DiffIDs))
	}
	for i, l := range layers {
		diffID := src.config.RootFS.DiffIDs[i]
		src.layers = append(src.layers, layerBlob{name: diffID.String(), diffID: diffID, open: l.Uncompressed})
	}
	return src, nil
}

// tarHasLayout reports whether the tar at path holds an OCI layout; for a
// docker archive, it first checks that no JSON file in it (manifest.json,
// the config) is larger than maxMetadataBytes, as they are read whole.
func tarHasLayout(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	docker := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("not an image archive: %v", err)
		}
		name := filepath.Clean(hdr.Name)
		switch {
		case name == "oci-layout" && !docker:
			return true, nil
		case name == "manifest.json":
			docker = true
		}
		if strings.HasSuffix(name, ".json") && hdr.Size > maxMetadataBytes {
			return false, fmt.Errorf("%s is larger than the %d bytes allowed", hdr.Name, maxMetadataBytes)
		}
	}
}

// extractLayout writes the layout files of the OCI archive at path into
// dir: oci-layout, index.json and blobs/ALG/HEX, regular files only; any
// other entry is refused. What it writes counts against budget.
func extractLayout(path, dir string, budget *unpackBudget) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(hdr.Name)
		if hdr.Typeflag == tar.TypeDir && (name == "." || name == "blobs" || isBlobDir(name)) {
			continue
		}
		if hdr.Typeflag != tar.TypeReg || !isLayoutFile(name) {
			return fmt.Errorf("OCI archive entry %q is not part of an image layout", hdr.Name)
		}
		if err := budget.take(hdr.Size + entryCost); err != nil {
			return fmt.Errorf("OCI archive entry %q: %v", hdr.Name, err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, io.LimitReader(tr, hdr.Size))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// isBlobDir reports whether name is blobs/ALG.
func isBlobDir(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 2 && parts[0] == "blobs" && isDigestPart(parts[1])
}

// isLayoutFile reports whether name is a file an OCI layout holds.
func isLayoutFile(name string) bool {
	if name == "oci-layout" || name == "index.json" {
		return true
	}
	parts := strings.Split(name, "/")
	return len(parts) == 3 && parts[0] == "blobs" && isDigestPart(parts[1]) && isDigestPart(parts[2])
}

// isDigestPart reports whether s is a digest's algorithm or hex: lower-case
// letters and digits only.
func isDigestPart(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
