"""A container's resource use."""

from dataclasses import dataclass, fields
from typing import Optional

from . import _ffi


def _limit(value: int) -> Optional[int]:
    return None if value == _ffi.EXEC_UNLIMITED else value


@dataclass(frozen=True)
class Stats:
    """A container's resource use, read from its cgroup by Container.stats().

    Times are in nanoseconds, sizes in bytes, counters count since the
    container was created. A limit that is not set is None.
    """

    cpu_usage_ns: int
    """CPU time used, user and system together."""
    cpu_user_ns: int
    """CPU time used in user mode."""
    cpu_system_ns: int
    """CPU time used in kernel mode."""
    cpu_periods: int
    """Enforcement periods of a CPU quota that have elapsed."""
    cpu_throttled_periods: int
    """Periods in which the container was throttled."""
    cpu_throttled_ns: int
    """Time the container was throttled."""
    memory_usage: int
    """Memory in use now, page cache included."""
    memory_peak: int
    """The most memory in use so far."""
    memory_limit: Optional[int]
    """The memory limit, None when not set."""
    memory_cache: int
    """Page cache (files and tmpfs) in memory_usage."""
    memory_swap: int
    """Swap in use."""
    oom_kills: int
    """Processes the kernel's OOM killer killed."""
    pids_current: int
    """Tasks in the container now."""
    pids_limit: Optional[int]
    """The tasks limit, None when not set."""
    io_read_bytes: int
    """Bytes read from block devices."""
    io_write_bytes: int
    """Bytes written to block devices."""

    @classmethod
    def _from_c(cls, s: _ffi.Stats) -> "Stats":
        values = {f.name: getattr(s, f.name) for f in fields(cls)}
        values["memory_limit"] = _limit(s.memory_limit)
        values["pids_limit"] = _limit(s.pids_limit)
        return cls(**values)
