//! Bundle configs: the options of `bundle_init_ext`.

use std::path::{Path, PathBuf};

use crate::sys;

/// How a container's users map to the host's (`EXEC_USERNS_*`).
///
/// ```
/// use execution::{BundleOptions, UserNs};
/// let hardened = BundleOptions::new().hardened(true).userns(UserNs::SubIds);
/// # let _ = hardened;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UserNs {
    /// Root inside is the caller when it is not root; as root, no user
    /// namespace, or [`Range`](Self::Range) for a hardened config
    /// ([`SubIds`](Self::SubIds) for a bundle made from an image).
    #[default]
    Auto,
    /// No user namespace; root only.
    None,
    /// Root inside is the caller's uid and gid, and no other id is mapped.
    Caller,
    /// Root inside is the caller, ids from 1 on its /etc/subuid and
    /// /etc/subgid ranges; as root, ids from 0 on root's ranges there.
    SubIds,
    /// A free range of 65536 host ids per container, chosen at create and
    /// held under the root until delete; root only, not for images.
    Range,
}

impl UserNs {
    /// The `EXEC_USERNS_*` value.
    pub fn raw(self) -> std::ffi::c_int {
        match self {
            UserNs::Auto => sys::EXEC_USERNS_AUTO,
            UserNs::None => sys::EXEC_USERNS_NONE,
            UserNs::Caller => sys::EXEC_USERNS_CALLER,
            UserNs::SubIds => sys::EXEC_USERNS_SUBIDS,
            UserNs::Range => sys::EXEC_USERNS_RANGE,
        }
    }
}

/// The terminal, resource limits and workload (env, cwd, user, mounts,
/// network...; see [`Mount`](crate::Mount), [`Network`](crate::Network)) of
/// a bundle's config, for [`bundle_init_ext`](crate::bundle_init_ext) and
/// [`ImageOptions::bundle`](crate::ImageOptions). A value left unset is
/// not written; the library checks the values (InvalidArgument when out of
/// range or when two exclude each other).
///
/// ```
/// let opts = execution::BundleOptions::new().memory_limit(64 << 20).pids_limit(32).cpus(1.5);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BundleOptions {
    pub(crate) raw: sys::exec_bundle_options,
    tmpfs: Vec<PathBuf>,
    pub(crate) work: crate::workload::Workload,
}

// SAFETY: the pointers of `raw` are always NULL: the strings live in
// `tmpfs` and `work`, and are lent to the C call only for its duration.
unsafe impl Send for BundleOptions {}
// SAFETY: as for Send; no method mutates through a shared reference.
unsafe impl Sync for BundleOptions {}

impl Default for BundleOptions {
    fn default() -> BundleOptions {
        BundleOptions::new()
    }
}

impl BundleOptions {
    /// No terminal, no limits.
    pub fn new() -> BundleOptions {
        BundleOptions {
            raw: sys::EXEC_BUNDLE_OPTIONS_INIT,
            tmpfs: Vec::new(),
            work: Default::default(),
        }
    }

    /// Gives the process a pty (process.terminal).
    pub fn terminal(mut self, on: bool) -> BundleOptions {
        self.raw.terminal = on.into();
        self
    }

    /// Limits memory to `bytes`.
    pub fn memory_limit(mut self, bytes: i64) -> BundleOptions {
        self.raw.memory_limit = bytes;
        self
    }

    /// Limits memory plus swap to `bytes` (at least the memory limit, which
    /// it needs); -1 is unlimited swap.
    pub fn memory_swap_limit(mut self, bytes: i64) -> BundleOptions {
        self.raw.memory_swap_limit = bytes;
        self
    }

    /// Limits CPU time to `cpus` CPUs (1.5 is one and a half); excludes
    /// [`cpu_quota`](Self::cpu_quota).
    pub fn cpus(mut self, cpus: f64) -> BundleOptions {
        self.raw.cpus = cpus;
        self
    }

    /// Allows `micros` µs of CPU time per [`cpu_period`](Self::cpu_period);
    /// -1 is none.
    pub fn cpu_quota(mut self, micros: i64) -> BundleOptions {
        self.raw.cpu_quota = micros;
        self
    }

    /// Sets the period of the CPU quota, 1000 to 1000000 µs (100000 with
    /// [`cpus`](Self::cpus) when unset).
    pub fn cpu_period(mut self, micros: u64) -> BundleOptions {
        self.raw.cpu_period = micros;
        self
    }

    /// Sets the relative CPU weight, 2 to 262144 (1024 is the default).
    pub fn cpu_shares(mut self, shares: u64) -> BundleOptions {
        self.raw.cpu_shares = shares;
        self
    }

    /// Limits the container to `pids` tasks; -1 is unlimited.
    pub fn pids_limit(mut self, pids: i64) -> BundleOptions {
        self.raw.pids_limit = pids;
        self
    }

    /// Maps the container's users to the host's as `userns` says; a caller
    /// who is not root always gets a user namespace.
    pub fn userns(mut self, userns: UserNs) -> BundleOptions {
        self.raw.userns = userns.raw();
        self
    }

    /// Writes a config fit for untrusted code: no capability, no new
    /// privileges, the default seccomp filter of Docker and podman, more
    /// masked paths, a user namespace also as root, and where limits apply
    /// a pids limit of 1024 and a memory limit of 1 GiB unless set.
    pub fn hardened(mut self, on: bool) -> BundleOptions {
        self.raw.hardened = on.into();
        self
    }

    /// Mounts a writable tmpfs at `dir`, an absolute path in the container,
    /// over the read-only rootfs; call once per dir.
    pub fn tmpfs(mut self, dir: impl AsRef<Path>) -> BundleOptions {
        self.tmpfs.push(dir.as_ref().to_path_buf());
        self
    }

    /// The tmpfs dirs asked for, which [`as_raw`](Self::as_raw) leaves out.
    pub fn tmpfs_dirs(&self) -> &[PathBuf] {
        &self.tmpfs
    }

    /// The raw options, for [`sys::exec_bundle_init_ext`], with `tmpfs`
    /// NULL: the caller sets it from [`tmpfs_dirs`](Self::tmpfs_dirs); the
    /// workload's strings are NULL too.
    pub fn as_raw(&self) -> &sys::exec_bundle_options {
        &self.raw
    }
}

/// Bundle options lent to one C call: the raw struct with `tmpfs` pointing
/// into the strings this value owns.
pub(crate) struct LentBundleOptions {
    pub(crate) raw: sys::exec_bundle_options,
    _dirs: Vec<std::ffi::CString>,
    _ptrs: Vec<*const std::ffi::c_char>,
    _work: crate::workload::LentWorkload,
}

impl BundleOptions {
    /// The raw options with their tmpfs dirs, for a C call.
    pub(crate) fn lend(&self) -> Result<LentBundleOptions, crate::Error> {
        let dirs = self
            .tmpfs
            .iter()
            .map(|d| {
                crate::error::cstring(
                    "tmpfs dir",
                    std::os::unix::ffi::OsStrExt::as_bytes(d.as_os_str()),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs = crate::image::null_terminated(&dirs);
        let mut raw = self.raw;
        if !dirs.is_empty() {
            raw.tmpfs = ptrs.as_ptr();
        }
        let work = self.work.lend(&mut raw)?;
        Ok(LentBundleOptions {
            raw,
            _dirs: dirs,
            _ptrs: ptrs,
            _work: work,
        })
    }
}
