//! The error type every fallible call returns.

use std::ffi::{c_int, CStr, CString};
use std::fmt;

use crate::sys;

/// What went wrong: one variant per `EXEC_E*` code of the C library; see
/// [`Error`] for a match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad argument: malformed id, bad JSON, missing bundle (`EXEC_EINVAL`).
    InvalidArgument,
    /// No such container or process (`EXEC_ENOTFOUND`).
    NotFound,
    /// The id is already in use (`EXEC_EEXIST`).
    AlreadyExists,
    /// Not allowed in the current state, or in a forked child (`EXEC_ESTATE`).
    InvalidState,
    /// The OCI runtime failed; the message carries what it said (`EXEC_ERUNTIME`).
    Runtime,
    /// The timeout ran out (`EXEC_ETIMEDOUT`).
    TimedOut,
    /// The handle is invalid, freed or stale (`EXEC_ECLOSED`).
    Closed,
    /// A system call failed; the message carries the errno text (`EXEC_ESYS`).
    System,
    /// A bug in the library (`EXEC_EINTERNAL`).
    Internal,
    /// Not possible for this user on this host: limits, stats or pause of
    /// a rootless container without a cgroup of its own (`EXEC_ENOTSUP`).
    NotSupported,
    /// Cancelled by the caller: a progress callback asked to stop
    /// (`EXEC_ECANCELED`).
    Cancelled,
}

impl ErrorKind {
    /// The kind of a negative `EXEC_E*` code; None for `EXEC_OK` and codes
    /// this crate does not know.
    pub fn from_code(code: c_int) -> Option<ErrorKind> {
        Some(match code {
            sys::EXEC_EINVAL => ErrorKind::InvalidArgument,
            sys::EXEC_ENOTFOUND => ErrorKind::NotFound,
            sys::EXEC_EEXIST => ErrorKind::AlreadyExists,
            sys::EXEC_ESTATE => ErrorKind::InvalidState,
            sys::EXEC_ERUNTIME => ErrorKind::Runtime,
            sys::EXEC_ETIMEDOUT => ErrorKind::TimedOut,
            sys::EXEC_ECLOSED => ErrorKind::Closed,
            sys::EXEC_ESYS => ErrorKind::System,
            sys::EXEC_EINTERNAL => ErrorKind::Internal,
            sys::EXEC_ENOTSUP => ErrorKind::NotSupported,
            sys::EXEC_ECANCELED => ErrorKind::Cancelled,
            _ => return None,
        })
    }

    /// The `EXEC_E*` code of this kind.
    pub fn code(self) -> c_int {
        match self {
            ErrorKind::InvalidArgument => sys::EXEC_EINVAL,
            ErrorKind::NotFound => sys::EXEC_ENOTFOUND,
            ErrorKind::AlreadyExists => sys::EXEC_EEXIST,
            ErrorKind::InvalidState => sys::EXEC_ESTATE,
            ErrorKind::Runtime => sys::EXEC_ERUNTIME,
            ErrorKind::TimedOut => sys::EXEC_ETIMEDOUT,
            ErrorKind::Closed => sys::EXEC_ECLOSED,
            ErrorKind::System => sys::EXEC_ESYS,
            ErrorKind::Internal => sys::EXEC_EINTERNAL,
            ErrorKind::NotSupported => sys::EXEC_ENOTSUP,
            ErrorKind::Cancelled => sys::EXEC_ECANCELED,
        }
    }

    fn description(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::InvalidState => "invalid state",
            ErrorKind::Runtime => "runtime failed",
            ErrorKind::TimedOut => "timed out",
            ErrorKind::Closed => "handle closed",
            ErrorKind::System => "system call failed",
            ErrorKind::Internal => "internal error",
            ErrorKind::NotSupported => "not supported",
            ErrorKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// An error of the library: its kind and the library's message.
///
/// ```no_run
/// # fn f(runtime: &execution::Runtime) -> Result<(), execution::Error> {
/// use execution::ErrorKind;
/// match runtime.load("job-1") {
///     Ok(c) => println!("found {}", c.id()),
///     Err(e) if e.kind() == ErrorKind::NotFound => println!("gone"),
///     Err(e) => return Err(e),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The error for a non-zero result code `code`, with the calling
    /// thread's `exec_last_error()` message. Call it right after the failing
    /// call, on the same thread.
    pub fn last(code: c_int) -> Error {
        let message = unsafe { CStr::from_ptr(sys::exec_last_error()) }
            .to_string_lossy()
            .into_owned();
        match ErrorKind::from_code(code) {
            Some(kind) => Error { kind, message },
            None => Error {
                kind: ErrorKind::Internal,
                message: format!("unknown result code {code}: {message}"),
            },
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The library's message ("" when it gave none).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `EXEC_E*` code of this error.
    pub fn code(&self) -> c_int {
        self.kind.code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.description();
        if self.message.is_empty() {
            f.write_str(kind)
        } else if self.message.starts_with(kind) {
            f.write_str(&self.message)
        } else {
            write!(f, "{kind}: {}", self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// An `io::Error` of the nearest [`std::io::ErrorKind`] (NotFound,
    /// AlreadyExists, TimedOut, InvalidInput, Unsupported, else Other)
    /// carrying this error, so `?` works in functions returning `io::Result`.
    ///
    /// ```
    /// use execution::{Error, ErrorKind};
    /// fn open() -> std::io::Result<()> {
    ///     Err(Error::new(ErrorKind::NotFound, "no such container"))?
    /// }
    /// let e = open().unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    /// let inner = e.get_ref().and_then(|e| e.downcast_ref::<Error>()).unwrap();
    /// assert_eq!(inner.kind(), ErrorKind::NotFound);
    /// ```
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind as Io;
        let kind = match e.kind {
            ErrorKind::NotFound => Io::NotFound,
            ErrorKind::AlreadyExists => Io::AlreadyExists,
            ErrorKind::TimedOut => Io::TimedOut,
            ErrorKind::InvalidArgument => Io::InvalidInput,
            ErrorKind::NotSupported => Io::Unsupported,
            ErrorKind::Cancelled => Io::Interrupted,
            _ => Io::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// Turns a result code into a Result, fetching the message on failure.
pub(crate) fn check(code: c_int) -> Result<(), Error> {
    if code == sys::EXEC_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}

/// A C string of `value`; an interior NUL is an InvalidArgument naming `what`.
pub(crate) fn cstring(what: &str, value: impl Into<Vec<u8>>) -> Result<CString, Error> {
    CString::new(value).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("{what} contains a NUL byte"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_its_kind_and_back() {
        for code in sys::EXEC_ECANCELED..=sys::EXEC_EINVAL {
            let kind = ErrorKind::from_code(code).expect("a kind for every EXEC_E* code");
            assert_eq!(kind.code(), code);
        }
        assert_eq!(ErrorKind::from_code(sys::EXEC_OK), None);
        assert_eq!(ErrorKind::from_code(-12), None);
        assert_eq!(
            ErrorKind::from_code(sys::EXEC_EINTERNAL),
            Some(ErrorKind::Internal)
        );
    }

    #[test]
    fn display_names_the_kind_once() {
        let e = Error::new(ErrorKind::NotFound, "container \"x\" not found");
        assert_eq!(e.to_string(), "not found: container \"x\" not found");
        let e = Error::new(ErrorKind::NotFound, "not found: x");
        assert_eq!(e.to_string(), "not found: x");
        let e = Error::new(ErrorKind::TimedOut, "");
        assert_eq!(e.to_string(), "timed out");
    }

    #[test]
    fn nul_bytes_are_invalid_arguments() {
        let e = cstring("container id", "a\0b").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert_eq!(e.message(), "container id contains a NUL byte");
    }
}
