package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"syscall"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/libexecution/execution/runtime"
)

// maxSignal is the highest signal number Linux has (SIGRTMAX).
const maxSignal = 64

// goString converts a required C string; arg names it in errors.
func goString(s *C.char, arg string) (string, error) {
	if s == nil {
		return "", invalidf("%s is NULL", arg)
	}
	return C.GoString(s), nil
}

// optString converts an optional C string: NULL gives "".
func optString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// argvOf converts a NULL-terminated array of C strings, at least one; arg
// names it in errors.
func argvOf(argv **C.char, arg string) ([]string, error) {
	if argv == nil {
		return nil, invalidf("%s is NULL", arg)
	}
	args := stringsOf(argv)
	if len(args) == 0 {
		return nil, invalidf("%s is empty", arg)
	}
	return args, nil
}

// stringsOf converts a NULL-terminated array of C strings; NULL gives nil.
func stringsOf(v **C.char) []string {
	var s []string
	for p := v; p != nil && *p != nil; p = (**C.char)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		s = append(s, C.GoString(*p))
	}
	return s
}

// optionsOf converts exec_runtime_options.
func optionsOf(o *C.exec_runtime_options) (runtime.Options, error) {
	if o == nil {
		return runtime.Options{}, invalidf("opts is NULL")
	}
	if o.version == 0 || o.version > C.EXEC_RUNTIME_OPTIONS_VERSION {
		return runtime.Options{}, invalidf("opts->version %d is unknown (this library knows up to %d)",
			uint(o.version), C.EXEC_RUNTIME_OPTIONS_VERSION)
	}
	if o.root == nil || *o.root == 0 {
		return runtime.Options{}, invalidf("opts->root is required")
	}
	if o.timeout_ms < 0 {
		return runtime.Options{}, invalidf("opts->timeout_ms is negative")
	}
	opts := runtime.Options{
		Root:          C.GoString(o.root),
		RuntimePath:   optString(o.runtime_path),
		RuntimeRoot:   optString(o.runtime_root),
		SystemdCgroup: o.systemd_cgroup != 0,
		Debug:         o.debug != 0,
		LogPath:       optString(o.log_path),
		CallTimeout:   time.Duration(o.timeout_ms) * time.Millisecond,
	}
	if o.version >= 2 {
		opts.KillOnExit = o.kill_on_exit != 0
	}
	return opts, nil
}

// streamOf converts one exec_io stream; arg names it in errors.
func streamOf(v C.int, arg string) (runtime.Stream, error) {
	switch {
	case v >= 0:
		return runtime.Stream(v), nil
	case v == C.EXEC_IO_NULL:
		return runtime.StreamNull, nil
	case v == C.EXEC_IO_PIPE:
		return runtime.StreamPipe, nil
	}
	return 0, invalidf("%s %d is neither an fd, EXEC_IO_NULL nor EXEC_IO_PIPE", arg, int(v))
}

// ioOf converts exec_io; NULL means all three streams /dev/null.
func ioOf(io *C.exec_io) (runtime.IO, error) {
	if io == nil {
		return runtime.NullIO(), nil
	}
	if io.version == 0 || io.version > C.EXEC_IO_VERSION {
		return runtime.IO{}, invalidf("io->version %d is unknown (this library knows up to %d)",
			uint(io.version), C.EXEC_IO_VERSION)
	}
	if io.terminal != 0 {
		// The three fds are ignored: the process gets a pty.
		r := runtime.NullIO()
		r.Terminal = true
		return r, nil
	}
	var r runtime.IO
	var err error
	if r.Stdin, err = streamOf(io.stdin_fd, "io->stdin_fd"); err != nil {
		return runtime.IO{}, err
	}
	if r.Stdout, err = streamOf(io.stdout_fd, "io->stdout_fd"); err != nil {
		return runtime.IO{}, err
	}
	if r.Stderr, err = streamOf(io.stderr_fd, "io->stderr_fd"); err != nil {
		return runtime.IO{}, err
	}
	return r, nil
}

// processOfJSON parses an OCI runtime-spec process object.
func processOfJSON(s *C.char) (specs.Process, error) {
	text, err := goString(s, "process_json")
	if err != nil {
		return specs.Process{}, err
	}
	var p specs.Process
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return specs.Process{}, invalidf("process_json is not an OCI process object: %v", err)
	}
	return p, nil
}

// waitContext returns the context of a wait: timeoutMs < 0 waits forever,
// 0 is already expired (the wait polls), > 0 is a deadline.
func waitContext(timeoutMs C.int) (context.Context, context.CancelFunc) {
	switch {
	case timeoutMs < 0:
		return context.WithCancel(context.Background())
	case timeoutMs == 0:
		return context.WithDeadline(context.Background(), time.Unix(0, 0))
	}
	return context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
}

// signalOf checks a signal number.
func signalOf(sig C.int) (syscall.Signal, error) {
	if sig < 1 || sig > maxSignal {
		return 0, invalidf("signal %d is not between 1 and %d", int(sig), maxSignal)
	}
	return syscall.Signal(sig), nil
}

// windowOf checks a terminal window size.
func windowOf(rows, cols C.uint) (uint16, uint16, error) {
	if rows > math.MaxUint16 || cols > math.MaxUint16 {
		return 0, 0, invalidf("window size %dx%d is larger than %d", uint(rows), uint(cols), math.MaxUint16)
	}
	return uint16(rows), uint16(cols), nil
}

// putExit stores e into out.
func putExit(out *C.exec_exit, e runtime.Exit) {
	core := C.int(0)
	if e.CoreDumped {
		core = 1
	}
	*out = C.exec_exit{
		status:      C.int(e.Status),
		code:        C.int(e.Code),
		signal:      C.int(e.Signal),
		core_dumped: core,
	}
}

// fdOf turns a stream end handed over by the runtime into a plain blocking
// close-on-exec fd the caller owns, and closes f.
func fdOf(f *os.File) (C.int, error) {
	defer f.Close()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, &codeError{code: C.EXEC_ESYS, msg: "duplicating a stream fd: " + err.Error()}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return -1, &codeError{code: C.EXEC_ESYS, msg: "making a stream fd blocking: " + err.Error()}
	}
	return C.int(fd), nil
}

// cStrings copies ss into a malloc'ed array of malloc'ed C strings; nil for
// an empty ss.
func cStrings(ss []string) **C.char {
	if len(ss) == 0 {
		return nil
	}
	arr := (**C.char)(C.malloc(C.size_t(len(ss)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	out := unsafe.Slice(arr, len(ss))
	for i, s := range ss {
		out[i] = C.CString(s)
	}
	return arr
}
