package spec

import "github.com/libexecution/execution/runtime/internal/errdefs"

// The error kinds of the library (see package errdefs), as the config
// writers report them.
var (
	ErrInvalid      = errdefs.ErrInvalid
	ErrNotSupported = errdefs.ErrNotSupported
	ErrSys          = errdefs.ErrSys
)

func wrapf(kind error, format string, args ...any) error {
	return errdefs.Wrapf(kind, format, args...)
}

func sysErr(op string, err error) error { return errdefs.SysErr(op, err) }
