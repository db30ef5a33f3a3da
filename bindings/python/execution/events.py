"""The lifecycle events of a runtime's root."""

import asyncio
import enum
import time
from ctypes import byref, c_int
from dataclasses import dataclass
from typing import AsyncIterator, Iterator, Optional

from . import _aio, _args, _ffi, _slices
from .errors import TimedOut
from .exit import Exit
from .handle import Handle


class EventType(enum.IntEnum):
    """What an Event reports, with the values of `exec_event_type`."""

    CREATED = _ffi.EXEC_EVENT_CREATED
    """A container was created."""
    STARTED = _ffi.EXEC_EVENT_STARTED
    """A container was started."""
    PAUSED = _ffi.EXEC_EVENT_PAUSED
    """A container was paused."""
    RESUMED = _ffi.EXEC_EVENT_RESUMED
    """A paused container was resumed."""
    EXITED = _ffi.EXEC_EVENT_EXITED
    """A container's init exited; `exit` says how."""
    OOM = _ffi.EXEC_EVENT_OOM
    """The OOM killer killed a process of the container (named by the exit that follows)."""
    DELETED = _ffi.EXEC_EVENT_DELETED
    """A container was deleted."""
    EXEC_ADDED = _ffi.EXEC_EVENT_EXEC_ADDED
    """A process was exec'd in a container."""
    PROCESS_EXITED = _ffi.EXEC_EVENT_PROCESS_EXITED
    """An exec'd process exited; `exit` says how."""
    OVERFLOW = _ffi.EXEC_EVENT_OVERFLOW
    """The stream was full: `dropped` events were lost here."""


@dataclass(frozen=True)
class Event:
    """One lifecycle event of a root, as `exec_event`."""

    type: EventType
    container_id: str
    """The container's id; "" for OVERFLOW."""
    process_id: str
    """The exec'd process's id; "" for a container's own events."""
    pid: int
    """The host pid of the process that exited or was OOM-killed, else 0."""
    time_ns: int
    """When it was published: CLOCK_MONOTONIC (time.monotonic_ns()), in nanoseconds."""
    exit: Optional[Exit]
    """How it ended, for EXITED and PROCESS_EXITED; else None."""
    dropped: int
    """How many events were lost, for OVERFLOW."""

    @classmethod
    def _from_c(cls, e: _ffi.Event) -> "Event":
        kind = EventType(e.type)
        exits = (EventType.EXITED, EventType.PROCESS_EXITED)
        return cls(
            kind, _text(e.container_id), _text(e.process_id), e.pid,
            e.time_ns, Exit._from_c(e.exit) if kind in exits else None, e.dropped,
        )


def _text(raw: Optional[bytes]) -> str:
    return (raw or b"").decode("utf-8", "surrogateescape")


class Events(Handle):
    """A stream of every lifecycle event of a root, from its opening on: Runtime.events().

    Iterate it (blocking) or `async for` it (on the running asyncio loop,
    with no thread); fileno() is an fd that polls readable while next() has
    an event, for select or an event loop of your own. A reader that falls
    behind by the stream's capacity loses the newest events, and an OVERFLOW
    event says how many. close() (or `with`) closes the stream and its fd.
    """

    _free = "exec_events_free"
    _kind = "events"

    @classmethod
    def _from_handle(cls, ptr: int) -> "Events":
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    def fileno(self) -> int:
        """An fd that polls readable while next() has an event; the stream owns it."""
        fd = c_int()
        _ffi.lib().exec_events_fd(self._handle(), byref(fd))
        return fd.value

    def next(self, timeout: Optional[float] = None) -> Event:
        """The next event; `timeout` in seconds (None forever, 0 polls), then TimedOut."""
        return _slices.in_slices(self._take, _args.timeout_ms(timeout))

    def _take(self, ms: int) -> Event:
        out = _ffi.Event(version=_ffi.EXEC_EVENT_VERSION)
        _ffi.lib().exec_events_next(self._handle(), ms, byref(out))
        return Event._from_c(out)

    async def next_async(self, timeout: Optional[float] = None) -> Event:
        """The next event, awaited on the running loop (no thread); TimedOut after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + _args.seconds(timeout, "timeout")
        while True:
            try:
                return self._take(0)
            except TimedOut:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise
            try:
                await _aio.readable(self.fileno(), left)
            except asyncio.TimeoutError:
                raise TimedOut(f"no event within {timeout} s") from None

    def __iter__(self) -> Iterator[Event]:
        while True:
            yield self.next()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[Event]:
        while True:
            yield await self.next_async()
