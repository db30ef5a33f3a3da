//! The lifecycle events of a runtime's root.

use std::ffi::{c_int, CStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::ptr::NonNull;
use std::time::Duration;

use crate::error::{check, Error, ErrorKind};
use crate::exit::{timeout_ms, Exit};
use crate::sys;

/// What an [`Event`] reports, with the values of `exec_event_type`; see
/// [`Event`] for a match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A container was created.
    Created,
    /// A container was started.
    Started,
    /// A container was paused.
    Paused,
    /// A paused container was resumed.
    Resumed,
    /// A container's init exited; [`Event::exit`] says how.
    Exited,
    /// The OOM killer killed a process of the container; an exit it
    /// caused follows and names the process.
    Oom,
    /// A container was deleted.
    Deleted,
    /// A process was exec'd in a container.
    ExecAdded,
    /// An exec'd process exited; [`Event::exit`] says how.
    ProcessExited,
    /// The stream was full: [`Event::dropped`] events were lost here.
    Overflow,
    /// A type this binding does not know (from a newer library).
    Other(i32),
}

impl From<c_int> for EventKind {
    fn from(raw: c_int) -> EventKind {
        match raw {
            sys::EXEC_EVENT_CREATED => EventKind::Created,
            sys::EXEC_EVENT_STARTED => EventKind::Started,
            sys::EXEC_EVENT_PAUSED => EventKind::Paused,
            sys::EXEC_EVENT_RESUMED => EventKind::Resumed,
            sys::EXEC_EVENT_EXITED => EventKind::Exited,
            sys::EXEC_EVENT_OOM => EventKind::Oom,
            sys::EXEC_EVENT_DELETED => EventKind::Deleted,
            sys::EXEC_EVENT_EXEC_ADDED => EventKind::ExecAdded,
            sys::EXEC_EVENT_PROCESS_EXITED => EventKind::ProcessExited,
            sys::EXEC_EVENT_OVERFLOW => EventKind::Overflow,
            other => EventKind::Other(other),
        }
    }
}

/// One lifecycle event of a root.
///
/// ```no_run
/// # fn f(events: &execution::Events) -> Result<(), execution::Error> {
/// use execution::EventKind;
/// let event = events.next(None)?;
/// match event.kind {
///     EventKind::Exited => println!("{} exited: {:?}", event.container_id, event.exit),
///     EventKind::Overflow => println!("{} events lost", event.dropped),
///     other => println!("{} {other:?}", event.container_id),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The container's id; empty for [`EventKind::Overflow`].
    pub container_id: String,
    /// The exec'd process's id; empty for a container's own events.
    pub process_id: String,
    /// The host pid of the process that exited or was OOM-killed, else 0.
    pub pid: i32,
    /// When it was published: CLOCK_MONOTONIC, in nanoseconds.
    pub time_ns: u64,
    /// How it ended, for the exit events.
    pub exit: Option<Exit>,
    /// How many events were lost, for [`EventKind::Overflow`].
    pub dropped: u64,
}

fn text(ptr: *const std::ffi::c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

impl Event {
    fn from_raw(raw: &sys::exec_event) -> Event {
        let kind = EventKind::from(raw.type_);
        let exited = matches!(kind, EventKind::Exited | EventKind::ProcessExited);
        Event {
            kind,
            container_id: text(raw.container_id),
            process_id: text(raw.process_id),
            pid: raw.pid,
            time_ns: raw.time_ns,
            exit: exited.then(|| raw.exit.into()),
            dropped: raw.dropped,
        }
    }
}

/// A stream of every lifecycle event of a root, every library process's
/// included, from its opening on: [`crate::Runtime::events`].
///
/// Events come in the order the root's monitor published them. A reader
/// that falls behind by the stream's capacity loses the newest events, and
/// an [`EventKind::Overflow`] event says how many. Its fd ([`AsFd`]) polls
/// readable while [`Events::next`] has an event. Dropping it closes the
/// stream and the fd.
///
/// ```no_run
/// # fn f(runtime: &execution::Runtime) -> Result<(), execution::Error> {
/// let events = runtime.events(0)?;
/// for event in &events {
///     let event = event?;
///     println!("{:?} {} {}", event.kind, event.container_id, event.process_id);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Events {
    raw: NonNull<sys::exec_events>,
    fd: RawFd,
    /// The fd registered with tokio's reactor, once an async read asked.
    #[cfg(feature = "tokio")]
    pub(crate) watch: crate::tokio::Watch,
}

// The C ABI allows every call from any thread, concurrently, on one handle.
unsafe impl Send for Events {}
unsafe impl Sync for Events {}

impl Events {
    pub(crate) unsafe fn from_raw(raw: NonNull<sys::exec_events>) -> Result<Events, Error> {
        let mut fd: c_int = -1;
        if let Err(e) = check(sys::exec_events_fd(raw.as_ptr(), &mut fd)) {
            sys::exec_events_free(raw.as_ptr());
            return Err(e);
        }
        Ok(Events {
            raw,
            fd,
            #[cfg(feature = "tokio")]
            watch: Default::default(),
        })
    }

    /// The next event: waiting forever with None, polling with
    /// `Some(Duration::ZERO)`.
    ///
    /// Errors: TimedOut (no event came), System (the monitor was lost; the
    /// stream ends after the events it held).
    pub fn next(&self, timeout: Option<Duration>) -> Result<Event, Error> {
        let mut raw = sys::EXEC_EVENT_INIT;
        check(unsafe { sys::exec_events_next(self.raw.as_ptr(), timeout_ms(timeout), &mut raw) })?;
        Ok(Event::from_raw(&raw))
    }

    /// The next event if one is queued, without waiting.
    pub fn try_next(&self) -> Result<Option<Event>, Error> {
        match self.next(Some(Duration::ZERO)) {
            Err(e) if e.kind() == ErrorKind::TimedOut => Ok(None),
            other => other.map(Some),
        }
    }
}

impl Iterator for &Events {
    type Item = Result<Event, Error>;

    /// Blocks for the next event; ends only with an error.
    fn next(&mut self) -> Option<Self::Item> {
        Some(Events::next(self, None))
    }
}

impl AsFd for Events {
    fn as_fd(&self) -> BorrowedFd<'_> {
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }
}

impl AsRawFd for Events {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        // Off the reactor before the library closes the fd.
        #[cfg(feature = "tokio")]
        drop(std::mem::take(&mut self.watch));
        unsafe { sys::exec_events_free(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").field("fd", &self.fd).finish()
    }
}
