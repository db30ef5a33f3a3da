"""What `docker run` says about a container beyond its command: its workload."""

import os
from ctypes import Array, c_char_p
from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

from . import _args, _ffi


@dataclass(frozen=True)
class Mount:
    """A bind mount of the host's `source` at the container's `target`, private."""

    source: str
    """An absolute path on the host that exists."""
    target: str
    """An absolute path in the container."""
    readonly: bool = False
    """Mount it read-only."""

    def _spec(self) -> str:
        src = os.fsdecode(self.source)
        if ":" in src or ":" in self.target:
            raise ValueError(f"mount paths must not hold ':': {src!r}, {self.target!r}")
        return f"{src}:{self.target}:{'ro' if self.readonly else 'rw'}"


@dataclass(frozen=True)
class Bridge:
    """The library's CNI bridge network, with ports of the host mapped to the container's.

    `ports` are (host_port, container_port) pairs, TCP, listening on
    `host_ip` of the host (by default 127.0.0.1 only).
    """

    ports: Sequence[Tuple[int, int]] = field(default_factory=list)
    """(host_port, container_port) pairs."""
    host_ip: str = "127.0.0.1"
    """The host address the ports listen on; "0.0.0.0" is every address."""

    def _ports(self) -> List[str]:
        out = []
        for p in self.ports:
            if not isinstance(p, tuple) or len(p) != 2:
                raise TypeError(f"ports must be (host_port, container_port) pairs, not {p!r}")
            h = _args.integer(p[0], "host_port", 1, 65535)
            c = _args.integer(p[1], "container_port", 1, 65535)
            ip = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
            out.append(f"{ip}:{h}:{c}")
        return out


Network = Union[str, Bridge]
"""A container's network: "none" (its own, loopback only), "host", the path
of a network namespace to join, or a Bridge."""

UserArg = Union[str, Tuple[int, int]]
"""A user: (uid, gid) or "name[:group]" (or "uid[:gid]")."""

Rlimits = Mapping[str, Union[int, Tuple[int, int]]]
"""Resource limits by name ("nofile"): a value for soft and hard, or (soft, hard)."""


def _flag(value: Any, what: str) -> int:
    if value is None:
        return _ffi.EXEC_FLAG_KEEP
    return _ffi.EXEC_FLAG_ON if _args.flag(value, what) else _ffi.EXEC_FLAG_OFF


def _opt_text(value: Any, what: str) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogateescape")


def _user(user: Any) -> Optional[bytes]:
    if user is None:
        return None
    if isinstance(user, tuple) and len(user) == 2:
        uid = _args.integer(user[0], "uid", 0, 2**32 - 2)
        gid = _args.integer(user[1], "gid", 0, 2**32 - 2)
        return f"{uid}:{gid}".encode()
    return _opt_text(user, "user")


def _rlimits(rlimits: Any) -> List[str]:
    if not isinstance(rlimits, Mapping):
        raise TypeError(f"rlimits must be a mapping, not {type(rlimits).__name__}")
    out = []
    for name, v in rlimits.items():
        if not isinstance(name, str):
            raise TypeError("rlimits keys must be str")
        soft, hard = v if isinstance(v, tuple) else (v, v)
        soft = _args.integer(soft, "rlimit", 0, 2**64 - 1)
        hard = _args.integer(hard, "rlimit", 0, 2**64 - 1)
        out.append(f"{name}={soft}:{hard}")
    return out


def apply(
    opts: _ffi.BundleOptions,
    *,
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
) -> List[Any]:
    """Write the workload into `opts`; returns what the C strings point into,
    which the caller keeps alive until the call that reads them returns."""
    keep: List[Any] = []

    def array(items: Sequence[str]) -> "Array[c_char_p]":
        a = _args.string_array(items)
        keep.append(a)
        return a

    if env is not None:
        opts.env = array(_args.env(env, "env"))
    opts.cwd = _opt_text(cwd, "cwd")
    opts.user = _user(user)
    if groups:
        opts.groups = array([str(g) if isinstance(g, int) else g for g in _groups(groups)])
    opts.hostname = _opt_text(hostname, "hostname")
    specs = []
    for m in mounts:
        if not isinstance(m, Mount):
            raise TypeError(f"mounts must be Mount, not {type(m).__name__}")
        specs.append(m._spec())
    if specs:
        opts.mounts = array(specs)
    if rlimits is not None:
        opts.rlimits = array(_rlimits(rlimits))
    if cap_add:
        opts.cap_add = array(_args.strings(cap_add, "cap_add"))
    if cap_drop:
        opts.cap_drop = array(_args.strings(cap_drop, "cap_drop"))
    opts.no_new_privileges = _flag(no_new_privileges, "no_new_privileges")
    opts.readonly_rootfs = _flag(readonly_rootfs, "readonly_rootfs")
    if isinstance(network, Bridge):
        opts.network = b"bridge"
        ports = network._ports()
        if ports:
            opts.ports = array(ports)
    elif isinstance(network, (str, os.PathLike)):
        opts.network = os.fsencode(network)
    else:
        raise TypeError(f"network must be str or Bridge, not {type(network).__name__}")
    return keep


def _groups(groups: Any) -> Sequence[Union[str, int]]:
    if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
        raise TypeError(f"groups must be a sequence of str or int, not {type(groups).__name__}")
    for g in groups:
        if not isinstance(g, (str, int)) or isinstance(g, bool):
            raise TypeError(f"groups items must be str or int, not {type(g).__name__}")
    return list(groups)
