package image

import (
	"sync"

	ispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// tracker collects the progress of the blobs of a pull, written from the
// downloading goroutines, and reports it on the goroutine that reads
// notify: a report is a snapshot, so a slow callback skips intermediate
// counts instead of holding the downloads up.
type tracker struct {
	mu     sync.Mutex
	items  []*trackedBlob
	notify chan struct{}
}

// trackedBlob is one blob's progress.
type trackedBlob struct {
	t        *tracker
	blob     string
	total    int64
	done     int64
	reported int64
}

func newTracker() *tracker {
	return &tracker{notify: make(chan struct{}, 1)}
}

// add starts tracking the blob desc names.
func (t *tracker) add(desc ispec.Descriptor) *trackedBlob {
	b := &trackedBlob{t: t, blob: desc.Digest.String(), total: desc.Size, reported: -1}
	t.mu.Lock()
	t.items = append(t.items, b)
	t.mu.Unlock()
	t.poke()
	return b
}

// set records n bytes done.
func (b *trackedBlob) set(n int64) {
	b.t.mu.Lock()
	b.done = n
	b.t.mu.Unlock()
	b.t.poke()
}

// poke wakes the reporter without ever blocking.
func (t *tracker) poke() {
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// report calls fn with each blob whose count changed since its last
// report, and returns true as soon as fn does (cancel).
func (t *tracker) report(fn func(Progress) bool) bool {
	if fn == nil {
		return false
	}
	t.mu.Lock()
	var due []Progress
	for _, b := range t.items {
		if b.done != b.reported {
			b.reported = b.done
			due = append(due, Progress{Blob: b.blob, Done: b.done, Total: b.total})
		}
	}
	t.mu.Unlock()
	for _, p := range due {
		if fn(p) {
			return true
		}
	}
	return false
}
