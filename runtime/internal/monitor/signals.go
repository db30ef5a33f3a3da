package monitor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is the kernel's struct sigaction on Linux (amd64, arm64).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const (
	saOnStack = 0x08000000
	sigDfl    = 0
	sigIgn    = 1
)

// onStackSignals are the signals the library's own work causes in the host:
// the monitor's starter and the image helper exiting raise SIGCHLD.
var onStackSignals = []unix.Signal{unix.SIGCHLD}

// FixSignalHandlers adds SA_ONSTACK to each handler of onStackSignals that
// lacks it, keeping the handler, its mask and its other flags. Go runs
// signal handlers safely only on the alternate stack: without SA_ONSTACK a
// handler that lands on a Go thread runs on a goroutine's small stack and
// can crash the host. Whatever starts a child in the host calls it first.
func FixSignalHandlers() {
	for _, sig := range onStackSignals {
		var act kernelSigaction
		if rtSigaction(sig, nil, &act) != nil {
			continue
		}
		if act.handler == sigDfl || act.handler == sigIgn || act.flags&saOnStack != 0 {
			continue
		}
		act.flags |= saOnStack
		rtSigaction(sig, &act, nil)
	}
}

func rtSigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
