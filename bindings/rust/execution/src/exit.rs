//! How a container's init or an exec'd process ended, and wait timeouts.

use std::ffi::c_int;
use std::fmt;
use std::time::Duration;

use crate::sys;

/// How a container's init or an exec'd process ended.
///
/// It compares with an `i32` as its [`status`](Self::status), converts
/// into one, and into a [`std::process::ExitStatus`] for code written
/// against `std::process`:
///
/// ```
/// use std::os::unix::process::ExitStatusExt;
/// # let exit = execution::Exit::from(execution::sys::exec_exit {
/// #     status: 137, code: -1, signal: 9, ..execution::sys::EXEC_EXIT_INIT });
/// // let exit = container.wait(None)?;
/// assert!(exit == 137 && !exit.success());
/// assert_eq!(exit.signal, Some(9));
/// let status = std::process::ExitStatus::from(exit);
/// assert_eq!((status.code(), status.signal()), (None, Some(9)));
/// assert_eq!(i32::from(exit), 137);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Exit {
    /// The exit code for a normal exit, 128 + signal for a signaled one, as
    /// shells report it.
    pub status: i32,
    /// The exit code; None when a signal ended the process.
    pub code: Option<i32>,
    /// The signal that ended the process; None for a normal exit.
    pub signal: Option<i32>,
    /// Whether a core was dumped.
    pub core_dumped: bool,
    /// Whether the kernel's OOM killer killed: for a container, any of its
    /// processes while its init ran; for an exec'd process, that process.
    pub oom_killed: bool,
}

impl Exit {
    /// Whether the process exited normally with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl PartialEq<i32> for Exit {
    /// Compares the [`status`](Exit::status): `exit == 0` is a success.
    fn eq(&self, status: &i32) -> bool {
        self.status == *status
    }
}

impl From<Exit> for i32 {
    /// The [`status`](Exit::status): the code, or 128 + signal.
    fn from(exit: Exit) -> i32 {
        exit.status
    }
}

impl From<Exit> for std::process::ExitStatus {
    /// The wait status `std::process` reads: its `code()`, `signal()` and
    /// `core_dumped()` answer as the exit's.
    fn from(exit: Exit) -> std::process::ExitStatus {
        use std::os::unix::process::ExitStatusExt;
        let raw = match (exit.code, exit.signal) {
            (_, Some(signal)) => (signal & 0x7f) | if exit.core_dumped { 0x80 } else { 0 },
            (Some(code), None) => (code & 0xff) << 8,
            (None, None) => (exit.status & 0xff) << 8,
        };
        std::process::ExitStatus::from_raw(raw)
    }
}

impl From<sys::exec_exit> for Exit {
    fn from(raw: sys::exec_exit) -> Exit {
        let signaled = raw.signal != 0;
        Exit {
            status: raw.status,
            code: (!signaled && raw.code >= 0).then_some(raw.code),
            signal: signaled.then_some(raw.signal),
            core_dumped: raw.core_dumped != 0,
            oom_killed: raw.oom_killed != 0,
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}")?,
            (None, Some(signal)) => write!(f, "killed by signal {signal}")?,
            (None, None) => write!(f, "exit status {}", self.status)?,
        }
        if self.core_dumped {
            f.write_str(" (core dumped)")?;
        }
        if self.oom_killed {
            f.write_str(" (OOM killed)")?;
        }
        Ok(())
    }
}

/// The `timeout_ms` of a wait: -1 (forever) for None, else the duration in
/// milliseconds, rounded up so that a short non-zero timeout does not poll,
/// and capped at `c_int::MAX`.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            c_int::try_from(ms).unwrap_or(c_int::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_convert_from_the_raw_struct() {
        let normal = Exit::from(sys::exec_exit {
            status: 3,
            code: 3,
            ..sys::EXEC_EXIT_INIT
        });
        assert_eq!(
            normal,
            Exit {
                status: 3,
                code: Some(3),
                signal: None,
                core_dumped: false,
                oom_killed: false,
            }
        );
        assert!(!normal.success());
        assert_eq!(normal.to_string(), "exit code 3");

        let killed = Exit::from(sys::exec_exit {
            status: 137,
            code: -1,
            signal: 9,
            oom_killed: 1,
            ..sys::EXEC_EXIT_INIT
        });
        assert_eq!(
            killed,
            Exit {
                status: 137,
                code: None,
                signal: Some(9),
                core_dumped: false,
                oom_killed: true,
            }
        );
        assert_eq!(killed.to_string(), "killed by signal 9 (OOM killed)");

        let dumped = Exit::from(sys::exec_exit {
            status: 139,
            code: -1,
            signal: 11,
            core_dumped: 1,
            ..sys::EXEC_EXIT_INIT
        });
        assert!(dumped.core_dumped);
        assert_eq!(dumped.to_string(), "killed by signal 11 (core dumped)");

        assert!(Exit::from(sys::EXEC_EXIT_INIT).success());
    }

    #[test]
    fn timeouts_convert_to_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1500))), 1500);
        assert_eq!(timeout_ms(Some(Duration::from_secs(u64::MAX))), c_int::MAX);
    }
}
