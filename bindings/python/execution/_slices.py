"""Blocking library calls made in slices in the main thread, so that signal handlers run."""

import math
import threading
import time
from typing import Callable, TypeVar

from .errors import TimedOut

_T = TypeVar("_T")

SLICE_MS = 200
"""How long one call waits in C between signal checks."""


def in_slices(call: Callable[[int], _T], ms: int) -> _T:
    """call(timeout_ms) for a wait of `ms` (< 0 forever); in the main thread in slices.

    Signal handlers (Ctrl-C) run in the main thread only between C calls;
    other threads wait in one call.
    """
    if threading.current_thread() is not threading.main_thread():
        return call(ms)
    deadline = None if ms < 0 else time.monotonic() + ms / 1000
    while True:
        left = SLICE_MS
        if deadline is not None:
            left = max(0, min(left, math.ceil((deadline - time.monotonic()) * 1000)))
        try:
            return call(left)
        except TimedOut:
            if deadline is not None and time.monotonic() >= deadline:
                raise
