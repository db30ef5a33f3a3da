//! The library's diagnostics: [`set_logger`], and with the `log` feature
//! [`log_to_log_crate`].

use std::ffi::{c_char, c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, RwLock};

use crate::error::{check, Error};
use crate::sys;

/// Severity of one of the library's diagnostic messages, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum LogLevel {
    /// A fault the library could not hide: an exit status became unknown,
    /// a monitor could not be reached again.
    Error = 1,
    /// A fault worked around or reported by an [`Error`]: a failed runtime
    /// call with what the runtime wrote, a monitor found gone and another
    /// used, a full event stream, exits or log messages dropped.
    Warn = 2,
    /// A monitor started (its pid and root), a message sent again to a new
    /// monitor.
    Info = 3,
    /// Each line the runtime logged in a create, run or exec that succeeded.
    Debug = 4,
}

impl LogLevel {
    /// The level of an `EXEC_LOG_*` value; a value the library may add later
    /// counts as [`LogLevel::Debug`].
    fn from_raw(level: c_int) -> LogLevel {
        match level {
            sys::EXEC_LOG_ERROR => LogLevel::Error,
            sys::EXEC_LOG_WARN => LogLevel::Warn,
            sys::EXEC_LOG_INFO => LogLevel::Info,
            _ => LogLevel::Debug,
        }
    }
}

type Receiver = Arc<dyn Fn(LogLevel, &str) + Send + Sync + 'static>;

/// The closure the library's messages go to.
static RECEIVER: RwLock<Option<Receiver>> = RwLock::new(None);

/// The `exec_log_fn`: hands one message to the current closure, holding no
/// lock while it runs; a panic in it goes no further.
unsafe extern "C" fn receive(level: c_int, message: *const c_char, _payload: *mut c_void) {
    let receiver = match RECEIVER.read() {
        Ok(r) => r.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let (Some(receiver), false) = (receiver, message.is_null()) else {
        return;
    };
    // SAFETY: the library passes a NUL-terminated string valid for this call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        receiver(LogLevel::from_raw(level), &text)
    }));
}

fn store(receiver: Option<Receiver>) {
    match RECEIVER.write() {
        Ok(mut r) => *r = receiver,
        Err(poisoned) => *poisoned.into_inner() = receiver,
    }
}

/// Sends the library's diagnostics up to `max_level` to `receiver`, for the
/// whole process, in place of any receiver set before.
///
/// `receiver` runs on one thread of the library's, one message at a time,
/// in the order the messages were made, while the library holds no lock:
/// it may call into the library, `set_logger` included. It should return
/// soon: messages wait in a queue of 1024, beyond which they are dropped
/// and the number dropped is delivered as a [`LogLevel::Warn`] message. A
/// panic in it is caught and ignored.
///
/// ```no_run
/// use execution::LogLevel;
///
/// execution::set_logger(LogLevel::Info, |level, message| {
///     eprintln!("libexecution {level:?}: {message}");
/// })?;
/// # Ok::<(), execution::Error>(())
/// ```
pub fn set_logger<F>(max_level: LogLevel, receiver: F) -> Result<(), Error>
where
    F: Fn(LogLevel, &str) + Send + Sync + 'static,
{
    store(Some(Arc::new(receiver)));
    // SAFETY: receive is an exec_log_fn that lives for the whole program.
    check(unsafe { sys::exec_log_set(Some(receive), max_level as c_int, std::ptr::null_mut()) })
}

/// Turns the library's diagnostics off: once it returns, the receiver set
/// by [`set_logger`] is not called again (unless called from inside it, when
/// the call under way ends as usual).
pub fn clear_logger() -> Result<(), Error> {
    // SAFETY: a NULL receiver turns the hook off.
    let rc = unsafe { sys::exec_log_set(None, 0, std::ptr::null_mut()) };
    store(None);
    check(rc)
}

/// Sends the library's diagnostics to the [`log`](::log) crate's logger,
/// with the target `"execution"`, up to the level [`log::max_level`] allows
/// now (nothing when it is `Off`): Error, Warn, Info and Debug map to the
/// crate's levels of the same name. Call it after installing the logger,
/// and again after raising its maximum level.
///
/// ```no_run
/// // After env_logger::init() or any other logger:
/// execution::log_to_log_crate()?;
/// # Ok::<(), execution::Error>(())
/// ```
#[cfg(feature = "log")]
#[cfg_attr(docsrs, doc(cfg(feature = "log")))]
pub fn log_to_log_crate() -> Result<(), Error> {
    let max_level = match ::log::max_level() {
        ::log::LevelFilter::Off => return clear_logger(),
        ::log::LevelFilter::Error => LogLevel::Error,
        ::log::LevelFilter::Warn => LogLevel::Warn,
        ::log::LevelFilter::Info => LogLevel::Info,
        ::log::LevelFilter::Debug | ::log::LevelFilter::Trace => LogLevel::Debug,
    };
    set_logger(max_level, |level, message| {
        let level = match level {
            LogLevel::Error => ::log::Level::Error,
            LogLevel::Warn => ::log::Level::Warn,
            LogLevel::Info => ::log::Level::Info,
            LogLevel::Debug => ::log::Level::Debug,
        };
        ::log::logger().log(
            &::log::Record::builder()
                .level(level)
                .target("execution")
                .args(format_args!("{message}"))
                .build(),
        );
    })
}
