package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"

	"golang.org/x/sys/unix"
)

// DefaultPoolPrefix is the id prefix of a pool's containers when the
// options name none.
const DefaultPoolPrefix = "pool-"

// PoolOptions configure a warm pool.
type PoolOptions struct {
	// Bundle is the OCI bundle every container of the pool is created from.
	Bundle string
	// Size is how many created containers the pool keeps ready (>= 1).
	Size int
	// IO is the streams of each container, as for Create; a caller's fd is
	// duplicated once by NewPool and given to every container.
	IO IO
	// IDPrefix begins each container's id, which a random suffix
	// completes; empty means DefaultPoolPrefix.
	IDPrefix string
	// Concurrency is how many creates refill the pool at once; 0 means 1.
	Concurrency int
}

// Pool keeps containers of one bundle created ahead, so that Take only
// starts one. It is safe for concurrent use.
type Pool struct {
	rt    *Runtime
	opts  PoolOptions
	token string // names the pool in its containers' records
	owned []int  // the pool's duplicates of the caller's fds

	mu       sync.Mutex
	ready    []*Container
	creating int
	err      error         // the last failed refill, until a take reports it
	changed  chan struct{} // closed and replaced on every change
	closed   bool
	workers  sync.WaitGroup
}

// NewPool opens a pool on the runtime and starts filling it in the
// background; Fill waits until it is full.
func (r *Runtime) NewPool(opts PoolOptions) (_ *Pool, err error) {
	if opts.Size < 1 {
		return nil, wrapf(ErrInvalid, "pool size %d is below 1", opts.Size)
	}
	if opts.Concurrency < 0 {
		return nil, wrapf(ErrInvalid, "pool concurrency %d is below 0", opts.Concurrency)
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 1
	}
	if opts.IDPrefix == "" {
		opts.IDPrefix = DefaultPoolPrefix
	}
	if err := ValidateID(opts.IDPrefix + "0"); err != nil {
		return nil, wrapf(ErrInvalid, "invalid id prefix %q: %v", opts.IDPrefix, err)
	}
	bundle, spec, err := readBundle(opts.Bundle)
	if err != nil {
		return nil, err
	}
	if opts.IO.Terminal != spec.Process.Terminal {
		return nil, wrapf(ErrInvalid, "io terminal=%v does not match process.terminal=%v in %s/config.json",
			opts.IO.Terminal, spec.Process.Terminal, bundle)
	}
	opts.Bundle = bundle
	p := &Pool{rt: r, opts: opts, changed: make(chan struct{})}
	defer func() {
		if err != nil {
			p.closeOwned()
		}
	}()
	if !opts.IO.Terminal {
		for _, s := range []*Stream{&p.opts.IO.Stdin, &p.opts.IO.Stdout, &p.opts.IO.Stderr} {
			if *s < 0 {
				continue
			}
			fd, err := unix.FcntlInt(uintptr(*s), unix.F_DUPFD_CLOEXEC, 3)
			if err != nil {
				return nil, sysErr("duplicate stream fd", err)
			}
			p.owned = append(p.owned, fd)
			*s = Stream(fd)
		}
	}
	r.sweepPools()
	if p.token, err = r.registerPool(); err != nil {
		return nil, err
	}
	for i := 0; i < opts.Concurrency; i++ {
		p.workers.Add(1)
		go p.refill()
	}
	return p, nil
}

// changedLocked, under mu, wakes every waiter of p.changed.
func (p *Pool) changedLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// awaitChange, under mu, releases it until the pool changes or ctx ends.
func (p *Pool) awaitChange(ctx context.Context) {
	ch := p.changed
	p.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
	p.mu.Lock()
}

// reportLocked, under mu, returns the error of the last failed refill and
// clears it, so that refilling resumes.
func (p *Pool) reportLocked() error {
	err := p.err
	p.err = nil
	p.changedLocked()
	return err
}

// refill is one worker: it creates containers while the pool is short of
// its size, and after a failure waits until a take has reported it.
func (p *Pool) refill() {
	defer p.workers.Done()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for !p.closed && (p.err != nil || len(p.ready)+p.creating >= p.opts.Size) {
			p.awaitChange(context.Background())
		}
		if p.closed {
			return
		}
		p.creating++
		p.mu.Unlock()
		c, err := p.create()
		p.mu.Lock()
		p.creating--
		switch {
		case err != nil:
			p.err = err
		case p.closed:
			p.discard(c)
		default:
			p.ready = append(p.ready, c)
		}
		p.changedLocked()
	}
}

// create makes one container of the pool, as Create does, marked as the
// pool's.
func (p *Pool) create() (*Container, error) {
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		return nil, sysErr("read random id", err)
	}
	id := p.opts.IDPrefix + hex.EncodeToString(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), p.rt.callTimeout)
	defer cancel()
	return p.rt.create(ctx, id, p.opts.Bundle, p.opts.IO, false, p.token)
}

// discard force-deletes a container of the pool and releases its handle.
func (p *Pool) discard(c *Container) {
	c.Delete(context.Background(), true)
	c.Close()
}

// next returns a ready container, or the error of the last failed refill,
// waiting for either until ctx ends (ErrTimeout).
func (p *Pool) next(ctx context.Context) (*Container, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return nil, wrapf(ErrClosed, "the pool is closed")
		}
		if n := len(p.ready); n > 0 {
			c := p.ready[0]
			p.ready = p.ready[1:]
			p.changedLocked()
			return c, nil
		}
		if p.err != nil {
			return nil, p.reportLocked()
		}
		if ctx.Err() != nil {
			return nil, wrapf(ErrTimeout, "no container of the pool was ready in time")
		}
		p.awaitChange(ctx)
	}
}

// Take starts a ready container and hands it over, an ordinary container
// from then on: the caller waits for, deletes and closes it. A ready
// container that died before its take is deleted and another taken. It
// waits for one until ctx ends (ErrTimeout), which bounds the wait only,
// not the start; a failed refill is this call's error.
func (p *Pool) Take(ctx context.Context) (*Container, error) {
	for {
		c, err := p.next(ctx)
		if err != nil {
			return nil, err
		}
		if c.watch.exited() {
			p.discard(c)
			continue
		}
		if err := c.Start(context.Background()); err != nil {
			died := c.watch.exited() || errors.Is(err, ErrState)
			p.discard(c)
			if died {
				continue
			}
			return nil, err
		}
		if err := c.unmarkPooled(); err != nil {
			p.discard(c)
			return nil, err
		}
		return c, nil
	}
}

// Fill waits until the pool holds its size of ready containers; a failed
// refill is its error, and ctx ending first ErrTimeout.
func (p *Pool) Fill(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.closed:
			return wrapf(ErrClosed, "the pool is closed")
		case len(p.ready) >= p.opts.Size:
			return nil
		case p.err != nil:
			return p.reportLocked()
		case ctx.Err() != nil:
			return wrapf(ErrTimeout, "the pool was not full in time: %d of %d ready", len(p.ready), p.opts.Size)
		}
		p.awaitChange(ctx)
	}
}

// Close stops refilling and deletes the containers not taken. Taken ones
// are the caller's. Closing twice is a no-op.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.changedLocked()
	p.mu.Unlock()
	p.workers.Wait()
	var errs []error
	for _, c := range p.ready {
		errs = append(errs, c.Delete(context.Background(), true))
		c.Close()
	}
	p.ready = nil
	p.closeOwned()
	errs = append(errs, p.rt.unregisterPool(p.token))
	return errors.Join(errs...)
}

// closeOwned closes the pool's duplicates of the caller's fds.
func (p *Pool) closeOwned() {
	for _, fd := range p.owned {
		unix.Close(fd)
	}
	p.owned = nil
}
