//! Images: bundles from OCI images on disk ([`bundle_from_image`]), and
//! images pulled from a registry into an OCI layout ([`pull`]).

use std::ffi::{c_char, c_int, c_longlong, CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use crate::bundle::BundleOptions;
use crate::error::{check, cstring, Error, ErrorKind};
use crate::runtime::{opt_path_cstring, opt_ptr, path_cstring};
use crate::sys;

pub use crate::pull::{pull, Progress, PullOptions};
use crate::pull::{Callback, ProgressFn};

/// Options of [`bundle_from_image`]: by default the image's own command and
/// env, unpacked into the bundle.
///
/// ```no_run
/// use execution::{bundle_from_image, ImageOptions};
/// let opts = ImageOptions::new().args(["sh", "-c", "echo hi"]).cache_dir("/var/cache/layers");
/// bundle_from_image("/srv/job-1", "/srv/images/alpine.tar:alpine:3.20", &opts)?;
/// # Ok::<(), execution::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageOptions {
    args: Option<Vec<OsString>>,
    cmd: Option<Vec<OsString>>,
    entrypoint: Option<Vec<OsString>>,
    env: Vec<OsString>,
    cache_dir: Option<PathBuf>,
    terminal: bool,
    max_bytes: u64,
    platform: Option<String>,
    bundle: Option<BundleOptions>,
}

impl ImageOptions {
    /// The defaults: the image's own command, no cache.
    pub fn new() -> ImageOptions {
        ImageOptions::default()
    }

    /// Process arguments replacing the image's whole command line
    /// (entrypoint and cmd); they exclude [`cmd`](Self::cmd) and
    /// [`entrypoint`](Self::entrypoint).
    pub fn args<I, S>(mut self, args: I) -> ImageOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args = Some(os_strings(args));
        self
    }

    /// Arguments replacing the image's cmd only, as `docker run IMAGE
    /// ARGS...` does: its entrypoint stays in front of them.
    pub fn cmd<I, S>(mut self, cmd: I) -> ImageOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd = Some(os_strings(cmd));
        self
    }

    /// Replaces the image's entrypoint, clearing its cmd as `docker run
    /// --entrypoint` does; an empty one clears the entrypoint.
    pub fn entrypoint<I, S>(mut self, entrypoint: I) -> ImageOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.entrypoint = Some(os_strings(entrypoint));
        self
    }

    /// Picks the image of an index for `platform`, "linux/ARCH[/VARIANT]",
    /// instead of the host's; an image for another platform is refused.
    pub fn platform(mut self, platform: impl Into<String>) -> ImageOptions {
        self.platform = Some(platform.into());
        self
    }

    /// Shapes the config with `options` (limits, user namespace, hardening,
    /// tmpfs dirs) as [`bundle_init_ext`](crate::bundle_init_ext) does; with
    /// a user namespace the image's files are owned by the ids they map to.
    pub fn bundle(mut self, options: BundleOptions) -> ImageOptions {
        self.bundle = Some(options);
        self
    }

    /// Sets `name=value` over the image's env.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> ImageOptions {
        let mut entry = name.as_ref().to_owned();
        entry.push("=");
        entry.push(value);
        self.env.push(entry);
        self
    }

    /// Keeps each unpacked layer in `dir` by digest; the bundle's rootfs is
    /// then an overlay mount of the cached layers.
    pub fn cache_dir(mut self, dir: impl AsRef<Path>) -> ImageOptions {
        self.cache_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Sets process.terminal.
    pub fn terminal(mut self, terminal: bool) -> ImageOptions {
        self.terminal = terminal;
        self
    }

    /// Most bytes the layers may write; 0 (the default) means the free
    /// space of their file system.
    pub fn max_bytes(mut self, max: u64) -> ImageOptions {
        self.max_bytes = max;
        self
    }
}

/// The items as owned OS strings.
fn os_strings<I, S>(items: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    items.into_iter().map(|a| a.as_ref().to_owned()).collect()
}

/// The pointers of `items` followed by NULL, for a `const char *const *`.
pub(crate) fn null_terminated(items: &[CString]) -> Vec<*const c_char> {
    let mut v: Vec<*const c_char> = items.iter().map(|a| a.as_ptr()).collect();
    v.push(ptr::null());
    v
}

/// Makes the bundle `dir` from an OCI image on disk; no registry is
/// contacted. `image` is `PATH[:TAG]`: an OCI image layout directory, or an
/// archive as `docker save`, `podman save` or `skopeo copy` write it. Its
/// layers are unpacked into `<dir>/rootfs`, `config.json` is written from
/// its config. `dir` must be missing or empty. Remove the bundle with
/// [`bundle_remove`]. Root only.
///
/// Errors: InvalidArgument (no such image or tag, a malformed or malicious
/// image, bad options), AlreadyExists (`dir` not empty), InvalidState (not
/// root), System. A failure leaves nothing behind.
pub fn bundle_from_image(
    dir: impl AsRef<Path>,
    image: impl AsRef<OsStr>,
    options: &ImageOptions,
) -> Result<(), Error> {
    from_image(dir.as_ref(), image.as_ref(), options, None)
}

/// [`bundle_from_image`], telling `progress` each layer's bytes read as it
/// is unpacked, on the calling thread (a layer already in the cache is not
/// read). Returning true cancels: the call fails with
/// [`ErrorKind::Cancelled`] and leaves nothing; a panic in the closure
/// cancels too and is resumed once the call returns.
pub fn bundle_from_image_with_progress(
    dir: impl AsRef<Path>,
    image: impl AsRef<OsStr>,
    options: &ImageOptions,
    progress: impl FnMut(&Progress<'_>) -> bool,
) -> Result<(), Error> {
    let mut f: ProgressFn<'_> = Box::new(progress);
    from_image(dir.as_ref(), image.as_ref(), options, Some(&mut f))
}

/// The body of both: `progress`, when given, is told the unpacking.
fn from_image(
    dir: &Path,
    image: &OsStr,
    options: &ImageOptions,
    progress: Option<&mut ProgressFn<'_>>,
) -> Result<(), Error> {
    let dir = path_cstring("bundle dir", dir)?;
    let image = cstring("image", image.as_bytes())?;
    if options.args.is_some() && (options.cmd.is_some() || options.entrypoint.is_some()) {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "args replace the whole command: give them or cmd and entrypoint",
        ));
    }
    // args are the cmd with the entrypoint cleared.
    let (cmd, entrypoint) = match &options.args {
        Some(a) => (Some(a), Some(&Vec::new())),
        None => (options.cmd.as_ref(), options.entrypoint.as_ref()),
    };
    let args = cmd.map(|a| crate::cstrings("argument", a)).transpose()?;
    let entry = entrypoint
        .map(|a| crate::cstrings("entrypoint", a))
        .transpose()?;
    let platform = options
        .platform
        .as_deref()
        .map(|p| cstring("platform", p.as_bytes()))
        .transpose()?;
    let bundle = options.bundle.as_ref().map(|b| b.lend()).transpose()?;
    let env = crate::cstrings("env entry", &options.env)?;
    let cache = opt_path_cstring("cache dir", options.cache_dir.as_deref())?;
    let max_bytes = c_longlong::try_from(options.max_bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "max_bytes does not fit a long long",
        )
    })?;
    let argv = args.as_deref().map(null_terminated);
    let entryv = entry.as_deref().map(null_terminated);
    let envv = null_terminated(&env);

    let mut raw = sys::EXEC_IMAGE_OPTIONS_INIT;
    check(unsafe { sys::exec_image_options_init(&mut raw, sys::EXEC_IMAGE_OPTIONS_VERSION) })?;
    raw.argv = argv.as_ref().map_or(ptr::null(), |v| v.as_ptr());
    raw.env = envv.as_ptr();
    raw.cache_dir = opt_ptr(cache.as_ref());
    raw.terminal = c_int::from(options.terminal);
    raw.max_bytes = max_bytes;
    raw.entrypoint = entryv.as_ref().map_or(ptr::null(), |v| v.as_ptr());
    raw.platform = platform.as_ref().map_or(ptr::null(), |p| p.as_ptr());
    raw.bundle = bundle.as_ref().map_or(ptr::null(), |b| &b.raw);
    let mut cb = progress.map(Callback::new);
    if let Some(cb) = cb.as_mut() {
        (raw.progress, raw.progress_payload) = cb.raw();
    }
    let rc = unsafe { sys::exec_bundle_from_image(dir.as_ptr(), image.as_ptr(), &raw) };
    if let Some(cb) = cb {
        cb.resume();
    }
    check(rc)
}

/// Removes a bundle [`bundle_from_image`] made: unmounts its overlay and
/// removes the directory. Delete its containers first; the layer cache
/// stays.
///
/// Errors: InvalidArgument (not a bundle the library made for that path:
/// it is left untouched), InvalidState (a container still has its rootfs
/// as its root, or something is mounted beneath it), System.
pub fn bundle_remove(dir: impl AsRef<Path>) -> Result<(), Error> {
    let dir = path_cstring("bundle dir", dir.as_ref())?;
    check(unsafe { sys::exec_bundle_remove(dir.as_ptr()) })
}

/// Removes from the layer cache `dir` every layer no live bundle uses, and
/// what a crashed [`bundle_from_image`] left there; returns how many layers
/// went. Waits for the calls making bundles on the cache. Root only.
///
/// Errors: InvalidArgument (not a layer cache), InvalidState (not root),
/// System.
pub fn image_cache_prune(dir: impl AsRef<Path>) -> Result<usize, Error> {
    let dir = path_cstring("cache dir", dir.as_ref())?;
    let mut removed = 0usize;
    check(unsafe { sys::exec_image_cache_prune(dir.as_ptr(), &mut removed) })?;
    Ok(removed)
}
