package image

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"syscall"

	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of Docker's schema 2, which layouts written by older tools
// still hold, next to image-spec's own.
const (
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// layerMediaTypes are the layer blobs unpacked; decompress tells their
// compression from their first bytes.
var layerMediaTypes = map[string]bool{
	ispec.MediaTypeImageLayer:                     true,
	ispec.MediaTypeImageLayerGzip:                 true,
	ispec.MediaTypeImageLayerZstd:                 true,
	ispec.MediaTypeImageLayerNonDistributable:     true, //nolint:staticcheck // still written by some tools
	ispec.MediaTypeImageLayerNonDistributableGzip: true, //nolint:staticcheck
	ispec.MediaTypeImageLayerNonDistributableZstd: true, //nolint:staticcheck
	dockerLayerGzip:                               true,
}

// openLayout opens the image tagged tag in the OCI layout at dir. Every
// file is opened beneath dir (a symlink cannot lead out of it) and must be
// a regular file; the manifest, and an index it is chosen from, are
// verified against the descriptors naming them.
func openLayout(dir, tag string, plat imagePlatform) (*imageSource, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	l := &layoutReader{root: root, plat: plat}
	raw, err := l.readFile("index.json")
	if err != nil {
		root.Close()
		return nil, err
	}
	var idx ispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		root.Close()
		return nil, fmt.Errorf("index.json: %v", err)
	}
	src, err := l.image(idx, tag)
	if err != nil {
		root.Close()
		return nil, err
	}
	src.close = func() { root.Close() }
	return src, nil
}

// layoutReader reads the files of one layout, confined to its root.
type layoutReader struct {
	root *os.Root
	plat imagePlatform
}

// open opens the regular file name beneath the layout; a FIFO or device
// there is refused without blocking.
func (l *layoutReader) open(name string) (*os.File, error) {
	f, err := l.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", name)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readFile reads the file name, at most maxMetadataBytes of it.
func (l *layoutReader) readFile(name string) ([]byte, error) {
	f, err := l.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, name)
}

// blobPath is where the layout keeps the blob d.
func blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("digest %q: %v", d, err)
	}
	return path.Join("blobs", d.Algorithm().String(), d.Encoded()), nil
}

// readBlob reads the metadata blob desc names, verified.
func (l *layoutReader) readBlob(desc ispec.Descriptor, what string) ([]byte, error) {
	p, err := blobPath(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	f, err := l.open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	defer f.Close()
	return readVerified(f, desc, what)
}

// image picks the manifest tag names in idx (following a nested index to
// the platform asked for) and reads it and its config.
func (l *layoutReader) image(idx ispec.Index, tag string) (*imageSource, error) {
	desc, err := l.plat.pickDescriptor(idx.Manifests, tag)
	if err != nil {
		return nil, err
	}
	if isIndex(desc.MediaType) {
		raw, err := l.readBlob(desc, "index")
		if err != nil {
			return nil, err
		}
		var nested ispec.Index
		if err := json.Unmarshal(raw, &nested); err != nil {
			return nil, fmt.Errorf("index %s: %v", desc.Digest, err)
		}
		picked, err := l.plat.pick(nested.Manifests)
		if err != nil {
			return nil, fmt.Errorf("index %s: %v", desc.Digest, err)
		}
		desc = picked
	}
	if desc.MediaType != ispec.MediaTypeImageManifest && desc.MediaType != dockerManifest {
		return nil, fmt.Errorf("%s is a %q, not an image manifest", desc.Digest, desc.MediaType)
	}
	raw, err := l.readBlob(desc, "manifest")
	if err != nil {
		return nil, err
	}
	var m ispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %v", desc.Digest, err)
	}
	rawConfig, err := l.readBlob(m.Config, "config")
	if err != nil {
		return nil, err
	}
	src := &imageSource{id: desc.Digest}
	if err := src.setConfig(rawConfig, l.plat); err != nil {
		return nil, err
	}
	if len(m.Layers) != len(src.config.RootFS.DiffIDs) {
		return nil, fmt.Errorf("manifest %s lists %d layers, its config %d diff ids", desc.Digest, len(m.Layers), len(src.config.RootFS.DiffIDs))
	}
	for i, ld := range m.Layers {
		if !layerMediaTypes[ld.MediaType] {
			return nil, fmt.Errorf("layer %s: media type %q is not a layer", ld.Digest, ld.MediaType)
		}
		p, err := blobPath(ld.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer: %v", err)
		}
		src.layers = append(src.layers, layerBlob{
			name:   ld.Digest.String(),
			desc:   &m.Layers[i],
			diffID: src.config.RootFS.DiffIDs[i],
			open:   func() (io.ReadCloser, error) { return l.open(p) },
		})
	}
	return src, nil
}

// isIndex reports whether mediaType is an image index's.
func isIndex(mediaType string) bool {
	return mediaType == ispec.MediaTypeImageIndex || mediaType == dockerManifestList
}

// pickDescriptor returns the one descriptor tagged tag; with no tag the
// only one, or the first one for p.
func (p imagePlatform) pickDescriptor(all []ispec.Descriptor, tag string) (ispec.Descriptor, error) {
	var found []ispec.Descriptor
	var tags []string
	for _, d := range all {
		ref := d.Annotations[ispec.AnnotationRefName]
		tags = append(tags, ref)
		if tag == "" || ref == tag {
			found = append(found, d)
		}
	}
	if len(found) == 0 && tag != "" {
		return ispec.Descriptor{}, fmt.Errorf("no image tagged %q (tags: %s)", tag, strings.Join(tags, ", "))
	}
	if len(found) > 1 {
		if d, err := p.pick(found); err == nil {
			return d, nil
		}
		return ispec.Descriptor{}, fmt.Errorf("the layout holds %d images; name one with :TAG (tags: %s)", len(found), strings.Join(tags, ", "))
	}
	if len(found) == 0 {
		return ispec.Descriptor{}, fmt.Errorf("the layout holds no image")
	}
	return found[0], nil
}
