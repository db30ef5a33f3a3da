// Package guest reads what a container's rootfs holds without following
// it out of itself, and edits process env lists: what both the library's
// configs (runtime/spec) and images (runtime/image) need, kept apart so
// that the configs bring in nothing of images.
package guest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxUserDBBytes bounds a rootfs's /etc/passwd and /etc/group.
const MaxUserDBBytes = 1 << 20

// ReadInRoot reads the regular file name beneath the dir root, resolved
// with root as "/" (no symlink leads out of it, no magic link, no other
// mount), at most max bytes; a FIFO or device is refused, never opened
// for reading.
func ReadInRoot(root int, name string, max int64) ([]byte, error) {
	fd, err := unix.Openat2(root, name, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than the %d bytes allowed", max)
	}
	return data, nil
}

// ReadUserDB reads the file name (as "etc/passwd") of the rootfs at
// rootfs, resolved with rootfs as "/" so that no symlink leads out of it,
// and at most MaxUserDBBytes; a file that is not there is nil data.
func ReadUserDB(rootfs, name string) ([]byte, error) {
	root, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(root)
	data, err := ReadInRoot(root, name, MaxUserDBBytes)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	return data, err
}

// SetEnv sets the "NAME=value" entry e in env, replacing one of that name.
func SetEnv(env []string, e string) []string {
	name := e[:strings.IndexByte(e, '=')+1]
	for i, old := range env {
		if strings.HasPrefix(old, name) {
			env[i] = e
			return env
		}
	}
	return append(env, e)
}
