//! Warm pools: containers of one bundle created ahead, started on take.

use std::fmt;
use std::path::PathBuf;
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::container::Container;
use crate::error::{check, cstring, Error, ErrorKind};
use crate::exit::timeout_ms;
use crate::io::Io;
use crate::runtime::{non_null, opt_ptr, path_cstring};
use crate::sys;

/// Options of [`Runtime::pool`](crate::Runtime::pool), built from the one
/// required setting, the bundle.
///
/// ```
/// use execution::{Io, PoolOptions, Stdio};
/// let opts = PoolOptions::new("/srv/bundle")
///     .size(4)
///     .io(Io::new().stdout(Stdio::Pipe))
///     .id_prefix("job-");
/// # let _ = opts;
/// ```
#[derive(Debug)]
#[must_use]
pub struct PoolOptions<'fd> {
    bundle: PathBuf,
    size: u32,
    io: Io<'fd>,
    id_prefix: Option<String>,
    concurrency: u32,
}

impl<'fd> PoolOptions<'fd> {
    /// A pool of one container of `bundle`, its streams on /dev/null.
    pub fn new(bundle: impl Into<PathBuf>) -> PoolOptions<'fd> {
        PoolOptions {
            bundle: bundle.into(),
            size: 1,
            io: Io::new(),
            id_prefix: None,
            concurrency: 0,
        }
    }

    /// How many created containers the pool keeps ready (at least 1).
    pub fn size(mut self, size: u32) -> PoolOptions<'fd> {
        self.size = size;
        self
    }

    /// Each container's streams ([`Stdio::Pipe`](crate::Stdio::Pipe) gives
    /// each its own pipes; a merged stderr on a piped stdout is refused); a
    /// given fd is duplicated once, when the pool opens.
    pub fn io(mut self, io: Io<'fd>) -> PoolOptions<'fd> {
        self.io = io;
        self
    }

    /// The beginning of each container's id, which 12 hex digits complete;
    /// the default is "pool-".
    pub fn id_prefix(mut self, prefix: &str) -> PoolOptions<'fd> {
        self.id_prefix = Some(prefix.to_owned());
        self
    }

    /// How many creates refill the pool at once (0: 1).
    pub fn concurrency(mut self, n: u32) -> PoolOptions<'fd> {
        self.concurrency = n;
        self
    }
}

/// A warm pool: containers of one bundle created ahead, so that
/// [`take`](Self::take) only starts one. It refills in the background; a
/// refill that failed (bundle gone, runtime failing) is the error of the
/// next take that finds none ready. Dropping it stops refilling and
/// deletes the containers not taken; taken ones are the caller's.
///
/// ```no_run
/// use execution::{Io, PoolOptions, Runtime, RuntimeOptions, Stdio};
/// use std::time::Duration;
/// let runtime = Runtime::new(RuntimeOptions::new("/run/myapp"))?;
/// let pool = runtime.pool(PoolOptions::new("/srv/bundle").size(4))?;
/// let c = pool.take(Some(Duration::from_secs(5)))?.delete_on_drop();
/// println!("{} exited with {}", c.id(), c.wait(None)?);
/// # Ok::<(), execution::Error>(())
/// ```
pub struct Pool {
    raw: NonNull<sys::exec_pool>,
}

// The C ABI allows every call from any thread, concurrently, on one handle.
unsafe impl Send for Pool {}
unsafe impl Sync for Pool {}

impl Pool {
    /// Opens a pool on runtime `rt`; see [`Runtime::pool`](crate::Runtime::pool).
    pub(crate) fn open(
        rt: *mut sys::exec_runtime,
        options: PoolOptions<'_>,
    ) -> Result<Pool, Error> {
        let bundle = path_cstring("bundle", &options.bundle)?;
        let prefix = options
            .id_prefix
            .map(|p| cstring("id prefix", p))
            .transpose()?;
        let io = options.io.raw()?;
        if io.stdout.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a pool cannot merge stderr into a piped stdout",
            ));
        }
        let mut raw = sys::EXEC_POOL_OPTIONS_INIT;
        check(unsafe { sys::exec_pool_options_init(&mut raw, sys::EXEC_POOL_OPTIONS_VERSION) })?;
        raw.bundle = bundle.as_ptr();
        raw.size = options.size;
        raw.io = &io.raw;
        raw.id_prefix = opt_ptr(prefix.as_ref());
        raw.concurrency = options.concurrency;
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_pool_new(rt, &raw, &mut out) })?;
        Ok(Pool {
            raw: non_null(out)?,
        })
    }

    /// Starts a ready container and hands it over, an ordinary
    /// [`Container`] from then on. `timeout` bounds the wait for a ready
    /// one (None: forever; zero: only one already ready), not the start.
    ///
    /// Errors: TimedOut, or the error of a refill that failed
    /// (InvalidArgument for a bundle gone, Runtime with what it said).
    pub fn take(&self, timeout: Option<Duration>) -> Result<Container, Error> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::exec_pool_take(self.raw.as_ptr(), timeout_ms(timeout), &mut out) })?;
        unsafe { Container::from_raw(non_null(out)?, None) }
    }

    /// Waits until the pool holds its size of ready containers, as a host
    /// does before it serves.
    ///
    /// Errors: TimedOut, or the error of a refill that failed, as take's.
    pub fn fill(&self, timeout: Option<Duration>) -> Result<(), Error> {
        check(unsafe { sys::exec_pool_fill(self.raw.as_ptr(), timeout_ms(timeout)) })?;
        Ok(())
    }

    /// The raw handle, for calls of [`sys`]; the pool keeps owning it.
    pub fn as_raw(&self) -> *mut sys::exec_pool {
        self.raw.as_ptr()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        unsafe { sys::exec_pool_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}
