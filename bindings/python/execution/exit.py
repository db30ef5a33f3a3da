"""How a container's init or an exec'd process ended."""

from typing import Any, ClassVar, Tuple

from . import _ffi


class Exit(int):
    """How a container's init process or an exec'd process ended: an int, its status.

    As an int it is `status`: the exit code for a normal exit and 128 +
    signal for a process killed by a signal (as a shell reports it), so
    ``exit == 0`` means success and ``if exit:`` means failure. `code` is
    the exit code or -1 when killed by a signal; `signal` is the killing
    signal or 0; `returncode` is Popen's form (the code, or -signal).
    `oom_killed` is True when the kernel's OOM killer killed: for a
    container, any of its processes while its init ran; for an exec'd
    process, that process. Two exits compare equal when their statuses do.
    """

    _fields: ClassVar[Tuple[str, ...]] = ("status", "code", "signal", "core_dumped", "oom_killed")

    code: int
    """The exit code, or -1 when a signal ended the process."""
    signal: int
    """The signal that ended the process, or 0."""
    core_dumped: bool
    """True when the process dumped core."""
    oom_killed: bool
    """True when the kernel's OOM killer killed (see the class doc)."""

    def __new__(
        cls,
        status: int,
        code: int,
        signal: int,
        core_dumped: bool,
        oom_killed: bool = False,
    ) -> "Exit":
        self = super().__new__(cls, status)
        for name, value in (
            ("code", int(code)),
            ("signal", int(signal)),
            ("core_dumped", bool(core_dumped)),
            ("oom_killed", bool(oom_killed)),
        ):
            object.__setattr__(self, name, value)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Exit is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Exit is immutable: cannot delete {name!r}")

    def __reduce__(self) -> Tuple[Any, ...]:
        return (Exit, tuple(getattr(self, name) for name in self._fields))

    @property
    def status(self) -> int:
        """The exit code, or 128 + signal when killed: the int this Exit is."""
        return int(self)

    @property
    def signaled(self) -> bool:
        """True when a signal ended the process."""
        return self.signal != 0

    @property
    def returncode(self) -> int:
        """The exit code, or -signal when killed, as `subprocess.Popen.returncode`."""
        return -self.signal if self.signal else self.code

    def __repr__(self) -> str:
        return (
            f"Exit(status={self.status}, code={self.code}, signal={self.signal}, "
            f"core_dumped={self.core_dumped}, oom_killed={self.oom_killed})"
        )

    __str__ = __repr__

    @classmethod
    def _from_c(cls, e: _ffi.ExitStatus) -> "Exit":
        return cls(e.status, e.code, e.signal, bool(e.core_dumped), bool(e.oom_killed))
