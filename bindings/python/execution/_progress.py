"""A progress callable as an `exec_progress_fn`, shared by the calls taking one."""

from typing import Any, Callable, Optional

from . import _ffi
from .errors import Cancelled

Progress = Callable[[str, int, int], Any]
"""A progress callable: (blob digest, bytes done, total bytes); a true return cancels."""


class Reporter:
    """Calls `progress` for the library, on the calling thread; keeps the
    ctypes callback alive for the call and what the callable raised."""

    def __init__(self, progress: Progress) -> None:
        if not callable(progress):
            raise TypeError(f"progress must be callable, not {type(progress).__name__}")
        self._progress = progress
        self.raised: Optional[BaseException] = None
        self.fn = _ffi.ProgressFn(self._call)

    def _call(self, blob: bytes, done: int, total: int, _payload: Any) -> int:
        try:
            return 1 if self._progress(blob.decode(), done, total) else 0
        except BaseException as e:  # noqa: B036 - raised again after the call
            self.raised = e
            return 1

    def run(self, call: Callable[[], Any]) -> Any:
        """Make the call; an exception of the callable is raised instead of Cancelled."""
        try:
            return call()
        except Cancelled:
            if self.raised is not None:
                raise self.raised from None
            raise
