package image

import "github.com/libexecution/execution/runtime/internal/errdefs"

// The kinds of error this package returns, the library's (see errdefs).
var (
	ErrInvalid = errdefs.ErrInvalid
	ErrExists  = errdefs.ErrExists
	ErrState   = errdefs.ErrState
	// ErrNotFound is an image the registry does not have.
	ErrNotFound = errdefs.ErrNotFound
	// ErrCanceled is a pull its progress callback cancelled.
	ErrCanceled = errdefs.ErrCanceled
	// ErrTimeout is a pull whose timeout ran out.
	ErrTimeout = errdefs.ErrTimeout
	// ErrSys is a failed system call, or a registry that cannot be reached.
	ErrSys = errdefs.ErrSys
)

// wrapf returns an error wrapping kind whose text is the formatted message.
func wrapf(kind error, format string, args ...any) error {
	return errdefs.Wrapf(kind, format, args...)
}

// sysErr wraps a failed system call's error as ErrSys, keeping the errno.
func sysErr(op string, err error) error {
	return errdefs.SysErr(op, err)
}
