"""How a container's init or an exec'd process ended."""

from dataclasses import dataclass

from . import _ffi


@dataclass(frozen=True)
class Exit:
    """How a container's init process or an exec'd process ended.

    `status` is the exit code for a normal exit and 128 + signal for a process
    killed by a signal (as a shell reports it); `code` is the exit code or -1
    when killed by a signal; `signal` is the killing signal or 0.
    `oom_killed` is True when the kernel's OOM killer killed: for a
    container, any of its processes while its init ran; for an exec'd
    process, that process.
    """

    status: int
    code: int
    signal: int
    core_dumped: bool
    oom_killed: bool = False

    @property
    def signaled(self) -> bool:
        """True when a signal ended the process."""
        return self.signal != 0

    @property
    def returncode(self) -> int:
        """The exit code, or -signal when killed, as `subprocess.Popen.returncode`."""
        return -self.signal if self.signal else self.code

    @classmethod
    def _from_c(cls, e: _ffi.ExitStatus) -> "Exit":
        return cls(e.status, e.code, e.signal, bool(e.core_dumped), bool(e.oom_killed))
