package main

/*
#include "capi.h"
*/
import "C"

import (
	"unsafe"

	"github.com/libexecution/execution/runtime"
)

// execgo_log_set implements exec_log_set (see forward.c): it bridges the
// runtime's log sink to the caller's receiver through capi_log_deliver.
// delivering is non-zero when called from inside the receiver.
//
//export execgo_log_set
func execgo_log_set(fn C.exec_log_fn, maxLevel C.int, payload unsafe.Pointer, delivering C.int) (rc C.int) {
	defer guard(&rc)
	if fn == nil {
		runtime.SetLogger(nil, 0, delivering != 0)
		return C.EXEC_OK
	}
	runtime.SetLogger(func(level runtime.LogLevel, message string) {
		msg := C.CString(message)
		defer C.free(unsafe.Pointer(msg))
		C.capi_log_deliver(fn, C.int(level), msg, payload)
	}, runtime.LogLevel(maxLevel), delivering != 0)
	return C.EXEC_OK
}
