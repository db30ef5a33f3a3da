//! Processes exec'd into a running container.

use std::fmt;
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::time::Duration;

use crate::error::{check, Error};
use crate::exit::Exit;
use crate::guard::{Guard, ProcessGuard};
use crate::handle::{Handle, Output};
use crate::sys;

/// A process exec'd into a container by [`Container::exec`].
///
/// Dropping it frees the handle (and the pipe ends not taken) only: the
/// process keeps running, and its state stays until [`delete`](Self::delete);
/// [`delete_on_drop`](Self::delete_on_drop) kills and deletes it instead.
///
/// ```no_run
/// # fn f(container: &execution::Container) -> Result<(), execution::Error> {
/// use execution::{Io, ProcessSpec, Stdio};
/// let spec = ProcessSpec::new(["sh", "-c", "echo out; echo err >&2"]);
/// let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe);
/// let p = container.exec(&spec, io)?.delete_on_drop();
/// let out = p.wait_with_output()?; // both streams, no deadlock, then the exit
/// assert!(out.status == 0 && out.stdout == b"out\n" && out.stderr == b"err\n");
/// # Ok(())
/// # }
/// ```
///
/// [`Container::exec`]: crate::Container::exec
pub struct Process {
    pub(crate) h: Handle<sys::exec_process>,
}

impl Process {
    /// Takes ownership of a raw handle.
    ///
    /// # Safety
    /// `raw` is a live process handle that nothing else frees.
    pub(crate) unsafe fn from_raw(
        raw: NonNull<sys::exec_process>,
        merged_stdout: Option<OwnedFd>,
    ) -> Result<Process, Error> {
        Ok(Process {
            h: Handle::from_raw(raw)?.with_merged(merged_stdout),
        })
    }

    /// The process id given to `exec`, unique within its container.
    pub fn id(&self) -> &str {
        self.h.id()
    }

    /// Host pid of the process.
    pub fn pid(&self) -> Result<i32, Error> {
        self.h.pid()
    }

    /// Sends `signal` (a signal number, e.g. 15 for SIGTERM) to the process.
    ///
    /// Errors: InvalidArgument (bad signal), InvalidState (exited).
    pub fn signal(&self, signal: i32) -> Result<(), Error> {
        check(unsafe { sys::exec_process_signal(self.h.as_ptr(), signal) })
    }

    /// Sends SIGKILL to the process; Ok once it exited: as
    /// `std::process::Child::kill`.
    pub fn kill(&self) -> Result<(), Error> {
        self.h.unless_exited(self.signal(9))
    }

    /// Waits for the process to exit: forever with None, polling with
    /// `Some(Duration::ZERO)`. Every wait gets the same result.
    ///
    /// Errors: TimedOut, System (the exit status cannot be known: the
    /// monitor was gone when the process exited).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<Exit, Error> {
        self.h.wait(timeout)
    }

    /// The exit if it is known, else None at once: as
    /// `std::process::Child::try_wait`.
    ///
    /// Errors: System (the exit status cannot be known).
    pub fn try_wait(&self) -> Result<Option<Exit>, Error> {
        self.h.try_wait()
    }

    /// Reads the piped stdout and stderr to their ends, both at once, then
    /// waits for the exit: as `Child::wait_with_output`. A stream that is
    /// no pipe, or whose end was taken, reads as empty.
    pub fn wait_with_output(&self) -> Result<Output, Error> {
        self.h.wait_with_output()
    }

    /// Wraps the process in a guard that kills it (if it runs) and deletes
    /// it when dropped, so its id can be used again.
    pub fn delete_on_drop(self) -> ProcessGuard {
        Guard::new(self)
    }

    /// An fd that polls readable once the process's exit is known, for
    /// poll, epoll or an event loop; [`Process::wait`] then returns at once.
    /// The handle owns it: do not read or close it.
    pub fn exit_fd(&self) -> Result<BorrowedFd<'_>, Error> {
        self.h.exit_fd()
    }

    /// Takes the write end of a piped standard input; once.
    ///
    /// Errors: InvalidArgument (stdin is no pipe), InvalidState (already taken).
    pub fn take_stdin(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDIN).map(File::from)
    }

    /// Takes the read end of a piped standard output; once.
    ///
    /// Errors: InvalidArgument (stdout is no pipe), InvalidState (already taken).
    pub fn take_stdout(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDOUT).map(File::from)
    }

    /// Takes the read end of a piped standard error; once.
    ///
    /// Errors: InvalidArgument (stderr is no pipe), InvalidState (already taken).
    pub fn take_stderr(&self) -> Result<File, Error> {
        self.h.stdio(sys::EXEC_STDERR).map(File::from)
    }

    /// Takes the pty master of a terminal process; once.
    ///
    /// Errors: InvalidArgument (no terminal), InvalidState (already taken).
    pub fn take_terminal(&self) -> Result<OwnedFd, Error> {
        self.h.stdio(sys::EXEC_STDIN)
    }

    /// Sets the window size of the process's pty.
    ///
    /// Errors: InvalidArgument (no terminal), System.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), Error> {
        self.h.resize(rows, cols)
    }

    /// Removes the exited process's state.
    ///
    /// Errors: InvalidState (still running), NotFound.
    pub fn delete(&self) -> Result<(), Error> {
        check(unsafe { sys::exec_process_delete(self.h.as_ptr()) })
    }

    /// The raw handle, for calls through [`sys`](crate::sys); it stays
    /// owned by `self`.
    pub fn as_raw(&self) -> *mut sys::exec_process {
        self.h.as_ptr()
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process").field("id", &self.id()).finish()
    }
}
