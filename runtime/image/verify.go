package image

// Every blob of an image is verified as containerd's content store does:
// the manifest and config against the descriptors naming them before either
// is parsed, each layer against its compressed digest while it is read and
// against the config's diff id as it is unpacked, in the same single pass.
// Nothing of a layer counts (enters the cache, or a bundle that is kept)
// before both matched, so a swapped or tampered blob fails the call instead.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxMetadataBytes bounds an index, a manifest or a config, as containerd
// bounds manifests: such a blob is read whole into memory.
const maxMetadataBytes = 4 << 20

// readVerified reads the blob desc names from r, whole, and returns it only
// if its size and digest match desc.
func readVerified(r io.Reader, desc ispec.Descriptor, what string) ([]byte, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("%s digest %q: %v", what, desc.Digest, err)
	}
	if desc.Size < 0 || desc.Size > maxMetadataBytes {
		return nil, fmt.Errorf("%s %s: its size %d is beyond the %d bytes allowed", what, desc.Digest, desc.Size, maxMetadataBytes)
	}
	data, err := io.ReadAll(io.LimitReader(r, desc.Size+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", what, desc.Digest, err)
	}
	if int64(len(data)) != desc.Size {
		return nil, fmt.Errorf("%s %s: %d bytes where its descriptor says %d", what, desc.Digest, len(data), desc.Size)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return nil, fmt.Errorf("%s %s: its content does not match its digest (it hashes to %s)", what, desc.Digest, got)
	}
	return data, nil
}

// readCapped reads r whole, failing beyond maxMetadataBytes.
func readCapped(r io.Reader, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMetadataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	if len(data) > maxMetadataBytes {
		return nil, fmt.Errorf("%s is larger than the %d bytes allowed", what, maxMetadataBytes)
	}
	return data, nil
}

// layerStream is a layer being read once: the tar stream, uncompressed,
// with the digests of the stored blob and of the tar computed on the way.
type layerStream struct {
	layer   layerBlob
	blob    io.ReadCloser
	stored  digest.Digester
	counted *countingReader
	tar     io.Reader
	diff    digest.Digester
	closeZ  func()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openLayer opens l for its single read.
func openLayer(l layerBlob) (*layerStream, error) {
	if err := l.diffID.Validate(); err != nil {
		return nil, fmt.Errorf("diff id %q: %v", l.diffID, err)
	}
	s := &layerStream{layer: l, closeZ: func() {}}
	if l.desc != nil {
		if err := l.desc.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("digest %q: %v", l.desc.Digest, err)
		}
		if l.desc.Size < 0 {
			return nil, fmt.Errorf("negative size %d", l.desc.Size)
		}
	}
	blob, err := l.open()
	if err != nil {
		return nil, err
	}
	s.blob = blob
	var stored io.Reader = blob
	if l.desc != nil {
		s.stored = l.desc.Digest.Algorithm().Digester()
		stored = io.TeeReader(io.LimitReader(blob, l.desc.Size+1), s.stored.Hash())
	}
	s.counted = &countingReader{r: stored}
	plain, closeZ, err := decompress(s.counted)
	if err != nil {
		blob.Close()
		return nil, err
	}
	s.closeZ = closeZ
	s.diff = l.diffID.Algorithm().Digester()
	s.tar = io.TeeReader(plain, s.diff.Hash())
	return s, nil
}

// decompress returns r uncompressed, whichever of gzip, zstd or none its
// first bytes show.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %v", err)
		}
		zr.Multistream(true)
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %v", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// finish reads what the tar reader left (padding, trailing bytes), then
// checks the stored blob's size and digest and the tar's diff id.
func (s *layerStream) finish() error {
	if _, err := io.Copy(io.Discard, s.tar); err != nil {
		return fmt.Errorf("reading to its end: %v", err)
	}
	if s.layer.desc != nil {
		if _, err := io.Copy(io.Discard, s.counted); err != nil {
			return fmt.Errorf("reading to its end: %v", err)
		}
		if s.counted.n != s.layer.desc.Size {
			return fmt.Errorf("%d bytes where its descriptor says %d", s.counted.n, s.layer.desc.Size)
		}
		if got := s.stored.Digest(); got != s.layer.desc.Digest {
			return fmt.Errorf("its content does not match its digest (it hashes to %s)", got)
		}
	}
	if got := s.diff.Digest(); got != s.layer.diffID {
		return fmt.Errorf("its content does not match the config's diff id %s (it hashes to %s)", s.layer.diffID, got)
	}
	return nil
}

// close releases the stream.
func (s *layerStream) close() {
	s.closeZ()
	s.blob.Close()
}
