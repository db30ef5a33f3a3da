package main

import (
	"io"
	"os"
	"sync"

	"github.com/libexecution/execution/runtime"
)

// stdio is the fifos containerd names for a process's streams ("" for none)
// and whether it has a terminal.
type stdio struct {
	stdin, stdout, stderr string
	terminal              bool
}

// ioPlan is how a process's streams are wired: stdout and stderr straight
// to containerd's fifos (the library dups them into the process, so no copy
// runs in the shim); stdin, which must see its end when containerd closes
// it (CloseIO), through a pipe fed from its fifo; a terminal through the
// pty master, copied both ways.
type ioPlan struct {
	paths stdio
	// files are the shim's own copies of the fifos handed to the runtime,
	// closed once it has dup'd them.
	files []*os.File

	mu      sync.Mutex
	stdinW  io.WriteCloser // feeds the process's stdin; nil once closed
	closers []io.Closer    // fifos the copies read from or write to
}

// newIOPlan opens what the runtime needs before the process is made.
func newIOPlan(paths stdio) (*ioPlan, runtime.IO, error) {
	p := &ioPlan{paths: paths}
	rio := runtime.NullIO()
	if paths.terminal {
		rio.Terminal = true
		return p, rio, nil
	}
	if paths.stdin != "" {
		rio.Stdin = runtime.StreamPipe
	}
	for _, s := range []struct {
		path string
		to   *runtime.Stream
	}{{paths.stdout, &rio.Stdout}, {paths.stderr, &rio.Stderr}} {
		if s.path == "" {
			continue
		}
		// Read-write, so the open never waits for containerd's reader.
		f, err := os.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			p.release()
			return nil, rio, err
		}
		p.files = append(p.files, f)
		*s.to = runtime.Stream(f.Fd())
	}
	return p, rio, nil
}

// release closes the shim's copies of the fifos the runtime dup'd.
func (p *ioPlan) release() {
	for _, f := range p.files {
		f.Close()
	}
	p.files = nil
}

// streamer is a container or process whose stream ends can be taken.
type streamer interface {
	Stdio(stream int) (*os.File, error)
}

// attach starts the copies the process needs, once it exists.
func (p *ioPlan) attach(proc streamer) error {
	p.release()
	if p.paths.terminal {
		master, err := proc.Stdio(runtime.Stdin)
		if err != nil {
			return err
		}
		p.add(master)
		if p.paths.stdout != "" {
			go p.copyToFifo(p.paths.stdout, master)
		}
		if p.paths.stdin != "" {
			go p.copyFromFifo(p.paths.stdin, nopCloser{master})
		}
		return nil
	}
	if p.paths.stdin != "" {
		w, err := proc.Stdio(runtime.Stdin)
		if err != nil {
			return err
		}
		go p.copyFromFifo(p.paths.stdin, w)
	}
	return nil
}

// copyFromFifo feeds w from the fifo at path until either ends, then
// closes w: the process reads its end of input.
func (p *ioPlan) copyFromFifo(path string, w io.WriteCloser) {
	p.mu.Lock()
	p.stdinW = w
	p.mu.Unlock()
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err == nil {
		p.add(f)
		_, _ = io.Copy(w, f)
	}
	p.closeStdin()
}

// copyToFifo copies r to the fifo at path until r ends.
func (p *ioPlan) copyToFifo(path string, r io.Reader) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return
	}
	p.add(f)
	_, _ = io.Copy(f, r)
	f.Close()
}

// closeStdin ends the process's input (CloseIO).
func (p *ioPlan) closeStdin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stdinW != nil {
		p.stdinW.Close()
		p.stdinW = nil
	}
}

func (p *ioPlan) add(c io.Closer) {
	p.mu.Lock()
	p.closers = append(p.closers, c)
	p.mu.Unlock()
}

// close ends every copy and closes what the plan holds.
func (p *ioPlan) close() {
	p.release()
	p.closeStdin()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.closers {
		c.Close()
	}
	p.closers = nil
}

// nopCloser keeps a terminal's master open when its input fifo ends: the
// master also carries the output.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
