// Package rawfile reads the small files of proc, sysfs and cgroupfs that
// the library reads on every exec and lifecycle call, with plain system
// calls: an os.File would first offer each file to the poller (an
// epoll_ctl the kernel refuses, and four fcntls), which costs more than
// the read.
package rawfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// Read returns the content of path, read to its end. Its errors are
// *os.PathError, as os.ReadFile's.
func Read(path string) ([]byte, error) {
	fd, err := retry(func() (int, error) { return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0) })
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := retry(func() (int, error) { return unix.Read(fd, buf[len(buf):cap(buf)]) })
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// retry runs call until it fails otherwise than with EINTR.
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
