//! The tokio API (feature `tokio`): waits and events on tokio's reactor with
//! no thread per wait, lifecycle calls on tokio's blocking pool, and the
//! pipes as `AsyncRead`/`AsyncWrite`.
//!
//! Each library fd (an exit fd, an event fd) is registered with the reactor
//! once, on its first async use, and every task awaiting it shares that
//! registration, so any number of tasks may wait on one handle. The
//! registration belongs to the tokio runtime that made it: use a handle's
//! async calls from one tokio runtime.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::net::unix::pipe;

use crate::container::{new_process_id, ExecArgs};
use crate::error::{check, cstring, Error, ErrorKind};
use crate::events::{Event, Events};
use crate::exit::Exit;
use crate::guard::{Discard, Guard};
use crate::handle::{Handle, Raw};
use crate::io::Io;
use crate::runtime::{make_container, path_cstring, MakeFn};
use crate::{sys, Container, Process, ProcessSpec, Runtime};

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

/// One library fd's registration with the reactor, made on first use and
/// shared by every task awaiting the fd. Its owner drops it before the
/// library closes the fd.
#[derive(Default)]
pub(crate) struct Watch {
    fd: OnceLock<AsyncFd<Borrowed>>,
    registering: Mutex<()>,
}

impl Watch {
    fn get(&self, fd: BorrowedFd<'_>) -> Result<&AsyncFd<Borrowed>, Error> {
        if let Some(registered) = self.fd.get() {
            return Ok(registered);
        }
        let _one_at_a_time = self.registering.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(registered) = self.fd.get() {
            return Ok(registered);
        }
        // SAFETY: the fd stays open while registered: its owner drops this
        // Watch before the library closes the fd.
        let registered = unsafe {
            AsyncFd::register_with_interest(Borrowed(fd.as_raw_fd()), Interest::READABLE)
        }
        .map_err(|e| system(e.into()))?;
        Ok(self.fd.get_or_init(|| registered))
    }

    /// Returns once `fd` polls readable; any number of tasks at once.
    async fn readable(&self, fd: BorrowedFd<'_>) -> Result<(), Error> {
        drop(self.get(fd)?.readable().await.map_err(system)?);
        Ok(())
    }
}

impl<T: Raw> Handle<T> {
    async fn wait_async(&self) -> Result<Exit, Error> {
        self.watch.readable(self.exit_fd()?).await?;
        self.wait(Some(std::time::Duration::ZERO))
    }

    fn receiver(&self, stream: std::ffi::c_int) -> Result<pipe::Receiver, Error> {
        pipe::Receiver::from_owned_fd(self.stdio(stream)?).map_err(system)
    }

    fn sender(&self) -> Result<pipe::Sender, Error> {
        pipe::Sender::from_owned_fd(self.stdio(sys::EXEC_STDIN)?).map_err(system)
    }
}

/// The tokio pipe takers of a container's init or an exec'd process, the
/// same for both; each end is handed over once, here or by its `take_*`.
macro_rules! async_pipes {
    () => {
        /// Takes the read end of a piped standard output as a tokio
        /// `AsyncRead`; once. Call it on a tokio runtime.
        ///
        /// ```no_run
        /// # async fn f(c: &execution::Container) -> Result<(), Box<dyn std::error::Error>> {
        /// use tokio::io::AsyncReadExt;
        /// use execution::{Io, ProcessSpec, Stdio};
        /// let p = c.exec_async(&ProcessSpec::new(["uname"]), Io::new().stdout(Stdio::Pipe)).await?;
        /// let mut out = String::new();
        /// p.take_stdout_async()?.read_to_string(&mut out).await?;
        /// p.wait_async().await?;
        /// # Ok(())
        /// # }
        /// ```
        pub fn take_stdout_async(&self) -> Result<pipe::Receiver, Error> {
            self.h.receiver(sys::EXEC_STDOUT)
        }

        /// Takes the read end of a piped standard error as a tokio
        /// `AsyncRead`; once. Call it on a tokio runtime.
        pub fn take_stderr_async(&self) -> Result<pipe::Receiver, Error> {
            self.h.receiver(sys::EXEC_STDERR)
        }

        /// Takes the write end of a piped standard input as a tokio
        /// `AsyncWrite`; once. Call it on a tokio runtime.
        pub fn take_stdin_async(&self) -> Result<pipe::Sender, Error> {
            self.h.sender()
        }
    };
}

/// A raw handle sent to a blocking-pool thread. The C ABI looks every
/// handle up in a registry: one freed meanwhile yields Closed, never a crash.
struct SendPtr<T>(*mut T);

unsafe impl<T> Send for SendPtr<T> {}

impl<T> SendPtr<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}

/// Runs the blocking `f` on tokio's blocking pool. If the awaiting future
/// is dropped, `f` still runs to its end and its result is dropped there:
/// a [`Guard`] it returns then deletes what it made.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::new(
            ErrorKind::Internal,
            format!("blocking call: {e}"),
        )),
    }
}

/// [`blocking`] for a call that makes a container or a process, guarded
/// until it is handed to the caller.
async fn making<T: Discard + Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let guard = blocking(move || f().map(Guard::new)).await?;
    Ok(guard.into_inner())
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl Runtime {
    /// [`create`](Runtime::create) on tokio's blocking pool, so the reactor
    /// keeps running. Dropping the future before it completes (a cancelled
    /// task, a timeout) still completes the runtime call, and the
    /// container it made is deleted there: nothing is left behind.
    /// Borrowed fds in `io` are duplicated for the call.
    pub async fn create_async(
        &self,
        id: &str,
        bundle: impl AsRef<Path>,
        io: Io<'_>,
    ) -> Result<Container, Error> {
        self.make_async(sys::exec_container_create, id, bundle.as_ref(), io)
            .await
    }

    /// [`run`](Runtime::run) on tokio's blocking pool; as
    /// [`create_async`](Self::create_async) (a dropped future's container
    /// is killed and deleted).
    ///
    /// ```no_run
    /// # async fn f(runtime: &execution::Runtime) -> Result<(), execution::Error> {
    /// use execution::Io;
    /// let c = runtime.run_async("job-1", "/srv/bundle", Io::new()).await?;
    /// let (a, b) = tokio::join!(c.wait_async(), c.wait_async()); // one handle, two waiters
    /// assert_eq!(a?, b?);
    /// c.delete_async(false).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run_async(
        &self,
        id: &str,
        bundle: impl AsRef<Path>,
        io: Io<'_>,
    ) -> Result<Container, Error> {
        self.make_async(sys::exec_container_run, id, bundle.as_ref(), io)
            .await
    }

    async fn make_async(
        &self,
        make: MakeFn,
        id: &str,
        bundle: &Path,
        io: Io<'_>,
    ) -> Result<Container, Error> {
        let id = cstring("container id", id)?;
        let bundle = path_cstring("bundle", bundle)?;
        let io = io.into_owned()?;
        let rt = SendPtr(self.as_raw());
        making(move || make_container(rt.get(), make, &id, &bundle, &io)).await
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl Container {
    /// Waits for the init process to exit on the tokio reactor, with no
    /// thread: [`Container::wait`] for async code. Any number of tasks may
    /// await one container at once: the first registers the exit fd with
    /// the reactor of the tokio runtime it runs on, and the others share
    /// that registration, so await a handle from one tokio runtime. Bound
    /// it with `tokio::time::timeout`.
    pub async fn wait_async(&self) -> Result<Exit, Error> {
        self.h.wait_async().await
    }

    /// [`exec`](Container::exec) on tokio's blocking pool, so the reactor
    /// keeps running. Dropping the future before it completes still
    /// completes the runtime call, and the process it started is killed
    /// and deleted there.
    pub async fn exec_async(&self, spec: &ProcessSpec, io: Io<'_>) -> Result<Process, Error> {
        self.exec_with_id_async(&new_process_id(), spec, io).await
    }

    /// [`exec_with_id`](Container::exec_with_id) on tokio's blocking pool;
    /// as [`exec_async`](Self::exec_async).
    pub async fn exec_with_id_async(
        &self,
        process_id: &str,
        spec: &ProcessSpec,
        io: Io<'_>,
    ) -> Result<Process, Error> {
        let args = ExecArgs::new(process_id, spec)?;
        let io = io.into_owned()?;
        let c = SendPtr(self.as_raw());
        making(move || args.exec(c.get(), &io)).await
    }

    /// [`start`](Container::start) on tokio's blocking pool; a dropped
    /// future does not stop the start.
    pub async fn start_async(&self) -> Result<(), Error> {
        self.call_async(|c| unsafe { sys::exec_container_start(c) })
            .await
    }

    /// [`pause`](Container::pause) on tokio's blocking pool.
    pub async fn pause_async(&self) -> Result<(), Error> {
        self.call_async(|c| unsafe { sys::exec_container_pause(c) })
            .await
    }

    /// [`resume`](Container::resume) on tokio's blocking pool.
    pub async fn resume_async(&self) -> Result<(), Error> {
        self.call_async(|c| unsafe { sys::exec_container_resume(c) })
            .await
    }

    /// [`delete`](Container::delete) on tokio's blocking pool; a dropped
    /// future does not stop the delete.
    pub async fn delete_async(&self, force: bool) -> Result<(), Error> {
        let force = std::ffi::c_int::from(force);
        self.call_async(move |c| unsafe { sys::exec_container_delete(c, force) })
            .await
    }

    async fn call_async(
        &self,
        call: impl FnOnce(*mut sys::exec_container) -> std::ffi::c_int + Send + 'static,
    ) -> Result<(), Error> {
        let c = SendPtr(self.as_raw());
        blocking(move || check(call(c.get()))).await
    }

    async_pipes!();
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl Process {
    /// Waits for the process to exit on the tokio reactor, with no thread:
    /// [`Process::wait`] for async code. Any number of tasks may await one
    /// process at once, from one tokio runtime (as
    /// [`Container::wait_async`]).
    pub async fn wait_async(&self) -> Result<Exit, Error> {
        self.h.wait_async().await
    }

    /// [`delete`](Process::delete) on tokio's blocking pool.
    pub async fn delete_async(&self) -> Result<(), Error> {
        let p = SendPtr(self.as_raw());
        blocking(move || check(unsafe { sys::exec_process_delete(p.get()) })).await
    }

    async_pipes!();
}

#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
impl Events {
    /// The next event, awaited on the tokio reactor. Several tasks may
    /// await one stream: each event goes to one of them.
    pub async fn next_async(&self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.try_next()? {
                return Ok(event);
            }
            let fd = self.watch.get(self.as_fd())?;
            let mut ready = fd.readable().await.map_err(system)?;
            if let Some(event) = self.try_next()? {
                return Ok(event);
            }
            // Drained: the library's next event makes the fd readable again.
            ready.clear_ready();
        }
    }

    /// The stream's events as a [`Stream`] on the tokio reactor: it never
    /// ends by itself, and yields an error once the monitor is lost.
    /// Several streams may read one `Events` at once.
    pub fn stream(&self) -> Result<EventStream<'_>, Error> {
        Ok(EventStream {
            events: self,
            next: None,
        })
    }
}

/// The events of an [`Events`] as a `futures_core::Stream` (feature
/// `tokio`), from [`Events::stream`].
///
/// ```no_run
/// # async fn f(runtime: &execution::Runtime) -> Result<(), execution::Error> {
/// use std::pin::Pin;
/// use futures_core::Stream;
/// let events = runtime.events(0)?;
/// let mut stream = events.stream()?;
/// while let Some(event) = std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
///     println!("{:?}", event?.kind);
/// }
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub struct EventStream<'a> {
    events: &'a Events,
    next: Option<NextEvent<'a>>,
}

/// The pending [`Events::next_async`] of an [`EventStream`].
type NextEvent<'a> = Pin<Box<dyn Future<Output = Result<Event, Error>> + Send + 'a>>;

impl Stream for EventStream<'_> {
    type Item = Result<Event, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let events = this.events;
        let next = this
            .next
            .get_or_insert_with(|| Box::pin(events.next_async()));
        let event = std::task::ready!(next.as_mut().poll(cx));
        this.next = None;
        Poll::Ready(Some(event))
    }
}

impl std::fmt::Debug for EventStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("events", &self.events)
            .finish()
    }
}
