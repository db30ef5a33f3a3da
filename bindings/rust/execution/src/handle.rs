//! The core a [`Container`](crate::Container) and a
//! [`Process`](crate::Process) share: one owned handle of the library, its
//! id, and the calls that are the same for both.

use std::ffi::{c_char, c_int, c_uint, CStr};
use std::fs::File;
use std::io::Read;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{check, Error, ErrorKind};
use crate::exit::{timeout_ms, Exit};
use crate::io::take_fd;
use crate::sys;

/// The raw calls of one kind of handle, `exec_container` or `exec_process`.
pub(crate) trait Raw {
    /// What the handle is, for messages.
    const KIND: &'static str;
    unsafe fn id(h: *mut Self) -> *const c_char;
    unsafe fn pid(h: *mut Self, pid: *mut c_int) -> c_int;
    unsafe fn wait(h: *mut Self, timeout_ms: c_int, out: *mut sys::exec_exit) -> c_int;
    unsafe fn exit_fd(h: *mut Self, fd: *mut c_int) -> c_int;
    unsafe fn stdio(h: *mut Self, stream: c_int, fd: *mut c_int) -> c_int;
    unsafe fn resize(h: *mut Self, rows: c_uint, cols: c_uint) -> c_int;
    unsafe fn free(h: *mut Self);
}

impl Raw for sys::exec_container {
    const KIND: &'static str = "container";
    unsafe fn id(h: *mut Self) -> *const c_char {
        sys::exec_container_id(h)
    }
    unsafe fn pid(h: *mut Self, pid: *mut c_int) -> c_int {
        sys::exec_container_pid(h, pid)
    }
    unsafe fn wait(h: *mut Self, timeout_ms: c_int, out: *mut sys::exec_exit) -> c_int {
        sys::exec_container_wait(h, timeout_ms, out)
    }
    unsafe fn exit_fd(h: *mut Self, fd: *mut c_int) -> c_int {
        sys::exec_container_exit_fd(h, fd)
    }
    unsafe fn stdio(h: *mut Self, stream: c_int, fd: *mut c_int) -> c_int {
        sys::exec_container_stdio(h, stream, fd)
    }
    unsafe fn resize(h: *mut Self, rows: c_uint, cols: c_uint) -> c_int {
        sys::exec_container_resize(h, rows, cols)
    }
    unsafe fn free(h: *mut Self) {
        sys::exec_container_free(h)
    }
}

impl Raw for sys::exec_process {
    const KIND: &'static str = "process";
    unsafe fn id(h: *mut Self) -> *const c_char {
        sys::exec_process_id(h)
    }
    unsafe fn pid(h: *mut Self, pid: *mut c_int) -> c_int {
        sys::exec_process_pid(h, pid)
    }
    unsafe fn wait(h: *mut Self, timeout_ms: c_int, out: *mut sys::exec_exit) -> c_int {
        sys::exec_process_wait(h, timeout_ms, out)
    }
    unsafe fn exit_fd(h: *mut Self, fd: *mut c_int) -> c_int {
        sys::exec_process_exit_fd(h, fd)
    }
    unsafe fn stdio(h: *mut Self, stream: c_int, fd: *mut c_int) -> c_int {
        sys::exec_process_stdio(h, stream, fd)
    }
    unsafe fn resize(h: *mut Self, rows: c_uint, cols: c_uint) -> c_int {
        sys::exec_process_resize(h, rows, cols)
    }
    unsafe fn free(h: *mut Self) {
        sys::exec_process_free(h)
    }
}

/// An owned handle of the library and its id; freed on drop.
pub(crate) struct Handle<T: Raw> {
    raw: NonNull<T>,
    id: String,
    /// The read end of a stdout and stderr merged by the binding: None
    /// when there is none, Some(None) once taken.
    merged: Mutex<Option<Option<OwnedFd>>>,
    /// The exit fd registered with tokio's reactor, once an async wait asked.
    #[cfg(feature = "tokio")]
    pub(crate) watch: crate::tokio::Watch,
}

// The C ABI allows every call from any thread, concurrently, on one handle.
unsafe impl<T: Raw> Send for Handle<T> {}
unsafe impl<T: Raw> Sync for Handle<T> {}

impl<T: Raw> Handle<T> {
    /// Takes ownership of a raw handle.
    ///
    /// # Safety
    /// `raw` is a live handle of its kind that nothing else frees.
    pub(crate) unsafe fn from_raw(raw: NonNull<T>) -> Result<Handle<T>, Error> {
        let id = T::id(raw.as_ptr());
        if id.is_null() {
            T::free(raw.as_ptr());
            return Err(Error::new(
                ErrorKind::Internal,
                format!("the library gave no id for a new {} handle", T::KIND),
            ));
        }
        let id = CStr::from_ptr(id).to_string_lossy().into_owned();
        Ok(Handle {
            raw,
            id,
            merged: Mutex::new(None),
            #[cfg(feature = "tokio")]
            watch: Default::default(),
        })
    }

    /// Keeps `stdout`, the read end of the merged stdout and stderr the
    /// binding made, for [`stdio`](Self::stdio) to hand over.
    pub(crate) fn with_merged(self, stdout: Option<OwnedFd>) -> Handle<T> {
        if stdout.is_some() {
            *self.merged.lock().unwrap_or_else(|e| e.into_inner()) = Some(stdout);
        }
        self
    }

    pub(crate) fn as_ptr(&self) -> *mut T {
        self.raw.as_ptr()
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn pid(&self) -> Result<i32, Error> {
        let mut pid: c_int = 0;
        check(unsafe { T::pid(self.as_ptr(), &mut pid) })?;
        Ok(pid)
    }

    pub(crate) fn wait(&self, timeout: Option<Duration>) -> Result<Exit, Error> {
        let mut exit = sys::EXEC_EXIT_INIT;
        check(unsafe { T::wait(self.as_ptr(), timeout_ms(timeout), &mut exit) })?;
        Ok(exit.into())
    }

    pub(crate) fn try_wait(&self) -> Result<Option<Exit>, Error> {
        match self.wait(Some(Duration::ZERO)) {
            Ok(exit) => Ok(Some(exit)),
            Err(e) if e.kind() == ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The result of a signal, InvalidState turned into Ok when the
    /// process has exited (a kill that came late).
    pub(crate) fn unless_exited(&self, sent: Result<(), Error>) -> Result<(), Error> {
        match sent {
            Err(e)
                if e.kind() == ErrorKind::InvalidState
                    && matches!(self.try_wait(), Ok(Some(_))) =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Reads the piped stdout and stderr to their ends, both at once (no
    /// deadlock on a full pipe), then waits for the exit.
    pub(crate) fn wait_with_output(&self) -> Result<Output, Error> {
        let stdout = self.piped(sys::EXEC_STDOUT)?;
        let stderr = self.piped(sys::EXEC_STDERR)?;
        let read = |f: Option<OwnedFd>| -> Result<Vec<u8>, Error> {
            let mut buf = Vec::new();
            if let Some(fd) = f {
                File::from(fd)
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::new(ErrorKind::System, format!("reading output: {e}")))?;
            }
            Ok(buf)
        };
        let (stdout, stderr) = std::thread::scope(|s| {
            let err = s.spawn(|| read(stderr));
            let out = read(stdout);
            (
                out,
                err.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        Ok(Output {
            status: self.wait(None)?,
            stdout: stdout?,
            stderr: stderr?,
        })
    }

    /// The pipe end of `stream` if it is a pipe not taken yet, else None.
    fn piped(&self, stream: c_int) -> Result<Option<OwnedFd>, Error> {
        match self.stdio(stream) {
            Ok(fd) => Ok(Some(fd)),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::InvalidArgument | ErrorKind::InvalidState
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) fn exit_fd(&self) -> Result<BorrowedFd<'_>, Error> {
        let mut fd: c_int = -1;
        check(unsafe { T::exit_fd(self.as_ptr(), &mut fd) })?;
        // Owned by the handle, which outlives the borrow.
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    pub(crate) fn stdio(&self, stream: c_int) -> Result<OwnedFd, Error> {
        if stream == sys::EXEC_STDOUT {
            let mut merged = self.merged.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(slot) = merged.as_mut() {
                return slot.take().ok_or_else(|| {
                    Error::new(ErrorKind::InvalidState, "stdout was taken already")
                });
            }
        }
        take_fd(|fd| unsafe { T::stdio(self.as_ptr(), stream, fd) })
    }

    pub(crate) fn resize(&self, rows: u16, cols: u16) -> Result<(), Error> {
        check(unsafe { T::resize(self.as_ptr(), rows.into(), cols.into()) })
    }
}

impl<T: Raw> Drop for Handle<T> {
    fn drop(&mut self) {
        // Off the reactor before the library closes the fd.
        #[cfg(feature = "tokio")]
        drop(std::mem::take(&mut self.watch));
        unsafe { T::free(self.raw.as_ptr()) }
    }
}

/// What [`Process::wait_with_output`](crate::Process::wait_with_output)
/// and [`Container::output`](crate::Container::output) collect, as
/// `std::process::Output`.
///
/// ```no_run
/// # fn main() -> Result<(), execution::Error> {
/// # let container: execution::Container = unimplemented!();
/// let out = container.output(&execution::ProcessSpec::new(["uname", "-a"]))?;
/// assert!(out.status.success());
/// print!("{}", String::from_utf8_lossy(&out.stdout));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Output {
    /// How it ended.
    pub status: Exit,
    /// Everything read from its piped stdout (empty when it was no pipe).
    pub stdout: Vec<u8>,
    /// Everything read from its piped stderr (empty when it was no pipe).
    pub stderr: Vec<u8>,
}
