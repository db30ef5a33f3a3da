// Package errdefs holds the sentinel errors every package of the library
// wraps, as containerd's errdefs does, so that the lifecycle in runtime/
// and the packages beneath it report the same kinds, and the C layer maps
// each kind to one code.
package errdefs

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the library returns wraps exactly one of
// them (errors.Is), or a syscall.Errno for a failed system call.
var (
	// ErrInvalid is a bad argument: malformed id, bad JSON, missing bundle.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound is a missing container or process.
	ErrNotFound = errors.New("not found")
	// ErrExists is an id already in use.
	ErrExists = errors.New("already exists")
	// ErrState is an operation not allowed in the current state.
	ErrState = errors.New("invalid state")
	// ErrRuntime is a failure of the OCI runtime binary.
	ErrRuntime = errors.New("runtime failed")
	// ErrTimeout is a deadline that ran out.
	ErrTimeout = errors.New("timed out")
	// ErrClosed is a use of a closed handle.
	ErrClosed = errors.New("closed")
	// ErrSys is a failed system call (the errno is wrapped too).
	ErrSys = errors.New("system call failed")
	// ErrNotSupported is a call this host or user cannot serve: stats,
	// limits or pause of a rootless container without a delegated cgroup.
	ErrNotSupported = errors.New("not supported")
	// ErrInternal is a bug in the library.
	ErrInternal = errors.New("internal error")
	// ErrCanceled is a call its caller cancelled (a progress callback
	// asking to stop).
	ErrCanceled = errors.New("canceled")
)

// Wrapf returns an error wrapping kind whose text is the formatted message.
func Wrapf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// SysErr wraps a failed system call's error as ErrSys, keeping the errno.
func SysErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return WithCause(ErrSys, op+": "+err.Error(), err)
}

// WithCause returns an error of kind with the text msg that also unwraps
// to cause.
func WithCause(kind error, msg string, cause error) error {
	return &kindError{kind: kind, msg: msg, cause: cause}
}

type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Is(target error) bool { return target == e.kind }

func (e *kindError) Unwrap() error { return e.cause }
