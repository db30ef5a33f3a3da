//! Standard streams of containers and processes.

use std::ffi::c_int;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::{check, Error, ErrorKind};
use crate::sys;

/// Where one standard stream of a container or process goes.
#[derive(Debug, Default)]
pub enum Stdio<'fd> {
    /// /dev/null.
    #[default]
    Null,
    /// A pipe made by the library; its other end is handed over once by
    /// `take_stdin()`, `take_stdout()` or `take_stderr()`.
    Pipe,
    /// A file descriptor of the caller. The library duplicates it; the
    /// caller keeps its own.
    Fd(BorrowedFd<'fd>),
    /// A file descriptor given away: the library duplicates it and this one
    /// is closed once the container or process is made.
    OwnedFd(OwnedFd),
}

impl<'fd> Stdio<'fd> {
    /// A stream borrowing `fd`, e.g. a `File` or `std::io::stdout()`.
    pub fn fd(fd: &'fd impl AsFd) -> Stdio<'fd> {
        Stdio::Fd(fd.as_fd())
    }

    fn raw(&self) -> c_int {
        match self {
            Stdio::Null => sys::EXEC_IO_NULL,
            Stdio::Pipe => sys::EXEC_IO_PIPE,
            Stdio::Fd(fd) => fd.as_raw_fd(),
            Stdio::OwnedFd(fd) => fd.as_raw_fd(),
        }
    }
}

impl<'fd> From<BorrowedFd<'fd>> for Stdio<'fd> {
    fn from(fd: BorrowedFd<'fd>) -> Stdio<'fd> {
        Stdio::Fd(fd)
    }
}

impl From<OwnedFd> for Stdio<'_> {
    fn from(fd: OwnedFd) -> Self {
        Stdio::OwnedFd(fd)
    }
}

impl From<File> for Stdio<'_> {
    fn from(file: File) -> Self {
        Stdio::OwnedFd(file.into())
    }
}

/// The standard streams of a container or process: for each of stdin,
/// stdout and stderr a [`Stdio`], or a terminal.
///
/// ```
/// use execution::{Io, Stdio};
/// let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe);
/// # let _ = io;
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct Io<'fd> {
    stdin: Stdio<'fd>,
    stdout: Stdio<'fd>,
    stderr: Stdio<'fd>,
    terminal: bool,
}

impl<'fd> Io<'fd> {
    /// All three streams on /dev/null.
    pub fn new() -> Io<'fd> {
        Io::default()
    }

    /// All three streams piped.
    pub fn piped() -> Io<'fd> {
        Io::new()
            .stdin(Stdio::Pipe)
            .stdout(Stdio::Pipe)
            .stderr(Stdio::Pipe)
    }

    /// A pty instead of the three streams; its master is handed over by
    /// `take_terminal()`. A container's config.json must ask for a terminal
    /// too (see [`bundle_init`](crate::bundle_init)).
    pub fn terminal() -> Io<'fd> {
        Io {
            terminal: true,
            ..Io::default()
        }
    }

    /// Sets standard input.
    pub fn stdin(mut self, stdio: impl Into<Stdio<'fd>>) -> Io<'fd> {
        self.stdin = stdio.into();
        self
    }

    /// Sets standard output.
    pub fn stdout(mut self, stdio: impl Into<Stdio<'fd>>) -> Io<'fd> {
        self.stdout = stdio.into();
        self
    }

    /// Sets standard error.
    pub fn stderr(mut self, stdio: impl Into<Stdio<'fd>>) -> Io<'fd> {
        self.stderr = stdio.into();
        self
    }

    /// The C struct describing these streams, valid while `self` lives.
    pub(crate) fn raw(&self) -> Result<sys::exec_io, Error> {
        let mut raw = sys::EXEC_IO_INIT;
        check(unsafe { sys::exec_io_init(&mut raw, sys::EXEC_IO_VERSION) })?;
        raw.stdin_fd = self.stdin.raw();
        raw.stdout_fd = self.stdout.raw();
        raw.stderr_fd = self.stderr.raw();
        raw.terminal = c_int::from(self.terminal);
        Ok(raw)
    }
}

/// Takes over the fd a `*_stdio` call handed out.
pub(crate) fn take_fd(stdio: impl FnOnce(*mut c_int) -> c_int) -> Result<OwnedFd, Error> {
    let mut fd: c_int = -1;
    check(stdio(&mut fd))?;
    if fd < 0 {
        return Err(Error::new(
            ErrorKind::Internal,
            format!("the library handed out fd {fd}"),
        ));
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_map_to_the_c_values() {
        let file = File::open("/dev/null").unwrap();
        let fd = file.as_raw_fd();
        let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::fd(&file));
        let raw = io.raw().unwrap();
        assert_eq!(raw.version, sys::EXEC_IO_VERSION);
        assert_eq!(raw.stdin_fd, sys::EXEC_IO_NULL);
        assert_eq!(raw.stdout_fd, sys::EXEC_IO_PIPE);
        assert_eq!(raw.stderr_fd, fd);
        assert_eq!(raw.terminal, 0);
        assert_eq!(Io::terminal().raw().unwrap().terminal, 1);
        assert_eq!(Io::new().raw().unwrap(), sys::EXEC_IO_INIT);
    }
}
