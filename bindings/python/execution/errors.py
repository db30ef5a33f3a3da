"""Exceptions: one class per EXEC_E* result code of the library."""

import enum
from typing import Dict, Optional, Type


class ErrorCode(enum.IntEnum):
    """The library's result codes (`exec_error_code`)."""

    OK = 0
    EINVAL = -1
    ENOTFOUND = -2
    EEXIST = -3
    ESTATE = -4
    ERUNTIME = -5
    ETIMEDOUT = -6
    ECLOSED = -7
    ESYS = -8
    EINTERNAL = -9
    ENOTSUP = -10
    ECANCELED = -11


class ExecutionError(Exception):
    """A failed library call: `code` is the EXEC_E* code, `message` the library's text.

    Each code has its own subclass; an unknown negative code (from a newer
    library) raises ExecutionError itself.
    """

    code: int
    message: str

    def __init__(self, message: str = "", code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = _as_code(code)
        elif not hasattr(self, "code"):
            self.code = ErrorCode.EINTERNAL

    def __str__(self) -> str:
        return self.message or getattr(self.code, "name", str(self.code))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={int(self.code)})"


class InvalidArgument(ExecutionError):
    """EXEC_EINVAL: a bad argument (malformed id, bad JSON, missing bundle...)."""

    code = ErrorCode.EINVAL


class NotFound(ExecutionError):
    """EXEC_ENOTFOUND: no such container or process."""

    code = ErrorCode.ENOTFOUND


class AlreadyExists(ExecutionError):
    """EXEC_EEXIST: the id is already in use."""

    code = ErrorCode.EEXIST


class InvalidState(ExecutionError):
    """EXEC_ESTATE: not allowed in the current state (or in a forked child)."""

    code = ErrorCode.ESTATE


class RuntimeFailure(ExecutionError):
    """EXEC_ERUNTIME: the OCI runtime failed; the message carries what it said."""

    code = ErrorCode.ERUNTIME


class TimedOut(ExecutionError, TimeoutError):
    """EXEC_ETIMEDOUT: the timeout ran out. Also a builtin TimeoutError."""

    code = ErrorCode.ETIMEDOUT


class Closed(ExecutionError):
    """EXEC_ECLOSED: the handle is closed, freed or stale."""

    code = ErrorCode.ECLOSED


class SystemCallError(ExecutionError):
    """EXEC_ESYS: a system call failed; the message carries the errno text."""

    code = ErrorCode.ESYS


class InternalError(ExecutionError):
    """EXEC_EINTERNAL: a bug in the library (a recovered panic)."""

    code = ErrorCode.EINTERNAL


class NotSupported(ExecutionError):
    """EXEC_ENOTSUP: not possible for this user on this host (limits, stats or
    pause of a rootless container without a cgroup of its own)."""

    code = ErrorCode.ENOTSUP


class Cancelled(ExecutionError):
    """EXEC_ECANCELED: the caller cancelled the call (a progress callback
    returned a true value)."""

    code = ErrorCode.ECANCELED


class LibraryNotFoundError(ImportError):
    """libexecution.so could not be found or loaded; the message says where it looked."""


_CLASSES: Dict[int, Type[ExecutionError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        InvalidState,
        RuntimeFailure,
        TimedOut,
        Closed,
        SystemCallError,
        InternalError,
        NotSupported,
        Cancelled,
    )
}


def _as_code(code: int) -> int:
    try:
        return ErrorCode(code)
    except ValueError:
        return int(code)


def error_from_code(code: int, message: str) -> ExecutionError:
    """The exception for a negative result code and its message."""
    cls = _CLASSES.get(code)
    if cls is None:
        return ExecutionError(message, code)
    return cls(message)
