//! Raw declarations of `include/execution.h`, libexecution's C header, one
//! to one.
//!
//! Everything here is `unsafe` to call and follows the header's contract to
//! the letter; the `execution` crate is the safe layer on top. A test
//! (`tests/header_drift.rs`) fails when this file and the header disagree.
//! The build script links the library (see README.md: `EXECUTION_LIB_DIR`,
//! `EXECUTION_STATIC`, pkg-config, the `bundled` feature).

#![allow(non_camel_case_types)]
#![deny(missing_docs)]

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// Version of the header these declarations mirror, as "MAJOR.MINOR.PATCH".
pub const EXEC_VERSION: &str = "0.1.0";
/// Major version of the header.
pub const EXEC_VERSION_MAJOR: c_int = 0;
/// Minor version of the header.
pub const EXEC_VERSION_MINOR: c_int = 1;
/// Patch version of the header.
pub const EXEC_VERSION_PATCH: c_int = 0;

/// Result codes: `EXEC_OK` or one of the negative `EXEC_E*` values.
pub type exec_error_code = c_int;
/// Success.
pub const EXEC_OK: exec_error_code = 0;
/// A bad argument: NULL, malformed id, bad JSON, missing bundle.
pub const EXEC_EINVAL: exec_error_code = -1;
/// No such container or process.
pub const EXEC_ENOTFOUND: exec_error_code = -2;
/// The id is already in use.
pub const EXEC_EEXIST: exec_error_code = -3;
/// Not allowed in the current state (or in a forked child).
pub const EXEC_ESTATE: exec_error_code = -4;
/// The OCI runtime failed; the message carries what it said.
pub const EXEC_ERUNTIME: exec_error_code = -5;
/// The timeout ran out.
pub const EXEC_ETIMEDOUT: exec_error_code = -6;
/// The handle is invalid, freed or stale.
pub const EXEC_ECLOSED: exec_error_code = -7;
/// A system call failed; the message carries the errno text.
pub const EXEC_ESYS: exec_error_code = -8;
/// A bug in the library (a recovered panic).
pub const EXEC_EINTERNAL: exec_error_code = -9;

/// A container's state, as `exec_container_state()` reports it.
pub type exec_state = c_int;
/// Created, its process not yet started.
pub const EXEC_STATE_CREATED: exec_state = 1;
/// Its init process runs.
pub const EXEC_STATE_RUNNING: exec_state = 2;
/// Frozen by `exec_container_pause()`.
pub const EXEC_STATE_PAUSED: exec_state = 3;
/// Its init process has exited.
pub const EXEC_STATE_STOPPED: exec_state = 4;

/// Stream value: connect the stream to /dev/null.
pub const EXEC_IO_NULL: c_int = -1;
/// Stream value: the library makes a pipe; `*_stdio()` hands over its end.
pub const EXEC_IO_PIPE: c_int = -2;

/// Stream number of standard input.
pub const EXEC_STDIN: c_int = 0;
/// Stream number of standard output.
pub const EXEC_STDOUT: c_int = 1;
/// Stream number of standard error.
pub const EXEC_STDERR: c_int = 2;

/// A runtime: one state root and one OCI runtime binary (opaque).
#[repr(C)]
pub struct exec_runtime {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// A container created or loaded through a runtime (opaque).
#[repr(C)]
pub struct exec_container {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// A process exec'd into a container (opaque).
#[repr(C)]
pub struct exec_process {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Current version of `exec_runtime_options`.
pub const EXEC_RUNTIME_OPTIONS_VERSION: c_uint = 1;

/// Options of `exec_runtime_new()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exec_runtime_options {
    /// `EXEC_RUNTIME_OPTIONS_VERSION`.
    pub version: c_uint,
    /// The library's state dir (required); created with mode 0700 if missing.
    pub root: *const c_char,
    /// The OCI runtime binary; NULL means "runc" from PATH.
    pub runtime_path: *const c_char,
    /// The runtime's `--root`; NULL means `<root>/runc`.
    pub runtime_root: *const c_char,
    /// Non-zero passes --systemd-cgroup to the runtime.
    pub systemd_cgroup: c_int,
    /// Non-zero passes --debug to the runtime.
    pub debug: c_int,
    /// A file the runtime's log is appended to; NULL keeps no log.
    pub log_path: *const c_char,
    /// Deadline of each runtime invocation in ms; 0 means 60000.
    pub timeout_ms: c_int,
}

/// Static initialiser of `exec_runtime_options` (`EXEC_RUNTIME_OPTIONS_INIT`).
pub const EXEC_RUNTIME_OPTIONS_INIT: exec_runtime_options = exec_runtime_options {
    version: EXEC_RUNTIME_OPTIONS_VERSION,
    root: std::ptr::null(),
    runtime_path: std::ptr::null(),
    runtime_root: std::ptr::null(),
    systemd_cgroup: 0,
    debug: 0,
    log_path: std::ptr::null(),
    timeout_ms: 0,
};

/// Current version of `exec_io`.
pub const EXEC_IO_VERSION: c_uint = 1;

/// Standard streams of a container or process.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct exec_io {
    /// `EXEC_IO_VERSION`.
    pub version: c_uint,
    /// Standard input: an fd, `EXEC_IO_NULL` or `EXEC_IO_PIPE`.
    pub stdin_fd: c_int,
    /// Standard output: an fd, `EXEC_IO_NULL` or `EXEC_IO_PIPE`.
    pub stdout_fd: c_int,
    /// Standard error: an fd, `EXEC_IO_NULL` or `EXEC_IO_PIPE`.
    pub stderr_fd: c_int,
    /// Non-zero gives the process a pty.
    pub terminal: c_int,
}

/// Static initialiser of `exec_io` (`EXEC_IO_INIT`): all three streams
/// `EXEC_IO_NULL`.
pub const EXEC_IO_INIT: exec_io = exec_io {
    version: EXEC_IO_VERSION,
    stdin_fd: EXEC_IO_NULL,
    stdout_fd: EXEC_IO_NULL,
    stderr_fd: EXEC_IO_NULL,
    terminal: 0,
};

/// How a container's init or an exec'd process ended.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct exec_exit {
    /// Exit code for a normal exit, 128 + signal for a signaled one.
    pub status: c_int,
    /// Exit code, or -1 when killed by a signal.
    pub code: c_int,
    /// The killing signal, or 0 for a normal exit.
    pub signal: c_int,
    /// Non-zero when a core was dumped.
    pub core_dumped: c_int,
}

extern "C" {
    /// Version of the loaded library, as "MAJOR.MINOR.PATCH"; never NULL.
    pub fn exec_version() -> *const c_char;
    /// Message of the last failure on the calling thread; never NULL.
    pub fn exec_last_error() -> *const c_char;
    /// Short description of a result code; never NULL.
    pub fn exec_strerror(code: c_int) -> *const c_char;
    /// Free memory the library returned; NULL is a no-op.
    pub fn exec_free(ptr: *mut c_void);
    /// Free an array of `count` strings the library returned.
    pub fn exec_strings_free(v: *mut *mut c_char, count: usize);
    /// Initialise runtime options to their defaults.
    pub fn exec_runtime_options_init(opts: *mut exec_runtime_options, version: c_uint) -> c_int;
    /// Initialise stream options: all three `EXEC_IO_NULL`, no terminal.
    pub fn exec_io_init(io: *mut exec_io, version: c_uint) -> c_int;

    /// Write `<bundle_dir>/config.json` for the rootfs `<bundle_dir>/rootfs`.
    pub fn exec_bundle_init(
        bundle_dir: *const c_char,
        argv: *const *const c_char,
        terminal: c_int,
    ) -> c_int;

    /// Open a runtime: a state root and an OCI runtime binary.
    pub fn exec_runtime_new(
        opts: *const exec_runtime_options,
        out: *mut *mut exec_runtime,
    ) -> c_int;
    /// Release a runtime handle.
    pub fn exec_runtime_free(rt: *mut exec_runtime);

    /// Create a container from a bundle; its process waits for start.
    pub fn exec_container_create(
        rt: *mut exec_runtime,
        id: *const c_char,
        bundle: *const c_char,
        io: *const exec_io,
        out: *mut *mut exec_container,
    ) -> c_int;
    /// Create and start a container in one runtime call.
    pub fn exec_container_run(
        rt: *mut exec_runtime,
        id: *const c_char,
        bundle: *const c_char,
        io: *const exec_io,
        out: *mut *mut exec_container,
    ) -> c_int;
    /// Start a created container's process.
    pub fn exec_container_start(c: *mut exec_container) -> c_int;
    /// Open a handle to an existing container by id.
    pub fn exec_container_load(
        rt: *mut exec_runtime,
        id: *const c_char,
        out: *mut *mut exec_container,
    ) -> c_int;
    /// List the ids of the runtime's containers, sorted.
    pub fn exec_container_list(
        rt: *mut exec_runtime,
        ids: *mut *mut *mut c_char,
        count: *mut usize,
    ) -> c_int;
    /// Current state of a container.
    pub fn exec_container_state(c: *mut exec_container, out: *mut exec_state) -> c_int;
    /// Host pid of a container's init process.
    pub fn exec_container_pid(c: *mut exec_container, pid: *mut c_int) -> c_int;
    /// Id of a container, borrowed from the handle; NULL for an invalid handle.
    pub fn exec_container_id(c: *mut exec_container) -> *const c_char;
    /// Freeze all processes of a running container.
    pub fn exec_container_pause(c: *mut exec_container) -> c_int;
    /// Thaw a paused container.
    pub fn exec_container_resume(c: *mut exec_container) -> c_int;
    /// Send a signal to a container's init, or with `all` to all its processes.
    pub fn exec_container_kill(c: *mut exec_container, signal: c_int, all: c_int) -> c_int;
    /// Wait for a container's init process to exit.
    pub fn exec_container_wait(
        c: *mut exec_container,
        timeout_ms: c_int,
        out: *mut exec_exit,
    ) -> c_int;
    /// Hand over the caller's end of a piped stream, or the pty master.
    pub fn exec_container_stdio(c: *mut exec_container, stream: c_int, fd: *mut c_int) -> c_int;
    /// Set the window size of a terminal container's pty.
    pub fn exec_container_resize(c: *mut exec_container, rows: c_uint, cols: c_uint) -> c_int;
    /// Delete a container and its state dir.
    pub fn exec_container_delete(c: *mut exec_container, force: c_int) -> c_int;
    /// Release a container handle and the stream ends it did not hand over.
    pub fn exec_container_free(c: *mut exec_container);

    /// Start an extra process in a running container.
    pub fn exec_container_exec(
        c: *mut exec_container,
        process_id: *const c_char,
        process_json: *const c_char,
        io: *const exec_io,
        out: *mut *mut exec_process,
    ) -> c_int;
    /// Open a handle to a process exec'd earlier.
    pub fn exec_process_load(
        c: *mut exec_container,
        process_id: *const c_char,
        out: *mut *mut exec_process,
    ) -> c_int;
    /// Id of a process, borrowed from the handle; NULL for an invalid handle.
    pub fn exec_process_id(p: *mut exec_process) -> *const c_char;
    /// Host pid of an exec'd process.
    pub fn exec_process_pid(p: *mut exec_process, pid: *mut c_int) -> c_int;
    /// Send a signal to an exec'd process through its pidfd.
    pub fn exec_process_signal(p: *mut exec_process, signal: c_int) -> c_int;
    /// Wait for an exec'd process to exit.
    pub fn exec_process_wait(p: *mut exec_process, timeout_ms: c_int, out: *mut exec_exit)
        -> c_int;
    /// Hand over a stream end of an exec'd process.
    pub fn exec_process_stdio(p: *mut exec_process, stream: c_int, fd: *mut c_int) -> c_int;
    /// Set the window size of an exec'd process's pty.
    pub fn exec_process_resize(p: *mut exec_process, rows: c_uint, cols: c_uint) -> c_int;
    /// Remove an exited process's state.
    pub fn exec_process_delete(p: *mut exec_process) -> c_int;
    /// Release a process handle and the stream ends it did not hand over.
    pub fn exec_process_free(p: *mut exec_process);
}
