package image

import (
	"io"
)

// progressStep is how many bytes of a layer are read between two reports
// of its unpacking (besides its first and last).
const progressStep = 256 << 10

// reportUnpack makes each layer of src tell fn the bytes of its stored
// blob read as it is unpacked, on the goroutine unpacking it (the
// caller's). The flag it returns is set once fn asked to cancel: the
// layer's reads then fail, and the caller reports ErrCanceled.
func reportUnpack(src *imageSource, fn func(Progress) bool) *bool {
	cancelled := new(bool)
	if fn == nil {
		return cancelled
	}
	for i := range src.layers {
		l := &src.layers[i]
		open, blob := l.open, l.name
		var total int64
		if l.desc != nil {
			total = l.desc.Size
		}
		l.open = func() (io.ReadCloser, error) {
			rc, err := open()
			if err != nil {
				return nil, err
			}
			return &unpackReader{rc: rc, blob: blob, total: total, fn: fn, cancelled: cancelled, reported: -1}, nil
		}
	}
	return cancelled
}

// unpackReader is a layer's stored blob, read for unpacking, reporting.
type unpackReader struct {
	rc        io.ReadCloser
	blob      string
	total     int64
	n         int64
	reported  int64
	fn        func(Progress) bool
	cancelled *bool
}

func (r *unpackReader) Read(p []byte) (int, error) {
	if *r.cancelled {
		return 0, ErrCanceled
	}
	n, err := r.rc.Read(p)
	r.n += int64(n)
	if r.n != r.reported && (r.reported < 0 || r.n-r.reported >= progressStep || err == io.EOF || r.n == r.total) {
		r.reported = r.n
		if r.fn(Progress{Blob: r.blob, Done: r.n, Total: r.total}) {
			*r.cancelled = true
			return n, ErrCanceled
		}
	}
	return n, err
}

func (r *unpackReader) Close() error { return r.rc.Close() }
