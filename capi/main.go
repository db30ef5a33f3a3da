// Command capi is libexecution's C ABI, built with `go build
// -buildmode=c-shared` into libexecution.so.
//
// The public exec_* functions are C (forward.c, library.c, lasterror.c):
// they refuse to run in a forked child, then call the Go exports execgo_*
// in the export_*.go files. Those convert arguments (convert.go), look
// handles up in the registry (handles.go), call package runtime, and turn
// errors and recovered panics into result codes and the thread's last error
// (errors.go). No lifecycle logic lives here.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -Wall -Werror
*/
import "C"

func main() {}
