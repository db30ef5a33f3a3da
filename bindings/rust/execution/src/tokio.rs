//! Waits and events on a tokio runtime, with no thread per wait (feature
//! `tokio`): the exit fds and the event fd are polled by tokio's reactor.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::error::{Error, ErrorKind};
use crate::events::{Event, Events};
use crate::exit::Exit;
use crate::{Container, Process};

/// An fd the library owns, registered with tokio's reactor (never closed
/// by it).
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

fn system(e: io::Error) -> Error {
    Error::new(ErrorKind::System, format!("tokio reactor: {e}"))
}

fn register(fd: BorrowedFd<'_>) -> Result<AsyncFd<Borrowed>, Error> {
    // SAFETY: the fd stays open while registered: every AsyncFd made here
    // lives no longer than the borrow of the handle that owns the fd.
    unsafe { AsyncFd::register_with_interest(Borrowed(fd.as_raw_fd()), Interest::READABLE) }
        .map_err(|e| system(e.into()))
}

/// Returns once fd polls readable.
async fn readable(fd: BorrowedFd<'_>) -> Result<(), Error> {
    let fd = register(fd)?;
    let _ready = fd.readable().await.map_err(system)?;
    Ok(())
}

impl Container {
    /// Waits for the init process to exit on the tokio reactor, with no
    /// thread: [`Container::wait`] for async code. Bound it with
    /// `tokio::time::timeout`.
    pub async fn wait_async(&self) -> Result<Exit, Error> {
        readable(self.exit_fd()?).await?;
        self.wait(Some(std::time::Duration::ZERO))
    }
}

impl Process {
    /// Waits for the process to exit on the tokio reactor, with no thread:
    /// [`Process::wait`] for async code.
    pub async fn wait_async(&self) -> Result<Exit, Error> {
        readable(self.exit_fd()?).await?;
        self.wait(Some(std::time::Duration::ZERO))
    }
}

impl Events {
    /// The stream's events as a [`Stream`] on the tokio reactor: it never
    /// ends by itself, and yields an error once the monitor is lost.
    pub fn stream(&self) -> Result<EventStream<'_>, Error> {
        Ok(EventStream {
            events: self,
            fd: register(std::os::fd::AsFd::as_fd(self))?,
        })
    }
}

/// The events of an [`Events`] as a `futures_core::Stream` (feature
/// `tokio`), from [`Events::stream`].
pub struct EventStream<'a> {
    events: &'a Events,
    fd: AsyncFd<Borrowed>,
}

impl Stream for EventStream<'_> {
    type Item = Result<Event, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let mut guard = match ready!(self.fd.poll_read_ready(cx)) {
                Ok(guard) => guard,
                Err(e) => return Poll::Ready(Some(Err(system(e)))),
            };
            match self.events.try_next() {
                Ok(Some(event)) => return Poll::Ready(Some(Ok(event))),
                Err(e) => return Poll::Ready(Some(Err(e))),
                // Drained: the library's next event writes the fd again.
                Ok(None) => guard.clear_ready(),
            }
        }
    }
}
