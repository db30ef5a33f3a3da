"""Library loading and every ctypes declaration of include/execution.h.

This is the only module that touches ctypes signatures. FUNCTIONS lists
each function of the header with its result and argument types; the drift
test compares it with the header. Every function returning a result code
goes through one error check, check(), which turns a negative code into the
matching ExecutionError subclass with the message of exec_last_error(),
read at once on the same thread.
"""

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_longlong,
    c_size_t,
    c_uint,
    c_double,
    c_int64,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

from .errors import InternalError, LibraryNotFoundError, error_from_code

EXEC_VERSION = "0.3.0"
EXEC_VERSION_MAJOR = 0
EXEC_VERSION_MINOR = 3
EXEC_VERSION_PATCH = 0

EXEC_OK = 0
EXEC_EINVAL = -1
EXEC_ENOTFOUND = -2
EXEC_EEXIST = -3
EXEC_ESTATE = -4
EXEC_ERUNTIME = -5
EXEC_ETIMEDOUT = -6
EXEC_ECLOSED = -7
EXEC_ESYS = -8
EXEC_EINTERNAL = -9
EXEC_ENOTSUP = -10
EXEC_ECANCELED = -11

EXEC_STATE_CREATED = 1
EXEC_STATE_RUNNING = 2
EXEC_STATE_PAUSED = 3
EXEC_STATE_STOPPED = 4

EXEC_IO_NULL = -1
EXEC_IO_PIPE = -2

EXEC_STDIN = 0
EXEC_STDOUT = 1
EXEC_STDERR = 2

EXEC_RUNTIME_OPTIONS_VERSION = 3
EXEC_IO_VERSION = 2
EXEC_IO_MAX_EXTRA_FDS = 64
EXEC_IMAGE_OPTIONS_VERSION = 3
EXEC_EXIT_VERSION = 1
EXEC_STATS_VERSION = 1
EXEC_BUNDLE_OPTIONS_VERSION = 3
EXEC_FLAG_KEEP = 0
EXEC_FLAG_ON = 1
EXEC_FLAG_OFF = -1
EXEC_USERNS_AUTO = 0
EXEC_USERNS_NONE = 1
EXEC_USERNS_CALLER = 2
EXEC_USERNS_SUBIDS = 3
EXEC_USERNS_RANGE = 4
EXEC_EVENT_VERSION = 1

EXEC_EVENT_CREATED = 1
EXEC_EVENT_STARTED = 2
EXEC_EVENT_PAUSED = 3
EXEC_EVENT_RESUMED = 4
EXEC_EVENT_EXITED = 5
EXEC_EVENT_OOM = 6
EXEC_EVENT_DELETED = 7
EXEC_EVENT_EXEC_ADDED = 8
EXEC_EVENT_PROCESS_EXITED = 9
EXEC_EVENT_OVERFLOW = 10
EXEC_UNLIMITED = 2**64 - 1

EXEC_LOG_ERROR = 1
EXEC_LOG_WARN = 2
EXEC_LOG_INFO = 3
EXEC_LOG_DEBUG = 4


class RuntimePtr(c_void_p):
    """An `exec_runtime *`."""


class ContainerPtr(c_void_p):
    """An `exec_container *`."""


class ProcessPtr(c_void_p):
    """An `exec_process *`."""


class EventsPtr(c_void_p):
    """An `exec_events *`."""


class PoolPtr(c_void_p):
    """An `exec_pool *`."""


class RuntimeOptions(Structure):
    """`exec_runtime_options`."""

    _fields_ = [
        ("version", c_uint),
        ("root", c_char_p),
        ("runtime_path", c_char_p),
        ("runtime_root", c_char_p),
        ("systemd_cgroup", c_int),
        ("debug", c_int),
        ("log_path", c_char_p),
        ("timeout_ms", c_int),
        ("kill_on_exit", c_int),
        ("no_agent", c_int),
    ]


class IO(Structure):
    """`exec_io`."""

    _fields_ = [
        ("version", c_uint),
        ("stdin_fd", c_int),
        ("stdout_fd", c_int),
        ("stderr_fd", c_int),
        ("terminal", c_int),
        ("extra_fds", POINTER(c_int)),
        ("extra_fds_count", c_size_t),
    ]


class ExitStatus(Structure):
    """`exec_exit`."""

    _fields_ = [
        ("version", c_uint),
        ("status", c_int),
        ("code", c_int),
        ("signal", c_int),
        ("core_dumped", c_int),
        ("oom_killed", c_int),
    ]


class Stats(Structure):
    """`exec_stats`."""

    _fields_ = [
        ("version", c_uint),
        ("cpu_usage_ns", c_uint64),
        ("cpu_user_ns", c_uint64),
        ("cpu_system_ns", c_uint64),
        ("cpu_periods", c_uint64),
        ("cpu_throttled_periods", c_uint64),
        ("cpu_throttled_ns", c_uint64),
        ("memory_usage", c_uint64),
        ("memory_peak", c_uint64),
        ("memory_limit", c_uint64),
        ("memory_cache", c_uint64),
        ("memory_swap", c_uint64),
        ("oom_kills", c_uint64),
        ("pids_current", c_uint64),
        ("pids_limit", c_uint64),
        ("io_read_bytes", c_uint64),
        ("io_write_bytes", c_uint64),
    ]


class Event(Structure):
    """`exec_event`."""

    _fields_ = [
        ("version", c_uint),
        ("type", c_int),
        ("container_id", c_char_p),
        ("process_id", c_char_p),
        ("pid", c_int),
        ("time_ns", c_uint64),
        ("exit", ExitStatus),
        ("dropped", c_uint64),
    ]


class BundleOptions(Structure):
    """`exec_bundle_options`."""

    _fields_ = [
        ("version", c_uint),
        ("terminal", c_int),
        ("memory_limit", c_int64),
        ("memory_swap_limit", c_int64),
        ("cpus", c_double),
        ("cpu_quota", c_int64),
        ("cpu_period", c_uint64),
        ("cpu_shares", c_uint64),
        ("pids_limit", c_int64),
        ("userns", c_int),
        ("hardened", c_int),
        ("tmpfs", POINTER(c_char_p)),
        ("env", POINTER(c_char_p)),
        ("cwd", c_char_p),
        ("user", c_char_p),
        ("groups", POINTER(c_char_p)),
        ("hostname", c_char_p),
        ("mounts", POINTER(c_char_p)),
        ("rlimits", POINTER(c_char_p)),
        ("cap_add", POINTER(c_char_p)),
        ("cap_drop", POINTER(c_char_p)),
        ("no_new_privileges", c_int),
        ("readonly_rootfs", c_int),
        ("network", c_char_p),
        ("ports", POINTER(c_char_p)),
    ]


ProgressFn = CFUNCTYPE(c_int, c_char_p, c_longlong, c_longlong, c_void_p)
"""`exec_progress_fn`."""


class ImageOptions(Structure):
    """`exec_image_options`."""

    _fields_ = [
        ("version", c_uint),
        ("argv", POINTER(c_char_p)),
        ("env", POINTER(c_char_p)),
        ("cache_dir", c_char_p),
        ("terminal", c_int),
        ("max_bytes", c_longlong),
        ("entrypoint", POINTER(c_char_p)),
        ("platform", c_char_p),
        ("bundle", POINTER(BundleOptions)),
        ("progress", ProgressFn),
        ("progress_payload", c_void_p),
    ]


EXEC_PULL_OPTIONS_VERSION = 1

class PullOptions(Structure):
    """`exec_pull_options`."""

    _fields_ = [
        ("version", c_uint),
        ("platform", c_char_p),
        ("username", c_char_p),
        ("password", c_char_p),
        ("ca_file", c_char_p),
        ("insecure", c_int),
        ("timeout_ms", c_int),
        ("parallel", c_int),
        ("progress", ProgressFn),
        ("progress_payload", c_void_p),
    ]


EXEC_POOL_OPTIONS_VERSION = 1


class PoolOptions(Structure):
    """`exec_pool_options`."""

    _fields_ = [
        ("version", c_uint),
        ("bundle", c_char_p),
        ("size", c_uint),
        ("io", POINTER(IO)),
        ("id_prefix", c_char_p),
        ("concurrency", c_uint),
    ]


LogFn = ctypes.CFUNCTYPE(None, c_int, c_char_p, c_void_p)
"""`exec_log_fn`: void (*)(int level, const char *message, void *payload)."""

_STRINGS = POINTER(c_char_p)
_LIFECYCLE = (c_int, (ContainerPtr,))
_CREATE = (c_int, (RuntimePtr, c_char_p, c_char_p, POINTER(IO), POINTER(ContainerPtr)))

# name -> (restype, argtypes); restype c_int means a result code.
FUNCTIONS: Dict[str, Tuple[Any, Tuple[Any, ...]]] = {
    "exec_version": (c_char_p, ()),
    "exec_last_error": (c_char_p, ()),
    "exec_strerror": (c_char_p, (c_int,)),
    "exec_free": (None, (c_void_p,)),
    "exec_strings_free": (None, (_STRINGS, c_size_t)),
    "exec_runtime_options_init": (c_int, (POINTER(RuntimeOptions), c_uint)),
    "exec_io_init": (c_int, (POINTER(IO), c_uint)),
    "exec_exit_init": (c_int, (POINTER(ExitStatus), c_uint)),
    "exec_stats_init": (c_int, (POINTER(Stats), c_uint)),
    "exec_event_init": (c_int, (POINTER(Event), c_uint)),
    "exec_bundle_options_init": (c_int, (POINTER(BundleOptions), c_uint)),
    "exec_bundle_init": (c_int, (c_char_p, _STRINGS, c_int)),
    "exec_image_options_init": (c_int, (POINTER(ImageOptions), c_uint)),
    "exec_bundle_from_image": (c_int, (c_char_p, c_char_p, POINTER(ImageOptions))),
    "exec_bundle_remove": (c_int, (c_char_p,)),
    "exec_image_cache_prune": (c_int, (c_char_p, POINTER(c_size_t))),
    "exec_pull_options_init": (c_int, (POINTER(PullOptions), c_uint)),
    "exec_image_pull": (c_int, (c_char_p, c_char_p, POINTER(PullOptions), POINTER(c_char_p))),
    "exec_bundle_init_ext": (c_int, (c_char_p, _STRINGS, POINTER(BundleOptions))),
    "exec_runtime_new": (c_int, (POINTER(RuntimeOptions), POINTER(RuntimePtr))),
    "exec_runtime_root": (c_char_p, (RuntimePtr,)),
    "exec_runtime_free": (None, (RuntimePtr,)),
    "exec_container_create": _CREATE,
    "exec_container_run": _CREATE,
    "exec_container_start": _LIFECYCLE,
    "exec_container_load": (c_int, (RuntimePtr, c_char_p, POINTER(ContainerPtr))),
    "exec_container_list": (c_int, (RuntimePtr, POINTER(_STRINGS), POINTER(c_size_t))),
    "exec_container_state": (c_int, (ContainerPtr, POINTER(c_int))),
    "exec_container_pid": (c_int, (ContainerPtr, POINTER(c_int))),
    "exec_container_id": (c_char_p, (ContainerPtr,)),
    "exec_container_pause": _LIFECYCLE,
    "exec_container_resume": _LIFECYCLE,
    "exec_container_kill": (c_int, (ContainerPtr, c_int, c_int)),
    "exec_container_wait": (c_int, (ContainerPtr, c_int, POINTER(ExitStatus))),
    "exec_container_exit_fd": (c_int, (ContainerPtr, POINTER(c_int))),
    "exec_container_stdio": (c_int, (ContainerPtr, c_int, POINTER(c_int))),
    "exec_container_resize": (c_int, (ContainerPtr, c_uint, c_uint)),
    "exec_container_stats": (c_int, (ContainerPtr, POINTER(Stats))),
    "exec_container_ps": (c_int, (ContainerPtr, POINTER(POINTER(c_int)), POINTER(c_size_t))),
    "exec_container_addresses": (c_int, (ContainerPtr, POINTER(_STRINGS), POINTER(c_size_t))),
    "exec_container_update": (c_int, (ContainerPtr, c_char_p)),
    "exec_container_delete": (c_int, (ContainerPtr, c_int)),
    "exec_container_free": (None, (ContainerPtr,)),
    "exec_container_exec": (
        c_int,
        (ContainerPtr, c_char_p, c_char_p, POINTER(IO), POINTER(ProcessPtr)),
    ),
    "exec_process_load": (c_int, (ContainerPtr, c_char_p, POINTER(ProcessPtr))),
    "exec_process_id": (c_char_p, (ProcessPtr,)),
    "exec_process_pid": (c_int, (ProcessPtr, POINTER(c_int))),
    "exec_process_signal": (c_int, (ProcessPtr, c_int)),
    "exec_process_wait": (c_int, (ProcessPtr, c_int, POINTER(ExitStatus))),
    "exec_process_stdio": (c_int, (ProcessPtr, c_int, POINTER(c_int))),
    "exec_process_resize": (c_int, (ProcessPtr, c_uint, c_uint)),
    "exec_process_delete": (c_int, (ProcessPtr,)),
    "exec_process_exit_fd": (c_int, (ProcessPtr, POINTER(c_int))),
    "exec_process_free": (None, (ProcessPtr,)),
    "exec_events_open": (c_int, (RuntimePtr, c_uint, POINTER(EventsPtr))),
    "exec_events_fd": (c_int, (EventsPtr, POINTER(c_int))),
    "exec_events_next": (c_int, (EventsPtr, c_int, POINTER(Event))),
    "exec_events_free": (None, (EventsPtr,)),
    "exec_log_set": (c_int, (LogFn, c_int, c_void_p)),
    "exec_pool_options_init": (c_int, (POINTER(PoolOptions), c_uint)),
    "exec_pool_new": (c_int, (RuntimePtr, POINTER(PoolOptions), POINTER(PoolPtr))),
    "exec_pool_take": (c_int, (PoolPtr, c_int, POINTER(ContainerPtr))),
    "exec_pool_fill": (c_int, (PoolPtr, c_int)),
    "exec_pool_free": (None, (PoolPtr,)),
}

_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None
_lock = threading.Lock()


LIBRARY_FILE = "libexecution.so"
"""The library's file name, beside this package in a wheel, in build/ in a checkout."""


def package_library() -> Path:
    """Where a wheel puts the library: beside this file."""
    return Path(__file__).resolve().parent / LIBRARY_FILE


def checkout_library() -> Optional[Path]:
    """Where a checkout's `make` puts the library; None unless this package is in a checkout."""
    package = Path(__file__).resolve().parent
    if package.parent.name != "python" or package.parents[1].name != "bindings":
        return None
    return package.parents[2] / "build" / LIBRARY_FILE


def _candidates() -> Iterator[Tuple[str, Optional[str], str]]:
    """(how, path or None, why not) for each place to look, in order, looked up lazily."""
    yield "EXECUTION_LIBRARY", os.environ.get("EXECUTION_LIBRARY") or None, "not set"
    bundled = package_library()
    yield "package", str(bundled) if bundled.is_file() else None, f"no {bundled}"
    checkout = checkout_library()
    if checkout is None:
        yield "checkout", None, "the package is not in a checkout's bindings/python"
    else:
        yield "checkout", str(checkout) if checkout.is_file() else None, f"no {checkout}"
    yield "system", ctypes.util.find_library("execution"), "find_library('execution') found nothing"


def _load() -> ctypes.CDLL:
    tried = []
    for how, path, why in _candidates():
        if path is None:
            tried.append(f"{how}: {why}")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            if how == "EXECUTION_LIBRARY":
                raise LibraryNotFoundError(f"EXECUTION_LIBRARY={path} cannot be loaded: {e}") from e
            tried.append(f"{how}: {e}")
            continue
        lib.exec_version.restype, lib.exec_version.argtypes = c_char_p, ()
        version = lib.exec_version().decode()
        if not compatible(version):
            raise LibraryNotFoundError(
                f"{path} is libexecution {version}; this binding needs {required_version()}"
            )
        _declare(lib)
        global _lib_path
        _lib_path = path
        return lib
    raise LibraryNotFoundError(
        "libexecution not found; install a wheel that holds it (`make wheel`), set "
        "EXECUTION_LIBRARY to its path, run `make` in the checkout, or install it "
        "system-wide (" + "; ".join(tried) + ")"
    )


def required_version() -> str:
    """The library versions this binding's declarations match, as "0.3.x" or "1.x"."""
    if EXEC_VERSION_MAJOR == 0:
        return f"0.{EXEC_VERSION_MINOR}.x"
    return f"{EXEC_VERSION_MAJOR}.x"


def compatible(version: str) -> bool:
    """True when a library of `version` has this binding's ABI: before 1.0 each minor release
    may change it, so the major and minor must match; from 1.0 on, the major alone."""
    parts = version.split(".")
    if parts[0] != str(EXEC_VERSION_MAJOR):
        return False
    return EXEC_VERSION_MAJOR != 0 or (len(parts) > 1 and parts[1] == str(EXEC_VERSION_MINOR))


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
        if restype is c_int:
            fn.errcheck = _errcheck


def lib() -> ctypes.CDLL:
    """The loaded library with every function declared; loads it on first use."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is not None:
                return _lib
            loaded = _load()
            _lib = loaded
        # Outside the lock: a failure there reads exec_last_error through lib().
        from . import log

        log.connect(loaded)
    return _lib


def lib_path() -> Optional[str]:
    """The path or name the library was loaded from, None before loading."""
    return _lib_path


def last_error() -> str:
    """exec_last_error() of the calling thread."""
    msg: bytes = lib().exec_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def strerror(code: int) -> str:
    """exec_strerror(code)."""
    text: bytes = lib().exec_strerror(code)
    return text.decode("utf-8", "replace")


def handle(out: c_void_p) -> int:
    """The handle an out-parameter received from a successful call."""
    if out.value is None:
        raise InternalError("the library returned EXEC_OK with a NULL handle")
    return out.value


def check(code: int) -> int:
    """Raise the ExecutionError of a negative result code; return code otherwise."""
    if code < 0:
        raise error_from_code(code, last_error() or strerror(code))
    return code


def _errcheck(result: int, func: Any, args: Any) -> int:
    return check(result)
