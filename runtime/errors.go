package runtime

import "github.com/libexecution/execution/runtime/internal/errdefs"

// Sentinel errors, the library's (errdefs): every error this package and
// the packages beneath it return wraps exactly one of them (errors.Is), or
// a syscall.Errno for a failed system call.
var (
	// ErrInvalid is a bad argument: malformed id, bad JSON, missing bundle.
	ErrInvalid = errdefs.ErrInvalid
	// ErrNotFound is a missing container or process.
	ErrNotFound = errdefs.ErrNotFound
	// ErrExists is an id already in use.
	ErrExists = errdefs.ErrExists
	// ErrState is an operation not allowed in the current state.
	ErrState = errdefs.ErrState
	// ErrRuntime is a failure of the OCI runtime binary.
	ErrRuntime = errdefs.ErrRuntime
	// ErrTimeout is a deadline that ran out.
	ErrTimeout = errdefs.ErrTimeout
	// ErrClosed is a use of a closed handle.
	ErrClosed = errdefs.ErrClosed
	// ErrSys is a failed system call (the errno is wrapped too).
	ErrSys = errdefs.ErrSys
	// ErrNotSupported is a call this host or user cannot serve: stats,
	// limits or pause of a rootless container without a delegated cgroup.
	ErrNotSupported = errdefs.ErrNotSupported
	// ErrInternal is a bug in this package.
	ErrInternal = errdefs.ErrInternal
	// ErrCanceled is a call its caller cancelled: a progress callback of
	// an image's unpacking or pull asking to stop.
	ErrCanceled = errdefs.ErrCanceled
)

// wrapf returns an error wrapping kind whose text is the formatted message.
func wrapf(kind error, format string, args ...any) error {
	return errdefs.Wrapf(kind, format, args...)
}

// sysErr wraps a failed system call's error as ErrSys, keeping the errno.
func sysErr(op string, err error) error {
	return errdefs.SysErr(op, err)
}

// withCause returns an error of kind with the text msg that also unwraps
// to cause.
func withCause(kind error, msg string, cause error) error {
	return errdefs.WithCause(kind, msg, cause)
}
