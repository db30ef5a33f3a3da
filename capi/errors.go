package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// codeError is an error found in capi itself (a bad argument, a closed
// handle), carrying its result code.
type codeError struct {
	code C.int
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// invalidf returns an EXEC_EINVAL error.
func invalidf(format string, args ...any) error {
	return &codeError{code: C.EXEC_EINVAL, msg: fmt.Sprintf(format, args...)}
}

// closedf returns an EXEC_ECLOSED error.
func closedf(format string, args ...any) error {
	return &codeError{code: C.EXEC_ECLOSED, msg: fmt.Sprintf(format, args...)}
}

// codes maps the runtime's sentinel errors to result codes.
var codes = []struct {
	err  error
	code C.int
}{
	{runtime.ErrInvalid, C.EXEC_EINVAL},
	{runtime.ErrNotFound, C.EXEC_ENOTFOUND},
	{runtime.ErrExists, C.EXEC_EEXIST},
	{runtime.ErrState, C.EXEC_ESTATE},
	{runtime.ErrRuntime, C.EXEC_ERUNTIME},
	{runtime.ErrTimeout, C.EXEC_ETIMEDOUT},
	{runtime.ErrClosed, C.EXEC_ECLOSED},
	{runtime.ErrSys, C.EXEC_ESYS},
	{runtime.ErrNotSupported, C.EXEC_ENOTSUP},
	{runtime.ErrCanceled, C.EXEC_ECANCELED},
	{context.DeadlineExceeded, C.EXEC_ETIMEDOUT},
}

// codeOf returns the result code of err: EXEC_EINTERNAL for an error the
// table does not know.
func codeOf(err error) C.int {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return C.EXEC_ESYS
	}
	return C.EXEC_EINTERNAL
}

// setError records msg as the calling thread's last error and returns code.
// An export runs on its caller's thread, so the C thread-local is the
// caller's.
func setError(code C.int, msg string) C.int {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	return C.capi_set_error(code, cmsg)
}

// result returns EXEC_OK for a nil err; otherwise it records err as the last
// error and returns its code.
func result(err error) C.int {
	if err == nil {
		return C.EXEC_OK
	}
	return setError(codeOf(err), err.Error())
}

// maxStack bounds the stack excerpt kept in a panic's message.
const maxStack = 4096

// guard is deferred by every export: it turns a panic into EXEC_EINTERNAL in
// *rc (when rc is not nil) and a last error holding the panic and a stack
// excerpt.
func guard(rc *C.int) {
	r := recover()
	if r == nil {
		return
	}
	stack := debug.Stack()
	if len(stack) > maxStack {
		stack = stack[:maxStack]
	}
	code := setError(C.EXEC_EINTERNAL, fmt.Sprintf("internal error (recovered panic): %v\n%s", r, stack))
	if rc != nil {
		*rc = code
	}
}
