"""Container states."""

import enum

from . import _ffi


class State(enum.IntEnum):
    """A container's state, with the values of `exec_state`."""

    CREATED = _ffi.EXEC_STATE_CREATED
    """Created, its process not yet started."""
    RUNNING = _ffi.EXEC_STATE_RUNNING
    """Its init process runs."""
    PAUSED = _ffi.EXEC_STATE_PAUSED
    """Frozen by Container.pause()."""
    STOPPED = _ffi.EXEC_STATE_STOPPED
    """Its init process has exited."""
