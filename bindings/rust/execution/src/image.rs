//! Bundles from OCI images on disk.

use std::ffi::{c_char, c_int, c_longlong, CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;

use crate::error::{check, cstring, Error, ErrorKind};
use crate::runtime::{opt_path_cstring, opt_ptr, path_cstring};
use crate::sys;

/// Options of [`bundle_from_image`]: by default the image's own command and
/// env, unpacked into the bundle.
///
/// ```no_run
/// use execution::{bundle_from_image, ImageOptions};
/// let opts = ImageOptions::new().args(["sh", "-c", "echo hi"]).cache_dir("/var/cache/layers");
/// bundle_from_image("/srv/job-1", "/srv/images/alpine.tar:alpine:3.20", &opts)?;
/// # Ok::<(), execution::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageOptions {
    args: Option<Vec<OsString>>,
    env: Vec<OsString>,
    cache_dir: Option<PathBuf>,
    terminal: bool,
    max_bytes: u64,
}

impl ImageOptions {
    /// The defaults: the image's own command, no cache.
    pub fn new() -> ImageOptions {
        ImageOptions::default()
    }

    /// Process arguments replacing the image's entrypoint and cmd.
    pub fn args<I, S>(mut self, args: I) -> ImageOptions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args = Some(args.into_iter().map(|a| a.as_ref().to_owned()).collect());
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
    let dir = path_cstring("bundle dir", dir.as_ref())?;
    let image = cstring("image", image.as_ref().as_bytes())?;
    let args = match &options.args {
        Some(a) => Some(crate::cstrings("argument", a)?),
        None => None,
    };
    let env = crate::cstrings("env entry", &options.env)?;
    let cache = opt_path_cstring("cache dir", options.cache_dir.as_deref())?;
    let max_bytes = c_longlong::try_from(options.max_bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "max_bytes does not fit a long long",
        )
    })?;
    let argv = args.as_deref().map(null_terminated);
    let envv = null_terminated(&env);

    let mut raw = sys::EXEC_IMAGE_OPTIONS_INIT;
    check(unsafe { sys::exec_image_options_init(&mut raw, sys::EXEC_IMAGE_OPTIONS_VERSION) })?;
    raw.argv = argv.as_ref().map_or(ptr::null(), |v| v.as_ptr());
    raw.env = envv.as_ptr();
    raw.cache_dir = opt_ptr(cache.as_ref());
    raw.terminal = c_int::from(options.terminal);
    raw.max_bytes = max_bytes;
    check(unsafe { sys::exec_bundle_from_image(dir.as_ptr(), image.as_ptr(), &raw) })
}

/// Removes a bundle [`bundle_from_image`] made: unmounts its overlay and
/// removes the directory. Delete its containers first; the layer cache
/// stays.
///
/// Errors: InvalidArgument (not a bundle made from an image: it is left
/// untouched), InvalidState (its rootfs is busy), System.
pub fn bundle_remove(dir: impl AsRef<Path>) -> Result<(), Error> {
    let dir = path_cstring("bundle dir", dir.as_ref())?;
    check(unsafe { sys::exec_bundle_remove(dir.as_ptr()) })
}
