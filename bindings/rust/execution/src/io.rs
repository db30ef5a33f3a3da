//! Standard streams of containers and processes.

use std::ffi::c_int;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::{check, Error, ErrorKind};
use crate::sys;

/// Where one standard stream of a container or process goes.
///
/// The default is [`Null`](Stdio::Null), where `std::process::Command`
/// inherits: a container often outlives this program's terminal or the
/// job that started it, and a stream inherited by accident would hold it.
/// [`Inherit`](Stdio::Inherit) is `Command`'s default.
///
/// ```
/// use execution::{Io, Stdio};
/// let log = std::fs::File::create(std::env::temp_dir().join("job.log")).unwrap();
/// let io = Io::new().stdin(Stdio::Inherit).stdout(Stdio::fd(&log)).stderr(Stdio::Stdout);
/// # let _ = io;
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub enum Stdio<'fd> {
    /// /dev/null.
    #[default]
    Null,
    /// A pipe made by the library; its other end is handed over once by
    /// `take_stdin()`, `take_stdout()` or `take_stderr()`.
    Pipe,
    /// This program's own stream (fd 0, 1 or 2), as `Command` inherits it.
    Inherit,
    /// For stderr only: where stdout goes, into the same pipe when stdout is
    /// [`Pipe`](Stdio::Pipe) (as `2>&1`, or Python's `subprocess.STDOUT`).
    Stdout,
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

    /// The `exec_io` value of this stream, standard stream `inherited` for
    /// [`Inherit`](Stdio::Inherit); [`Io::raw`] resolves
    /// [`Stdout`](Stdio::Stdout).
    fn raw(&self, inherited: c_int) -> c_int {
        match self {
            Stdio::Null => sys::EXEC_IO_NULL,
            Stdio::Pipe => sys::EXEC_IO_PIPE,
            Stdio::Inherit => inherited,
            Stdio::Stdout => sys::EXEC_IO_NULL,
            Stdio::Fd(fd) => fd.as_raw_fd(),
            Stdio::OwnedFd(fd) => fd.as_raw_fd(),
        }
    }

    /// The same stream with a borrowed fd duplicated, so it lives on its own.
    #[cfg(feature = "tokio")]
    fn into_owned(self) -> Result<Stdio<'static>, Error> {
        Ok(match self {
            Stdio::Null => Stdio::Null,
            Stdio::Pipe => Stdio::Pipe,
            Stdio::Inherit => Stdio::Inherit,
            Stdio::Stdout => Stdio::Stdout,
            Stdio::Fd(fd) => Stdio::OwnedFd(fd.try_clone_to_owned().map_err(system)?),
            Stdio::OwnedFd(fd) => Stdio::OwnedFd(fd),
        })
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
/// stdout and stderr a [`Stdio`], or a terminal. Each defaults to
/// /dev/null, where `Command` inherits (see [`Stdio`] for why);
/// [`Stdio::Inherit`] gives this program's own stream.
///
/// Beside them, [`pass_fd`](Io::pass_fd) gives the process further fds of
/// this program as its 3, 4, ... (runc's `--preserve-fds`).
///
/// ```
/// use execution::{Io, Stdio};
/// let results = std::fs::File::create(std::env::temp_dir().join("results")).unwrap();
/// let io = Io::new().stdout(Stdio::Pipe).stderr(Stdio::Pipe).pass_fd(&results); // its fd 3
/// # let _ = io;
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct Io<'fd> {
    stdin: Stdio<'fd>,
    stdout: Stdio<'fd>,
    stderr: Stdio<'fd>,
    terminal: bool,
    /// Each a [`Stdio::Fd`] or [`Stdio::OwnedFd`].
    passed: Vec<Stdio<'fd>>,
}

impl<'fd> Io<'fd> {
    /// All three streams on /dev/null ([`Stdio::Inherit`] inherits one).
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

    /// Passes `fd` as the process's next fd: the first call gives it fd 3,
    /// the next fd 4, and so on, at most [`sys::EXEC_IO_MAX_EXTRA_FDS`].
    /// The library duplicates it during the call; the caller keeps its own.
    /// An fd of the library's own ([`Events`](crate::Events)' or an exit fd)
    /// is [`ErrorKind::InvalidArgument`].
    pub fn pass_fd(mut self, fd: &'fd impl AsFd) -> Io<'fd> {
        self.passed.push(Stdio::Fd(fd.as_fd()));
        self
    }

    /// Passes each of `fds` in order, as [`pass_fd`](Io::pass_fd) does.
    pub fn pass_fds(mut self, fds: impl IntoIterator<Item = BorrowedFd<'fd>>) -> Io<'fd> {
        self.passed.extend(fds.into_iter().map(Stdio::Fd));
        self
    }

    /// The same streams, each borrowed fd duplicated, for a call made on
    /// another thread.
    #[cfg(feature = "tokio")]
    pub(crate) fn into_owned(self) -> Result<Io<'static>, Error> {
        Ok(Io {
            stdin: self.stdin.into_owned()?,
            stdout: self.stdout.into_owned()?,
            stderr: self.stderr.into_owned()?,
            terminal: self.terminal,
            passed: self
                .passed
                .into_iter()
                .map(Stdio::into_owned)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The C struct describing these streams, valid while `self` and the
    /// result live; with stderr [`Stdio::Stdout`] and stdout piped, the
    /// pipe both share.
    pub(crate) fn raw(&self) -> Result<Prepared, Error> {
        if matches!(self.stdin, Stdio::Stdout) || matches!(self.stdout, Stdio::Stdout) {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "Stdio::Stdout is for stderr only",
            ));
        }
        let mut raw = sys::EXEC_IO_INIT;
        check(unsafe { sys::exec_io_init(&mut raw, sys::EXEC_IO_VERSION) })?;
        raw.stdin_fd = self.stdin.raw(0);
        raw.stdout_fd = self.stdout.raw(1);
        raw.stderr_fd = self.stderr.raw(2);
        raw.terminal = c_int::from(self.terminal);
        let passed: Vec<c_int> = self.passed.iter().map(|fd| fd.raw(-1)).collect();
        if !passed.is_empty() {
            raw.extra_fds = passed.as_ptr();
            raw.extra_fds_count = passed.len();
        }
        let mut prepared = Prepared {
            raw,
            stdout: None,
            write_end: None,
            _passed: passed,
        };
        if matches!(self.stderr, Stdio::Stdout) {
            if matches!(self.stdout, Stdio::Pipe) {
                let (read, write) = pipe()?;
                prepared.raw.stdout_fd = write.as_raw_fd();
                prepared.stdout = Some(read);
                prepared.write_end = Some(write);
            }
            prepared.raw.stderr_fd = prepared.raw.stdout_fd;
        }
        Ok(prepared)
    }
}

/// The `exec_io` of an [`Io`], and the pipe the binding made for a
/// merged stdout and stderr.
pub(crate) struct Prepared {
    /// What the call takes.
    pub(crate) raw: sys::exec_io,
    /// The read end of the merged pipe, for the caller's `take_stdout`.
    pub(crate) stdout: Option<OwnedFd>,
    /// The write end, which the library dups: closed after the call.
    write_end: Option<OwnedFd>,
    /// What `raw.extra_fds` points to.
    _passed: Vec<c_int>,
}

fn system(e: std::io::Error) -> Error {
    Error::new(ErrorKind::System, e.to_string())
}

/// A pipe (read end, write end), both close-on-exec.
fn pipe() -> Result<(OwnedFd, OwnedFd), Error> {
    extern "C" {
        fn pipe2(fds: *mut c_int, flags: c_int) -> c_int;
    }
    const O_CLOEXEC: c_int = 0o2000000;
    let mut fds: [c_int; 2] = [-1; 2];
    if unsafe { pipe2(fds.as_mut_ptr(), O_CLOEXEC) } != 0 {
        return Err(system(std::io::Error::last_os_error()));
    }
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
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
        let raw = io.raw().unwrap().raw;
        assert_eq!(raw.version, sys::EXEC_IO_VERSION);
        assert_eq!(raw.stdin_fd, sys::EXEC_IO_NULL);
        assert_eq!(raw.stdout_fd, sys::EXEC_IO_PIPE);
        assert_eq!(raw.stderr_fd, fd);
        assert_eq!(raw.terminal, 0);
        assert_eq!(Io::terminal().raw().unwrap().raw.terminal, 1);
        assert_eq!(Io::new().raw().unwrap().raw, sys::EXEC_IO_INIT);
        let inherit = Io::new().stdin(Stdio::Inherit).stdout(Stdio::Inherit);
        let inherit = inherit.stderr(Stdio::Stdout).raw().unwrap().raw;
        assert_eq!(
            (inherit.stdin_fd, inherit.stdout_fd, inherit.stderr_fd),
            (0, 1, 1)
        );
        let merged = Io::new()
            .stdout(Stdio::Pipe)
            .stderr(Stdio::Stdout)
            .raw()
            .unwrap();
        assert!(merged.raw.stdout_fd >= 0 && merged.raw.stderr_fd == merged.raw.stdout_fd);
        assert!(merged.stdout.is_some());
        let wrong = Io::new().stdout(Stdio::Stdout).raw().err().unwrap();
        assert_eq!(wrong.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn passed_fds_keep_their_order() {
        let (a, b) = (
            File::open("/dev/null").unwrap(),
            File::open("/dev/null").unwrap(),
        );
        let io = Io::new().pass_fd(&b).pass_fds([a.as_fd()]);
        let prepared = io.raw().unwrap();
        assert_eq!(prepared.raw.extra_fds_count, 2);
        let fds = unsafe { std::slice::from_raw_parts(prepared.raw.extra_fds, 2) };
        assert_eq!(fds, [b.as_raw_fd(), a.as_raw_fd()]);
    }
}
