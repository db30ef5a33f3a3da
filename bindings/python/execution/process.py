"""Processes exec'd into a running container."""

from typing import Any, AnyStr, Optional

from . import _aio, _args, _ffi
from .supervised import Supervised

_KILL_PATIENCE = 10.0
"""Seconds the end of a `with` block waits for the killed process (one in a paused container dies only when thawed)."""


class Process(Supervised[AnyStr]):
    """A process started by Container.exec() or opened by Container.load_process().

    Its streams, wait(), poll(), communicate(), kill() and resize() work
    as a container's. close() releases the handle only; the process runs
    on. Used as a context manager, a process Container.exec() made is
    killed if it still runs and deleted at the end of the block, so its id
    is free again; one from Container.load_process() is only closed.
    """

    _free = "exec_process_free"
    _kind = "process"
    _prefix = "exec_process"

    id: str
    """The process id, unique within its container (still readable after close)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            "Process objects come from Container.exec() or Container.load_process(), "
            "not from Process()"
        )

    @classmethod
    def _from_handle(cls, ptr: int, owned: bool = False) -> "Process[Any]":
        """The Process owning the library handle `ptr`; deleted by `with` when `owned`."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        self._owned = owned
        raw: Optional[bytes] = _ffi.lib().exec_process_id(ptr)
        self.id = raw.decode("utf-8", "surrogateescape") if raw is not None else ""
        return self

    def signal(self, sig: int) -> None:
        """Send signal `sig` to the process; InvalidState once it exited (send_signal() does nothing then)."""
        s = _args.integer(sig, "sig", 0)
        _ffi.lib().exec_process_signal(self._handle(), s)

    def _signal(self, sig: int) -> None:
        self.signal(sig)

    def delete(self) -> None:
        """Remove the state of the exited process (InvalidState while it runs)."""
        _ffi.lib().exec_process_delete(self._handle())

    async def delete_async(self) -> None:
        """delete() in a worker thread; cancelling the awaiting task does not stop it."""
        await _aio.in_worker(self.delete)

    def _discard(self) -> None:
        self.kill()
        self.wait(_KILL_PATIENCE)
        self.delete()

    def _state_repr(self) -> str:
        return f"id={self.id!r}" + (" closed" if self.closed else "")
