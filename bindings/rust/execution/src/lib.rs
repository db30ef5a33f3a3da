//! Run and supervise OCI containers without a daemon.
//!
//! `execution` is the Rust binding of libexecution: it drives an OCI runtime
//! binary (runc by default, or crun) to create, start, signal, pause, exec
//! into, wait for and delete containers, with no containerd and no shim.
//! [`sys`] mirrors the C header one to one; the rest is the safe API on top.
//!
//! ```no_run
//! use std::io::Read;
//! use execution::{Io, ProcessSpec, Runtime, RuntimeOptions, Stdio};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // A bundle: a dir with `rootfs` (here a busybox tree) and config.json.
//!     let bundle = "/tmp/bundle";
//!     execution::bundle_init(bundle, &["sh", "-c", "echo hello; exec sleep 60"], false)?;
//!
//!     let runtime = Runtime::new(RuntimeOptions::new("/run/myapp"))?;
//!     let container = runtime.run("hello", bundle, Io::new().stdout(Stdio::Pipe))?;
//!     let mut line = [0u8; 6];
//!     container.take_stdout()?.read_exact(&mut line)?;
//!
//!     // As Command::output: both streams read, the exit, the process deleted.
//!     let ls = container.output(&ProcessSpec::new(["/bin/ls", "/"]))?;
//!     println!("ls: {} ({} bytes)", ls.status, ls.stdout.len());
//!
//!     container.kill()?; // SIGKILL, as Child::kill
//!     println!("container: {}", container.wait(None)?);
//!     container.delete(false)?;
//!     Ok(())
//! }
//! ```
//!
//! Handles free themselves on drop and never delete a container, except the
//! [`ContainerGuard`] of [`Container::delete_on_drop`]. [`Runtime`],
//! [`Container`] and [`Process`] are `Send + Sync`. Every fallible call
//! returns an [`Error`] whose [`kind`](Error::kind) is one of the library's
//! codes and whose message is the library's.
//!
//! Containers are children of a small monitor process the library starts
//! per root, never of this process: it is no subreaper, its `waitpid(-1)`
//! finds none of them, and its own children stay its own. Containers keep
//! their exits when this process dies (see [`RuntimeOptions::kill_on_exit`]
//! for the opposite).

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The raw declarations of `include/execution.h`, one to one: the
/// [`execution-sys`](execution_sys) crate.
pub use execution_sys as sys;

mod bundle;
mod container;
mod error;
mod events;
mod exit;
mod guard;
mod handle;
pub mod image;
mod io;
mod logging;
mod pool;
mod process;
mod pull;
mod runtime;
mod spec;
mod stats;
#[cfg(feature = "tokio")]
mod tokio;
mod workload;

use std::ffi::{c_char, c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub use bundle::{BundleOptions, UserNs};
pub use container::{Container, State};
pub use error::{Error, ErrorKind};
pub use events::{Event, EventKind, Events};
pub use exit::Exit;
pub use guard::{ContainerGuard, Discard, Guard, ProcessGuard};
pub use handle::Output;
pub use image::{
    bundle_from_image, bundle_from_image_with_progress, bundle_remove, image_cache_prune,
    ImageOptions,
};
pub use io::{Io, Stdio};
#[cfg(feature = "log")]
pub use logging::log_to_log_crate;
pub use logging::{clear_logger, set_logger, LogLevel};
pub use pool::{Pool, PoolOptions};
pub use process::Process;
pub use pull::{Progress, PullOptions};
pub use runtime::{Runtime, RuntimeOptions};
pub use spec::ProcessSpec;
pub use stats::Stats;
#[cfg(feature = "tokio")]
pub use tokio::EventStream;
pub use workload::{Bridge, Mount, Network};

/// Writes `<dir>/config.json`: a default runtime-spec config, as `runc spec`
/// makes it, running `args` on the rootfs `<dir>/rootfs`, with a pty when
/// `terminal` is set.
///
/// Errors: InvalidArgument (empty `args`, no such dir), AlreadyExists (a
/// config.json is there), System.
pub fn bundle_init<S: AsRef<OsStr>>(
    dir: impl AsRef<Path>,
    args: &[S],
    terminal: bool,
) -> Result<(), Error> {
    with_argv(dir.as_ref(), args, |dir, argv| unsafe {
        sys::exec_bundle_init(dir, argv, terminal.into())
    })
}

/// Writes `<dir>/config.json` as [`bundle_init`] does, with the terminal and
/// resource limits of `options` (as `linux.resources`, for the runtime to
/// enforce).
///
/// Errors: InvalidArgument (empty `args`, no such dir, a limit out of range
/// or limits that exclude each other; nothing is written), AlreadyExists,
/// System.
pub fn bundle_init_ext<S: AsRef<OsStr>>(
    dir: impl AsRef<Path>,
    args: &[S],
    options: &BundleOptions,
) -> Result<(), Error> {
    let lent = options.lend()?;
    with_argv(dir.as_ref(), args, |dir, argv| unsafe {
        sys::exec_bundle_init_ext(dir, argv, &lent.raw)
    })
}

/// Calls `f` with `dir` and `args` as C strings (argv NULL-terminated), and
/// checks its result code.
fn with_argv<S: AsRef<OsStr>>(
    dir: &Path,
    args: &[S],
    f: impl FnOnce(*const c_char, *const *const c_char) -> c_int,
) -> Result<(), Error> {
    let dir = runtime::path_cstring("bundle dir", dir)?;
    let args = cstrings("argument", args)?;
    let argv = image::null_terminated(&args);
    error::check(f(dir.as_ptr(), argv.as_ptr()))
}

/// Each item as a C string; what names them in errors.
fn cstrings<S: AsRef<OsStr>>(what: &str, items: &[S]) -> Result<Vec<std::ffi::CString>, Error> {
    items
        .iter()
        .map(|a| error::cstring(what, a.as_ref().as_bytes()))
        .collect()
}

/// Version of the loaded library, as "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    unsafe { CStr::from_ptr(sys::exec_version()) }
        .to_str()
        .unwrap_or("")
}

/// Compiles the example of README.md with the doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
