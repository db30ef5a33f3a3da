"""Run and supervise OCI containers from Python, with no daemon.

A ctypes binding of libexecution, which drives runc (or a runc-compatible
runtime) directly::

    import execution

    execution.bundle_init("bundle", ["echo", "hello"])
    with execution.Runtime("/tmp/state") as rt:
        with rt.run("hello", "bundle", stdout=execution.PIPE) as c:
            out, _ = c.communicate()
            print(out, c.wait().code)

The library is found through the EXECUTION_LIBRARY environment variable,
then beside this package (where a wheel from `make wheel` puts it), then a
checkout's build/libexecution.so, then the system's library path.
"""

from .bundle import Limits, UserNS, bundle_init
from .container import Container, User
from .events import Event, EventType, Events
from .errors import (
    AlreadyExists,
    Cancelled,
    Closed,
    ErrorCode,
    ExecutionError,
    InternalError,
    InvalidArgument,
    InvalidState,
    LibraryNotFoundError,
    NotFound,
    NotSupported,
    RuntimeFailure,
    SystemCallError,
    TimedOut,
)
from .exit import Exit
from .handle import Handle
from .image import bundle_from_image, bundle_remove, image_cache_prune
from .library import library_path, version
from .log import set_log_level
from .pool import Pool
from .process import Process
from .pull import pull_image, tqdm_progress
from .runtime import Runtime
from .state import State
from .workload import Bridge, Mount
from .stats import Stats
from .streams import DEVNULL, INHERIT, PIPE, STDOUT

__version__ = "0.3.0"

__all__ = [
    "AlreadyExists",
    "Bridge",
    "Cancelled",
    "Closed",
    "Container",
    "DEVNULL",
    "ErrorCode",
    "Event",
    "EventType",
    "Events",
    "ExecutionError",
    "Exit",
    "Handle",
    "INHERIT",
    "InternalError",
    "InvalidArgument",
    "InvalidState",
    "LibraryNotFoundError",
    "Limits",
    "Mount",
    "NotFound",
    "NotSupported",
    "PIPE",
    "Pool",
    "Process",
    "Runtime",
    "RuntimeFailure",
    "STDOUT",
    "State",
    "Stats",
    "SystemCallError",
    "TimedOut",
    "User",
    "UserNS",
    "bundle_from_image",
    "bundle_init",
    "bundle_remove",
    "image_cache_prune",
    "library_path",
    "pull_image",
    "tqdm_progress",
    "set_log_level",
    "version",
]
