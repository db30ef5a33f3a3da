package runtime

import (
	"context"
	"os"
	"sync/atomic"
)

// proc is the core a Container and a Process share: the process the handle
// stands for (a container's init or an exec'd process), its state dir, its
// exit watch and the stream ends the handle holds.
type proc struct {
	what    string // "container" or "process", for messages
	id      string
	dir     string
	rec     record
	watch   *exitWatch
	streams *streams // nil for a loaded handle
	exitFd  exitFd
	closed  atomic.Bool
}

// ID is the id the container or process was created with.
func (p *proc) ID() string { return p.id }

// Pid is the host pid of the process.
func (p *proc) Pid() int { return p.rec.Pid }

// checkOpen fails for a closed handle.
func (p *proc) checkOpen() error {
	if p.closed.Load() {
		return wrapf(ErrClosed, "%s handle %q is closed", p.what, p.id)
	}
	return nil
}

// check fails for a closed handle, or a container or process deleted.
func (p *proc) check() error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	if _, err := os.Stat(p.dir); err != nil {
		return wrapf(ErrNotFound, "%s %q was deleted", p.what, p.id)
	}
	return nil
}

// Wait waits for the process to exit; ctx ending first is ErrTimeout. Any
// number of waits, before or after the exit, get the same result.
func (p *proc) Wait(ctx context.Context) (Exit, error) {
	if err := p.checkOpen(); err != nil {
		return Exit{}, err
	}
	return p.watch.wait(ctx)
}

// Stdio hands over the caller's end of a piped stream, or the pty master
// (stream 0), once. The caller owns the file.
func (p *proc) Stdio(stream int) (*os.File, error) {
	if err := p.checkOpen(); err != nil {
		return nil, err
	}
	return p.streams.take(stream)
}

// Resize sets the window size of the process's pty.
func (p *proc) Resize(rows, cols uint16) error {
	if err := p.checkOpen(); err != nil {
		return err
	}
	return p.streams.resize(rows, cols)
}

// Close releases the handle and the stream ends it did not hand over. The
// process is left as it is.
func (p *proc) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.streams.close()
	p.exitFd.close()
	return nil
}
