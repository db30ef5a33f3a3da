package image

import "github.com/libexecution/execution/runtime/internal/errdefs"

// The kinds of error this package returns, the library's (see errdefs).
var (
	ErrInvalid = errdefs.ErrInvalid
	ErrExists  = errdefs.ErrExists
	ErrState   = errdefs.ErrState
)

// wrapf returns an error wrapping kind whose text is the formatted message.
func wrapf(kind error, format string, args ...any) error {
	return errdefs.Wrapf(kind, format, args...)
}

// sysErr wraps a failed system call's error as ErrSys, keeping the errno.
func sysErr(op string, err error) error {
	return errdefs.SysErr(op, err)
}
