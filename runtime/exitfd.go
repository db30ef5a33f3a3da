package runtime

import (
	"sync"

	"golang.org/x/sys/unix"
)

// exitFd is a handle's pollable exit: an eventfd that becomes readable
// once the exit of the handle's process is known, and stays so.
type exitFd struct {
	once sync.Once
	mu   sync.Mutex
	fd   int // -1 once closed
	err  error
	stop chan struct{}
}

// ExitFd returns an fd that polls readable once the exit is known, so that
// Wait then returns at once. It belongs to the handle, which closes it.
func (p *proc) ExitFd() (int, error) {
	if err := p.checkOpen(); err != nil {
		return -1, err
	}
	x := &p.exitFd
	x.once.Do(func() {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			x.fd, x.err = -1, sysErr("eventfd", err)
			return
		}
		x.fd, x.stop = fd, make(chan struct{})
		holdFD(fd)
		go x.signalAt(p.watch.done)
	})
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fd < 0 && x.err == nil {
		return -1, wrapf(ErrClosed, "%s handle %q is closed", p.what, p.id)
	}
	return x.fd, x.err
}

// signalAt makes the fd readable when done closes, unless closed first.
func (x *exitFd) signalAt(done <-chan struct{}) {
	select {
	case <-done:
	case <-x.stop:
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fd >= 0 {
		one := [8]byte{1}
		unix.Write(x.fd, one[:])
	}
}

// close closes the fd if one was made.
func (x *exitFd) close() {
	x.once.Do(func() { x.fd = -1 })
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fd >= 0 {
		close(x.stop)
		releaseFD(x.fd)
		unix.Close(x.fd)
		x.fd = -1
	}
}
