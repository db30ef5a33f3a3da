//! Runtimes: a state root and an OCI runtime binary.

use std::ffi::{c_char, c_int, CStr, CString, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::container::Container;
use crate::error::{check, cstring, Error, ErrorKind};
use crate::events::Events;
use crate::io::Io;
use crate::pool::{Pool, PoolOptions};
use crate::sys;

/// Options of [`Runtime::new`], built from the one required setting, the
/// state root.
///
/// ```
/// use execution::RuntimeOptions;
/// use std::time::Duration;
/// let opts = RuntimeOptions::new("/run/myapp")
///     .runtime_path("/usr/bin/crun")
///     .timeout(Duration::from_secs(10));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RuntimeOptions {
    root: Option<PathBuf>,
    runtime_path: Option<PathBuf>,
    runtime_root: Option<PathBuf>,
    systemd_cgroup: bool,
    debug: bool,
    log_path: Option<PathBuf>,
    timeout: Option<Duration>,
    kill_on_exit: bool,
    agent: bool,
}

impl RuntimeOptions {
    /// Options for the library state dir `root`, created with mode 0700 if
    /// missing; everything else at its default.
    pub fn new(root: impl Into<PathBuf>) -> RuntimeOptions {
        RuntimeOptions {
            root: Some(root.into()),
            ..RuntimeOptions::user_default()
        }
    }

    /// Options for an ordinary user's default root,
    /// `$XDG_RUNTIME_DIR/libexecution` ([`Runtime::root`] tells it); as root
    /// [`Runtime::new`] then fails with InvalidArgument, as a root process
    /// must name its root.
    pub fn user_default() -> RuntimeOptions {
        RuntimeOptions {
            root: None,
            runtime_path: None,
            runtime_root: None,
            systemd_cgroup: false,
            debug: false,
            log_path: None,
            timeout: None,
            kill_on_exit: false,
            agent: true,
        }
    }

    /// The OCI runtime binary (default: `runc` from `PATH`); any
    /// runc-compatible CLI such as crun works.
    pub fn runtime_path(mut self, path: impl Into<PathBuf>) -> RuntimeOptions {
        self.runtime_path = Some(path.into());
        self
    }

    /// The runtime's `--root` (default: `<root>/runc`).
    pub fn runtime_root(mut self, path: impl Into<PathBuf>) -> RuntimeOptions {
        self.runtime_root = Some(path.into());
        self
    }

    /// Passes `--systemd-cgroup` to the runtime.
    pub fn systemd_cgroup(mut self, on: bool) -> RuntimeOptions {
        self.systemd_cgroup = on;
        self
    }

    /// Passes `--debug` to the runtime.
    pub fn debug(mut self, on: bool) -> RuntimeOptions {
        self.debug = on;
        self
    }

    /// A file the runtime's log is appended to (default: no log).
    pub fn log_path(mut self, path: impl Into<PathBuf>) -> RuntimeOptions {
        self.log_path = Some(path.into());
        self
    }

    /// Deadline of each runtime invocation (default: 60 s), rounded up to
    /// whole milliseconds.
    pub fn timeout(mut self, timeout: Duration) -> RuntimeOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Has the monitor kill and delete the containers this process creates,
    /// recording their exits, when the process exits or dies while they
    /// live (default: they live on).
    pub fn kill_on_exit(mut self, on: bool) -> RuntimeOptions {
        self.kill_on_exit = on;
        self
    }

    /// Lets execs whose process needs nothing the container's own process
    /// lacks be forked by the container's exec agent instead of a runtime
    /// call (default: on); off, every exec is a runtime call.
    pub fn agent(mut self, on: bool) -> RuntimeOptions {
        self.agent = on;
        self
    }
}

/// A runtime: one state root and one OCI runtime binary, through which
/// containers are created and loaded.
///
/// Dropping it frees the handle only; containers and their handles stay as
/// they are.
///
/// ```no_run
/// use execution::{Io, Runtime, RuntimeOptions};
/// let runtime = Runtime::new(RuntimeOptions::new("/run/myapp"))?;
/// let c = runtime.run("job-1", "/srv/bundle", Io::new())?.delete_on_drop();
/// println!("{} runs as pid {}; the root has {:?}", c.id(), c.pid()?, runtime.list()?);
/// # Ok::<(), execution::Error>(())
/// ```
pub struct Runtime {
    raw: NonNull<sys::exec_runtime>,
    root: PathBuf,
}

// The C ABI allows every call from any thread, concurrently, on one handle.
unsafe impl Send for Runtime {}
unsafe impl Sync for Runtime {}

impl Runtime {
    /// Opens a runtime.
    ///
    /// Errors: InvalidArgument (the runtime binary is not found), System
    /// (the root cannot be created).
    pub fn new(options: RuntimeOptions) -> Result<Runtime, Error> {
        let root = opt_path_cstring("root", options.root.as_deref())?;
        let runtime_path = opt_path_cstring("runtime path", options.runtime_path.as_deref())?;
        let runtime_root = opt_path_cstring("runtime root", options.runtime_root.as_deref())?;
        let log_path = opt_path_cstring("log path", options.log_path.as_deref())?;

        let mut raw = sys::EXEC_RUNTIME_OPTIONS_INIT;
        check(unsafe {
            sys::exec_runtime_options_init(&mut raw, sys::EXEC_RUNTIME_OPTIONS_VERSION)
        })?;
        raw.root = opt_ptr(root.as_ref());
        raw.runtime_path = opt_ptr(runtime_path.as_ref());
        raw.runtime_root = opt_ptr(runtime_root.as_ref());
        raw.systemd_cgroup = c_int::from(options.systemd_cgroup);
        raw.debug = c_int::from(options.debug);
        raw.log_path = opt_ptr(log_path.as_ref());
        raw.kill_on_exit = c_int::from(options.kill_on_exit);
        raw.no_agent = c_int::from(!options.agent);
        raw.timeout_ms = options
            .timeout
            .map_or(0, |t| crate::exit::timeout_ms(Some(t)).max(1));

        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_runtime_new(&raw, &mut out) })?;
        let raw = non_null(out)?;
        // Borrowed from the handle, which lives as long as `raw`.
        let root = unsafe { CStr::from_ptr(sys::exec_runtime_root(raw.as_ptr())) };
        Ok(Runtime {
            raw,
            root: PathBuf::from(OsStr::from_bytes(root.to_bytes())),
        })
    }

    /// The library's state dir of this runtime: as given, or the default,
    /// made absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates a container from `bundle` (a directory holding config.json
    /// and the rootfs); its process waits for [`Container::start`].
    ///
    /// Errors: InvalidArgument (bad id, missing bundle or broken
    /// config.json, a terminal in `io` but not in the config or the other
    /// way round), AlreadyExists, Runtime (nothing is left behind).
    pub fn create(
        &self,
        id: &str,
        bundle: impl AsRef<Path>,
        io: Io<'_>,
    ) -> Result<Container, Error> {
        self.make(sys::exec_container_create, id, bundle.as_ref(), io)
    }

    /// Creates and starts a container in one runtime call; as [`create`](Self::create).
    pub fn run(&self, id: &str, bundle: impl AsRef<Path>, io: Io<'_>) -> Result<Container, Error> {
        self.make(sys::exec_container_run, id, bundle.as_ref(), io)
    }

    fn make(&self, make: MakeFn, id: &str, bundle: &Path, io: Io<'_>) -> Result<Container, Error> {
        let id = cstring("container id", id)?;
        let bundle = path_cstring("bundle", bundle)?;
        make_container(self.raw.as_ptr(), make, &id, &bundle, &io)
    }

    /// Opens a handle to an existing container, also one made by another
    /// process (reattach after a restart).
    ///
    /// Errors: InvalidArgument (bad id), NotFound.
    pub fn load(&self, id: &str) -> Result<Container, Error> {
        let id = cstring("container id", id)?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_container_load(self.raw.as_ptr(), id.as_ptr(), &mut out) })?;
        unsafe { Container::from_raw(non_null(out)?, None) }
    }

    /// Opens a stream of the root's lifecycle events, every library
    /// process's, from now on. `capacity` bounds the events held for a
    /// reader that falls behind (0: 1024); past it the newest are dropped
    /// and an Overflow event counts them.
    ///
    /// Errors: InvalidArgument (capacity above 1048576), System (the
    /// monitor cannot be reached).
    pub fn events(&self, capacity: u32) -> Result<Events, Error> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_events_open(self.raw.as_ptr(), capacity, &mut out) })?;
        unsafe { Events::from_raw(non_null(out)?) }
    }

    /// Opens a warm pool keeping containers of one bundle created ahead;
    /// it returns at once and fills in the background (see [`Pool`]). The
    /// pool keeps working after the runtime is dropped.
    ///
    /// Errors: InvalidArgument (size 0, missing bundle or broken
    /// config.json, a bad id prefix, a terminal not matching the config).
    pub fn pool(&self, options: PoolOptions<'_>) -> Result<Pool, Error> {
        Pool::open(self.raw.as_ptr(), options)
    }

    /// The ids of this runtime's containers, sorted; a pool's containers
    /// only once taken.
    pub fn list(&self) -> Result<Vec<String>, Error> {
        let mut ids = ptr::null_mut();
        let mut count = 0usize;
        check(unsafe { sys::exec_container_list(self.raw.as_ptr(), &mut ids, &mut count) })?;
        if ids.is_null() {
            return Ok(Vec::new());
        }
        let list = (0..count)
            .map(|i| {
                unsafe { CStr::from_ptr(*ids.add(i)) }
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        unsafe { sys::exec_strings_free(ids, count) };
        Ok(list)
    }

    /// The raw handle, for calls through [`sys`](crate::sys); it stays
    /// owned by `self`.
    pub fn as_raw(&self) -> *mut sys::exec_runtime {
        self.raw.as_ptr()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        unsafe { sys::exec_runtime_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("root", &self.root).finish()
    }
}

/// `exec_container_create` or `exec_container_run`.
pub(crate) type MakeFn = unsafe extern "C" fn(
    *mut sys::exec_runtime,
    *const c_char,
    *const c_char,
    *const sys::exec_io,
    *mut *mut sys::exec_container,
) -> c_int;

/// Creates (and with `exec_container_run` starts) a container through the
/// runtime handle `rt`; a handle freed meanwhile is an error, never a crash.
pub(crate) fn make_container(
    rt: *mut sys::exec_runtime,
    make: MakeFn,
    id: &CStr,
    bundle: &CStr,
    io: &Io<'_>,
) -> Result<Container, Error> {
    let io = io.raw()?;
    let mut out = ptr::null_mut();
    check(unsafe { make(rt, id.as_ptr(), bundle.as_ptr(), &io.raw, &mut out) })?;
    unsafe { Container::from_raw(non_null(out)?, io.stdout) }
}

/// A C string of a path; an interior NUL is an InvalidArgument naming `what`.
pub(crate) fn path_cstring(what: &str, path: &Path) -> Result<CString, Error> {
    cstring(what, path.as_os_str().as_bytes())
}

pub(crate) fn opt_path_cstring(what: &str, path: Option<&Path>) -> Result<Option<CString>, Error> {
    path.map(|p| path_cstring(what, p)).transpose()
}

pub(crate) fn opt_ptr(s: Option<&CString>) -> *const c_char {
    s.map_or(ptr::null(), |s| s.as_ptr())
}

/// The handle a successful call returned; a NULL one is a library bug.
pub(crate) fn non_null<T>(ptr: *mut T) -> Result<NonNull<T>, Error> {
    NonNull::new(ptr)
        .ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned a NULL handle"))
}
