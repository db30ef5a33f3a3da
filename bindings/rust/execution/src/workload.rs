//! The workload of a bundle: what `docker run` says about a container
//! beyond its command, set on [`BundleOptions`].

use std::ffi::{c_char, CString};
use std::path::PathBuf;

use crate::error::cstring;
use crate::image::null_terminated;
use crate::{sys, BundleOptions, Error};

/// A bind mount of the host's `source` at the container's `target`, with
/// private propagation.
///
/// ```
/// let m = execution::Mount::new("/srv/workspace", "/workspace").readonly(true);
/// # let _ = m;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    source: PathBuf,
    target: String,
    readonly: bool,
}

impl Mount {
    /// Mounts `source`, an absolute host path that exists, at `target`,
    /// an absolute path in the container, read-write.
    pub fn new(source: impl Into<PathBuf>, target: impl Into<String>) -> Mount {
        Mount {
            source: source.into(),
            target: target.into(),
            readonly: false,
        }
    }

    /// Mounts it read-only.
    pub fn readonly(mut self, on: bool) -> Mount {
        self.readonly = on;
        self
    }

    fn spec(&self) -> String {
        let mode = if self.readonly { "ro" } else { "rw" };
        format!("{}:{}:{}", self.source.display(), self.target, mode)
    }
}

/// The library's CNI bridge network, with ports of the host mapped to the
/// container's (TCP), listening on `host_ip` (127.0.0.1 by default).
///
/// ```
/// let net = execution::Bridge::new().port(8080, 80);
/// # let _ = net;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bridge {
    ports: Vec<(u16, u16)>,
    host_ip: String,
}

impl Default for Bridge {
    fn default() -> Bridge {
        Bridge::new()
    }
}

impl Bridge {
    /// A bridge network with no port mapped.
    pub fn new() -> Bridge {
        Bridge {
            ports: Vec::new(),
            host_ip: "127.0.0.1".into(),
        }
    }

    /// Maps the host's `host_port` to the container's `container_port`.
    pub fn port(mut self, host_port: u16, container_port: u16) -> Bridge {
        self.ports.push((host_port, container_port));
        self
    }

    /// The host address the ports listen on; "0.0.0.0" is every address.
    pub fn host_ip(mut self, ip: impl Into<String>) -> Bridge {
        self.host_ip = ip.into();
        self
    }
}

/// A container's network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Network {
    /// A network namespace of its own with only its loopback, up.
    #[default]
    None,
    /// The host's network namespace.
    Host,
    /// Joins the network namespace at this path.
    Path(PathBuf),
    /// The library's bridge, set up at create and torn down at delete;
    /// [`Container::addresses`](crate::Container::addresses) tells the
    /// container's address.
    Bridge(Bridge),
}

/// The owned strings of a workload, lent to the C call.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Workload {
    env: Vec<String>,
    cwd: Option<String>,
    user: Option<String>,
    groups: Vec<String>,
    hostname: Option<String>,
    mounts: Vec<Mount>,
    rlimits: Vec<String>,
    cap_add: Vec<String>,
    cap_drop: Vec<String>,
    network: Network,
}

impl BundleOptions {
    /// Sets the environment variable `key=value` over the default
    /// environment (PATH, TERM) or the image's.
    pub fn env(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> BundleOptions {
        self.work
            .env
            .push(format!("{}={}", key.as_ref(), value.as_ref()));
        self
    }

    /// The process's working dir, an absolute path.
    pub fn cwd(mut self, dir: impl Into<String>) -> BundleOptions {
        self.work.cwd = Some(dir.into());
        self
    }

    /// The process's user: `name[:group]` or `uid[:gid]`, names looked up
    /// in the rootfs's /etc/passwd and /etc/group.
    pub fn user(mut self, user: impl Into<String>) -> BundleOptions {
        self.work.user = Some(user.into());
        self
    }

    /// The process's user by number.
    pub fn user_id(self, uid: u32, gid: u32) -> BundleOptions {
        self.user(format!("{uid}:{gid}"))
    }

    /// Adds an extra group, by number or by name.
    pub fn group(mut self, group: impl Into<String>) -> BundleOptions {
        self.work.groups.push(group.into());
        self
    }

    /// The container's hostname.
    pub fn hostname(mut self, name: impl Into<String>) -> BundleOptions {
        self.work.hostname = Some(name.into());
        self
    }

    /// Adds a bind mount.
    pub fn mount(mut self, mount: Mount) -> BundleOptions {
        self.work.mounts.push(mount);
        self
    }

    /// Sets the resource limit `name` ("nofile" or "RLIMIT_NOFILE").
    pub fn rlimit(mut self, name: impl AsRef<str>, soft: u64, hard: u64) -> BundleOptions {
        self.work
            .rlimits
            .push(format!("{}={soft}:{hard}", name.as_ref()));
        self
    }

    /// Adds a capability ("NET_ADMIN" or "CAP_NET_ADMIN").
    pub fn cap_add(mut self, cap: impl Into<String>) -> BundleOptions {
        self.work.cap_add.push(cap.into());
        self
    }

    /// Drops a capability; "ALL" drops every one (added ones come back).
    pub fn cap_drop(mut self, cap: impl Into<String>) -> BundleOptions {
        self.work.cap_drop.push(cap.into());
        self
    }

    /// Sets or clears process.noNewPrivileges.
    pub fn no_new_privileges(mut self, on: bool) -> BundleOptions {
        self.raw.no_new_privileges = if on {
            sys::EXEC_FLAG_ON
        } else {
            sys::EXEC_FLAG_OFF
        };
        self
    }

    /// Makes the rootfs read-only, or writable.
    pub fn readonly_rootfs(mut self, on: bool) -> BundleOptions {
        self.raw.readonly_rootfs = if on {
            sys::EXEC_FLAG_ON
        } else {
            sys::EXEC_FLAG_OFF
        };
        self
    }

    /// The container's network; [`Network::None`] by default.
    pub fn network(mut self, network: Network) -> BundleOptions {
        self.work.network = network;
        self
    }
}

/// C strings of a workload, alive while the raw options point into them.
#[derive(Default)]
pub(crate) struct LentWorkload {
    strings: Vec<CString>,
    lists: Vec<(Vec<CString>, Vec<*const c_char>)>,
}

impl LentWorkload {
    fn one(&mut self, what: &str, s: &Option<String>) -> Result<*const c_char, Error> {
        match s {
            None => Ok(std::ptr::null()),
            Some(s) => {
                let c = cstring(what, s.as_bytes())?;
                let p = c.as_ptr();
                self.strings.push(c);
                Ok(p)
            }
        }
    }

    fn list(&mut self, what: &str, items: &[String]) -> Result<*const *const c_char, Error> {
        if items.is_empty() {
            return Ok(std::ptr::null());
        }
        let cs = items
            .iter()
            .map(|s| cstring(what, s.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs = null_terminated(&cs);
        let p = ptrs.as_ptr();
        self.lists.push((cs, ptrs));
        Ok(p)
    }
}

impl Workload {
    /// Points raw's workload fields into the returned strings.
    pub(crate) fn lend(&self, raw: &mut sys::exec_bundle_options) -> Result<LentWorkload, Error> {
        let mut l = LentWorkload::default();
        raw.env = l.list("env", &self.env)?;
        raw.cwd = l.one("cwd", &self.cwd)?;
        raw.user = l.one("user", &self.user)?;
        raw.groups = l.list("group", &self.groups)?;
        raw.hostname = l.one("hostname", &self.hostname)?;
        let mounts: Vec<String> = self.mounts.iter().map(Mount::spec).collect();
        raw.mounts = l.list("mount", &mounts)?;
        raw.rlimits = l.list("rlimit", &self.rlimits)?;
        raw.cap_add = l.list("cap_add", &self.cap_add)?;
        raw.cap_drop = l.list("cap_drop", &self.cap_drop)?;
        let (network, ports) = match &self.network {
            Network::None => (None, Vec::new()),
            Network::Host => (Some("host".to_string()), Vec::new()),
            Network::Path(p) => (Some(p.display().to_string()), Vec::new()),
            Network::Bridge(b) => {
                let ip = if b.host_ip.contains(':') {
                    format!("[{}]", b.host_ip)
                } else {
                    b.host_ip.clone()
                };
                let ports = b
                    .ports
                    .iter()
                    .map(|(h, c)| format!("{ip}:{h}:{c}"))
                    .collect();
                (Some("bridge".to_string()), ports)
            }
        };
        raw.network = l.one("network", &network)?;
        raw.ports = l.list("port", &ports)?;
        Ok(l)
    }
}
