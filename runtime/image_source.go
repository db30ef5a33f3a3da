package runtime

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// imageSource is an image opened from disk; close removes what opening it
// made (the layout an OCI archive was extracted to).
type imageSource struct {
	image v1.Image
	close func()
}

// layers returns the image's layers, bottom first.
func (s *imageSource) layers() ([]v1.Layer, error) {
	layers, err := s.image.Layers()
	if err != nil {
		return nil, wrapf(ErrInvalid, "image: layers: %v", err)
	}
	return layers, nil
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
// ":TAG". scratch is where an OCI archive is extracted.
func openImage(ref, scratch string) (*imageSource, error) {
	path, tag, err := splitImageRef(ref)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	if fi.IsDir() {
		img, err := layoutImage(path, tag)
		if err != nil {
			return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
		}
		return &imageSource{image: img, close: func() {}}, nil
	}
	isLayout, err := tarHasLayout(path)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	if isLayout {
		dir, err := os.MkdirTemp(scratch, ".oci-archive-")
		if err != nil {
			return nil, sysErr("image: extract "+path, err)
		}
		done := func() { os.RemoveAll(dir) }
		var img v1.Image
		err = extractLayout(path, dir)
		if err == nil {
			img, err = layoutImage(dir, tag)
		}
		if err != nil {
			done()
			return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
		}
		return &imageSource{image: img, close: done}, nil
	}
	var t *name.Tag
	if tag != "" {
		parsed, err := name.NewTag(tag)
		if err != nil {
			return nil, wrapf(ErrInvalid, "image %q: tag: %v", ref, err)
		}
		t = &parsed
	}
	img, err := tarball.ImageFromPath(path, t)
	if err != nil {
		return nil, wrapf(ErrInvalid, "image %q: %v", ref, err)
	}
	return &imageSource{image: img, close: func() {}}, nil
}

// layoutImage picks the image tagged tag in the layout at dir; with no tag
// the layout must hold exactly one image.
func layoutImage(dir, tag string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var found []v1.Descriptor
	var tags []string
	for _, d := range m.Manifests {
		ref := d.Annotations[refNameAnnotation]
		tags = append(tags, ref)
		if tag == "" || ref == tag {
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 0 && tag != "":
		return nil, fmt.Errorf("no image tagged %q (tags: %s)", tag, strings.Join(tags, ", "))
	case len(found) != 1:
		return nil, fmt.Errorf("the layout holds %d images; name one with :TAG (tags: %s)", len(found), strings.Join(tags, ", "))
	case !found[0].MediaType.IsImage():
		return nil, fmt.Errorf("%s is a %s, not an image manifest", found[0].Digest, found[0].MediaType)
	}
	return p.Image(found[0].Digest)
}

// tarHasLayout reports whether the tar at path holds an OCI layout.
func tarHasLayout(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("not an image archive: %v", err)
		}
		switch filepath.Clean(hdr.Name) {
		case "oci-layout":
			return true, nil
		case "manifest.json":
			return false, nil
		}
	}
}

// extractLayout writes the layout files of the OCI archive at path into
// dir: oci-layout, index.json and blobs/ALG/HEX, regular files only; any
// other entry is refused.
func extractLayout(path, dir string) error {
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
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
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
