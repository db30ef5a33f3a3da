"""The base class of every object that owns a library handle."""

from types import TracebackType
from typing import Any, ClassVar, Optional, Type, TypeVar

from . import _ffi
from .errors import Closed

_H = TypeVar("_H", bound="Handle")


class Handle:
    """An object owning one library handle, released by close().

    close() releases the handle only (never stops or deletes a container) and
    may be called any number of times; `with` calls it on exit, and so does the
    finaliser. Any use after close raises Closed.
    """

    _free: ClassVar[str]
    _kind: ClassVar[str]
    _ptr: Optional[int] = None

    def _adopt(self, ptr: int) -> None:
        """Take ownership of the library handle `ptr`."""
        self._ptr = ptr

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._ptr is None

    def _handle(self) -> int:
        ptr = self._ptr
        if ptr is None:
            raise Closed(f"{self._kind} handle is closed")
        return ptr

    def close(self) -> None:
        """Release the handle. Calling it again does nothing."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            getattr(_ffi.lib(), self._free)(ptr)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            self._end_of_block()
        finally:
            self.close()

    def _end_of_block(self) -> None:
        """What the end of a `with` block does before it closes the handle."""

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    def _state_repr(self) -> str:
        return "closed" if self._ptr is None else "open"

    def __repr__(self) -> Any:
        return f"<{type(self).__module__.split('.')[0]}.{type(self).__name__} {self._state_repr()}>"
