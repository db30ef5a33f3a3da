//! Processes exec'd into a running container.

use std::ffi::{c_int, CStr};
use std::fmt;
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::time::Duration;

use crate::error::{check, Error, ErrorKind};
use crate::exit::{timeout_ms, Exit};
use crate::io::take_fd;
use crate::sys;

/// A process exec'd into a container by [`Container::exec`].
///
/// Dropping it frees the handle (and the pipe ends not taken) only: the
/// process keeps running, and its state stays until [`delete`](Self::delete).
///
/// [`Container::exec`]: crate::Container::exec
pub struct Process {
    raw: NonNull<sys::exec_process>,
    id: String,
}

// The C ABI allows every call from any thread, concurrently, on one handle.
unsafe impl Send for Process {}
unsafe impl Sync for Process {}

impl Process {
    /// Takes ownership of a raw handle.
    ///
    /// # Safety
    /// `raw` is a live process handle that nothing else frees.
    pub(crate) unsafe fn from_raw(raw: NonNull<sys::exec_process>) -> Result<Process, Error> {
        let id = sys::exec_process_id(raw.as_ptr());
        if id.is_null() {
            sys::exec_process_free(raw.as_ptr());
            return Err(Error::new(
                ErrorKind::Internal,
                "the library gave no id for a new process handle",
            ));
        }
        let id = CStr::from_ptr(id).to_string_lossy().into_owned();
        Ok(Process { raw, id })
    }

    /// The process id given to `exec`, unique within its container.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Host pid of the process.
    pub fn pid(&self) -> Result<i32, Error> {
        let mut pid: c_int = 0;
        check(unsafe { sys::exec_process_pid(self.raw.as_ptr(), &mut pid) })?;
        Ok(pid)
    }

    /// Sends `signal` (a signal number, e.g. 15 for SIGTERM) to the process.
    ///
    /// Errors: InvalidArgument (bad signal), InvalidState (exited).
    pub fn signal(&self, signal: i32) -> Result<(), Error> {
        check(unsafe { sys::exec_process_signal(self.raw.as_ptr(), signal) })
    }

    /// Waits for the process to exit: forever with None, polling with
    /// `Some(Duration::ZERO)`. Every wait gets the same result.
    ///
    /// Errors: TimedOut, System (the exit status cannot be known: the
    /// monitor was gone when the process exited).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Exit, Error> {
        let mut exit = sys::EXEC_EXIT_INIT;
        check(unsafe {
            sys::exec_process_wait(self.raw.as_ptr(), timeout_ms(timeout), &mut exit)
        })?;
        Ok(exit.into())
    }

    /// An fd that polls readable once the process's exit is known, for
    /// poll, epoll or an event loop; [`Process::wait`] then returns at once.
    /// The handle owns it: do not read or close it.
    pub fn exit_fd(&self) -> Result<BorrowedFd<'_>, Error> {
        let mut fd: c_int = -1;
        check(unsafe { sys::exec_process_exit_fd(self.raw.as_ptr(), &mut fd) })?;
        Ok(unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// Takes the write end of a piped standard input; once.
    ///
    /// Errors: InvalidArgument (stdin is no pipe), InvalidState (already taken).
    pub fn take_stdin(&self) -> Result<File, Error> {
        self.stdio(sys::EXEC_STDIN).map(File::from)
    }

    /// Takes the read end of a piped standard output; once.
    ///
    /// Errors: InvalidArgument (stdout is no pipe), InvalidState (already taken).
    pub fn take_stdout(&self) -> Result<File, Error> {
        self.stdio(sys::EXEC_STDOUT).map(File::from)
    }

    /// Takes the read end of a piped standard error; once.
    ///
    /// Errors: InvalidArgument (stderr is no pipe), InvalidState (already taken).
    pub fn take_stderr(&self) -> Result<File, Error> {
        self.stdio(sys::EXEC_STDERR).map(File::from)
    }

    /// Takes the pty master of a terminal process; once.
    ///
    /// Errors: InvalidArgument (no terminal), InvalidState (already taken).
    pub fn take_terminal(&self) -> Result<OwnedFd, Error> {
        self.stdio(sys::EXEC_STDIN)
    }

    fn stdio(&self, stream: c_int) -> Result<OwnedFd, Error> {
        take_fd(|fd| unsafe { sys::exec_process_stdio(self.raw.as_ptr(), stream, fd) })
    }

    /// Sets the window size of the process's pty.
    ///
    /// Errors: InvalidArgument (no terminal), System.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), Error> {
        check(unsafe { sys::exec_process_resize(self.raw.as_ptr(), rows.into(), cols.into()) })
    }

    /// Removes the exited process's state.
    ///
    /// Errors: InvalidState (still running), NotFound.
    pub fn delete(&self) -> Result<(), Error> {
        check(unsafe { sys::exec_process_delete(self.raw.as_ptr()) })
    }

    /// The raw handle, for calls through [`sys`](crate::sys); it stays
    /// owned by `self`.
    pub fn as_raw(&self) -> *mut sys::exec_process {
        self.raw.as_ptr()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        unsafe { sys::exec_process_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process").field("id", &self.id).finish()
    }
}
