//! Pulling images from a registry into an OCI layout.

use std::any::Any;
use std::ffi::{c_char, c_int, c_longlong, c_void, CStr};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::ptr;
use std::time::Duration;

use crate::error::{check, cstring, Error, ErrorKind};
use crate::runtime::{opt_path_cstring, opt_ptr, path_cstring};
use crate::sys;

/// Where a pull stands on one blob, as [`PullOptions::progress`] is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The blob's digest, "sha256:...".
    pub blob: &'a str,
    /// Bytes of it written so far.
    pub done: u64,
    /// Its size in bytes.
    pub total: u64,
}

/// The progress closure: true cancels the call.
pub(crate) type ProgressFn<'a> = Box<dyn FnMut(&Progress<'_>) -> bool + 'a>;

/// Options of [`pull`]: by default the host's platform, the user's docker
/// and podman auth files, no timeout, one blob at a time, no progress.
///
/// ```no_run
/// use execution::image::{pull, PullOptions};
/// let opts = PullOptions::new().parallel(3).progress(|p| {
///     eprintln!("{} {}/{}", p.blob, p.done, p.total);
///     false
/// });
/// let digest = pull("127.0.0.1:5000/busybox:latest", "/srv/layout", opts)?;
/// # Ok::<(), execution::Error>(())
/// ```
#[derive(Default)]
pub struct PullOptions<'a> {
    platform: Option<String>,
    credentials: Option<(String, String)>,
    ca_file: Option<PathBuf>,
    insecure: bool,
    timeout: Option<Duration>,
    parallel: u32,
    progress: Option<ProgressFn<'a>>,
}

impl std::fmt::Debug for PullOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullOptions")
            .field("platform", &self.platform)
            .field("username", &self.credentials.as_ref().map(|c| &c.0))
            .field("ca_file", &self.ca_file)
            .field("insecure", &self.insecure)
            .field("timeout", &self.timeout)
            .field("parallel", &self.parallel)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl<'a> PullOptions<'a> {
    /// The defaults.
    pub fn new() -> PullOptions<'a> {
        PullOptions::default()
    }

    /// "linux/ARCH[/VARIANT]": the image to take from an index.
    pub fn platform(mut self, platform: impl Into<String>) -> PullOptions<'a> {
        self.platform = Some(platform.into());
        self
    }

    /// Log in with a user name and password instead of the auth files.
    pub fn credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> PullOptions<'a> {
        self.credentials = Some((username.into(), password.into()));
        self
    }

    /// A PEM file of CA certificates trusted besides the system's.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> PullOptions<'a> {
        self.ca_file = Some(path.as_ref().to_owned());
        self
    }

    /// Allow plain HTTP and unverified TLS to the ref's registry (plain
    /// HTTP is otherwise used only for a loopback registry).
    pub fn insecure(mut self, insecure: bool) -> PullOptions<'a> {
        self.insecure = insecure;
        self
    }

    /// Bound the whole pull.
    pub fn timeout(mut self, timeout: Duration) -> PullOptions<'a> {
        self.timeout = Some(timeout);
        self
    }

    /// How many blobs download at once (0: one).
    pub fn parallel(mut self, jobs: u32) -> PullOptions<'a> {
        self.parallel = jobs;
        self
    }

    /// Called on the calling thread as blobs are written; returning true
    /// cancels the pull, which then fails with [`ErrorKind::Cancelled`]. A
    /// panic in it cancels the pull and is resumed once the call returns.
    pub fn progress(mut self, f: impl FnMut(&Progress<'_>) -> bool + 'a) -> PullOptions<'a> {
        self.progress = Some(Box::new(f));
        self
    }
}

/// What the trampoline reaches through the payload: the closure, and a
/// panic it raised, resumed once the call returned.
pub(crate) struct Callback<'a, 'b> {
    f: &'b mut ProgressFn<'a>,
    panic: Option<Box<dyn Any + Send>>,
}

impl<'a, 'b> Callback<'a, 'b> {
    /// Wraps the closure.
    pub(crate) fn new(f: &'b mut ProgressFn<'a>) -> Callback<'a, 'b> {
        Callback { f, panic: None }
    }

    /// The callback and payload to hand the library; `self` must outlive
    /// the call.
    pub(crate) fn raw(&mut self) -> (sys::exec_progress_fn, *mut c_void) {
        (
            Some(trampoline),
            self as *mut Callback<'_, '_> as *mut c_void,
        )
    }

    /// Resumes a panic of the closure, if it raised one.
    pub(crate) fn resume(self) {
        if let Some(panic) = self.panic {
            resume_unwind(panic);
        }
    }
}

/// The `exec_progress_fn` every call taking a closure passes.
unsafe extern "C" fn trampoline(
    blob: *const c_char,
    done: c_longlong,
    total: c_longlong,
    payload: *mut c_void,
) -> c_int {
    // SAFETY: payload is the Callback pull() lent for this very call, and
    // the library calls back on pull()'s own thread while it waits.
    let cb = unsafe { &mut *(payload as *mut Callback<'_, '_>) };
    if cb.panic.is_some() {
        return 1;
    }
    // SAFETY: the library passes a NUL-terminated digest valid for the call.
    let blob = unsafe { CStr::from_ptr(blob) }.to_string_lossy();
    let p = Progress {
        blob: &blob,
        done: u64::try_from(done).unwrap_or(0),
        total: u64::try_from(total).unwrap_or(0),
    };
    match catch_unwind(AssertUnwindSafe(|| (cb.f)(&p))) {
        Ok(cancel) => c_int::from(cancel),
        Err(panic) => {
            cb.panic = Some(panic);
            1
        }
    }
}

/// Pulls `reference` ("REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:HEX")
/// into the OCI image layout `layout_dir` (made where missing) and returns
/// the stored manifest's digest. The layout names the image by the
/// reference's full name, so `bundle_from_image(bundle,
/// "LAYOUT:REFERENCE", ...)` runs it. Blobs the layout holds are verified
/// and not fetched again; every blob is verified as it is written, and a
/// failed or cancelled pull leaves no partial blob.
///
/// Errors: InvalidArgument (malformed reference, bad options, a blob not
/// matching its digest, refused credentials), NotFound (no such
/// repository, tag or digest), TimedOut, Cancelled (the progress closure
/// returned true), System (the registry cannot be reached).
pub fn pull(
    reference: &str,
    layout_dir: impl AsRef<Path>,
    options: PullOptions<'_>,
) -> Result<String, Error> {
    let PullOptions {
        platform,
        credentials,
        ca_file,
        insecure,
        timeout,
        parallel,
        mut progress,
    } = options;
    let reference = cstring("reference", reference)?;
    let dir = path_cstring("layout dir", layout_dir.as_ref())?;
    let platform = platform.map(|p| cstring("platform", p)).transpose()?;
    let (user, password) = match credentials {
        Some((u, p)) => (Some(cstring("username", u)?), Some(cstring("password", p)?)),
        None => (None, None),
    };
    let ca = opt_path_cstring("CA file", ca_file.as_deref())?;
    let invalid =
        |what: &str| Error::new(ErrorKind::InvalidArgument, format!("{what} is too large"));
    let timeout_ms = match timeout {
        None => 0,
        Some(t) => c_int::try_from(t.as_millis().max(1)).map_err(|_| invalid("timeout"))?,
    };
    let parallel = c_int::try_from(parallel).map_err(|_| invalid("parallel"))?;

    let mut raw = sys::EXEC_PULL_OPTIONS_INIT;
    check(unsafe { sys::exec_pull_options_init(&mut raw, sys::EXEC_PULL_OPTIONS_VERSION) })?;
    raw.platform = opt_ptr(platform.as_ref());
    raw.username = opt_ptr(user.as_ref());
    raw.password = opt_ptr(password.as_ref());
    raw.ca_file = opt_ptr(ca.as_ref());
    raw.insecure = c_int::from(insecure);
    raw.timeout_ms = timeout_ms;
    raw.parallel = parallel;
    let mut cb = progress.as_mut().map(Callback::new);
    if let Some(cb) = cb.as_mut() {
        (raw.progress, raw.progress_payload) = cb.raw();
    }
    let mut digest: *mut c_char = ptr::null_mut();
    let rc = unsafe { sys::exec_image_pull(reference.as_ptr(), dir.as_ptr(), &raw, &mut digest) };
    if let Some(cb) = cb {
        cb.resume();
    }
    check(rc)?;
    if digest.is_null() {
        return Err(Error::new(
            ErrorKind::Internal,
            "the library returned no digest",
        ));
    }
    // SAFETY: on success the library returns a NUL-terminated string the
    // caller owns, released with exec_free.
    let out = unsafe { CStr::from_ptr(digest) }
        .to_string_lossy()
        .into_owned();
    unsafe { sys::exec_free(digest as *mut c_void) };
    Ok(out)
}
