//! Bundle configs: the options of `bundle_init_ext`.

use crate::sys;

/// The terminal and resource limits of a bundle's config, for
/// [`bundle_init_ext`](crate::bundle_init_ext). A limit left unset is not
/// written; the library checks the values (InvalidArgument when out of
/// range or when two exclude each other).
///
/// ```
/// let opts = execution::BundleOptions::new().memory_limit(64 << 20).pids_limit(32).cpus(1.5);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BundleOptions {
    raw: sys::exec_bundle_options,
}

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

    /// The raw options, for [`sys::exec_bundle_init_ext`].
    pub fn as_raw(&self) -> &sys::exec_bundle_options {
        &self.raw
    }
}
