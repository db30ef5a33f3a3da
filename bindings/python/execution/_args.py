"""Argument checks: wrong Python types raise TypeError before any C call."""

import math
import os
from ctypes import Array, c_char_p
from typing import Any, Mapping, Optional, Sequence

_INT_MAX = 2**31 - 1


def text(value: Any, what: str) -> bytes:
    """A str argument (an id), encoded."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogateescape")


def path(value: Any, what: str) -> bytes:
    """A str, bytes or os.PathLike argument, encoded."""
    try:
        return os.fsencode(value)
    except TypeError:
        raise TypeError(
            f"{what} must be str, bytes or os.PathLike, not {type(value).__name__}"
        ) from None


def optional_path(value: Any, what: str) -> Optional[bytes]:
    """path(), or None."""
    return None if value is None else path(value, what)


def flag(value: Any, what: str) -> int:
    """A bool argument, as 0 or 1."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be bool, not {type(value).__name__}")
    return int(value)


def integer(value: Any, what: str, low: int = -_INT_MAX - 1, high: int = _INT_MAX) -> int:
    """An int argument (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be in [{low}, {high}], got {value}")
    return int(value)


def seconds(value: Any, what: str) -> float:
    """A duration in seconds: an int or a float, not a bool or NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{what} must not be NaN")
    return float(value)


def timeout_ms(timeout: Any) -> int:
    """A timeout in seconds (None waits forever) as the library's milliseconds."""
    if timeout is None:
        return -1
    s = seconds(timeout, "timeout")
    if s <= 0:
        return 0
    return min(_INT_MAX, math.ceil(s * 1000))


def strings(value: Any, what: str) -> Sequence[str]:
    """A non-str sequence of str, such as process arguments."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{what} must be a sequence of str, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{what} items must be str, not {type(item).__name__}")
    return list(value)


def string_array(items: Sequence[str]) -> "Array[c_char_p]":
    """A NULL-terminated `const char *const *` of items."""
    encoded = [i.encode("utf-8", "surrogateescape") for i in items]
    return (c_char_p * (len(encoded) + 1))(*encoded, None)


def env(value: Any, what: str) -> Sequence[str]:
    """A Mapping of str to str, as "NAME=value" entries."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a mapping of str to str, not {type(value).__name__}")
    entries = []
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{what} keys and values must be str")
        entries.append(f"{k}={v}")
    return entries
