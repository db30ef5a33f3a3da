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
	"strings"
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
	if err := checkVersion(o.version, C.EXEC_RUNTIME_OPTIONS_VERSION, "opts"); err != nil {
		return runtime.Options{}, err
	}
	if o.root != nil && *o.root == 0 {
		return runtime.Options{}, invalidf("opts->root is empty")
	}
	if o.timeout_ms < 0 {
		return runtime.Options{}, invalidf("opts->timeout_ms is negative")
	}
	opts := runtime.Options{
		Root:          optString(o.root),
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
	if o.version >= 3 {
		opts.NoAgent = o.no_agent != 0
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
	if err := checkVersion(io.version, C.EXEC_IO_VERSION, "io"); err != nil {
		return runtime.IO{}, err
	}
	extra, err := extraFDsOf(io)
	if err != nil {
		return runtime.IO{}, err
	}
	if io.terminal != 0 {
		// The three fds are ignored: the process gets a pty.
		r := runtime.NullIO()
		r.Terminal = true
		r.ExtraFDs = extra
		return r, nil
	}
	r := runtime.IO{ExtraFDs: extra}
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

// The header's cap is the runtime's: a compile error when they differ.
var _ = [1]struct{}{}[runtime.MaxExtraFDs-C.EXEC_IO_MAX_EXTRA_FDS]

// extraFDsOf converts exec_io's extra_fds (version 2); the runtime checks
// the fds themselves.
func extraFDsOf(io *C.exec_io) ([]int, error) {
	if io.version < 2 || io.extra_fds_count == 0 {
		return nil, nil
	}
	if io.extra_fds == nil {
		return nil, invalidf("io->extra_fds is NULL with io->extra_fds_count %d", uint64(io.extra_fds_count))
	}
	if io.extra_fds_count > C.EXEC_IO_MAX_EXTRA_FDS {
		return nil, invalidf("io->extra_fds_count %d is more than EXEC_IO_MAX_EXTRA_FDS (%d)",
			uint64(io.extra_fds_count), C.EXEC_IO_MAX_EXTRA_FDS)
	}
	fds := make([]int, io.extra_fds_count)
	for i, fd := range unsafe.Slice(io.extra_fds, io.extra_fds_count) {
		fds[i] = int(fd)
	}
	return fds, nil
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

// checkVersion checks the version the caller set in a struct it passes;
// arg names it in errors.
func checkVersion(version, current C.uint, arg string) error {
	if version == 0 || version > current {
		return invalidf("%s->version %d is unknown (this library knows up to %d)", arg, uint(version), uint(current))
	}
	return nil
}

// cBool is 1 for true, 0 for false.
func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// putExit stores e into out, whose version has been checked: all fields
// of version 1, leaving the version as it is.
func putExit(out *C.exec_exit, e runtime.Exit) {
	out.status = C.int(e.Status)
	out.code = C.int(e.Code)
	out.signal = C.int(e.Signal)
	out.core_dumped = cBool(e.CoreDumped)
	out.oom_killed = cBool(e.OOMKilled)
}

// putStats stores s into out, whose version has been checked: all fields
// of version 1, leaving the version as it is.
func putStats(out *C.exec_stats, s runtime.Stats) {
	out.cpu_usage_ns = C.uint64_t(s.CPUUsage)
	out.cpu_user_ns = C.uint64_t(s.CPUUser)
	out.cpu_system_ns = C.uint64_t(s.CPUSystem)
	out.cpu_periods = C.uint64_t(s.CPUPeriods)
	out.cpu_throttled_periods = C.uint64_t(s.CPUThrottledPeriods)
	out.cpu_throttled_ns = C.uint64_t(s.CPUThrottledTime)
	out.memory_usage = C.uint64_t(s.MemoryUsage)
	out.memory_peak = C.uint64_t(s.MemoryPeak)
	out.memory_limit = C.uint64_t(s.MemoryLimit)
	out.memory_cache = C.uint64_t(s.MemoryCache)
	out.memory_swap = C.uint64_t(s.MemorySwap)
	out.oom_kills = C.uint64_t(s.OOMKills)
	out.pids_current = C.uint64_t(s.PidsCurrent)
	out.pids_limit = C.uint64_t(s.PidsLimit)
	out.io_read_bytes = C.uint64_t(s.IOReadBytes)
	out.io_write_bytes = C.uint64_t(s.IOWriteBytes)
}

// bundleOptionsOf converts exec_bundle_options; NULL means no terminal and
// no limits.
func bundleOptionsOf(o *C.exec_bundle_options) (runtime.BundleOptions, error) {
	if o == nil {
		return runtime.BundleOptions{}, nil
	}
	if err := checkVersion(o.version, C.EXEC_BUNDLE_OPTIONS_VERSION, "opts"); err != nil {
		return runtime.BundleOptions{}, err
	}
	opts := runtime.BundleOptions{
		Terminal: o.terminal != 0,
		Limits: runtime.Limits{
			MemoryBytes:     int64(o.memory_limit),
			MemorySwapBytes: int64(o.memory_swap_limit),
			CPUs:            float64(o.cpus),
			CPUQuota:        int64(o.cpu_quota),
			CPUPeriod:       uint64(o.cpu_period),
			CPUShares:       uint64(o.cpu_shares),
			PidsLimit:       int64(o.pids_limit),
		},
	}
	if o.version >= 2 {
		opts.UserNS = runtime.UserNS(o.userns)
		opts.Hardened = o.hardened != 0
		opts.Tmpfs = stringsOf(o.tmpfs)
	}
	if o.version >= 3 {
		w, err := workloadOf(o)
		if err != nil {
			return runtime.BundleOptions{}, err
		}
		opts.Workload = w
	}
	return opts, nil
}

// resourcesOfJSON parses an OCI runtime-spec linux.resources object,
// refusing fields the spec does not have.
func resourcesOfJSON(s *C.char) (*specs.LinuxResources, error) {
	text, err := goString(s, "resources_json")
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var r *specs.LinuxResources
	if err := dec.Decode(&r); err != nil {
		return nil, invalidf("resources_json is not an OCI linux.resources object: %v", err)
	}
	if r == nil {
		return nil, invalidf("resources_json is not an OCI linux.resources object: null")
	}
	if dec.More() {
		return nil, invalidf("resources_json holds more than one JSON value")
	}
	return r, nil
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

// cInts copies v into a malloc'ed C array; nil for an empty v.
func cInts(v []int) *C.int {
	if len(v) == 0 {
		return nil
	}
	arr := (*C.int)(C.malloc(C.size_t(len(v)) * C.size_t(unsafe.Sizeof(C.int(0)))))
	out := unsafe.Slice(arr, len(v))
	for i, x := range v {
		out[i] = C.int(x)
	}
	return arr
}
