"""OCI bundles."""

import enum
import math
import os
from ctypes import POINTER, Array, byref, c_char_p, cast
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _args, _ffi, workload
from .workload import Mount, Network, Rlimits, UserArg

PathArg = Union[str, bytes, "os.PathLike[str]"]
"""A file system path: str, bytes or os.PathLike."""

_INT64_MAX = 2**63 - 1


class UserNS(enum.IntEnum):
    """How a container's users map to the host's (`EXEC_USERNS_*`)."""

    AUTO = _ffi.EXEC_USERNS_AUTO
    """Root inside is the caller when it is not root; as root no user
    namespace, or SUBIDS for a hardened config."""
    NONE = _ffi.EXEC_USERNS_NONE
    """No user namespace; root only."""
    CALLER = _ffi.EXEC_USERNS_CALLER
    """Root inside is the caller's uid and gid, and no other id is mapped."""
    SUBIDS = _ffi.EXEC_USERNS_SUBIDS
    """Root inside is the caller, ids from 1 on its /etc/subuid and /etc/subgid
    ranges; as root, ids from 0 on root's ranges there."""
    RANGE = _ffi.EXEC_USERNS_RANGE
    """A free range of 65536 host ids per container, chosen at create and held
    until delete (what hardened bundles get as root); root only, not for images."""


@dataclass(frozen=True)
class Limits:
    """Resource limits written into a bundle's config, for the runtime to enforce.

    A limit left None is not set. Sizes are in bytes, CPU times in µs.
    """

    memory: Optional[int] = None
    """Memory limit."""
    memory_swap: Optional[int] = None
    """Memory plus swap limit, at least `memory` (which it needs); -1 is unlimited swap."""
    cpus: Optional[float] = None
    """CPU time as a number of CPUs (1.5 is one and a half); excludes cpu_quota."""
    cpu_quota: Optional[int] = None
    """CPU time allowed per cpu_period (at least 1000); -1 is none."""
    cpu_period: Optional[int] = None
    """Period of the CPU quota, 1000 to 1000000; with `cpus` it defaults to 100000."""
    cpu_shares: Optional[int] = None
    """Relative CPU weight, 2 to 262144 (1024 is the default weight)."""
    pids: Optional[int] = None
    """Most tasks the container may have; -1 is unlimited."""

    def _to_c(self, terminal: int) -> _ffi.BundleOptions:
        cpus = 0.0
        if self.cpus is not None:
            cpus = _args.seconds(self.cpus, "cpus")
            if not cpus > 0 or math.isinf(cpus):
                raise ValueError(f"cpus must be a positive number, got {self.cpus}")
        return _ffi.BundleOptions(
            version=_ffi.EXEC_BUNDLE_OPTIONS_VERSION,
            terminal=terminal,
            memory_limit=_size(self.memory, "memory", 1),
            memory_swap_limit=_size(self.memory_swap, "memory_swap", -1),
            cpus=cpus,
            cpu_quota=_size(self.cpu_quota, "cpu_quota", -1),
            cpu_period=_size(self.cpu_period, "cpu_period", 1),
            cpu_shares=_size(self.cpu_shares, "cpu_shares", 1),
            pids_limit=_size(self.pids, "pids", -1),
        )


def _size(value: Any, what: str, low: int) -> int:
    """A limit: None (unset, 0 in C), -1 where allowed, or a positive int."""
    if value is None:
        return 0
    v = _args.integer(value, what, low, _INT64_MAX)
    if v == 0:
        raise ValueError(f"{what} must not be 0; None leaves it unset")
    return v


def bundle_init(
    bundle_dir: PathArg,
    args: Sequence[str],
    terminal: bool = False,
    limits: Optional[Limits] = None,
    *,
    userns: UserNS = UserNS.AUTO,
    hardened: bool = False,
    tmpfs: Sequence[str] = (),
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[str] = None,
    user: Optional[UserArg] = None,
    groups: Sequence[str] = (),
    hostname: Optional[str] = None,
    mounts: Sequence[Mount] = (),
    rlimits: Optional[Rlimits] = None,
    cap_add: Sequence[str] = (),
    cap_drop: Sequence[str] = (),
    no_new_privileges: Optional[bool] = None,
    readonly_rootfs: Optional[bool] = None,
    network: Network = "none",
) -> None:
    """Write `<bundle_dir>/config.json`: a default config, as `runc spec` makes it.

    The process runs `args`, with a pty when `terminal` is True, under the
    resource `limits` if given. The rootfs is `<bundle_dir>/rootfs`, a
    directory or a symlink to one (written to the config as its resolved
    absolute path, as runtimes refuse symlinks there). Raises AlreadyExists
    if a config.json is there, InvalidArgument for limits out of range.

    A caller who is not root gets a rootless config; `userns` says how users
    map (a `UserNS`). `hardened` writes a config fit for untrusted code: no
    capability, no new privileges, Docker's default seccomp filter, a user
    namespace also as root, default pids and memory limits where limits
    apply. `tmpfs` lists dirs of the container that get a writable tmpfs
    over the read-only rootfs. Raises NotSupported for limits a rootless
    caller cannot apply (cgroup v1).

    The workload, as `docker run` takes it: `env` is set over the default
    PATH and TERM; `cwd`; `user` is (uid, gid) or "name[:group]", names
    looked up in the rootfs's /etc/passwd and /etc/group; `groups` extra
    groups; `hostname`; `mounts` bind mounts (`Mount`); `rlimits` by name
    ({"nofile": 4096} or (soft, hard)); `cap_add` and `cap_drop` ("ALL"
    drops every one); `no_new_privileges` and `readonly_rootfs` (None keeps
    the default); `network`: "none" (own namespace, loopback only), "host",
    a network namespace's path, or `Bridge(ports=[(host, container)])`,
    set up at create and torn down at delete (`Container.addresses`).
    Bad values raise InvalidArgument and write nothing.
    """
    path = _args.path(bundle_dir, "bundle_dir")
    argv = _args.strings(args, "args")
    opts, _keep = bundle_options(
        terminal, limits, userns, hardened, tmpfs,
        dict(env=env, cwd=cwd, user=user, groups=groups, hostname=hostname, mounts=mounts,
             rlimits=rlimits, cap_add=cap_add, cap_drop=cap_drop,
             no_new_privileges=no_new_privileges, readonly_rootfs=readonly_rootfs, network=network),
    )
    _ffi.lib().exec_bundle_init_ext(path, _args.string_array(argv), byref(opts))


def bundle_options(
    terminal: bool,
    limits: Optional[Limits],
    userns: UserNS,
    hardened: bool,
    tmpfs: Sequence[str],
    work: Optional[Dict[str, Any]] = None,
) -> "tuple[_ffi.BundleOptions, List[Any]]":
    """The checked `exec_bundle_options`, and the arrays it points to,
    which the caller keeps alive until the call that reads them returns."""
    t = _args.flag(terminal, "terminal")
    if limits is not None and not isinstance(limits, Limits):
        raise TypeError(f"limits must be Limits, not {type(limits).__name__}")
    if not isinstance(userns, UserNS):
        raise TypeError(f"userns must be UserNS, not {type(userns).__name__}")
    dirs = _args.strings(tmpfs, "tmpfs")
    opts = (limits or Limits())._to_c(t)
    opts.userns = int(userns)
    opts.hardened = _args.flag(hardened, "hardened")
    dirs_c = _args.string_array(dirs)
    opts.tmpfs = cast(dirs_c, POINTER(c_char_p))
    keep: List[Any] = [dirs_c]
    keep += workload.apply(opts, **(work or {}))
    return opts, keep
