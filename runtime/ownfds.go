package runtime

import (
	"sync"

	"github.com/libexecution/execution/runtime/internal/monitor"
	"golang.org/x/sys/unix"
)

// ownFDs are the fds of this library a caller can name (the eventfds of exit
// fds and event streams); with the connections to monitors they are the fds
// no container may be passed (IO.ExtraFDs). A container holding a monitor
// connection could have the monitor spawn for it.
var ownFDs = struct {
	sync.Mutex
	m map[int]struct{}
}{m: map[int]struct{}{}}

// holdFD notes fd as the library's own until releaseFD.
func holdFD(fd int) {
	ownFDs.Lock()
	ownFDs.m[fd] = struct{}{}
	ownFDs.Unlock()
}

// releaseFD forgets fd, before it is closed.
func releaseFD(fd int) {
	ownFDs.Lock()
	delete(ownFDs.m, fd)
	ownFDs.Unlock()
}

// isOwnFD tells whether fd is one of the library's own: a monitor
// connection also under another number (a socket's inode is its own).
func isOwnFD(fd int) bool {
	ownFDs.Lock()
	_, own := ownFDs.m[fd]
	ownFDs.Unlock()
	if own {
		return true
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	return monitor.IsConnection(&st)
}
