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
//!     let ls = container.exec("ls", &ProcessSpec::new(["/bin/ls", "/"]), Io::new())?;
//!     println!("ls: {}", ls.wait(None)?);
//!
//!     container.kill(9, false)?;
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
//! The first [`Runtime::new`] makes this process a child subreaper: the
//! containers' processes become its children and the library reaps them.
//! Never reap with `waitpid(-1)` in the same process: a status taken that
//! way is lost, and the matching `wait` fails with [`ErrorKind::System`].

#![deny(missing_docs)]

/// The raw declarations of `include/execution.h`, one to one: the
/// [`execution-sys`](execution_sys) crate.
pub use execution_sys as sys;

mod container;
mod error;
mod exit;
mod io;
mod process;
mod runtime;
mod spec;

use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

pub use container::{Container, ContainerGuard, State};
pub use error::{Error, ErrorKind};
pub use exit::Exit;
pub use io::{Io, Stdio};
pub use process::Process;
pub use runtime::{Runtime, RuntimeOptions};
pub use spec::ProcessSpec;

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
    let dir = runtime::path_cstring("bundle dir", dir.as_ref())?;
    let args = args
        .iter()
        .map(|a| error::cstring("argument", a.as_ref().as_bytes()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(ptr::null());
    error::check(unsafe { sys::exec_bundle_init(dir.as_ptr(), argv.as_ptr(), terminal.into()) })
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
