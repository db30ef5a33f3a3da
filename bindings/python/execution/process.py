"""Processes exec'd into a running container."""

from typing import Optional

from . import _args, _ffi
from .supervised import Supervised


class Process(Supervised):
    """A process started by Container.exec() or opened by Container.load_process().

    Its streams, wait(), poll(), communicate() and resize() work as a
    container's. close() releases the handle only; the process runs on. Used
    as a context manager it is closed at the end of the block.
    """

    _free = "exec_process_free"
    _kind = "process"
    _prefix = "exec_process"

    id: str
    """The process id, unique within its container (still readable after close)."""

    def __init__(self, ptr: int) -> None:
        super().__init__(ptr)
        raw: Optional[bytes] = _ffi.lib().exec_process_id(ptr)
        self.id = raw.decode("utf-8", "surrogateescape") if raw is not None else ""

    def signal(self, sig: int) -> None:
        """Send signal `sig` to the process."""
        s = _args.integer(sig, "sig", 0)
        _ffi.lib().exec_process_signal(self._handle(), s)

    def delete(self) -> None:
        """Remove the state of the exited process (InvalidState while it runs)."""
        _ffi.lib().exec_process_delete(self._handle())

    def _state_repr(self) -> str:
        return f"id={self.id!r}" + (" closed" if self.closed else "")
