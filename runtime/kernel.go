package runtime

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// kernelFeatures is what the running kernel offers, probed once.
type kernelFeatures struct {
	once     sync.Once
	hasPidfd bool
	// noPidfd makes the package behave as on a kernel without pidfds
	// (before 5.3), for the tests of that path.
	noPidfd atomic.Bool
}

var kernel kernelFeatures

// pidfd tells whether pidfd_open works here.
func (k *kernelFeatures) pidfd() bool {
	k.once.Do(func() {
		if fd, err := unix.PidfdOpen(unix.Getpid(), 0); err == nil {
			unix.Close(fd)
			k.hasPidfd = true
		}
	})
	return k.hasPidfd && !k.noPidfd.Load()
}
