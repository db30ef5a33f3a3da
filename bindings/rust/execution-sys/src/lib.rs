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

use std::ffi::{c_char, c_double, c_int, c_longlong, c_uint, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// Version of the header these declarations mirror, as "MAJOR.MINOR.PATCH".
pub const EXEC_VERSION: &str = "0.3.0";
/// Major version of the header.
pub const EXEC_VERSION_MAJOR: c_int = 0;
/// Minor version of the header.
pub const EXEC_VERSION_MINOR: c_int = 3;
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
/// Not possible for this user on this host: limits, stats or pause of a
/// rootless container without a cgroup of its own.
pub const EXEC_ENOTSUP: exec_error_code = -10;
/// Cancelled by the caller: a progress callback returned non-zero.
pub const EXEC_ECANCELED: exec_error_code = -11;

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

/// A stream of a root's lifecycle events (opaque).
#[repr(C)]
pub struct exec_events {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// A warm pool of created containers of one bundle (opaque).
#[repr(C)]
pub struct exec_pool {
    _data: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Current version of `exec_runtime_options`.
pub const EXEC_RUNTIME_OPTIONS_VERSION: c_uint = 3;

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
    /// Non-zero: the monitor kills and deletes this process's containers
    /// when it exits or dies (version 2).
    pub kill_on_exit: c_int,
    /// Non-zero: every exec is a runtime call, never a fork by the
    /// container's exec agent (version 3).
    pub no_agent: c_int,
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
    kill_on_exit: 0,
    no_agent: 0,
};

/// Current version of `exec_io`; version 2 added `extra_fds`.
pub const EXEC_IO_VERSION: c_uint = 2;

/// The most fds `exec_io.extra_fds` may pass to one process.
pub const EXEC_IO_MAX_EXTRA_FDS: usize = 64;

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
    /// Fds of the caller the process gets as 3, 4, ... in order; NULL when
    /// `extra_fds_count` is 0 (version 2).
    pub extra_fds: *const c_int,
    /// Number of fds in `extra_fds` (version 2).
    pub extra_fds_count: usize,
}

/// Static initialiser of `exec_io` (`EXEC_IO_INIT`): all three streams
/// `EXEC_IO_NULL`, no extra fds.
pub const EXEC_IO_INIT: exec_io = exec_io {
    version: EXEC_IO_VERSION,
    stdin_fd: EXEC_IO_NULL,
    stdout_fd: EXEC_IO_NULL,
    stderr_fd: EXEC_IO_NULL,
    terminal: 0,
    extra_fds: std::ptr::null(),
    extra_fds_count: 0,
};

/// Progress of a pull or of unpacking an image, per blob: its digest, bytes written and size, and
/// the payload given with it; non-zero cancels the call. Called on the
/// thread that made the call.
pub type exec_progress_fn = Option<
    unsafe extern "C" fn(
        blob: *const c_char,
        done: c_longlong,
        total: c_longlong,
        payload: *mut c_void,
    ) -> c_int,
>;

/// Current version of `exec_image_options` (2 added entrypoint, platform
/// and bundle, and made argv replace the image's cmd only; 3 progress and
/// progress_payload).
pub const EXEC_IMAGE_OPTIONS_VERSION: c_uint = 3;

/// Options of `exec_bundle_from_image`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exec_image_options {
    /// `EXEC_IMAGE_OPTIONS_VERSION`.
    pub version: c_uint,
    /// NULL-terminated arguments replacing the image's cmd (version 1:
    /// its entrypoint and cmd); NULL keeps it.
    pub argv: *const *const c_char,
    /// NULL-terminated "NAME=value" entries set over the image's env.
    pub env: *const *const c_char,
    /// Layer cache dir (the rootfs is then an overlay mount); NULL unpacks
    /// into the bundle.
    pub cache_dir: *const c_char,
    /// Non-zero sets process.terminal.
    pub terminal: c_int,
    /// Most bytes the layers may write; 0 means the free space.
    pub max_bytes: c_longlong,
    /// NULL-terminated entrypoint replacing the image's (and clearing its
    /// cmd); an empty array clears it; NULL keeps it. Version 2.
    pub entrypoint: *const *const c_char,
    /// "linux/ARCH[/VARIANT]" to take from an index; NULL is the host's.
    /// Version 2.
    pub platform: *const c_char,
    /// Limits, user namespace, hardening and tmpfs dirs; NULL sets none.
    /// Version 2.
    pub bundle: *const exec_bundle_options,
    /// Told each layer's bytes read as it is unpacked, on the calling
    /// thread; non-zero cancels. Version 3.
    pub progress: exec_progress_fn,
    /// Passed to `progress` as its last argument. Version 3.
    pub progress_payload: *mut c_void,
}

/// Static initialiser of `exec_image_options` (`EXEC_IMAGE_OPTIONS_INIT`).
pub const EXEC_IMAGE_OPTIONS_INIT: exec_image_options = exec_image_options {
    version: EXEC_IMAGE_OPTIONS_VERSION,
    argv: std::ptr::null(),
    env: std::ptr::null(),
    cache_dir: std::ptr::null(),
    terminal: 0,
    max_bytes: 0,
    entrypoint: std::ptr::null(),
    platform: std::ptr::null(),
    bundle: std::ptr::null(),
    progress: None,
    progress_payload: std::ptr::null_mut(),
};

/// Current version of `exec_pull_options`.
pub const EXEC_PULL_OPTIONS_VERSION: c_uint = 1;

/// Options of `exec_image_pull`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exec_pull_options {
    /// `EXEC_PULL_OPTIONS_VERSION`.
    pub version: c_uint,
    /// "linux/ARCH[/VARIANT]" to take from an index; NULL is the host's.
    pub platform: *const c_char,
    /// User name for the registry; NULL reads the user's docker and podman
    /// auth files.
    pub username: *const c_char,
    /// Password of `username`.
    pub password: *const c_char,
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: *const c_char,
    /// Non-zero allows plain HTTP and unverified TLS to the ref's registry.
    pub insecure: c_int,
    /// Milliseconds the whole pull may take; 0 is no limit.
    pub timeout_ms: c_int,
    /// Blobs downloaded at once; 0 is 1.
    pub parallel: c_int,
    /// Progress callback; None reports none.
    pub progress: exec_progress_fn,
    /// Passed to `progress` as its last argument.
    pub progress_payload: *mut c_void,
}

/// Static initialiser of `exec_pull_options` (`EXEC_PULL_OPTIONS_INIT`).
pub const EXEC_PULL_OPTIONS_INIT: exec_pull_options = exec_pull_options {
    version: EXEC_PULL_OPTIONS_VERSION,
    platform: std::ptr::null(),
    username: std::ptr::null(),
    password: std::ptr::null(),
    ca_file: std::ptr::null(),
    insecure: 0,
    timeout_ms: 0,
    parallel: 0,
    progress: None,
    progress_payload: std::ptr::null_mut(),
};

/// Current version of `exec_pool_options`.
pub const EXEC_POOL_OPTIONS_VERSION: c_uint = 1;

/// Options of `exec_pool_new()`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exec_pool_options {
    /// `EXEC_POOL_OPTIONS_VERSION`.
    pub version: c_uint,
    /// Directory holding config.json and the rootfs; required.
    pub bundle: *const c_char,
    /// How many created containers the pool keeps ready; at least 1.
    pub size: c_uint,
    /// Each container's streams; NULL means all three `EXEC_IO_NULL`.
    pub io: *const exec_io,
    /// Beginning of each container's id; NULL means "pool-".
    pub id_prefix: *const c_char,
    /// How many creates refill the pool at once; 0 means 1.
    pub concurrency: c_uint,
}

/// Static initialiser of `exec_pool_options` (`EXEC_POOL_OPTIONS_INIT`).
pub const EXEC_POOL_OPTIONS_INIT: exec_pool_options = exec_pool_options {
    version: EXEC_POOL_OPTIONS_VERSION,
    bundle: std::ptr::null(),
    size: 1,
    io: std::ptr::null(),
    id_prefix: std::ptr::null(),
    concurrency: 0,
};

/// Current version of `exec_exit`.
pub const EXEC_EXIT_VERSION: c_uint = 1;

/// How a container's init or an exec'd process ended; initialise with
/// `EXEC_EXIT_INIT` before a wait fills it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct exec_exit {
    /// `EXEC_EXIT_VERSION`, set by the caller.
    pub version: c_uint,
    /// Exit code for a normal exit, 128 + signal for a signaled one.
    pub status: c_int,
    /// Exit code, or -1 when killed by a signal.
    pub code: c_int,
    /// The killing signal, or 0 for a normal exit.
    pub signal: c_int,
    /// Non-zero when a core was dumped.
    pub core_dumped: c_int,
    /// Non-zero when the kernel's OOM killer killed.
    pub oom_killed: c_int,
}

/// Static initialiser of `exec_exit` (`EXEC_EXIT_INIT`).
pub const EXEC_EXIT_INIT: exec_exit = exec_exit {
    version: EXEC_EXIT_VERSION,
    status: 0,
    code: 0,
    signal: 0,
    core_dumped: 0,
    oom_killed: 0,
};

/// What an `exec_event` reports.
pub type exec_event_type = c_int;
/// A container was created.
pub const EXEC_EVENT_CREATED: exec_event_type = 1;
/// A container was started.
pub const EXEC_EVENT_STARTED: exec_event_type = 2;
/// A container was paused.
pub const EXEC_EVENT_PAUSED: exec_event_type = 3;
/// A paused container was resumed.
pub const EXEC_EVENT_RESUMED: exec_event_type = 4;
/// A container's init exited.
pub const EXEC_EVENT_EXITED: exec_event_type = 5;
/// The OOM killer killed a process of the container.
pub const EXEC_EVENT_OOM: exec_event_type = 6;
/// A container was deleted.
pub const EXEC_EVENT_DELETED: exec_event_type = 7;
/// A process was exec'd in a container.
pub const EXEC_EVENT_EXEC_ADDED: exec_event_type = 8;
/// An exec'd process exited.
pub const EXEC_EVENT_PROCESS_EXITED: exec_event_type = 9;
/// The stream was full: `dropped` events were lost here.
pub const EXEC_EVENT_OVERFLOW: exec_event_type = 10;

/// Current version of `exec_event`.
pub const EXEC_EVENT_VERSION: c_uint = 1;

/// One lifecycle event, filled by `exec_events_next()`; its strings are
/// the stream's, valid until its next `exec_events_next()` or free.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct exec_event {
    /// `EXEC_EVENT_VERSION`, set by the caller.
    pub version: c_uint,
    /// An `exec_event_type`.
    pub type_: c_int,
    /// The container's id; "" for `EXEC_EVENT_OVERFLOW`.
    pub container_id: *const c_char,
    /// The exec'd process's id; "" for a container's own events.
    pub process_id: *const c_char,
    /// The host pid of the process that exited or was OOM-killed, else 0.
    pub pid: c_int,
    /// When it was published: CLOCK_MONOTONIC, in nanoseconds.
    pub time_ns: u64,
    /// How it ended, for the exit events.
    pub exit: exec_exit,
    /// How many events were lost, for `EXEC_EVENT_OVERFLOW`.
    pub dropped: u64,
}

/// Static initialiser of `exec_event` (`EXEC_EVENT_INIT`).
pub const EXEC_EVENT_INIT: exec_event = exec_event {
    version: EXEC_EVENT_VERSION,
    type_: 0,
    container_id: std::ptr::null(),
    process_id: std::ptr::null(),
    pid: 0,
    time_ns: 0,
    exit: EXEC_EXIT_INIT,
    dropped: 0,
};

/// A limit that is not set, in `exec_stats` (`UINT64_MAX`).
pub const EXEC_UNLIMITED: u64 = u64::MAX;

/// Current version of `exec_stats`.
pub const EXEC_STATS_VERSION: c_uint = 1;

/// A container's resource use, read from its cgroup; times in ns, sizes in
/// bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct exec_stats {
    /// `EXEC_STATS_VERSION`, set by the caller.
    pub version: c_uint,
    /// CPU time used, user and system together.
    pub cpu_usage_ns: u64,
    /// CPU time used in user mode.
    pub cpu_user_ns: u64,
    /// CPU time used in kernel mode.
    pub cpu_system_ns: u64,
    /// Enforcement periods of a CPU quota that have elapsed.
    pub cpu_periods: u64,
    /// Periods in which the container was throttled.
    pub cpu_throttled_periods: u64,
    /// Time the container was throttled.
    pub cpu_throttled_ns: u64,
    /// Memory in use now, page cache included.
    pub memory_usage: u64,
    /// The most memory in use so far.
    pub memory_peak: u64,
    /// The memory limit, or `EXEC_UNLIMITED`.
    pub memory_limit: u64,
    /// Page cache (files and tmpfs) in memory_usage.
    pub memory_cache: u64,
    /// Swap in use.
    pub memory_swap: u64,
    /// Processes the kernel's OOM killer killed.
    pub oom_kills: u64,
    /// Tasks in the container now.
    pub pids_current: u64,
    /// The tasks limit, or `EXEC_UNLIMITED`.
    pub pids_limit: u64,
    /// Bytes read from block devices.
    pub io_read_bytes: u64,
    /// Bytes written to block devices.
    pub io_write_bytes: u64,
}

/// Static initialiser of `exec_stats` (`EXEC_STATS_INIT`).
pub const EXEC_STATS_INIT: exec_stats = exec_stats {
    version: EXEC_STATS_VERSION,
    cpu_usage_ns: 0,
    cpu_user_ns: 0,
    cpu_system_ns: 0,
    cpu_periods: 0,
    cpu_throttled_periods: 0,
    cpu_throttled_ns: 0,
    memory_usage: 0,
    memory_peak: 0,
    memory_limit: 0,
    memory_cache: 0,
    memory_swap: 0,
    oom_kills: 0,
    pids_current: 0,
    pids_limit: 0,
    io_read_bytes: 0,
    io_write_bytes: 0,
};

/// Current version of `exec_bundle_options` (2 added userns, hardened and
/// tmpfs; 3 the workload: env to ports).
pub const EXEC_BUNDLE_OPTIONS_VERSION: c_uint = 3;

/// `exec_bundle_options` flags: keep the config's value.
pub const EXEC_FLAG_KEEP: c_int = 0;
/// `exec_bundle_options` flags: set it.
pub const EXEC_FLAG_ON: c_int = 1;
/// `exec_bundle_options` flags: clear it.
pub const EXEC_FLAG_OFF: c_int = -1;

/// `exec_bundle_options.userns`: root inside maps to the caller when the
/// caller is not root; as root, no user namespace, or
/// `EXEC_USERNS_SUBIDS` for a hardened config.
pub const EXEC_USERNS_AUTO: c_int = 0;
/// `exec_bundle_options.userns`: no user namespace; root only.
pub const EXEC_USERNS_NONE: c_int = 1;
/// `exec_bundle_options.userns`: root inside is the caller's uid and gid,
/// and no other id is mapped.
pub const EXEC_USERNS_CALLER: c_int = 2;
/// `exec_bundle_options.userns`: root inside is the caller, ids from 1 on
/// its /etc/subuid and /etc/subgid ranges; as root, ids from 0 on root's.
pub const EXEC_USERNS_SUBIDS: c_int = 3;
/// `exec_bundle_options.userns`: a free range of 65536 host ids per
/// container, chosen at create and held under the root until delete.
pub const EXEC_USERNS_RANGE: c_int = 4;

/// Options of `exec_bundle_init_ext`: the terminal, resource limits (a
/// limit left 0 is not set), user namespace, hardening and tmpfs dirs.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct exec_bundle_options {
    /// `EXEC_BUNDLE_OPTIONS_VERSION`.
    pub version: c_uint,
    /// Non-zero sets process.terminal.
    pub terminal: c_int,
    /// Memory limit in bytes.
    pub memory_limit: i64,
    /// Memory plus swap limit in bytes; -1 is unlimited swap.
    pub memory_swap_limit: i64,
    /// CPU time as a number of CPUs; excludes cpu_quota.
    pub cpus: c_double,
    /// CPU time allowed per cpu_period, in µs; -1 is none.
    pub cpu_quota: i64,
    /// Period of the CPU quota in µs.
    pub cpu_period: u64,
    /// Relative CPU weight, 2 to 262144.
    pub cpu_shares: u64,
    /// Most tasks the container may have; -1 is unlimited.
    pub pids_limit: i64,
    /// How the container's users map to the host's: `EXEC_USERNS_*`
    /// (version 2).
    pub userns: c_int,
    /// Non-zero writes a config fit for untrusted code (version 2).
    pub hardened: c_int,
    /// NULL-terminated absolute dirs that get a writable tmpfs; NULL for
    /// none (version 2).
    pub tmpfs: *const *const c_char,
    /// NULL-terminated "NAME=value" entries over the default environment
    /// (version 3, as every field below).
    pub env: *const *const c_char,
    /// The process's working dir, absolute.
    pub cwd: *const c_char,
    /// `uid[:gid]` or `name[:group]`, names looked up in the rootfs.
    pub user: *const c_char,
    /// NULL-terminated extra groups, numbers or names.
    pub groups: *const *const c_char,
    /// The container's hostname.
    pub hostname: *const c_char,
    /// NULL-terminated bind mounts `SOURCE:TARGET[:ro|rw]`.
    pub mounts: *const *const c_char,
    /// NULL-terminated resource limits `TYPE=SOFT[:HARD]`.
    pub rlimits: *const *const c_char,
    /// NULL-terminated capabilities added.
    pub cap_add: *const *const c_char,
    /// NULL-terminated capabilities dropped; "ALL" drops every one.
    pub cap_drop: *const *const c_char,
    /// process.noNewPrivileges: `EXEC_FLAG_*`.
    pub no_new_privileges: c_int,
    /// root.readonly: `EXEC_FLAG_*`.
    pub readonly_rootfs: c_int,
    /// "none" (NULL), "host", "bridge" or an absolute netns path.
    pub network: *const c_char,
    /// NULL-terminated bridge port mappings
    /// `[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]`.
    pub ports: *const *const c_char,
}

impl Default for exec_bundle_options {
    /// All zero and NULL, version 0 included, as `Default` gives the other
    /// structs: set the version, or start from the INIT constant.
    fn default() -> exec_bundle_options {
        exec_bundle_options {
            version: 0,
            ..EXEC_BUNDLE_OPTIONS_INIT
        }
    }
}

/// Static initialiser of `exec_bundle_options` (`EXEC_BUNDLE_OPTIONS_INIT`):
/// no terminal, no limits, `EXEC_USERNS_AUTO`, not hardened, no tmpfs.
pub const EXEC_BUNDLE_OPTIONS_INIT: exec_bundle_options = exec_bundle_options {
    version: EXEC_BUNDLE_OPTIONS_VERSION,
    terminal: 0,
    memory_limit: 0,
    memory_swap_limit: 0,
    cpus: 0.0,
    cpu_quota: 0,
    cpu_period: 0,
    cpu_shares: 0,
    pids_limit: 0,
    userns: EXEC_USERNS_AUTO,
    hardened: 0,
    tmpfs: std::ptr::null(),
    env: std::ptr::null(),
    cwd: std::ptr::null(),
    user: std::ptr::null(),
    groups: std::ptr::null(),
    hostname: std::ptr::null(),
    mounts: std::ptr::null(),
    rlimits: std::ptr::null(),
    cap_add: std::ptr::null(),
    cap_drop: std::ptr::null(),
    no_new_privileges: EXEC_FLAG_KEEP,
    readonly_rootfs: EXEC_FLAG_KEEP,
    network: std::ptr::null(),
    ports: std::ptr::null(),
};

/// Severity of a diagnostic message (`exec_log_set()`); smaller is more
/// severe.
pub type exec_log_level = c_int;
/// A fault the library could not hide: an exit status became unknown.
pub const EXEC_LOG_ERROR: exec_log_level = 1;
/// A fault worked around or reported by a code: a failed runtime call with
/// what the runtime wrote, a monitor found gone, dropped events or messages.
pub const EXEC_LOG_WARN: exec_log_level = 2;
/// A monitor started, a message sent again to a new monitor.
pub const EXEC_LOG_INFO: exec_log_level = 3;
/// Each line the runtime logged in a call that succeeded.
pub const EXEC_LOG_DEBUG: exec_log_level = 4;

/// A receiver of the library's diagnostics (`exec_log_fn`): called on one
/// library thread, one message at a time, holding no lock of the library's;
/// `message` is borrowed for the call.
pub type exec_log_fn =
    Option<unsafe extern "C" fn(level: c_int, message: *const c_char, payload: *mut c_void)>;

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
    /// Initialise an exit result: version set, all else 0.
    pub fn exec_exit_init(e: *mut exec_exit, version: c_uint) -> c_int;
    /// Initialise a stats struct: version set, all else 0.
    pub fn exec_stats_init(stats: *mut exec_stats, version: c_uint) -> c_int;
    /// Initialise an event: version set (its exit's too), all else 0.
    pub fn exec_event_init(ev: *mut exec_event, version: c_uint) -> c_int;
    /// Initialise bundle options: no terminal, no limits.
    pub fn exec_bundle_options_init(opts: *mut exec_bundle_options, version: c_uint) -> c_int;

    /// Write `<bundle_dir>/config.json` for the rootfs `<bundle_dir>/rootfs`.
    pub fn exec_bundle_init(
        bundle_dir: *const c_char,
        argv: *const *const c_char,
        terminal: c_int,
    ) -> c_int;
    /// `exec_bundle_init` with a terminal and resource limits; NULL `opts`
    /// means `EXEC_BUNDLE_OPTIONS_INIT`.
    pub fn exec_bundle_init_ext(
        bundle_dir: *const c_char,
        argv: *const *const c_char,
        opts: *const exec_bundle_options,
    ) -> c_int;

    /// Initialise image options.
    pub fn exec_image_options_init(opts: *mut exec_image_options, version: c_uint) -> c_int;
    /// Make a runtime bundle from an OCI image on disk.
    pub fn exec_bundle_from_image(
        bundle_dir: *const c_char,
        image: *const c_char,
        opts: *const exec_image_options,
    ) -> c_int;
    /// Remove a bundle `exec_bundle_from_image` made.
    pub fn exec_bundle_remove(bundle_dir: *const c_char) -> c_int;
    /// Remove the layers no live bundle uses from a layer cache.
    pub fn exec_image_cache_prune(cache_dir: *const c_char, removed: *mut usize) -> c_int;
    /// Initialise pull options.
    pub fn exec_pull_options_init(opts: *mut exec_pull_options, version: c_uint) -> c_int;
    /// Pull an image from a registry into an OCI image layout.
    pub fn exec_image_pull(
        reference: *const c_char,
        layout_dir: *const c_char,
        opts: *const exec_pull_options,
        digest: *mut *mut c_char,
    ) -> c_int;

    /// Open a runtime: a state root and an OCI runtime binary.
    pub fn exec_runtime_new(
        opts: *const exec_runtime_options,
        out: *mut *mut exec_runtime,
    ) -> c_int;
    /// The state root of a runtime, absolute; borrowed from the handle.
    pub fn exec_runtime_root(rt: *mut exec_runtime) -> *const c_char;
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
    /// Read a container's resource use from its cgroup.
    pub fn exec_container_stats(c: *mut exec_container, out: *mut exec_stats) -> c_int;
    /// List the host pids of a container's processes; free with `exec_free`.
    pub fn exec_container_ps(
        c: *mut exec_container,
        pids: *mut *mut c_int,
        count: *mut usize,
    ) -> c_int;
    /// List a container's addresses on the library's bridge; free with
    /// `exec_strings_free`.
    pub fn exec_container_addresses(
        c: *mut exec_container,
        addrs: *mut *mut *mut c_char,
        count: *mut usize,
    ) -> c_int;
    /// Change a live container's resources (an OCI `linux.resources` JSON).
    pub fn exec_container_update(c: *mut exec_container, resources_json: *const c_char) -> c_int;
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
    /// An fd that polls readable once the container's exit is known; the
    /// handle owns it.
    pub fn exec_container_exit_fd(c: *mut exec_container, fd: *mut c_int) -> c_int;
    /// An fd that polls readable once the process's exit is known; the
    /// handle owns it.
    pub fn exec_process_exit_fd(p: *mut exec_process, fd: *mut c_int) -> c_int;
    /// Open a stream of the root's lifecycle events; capacity 0 means 1024.
    pub fn exec_events_open(
        rt: *mut exec_runtime,
        capacity: c_uint,
        out: *mut *mut exec_events,
    ) -> c_int;
    /// An fd that polls readable while the stream has an event; it owns it.
    pub fn exec_events_fd(ev: *mut exec_events, fd: *mut c_int) -> c_int;
    /// Take the next event of a stream.
    pub fn exec_events_next(ev: *mut exec_events, timeout_ms: c_int, out: *mut exec_event)
        -> c_int;
    /// Close an event stream and its fd; NULL is a no-op.
    pub fn exec_events_free(ev: *mut exec_events);
    /// Send the library's diagnostics up to `max_level` to `fn_` for the
    /// whole process; a None `fn_` turns them off. Once it returns, the
    /// previous receiver is not called again (but for the call under way
    /// when called from inside it).
    pub fn exec_log_set(fn_: exec_log_fn, max_level: c_int, payload: *mut c_void) -> c_int;
    /// Initialise pool options for languages without the INIT macro.
    pub fn exec_pool_options_init(opts: *mut exec_pool_options, version: c_uint) -> c_int;
    /// Open a warm pool and start filling it in the background.
    pub fn exec_pool_new(
        rt: *mut exec_runtime,
        opts: *const exec_pool_options,
        out: *mut *mut exec_pool,
    ) -> c_int;
    /// Take a container from the pool and start it; < 0 waits forever.
    pub fn exec_pool_take(
        pool: *mut exec_pool,
        timeout_ms: c_int,
        out: *mut *mut exec_container,
    ) -> c_int;
    /// Wait until the pool holds its size of ready containers.
    pub fn exec_pool_fill(pool: *mut exec_pool, timeout_ms: c_int) -> c_int;
    /// Stop refilling, delete the untaken containers and release the pool;
    /// NULL is a no-op.
    pub fn exec_pool_free(pool: *mut exec_pool);
}
