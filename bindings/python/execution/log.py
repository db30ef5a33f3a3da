"""The library's diagnostics, on the logger ``logging.getLogger("execution")``.

When the library loads, the package sets itself as the receiver of
exec_log_set(): what the library works around or cannot report through an
exception (a failed runtime call with what the runtime wrote, the runtime's
log lines, a monitor started or found gone, a message sent again, dropped
events, an exit that became unknown) becomes a record of that logger, at
ERROR, WARNING, INFO or DEBUG. Records come from a thread of the library's,
one at a time, in order.

The library only makes the messages the logger wants at load: those at its
effective level then (WARNING by default) and above. After changing the
logger's level, call :func:`set_log_level` so the library follows. At
interpreter exit the hook is turned off, so no message reaches a finalizing
interpreter. The logger has a NullHandler: configure logging (for example
``logging.basicConfig()``) to see the records.
"""

import atexit
import ctypes
import logging
import threading
from typing import Optional

from . import _ffi

logger = logging.getLogger("execution")
"""The logger the library's messages go to."""
# As the logging HOWTO asks of libraries: without a configured handler the
# records are dropped, not printed by logging's last resort.
logger.addHandler(logging.NullHandler())

_LEVELS = {
    _ffi.EXEC_LOG_ERROR: logging.ERROR,
    _ffi.EXEC_LOG_WARN: logging.WARNING,
    _ffi.EXEC_LOG_INFO: logging.INFO,
    _ffi.EXEC_LOG_DEBUG: logging.DEBUG,
}
_lock = threading.Lock()
_connected = False


def _receive(level: int, message: Optional[bytes], payload: Optional[int]) -> None:
    """The exec_log_fn: one message to the logger; never raises into C."""
    try:
        text = message.decode("utf-8", "replace") if message else ""
        logger.log(_LEVELS.get(level, logging.DEBUG), "%s", text)
    except Exception:  # noqa: BLE001 - nothing may propagate into the library's thread
        pass


# Kept for the life of the process: the library holds its address.
_RECEIVER = _ffi.LogFn(_receive)


def _max_level(level: int) -> int:
    """The least severe EXEC_LOG_* value a logger at `level` takes; 0 for none."""
    if level <= logging.DEBUG:
        return _ffi.EXEC_LOG_DEBUG
    if level <= logging.INFO:
        return _ffi.EXEC_LOG_INFO
    if level <= logging.WARNING:
        return _ffi.EXEC_LOG_WARN
    if level <= logging.ERROR:
        return _ffi.EXEC_LOG_ERROR
    return 0


def connect(lib: ctypes.CDLL) -> None:
    """Set the receiver at the logger's effective level; called once when the library loads."""
    global _connected
    with _lock:
        if _connected:
            return
        lib.exec_log_set(_RECEIVER, _max_level(logger.getEffectiveLevel()), None)
        _connected = True
    atexit.register(_disconnect)


def set_log_level(level: Optional[int] = None) -> None:
    """Have the library make the messages a logger at `level` takes.

    `level` is a :mod:`logging` level (``logging.DEBUG`` for everything,
    including each line the runtime logs); None takes the effective level
    of ``logging.getLogger("execution")`` now. This sets which messages the
    library makes, not the logger's own level: set that as usual.
    """
    lib = _ffi.lib()
    if level is None:
        level = logger.getEffectiveLevel()
    # No lock held: a handler may call this from the library's thread while
    # another thread's call waits for that handler to return.
    lib.exec_log_set(_RECEIVER, _max_level(level), None)


def _disconnect() -> None:
    """Turn the hook off, at interpreter exit; a forked child, which cannot, has no hook."""
    try:
        _ffi.lib().exec_log_set(None, 0, None)
    except Exception:  # noqa: BLE001 - EXEC_ESTATE in a forked child
        pass
