"""Warm pools: containers of one bundle created ahead, started on take."""

from ctypes import byref
from typing import Any, Optional

from . import _args, _ffi, _slices
from .container import Container
from .handle import Handle
from .streams import Plan


class Pool(Handle):
    """A warm pool: Runtime.pool().

    It keeps `size` containers of one bundle created ahead, so that take()
    only starts one. The pool refills in the background; a refill that
    failed (bundle gone, runtime failing) is raised by the next take() that
    finds none ready. close() (or the end of a `with` block) stops refilling
    and deletes the containers not taken; taken ones are the caller's.
    """

    _free = "exec_pool_free"
    _kind = "pool"
    _plan: Plan

    @classmethod
    def _from_handle(cls, ptr: int, plan: Plan) -> "Pool":
        self = cls.__new__(cls)
        self._adopt(ptr)
        self._plan = plan
        return self

    def take(self, timeout: Optional[float] = None) -> "Container[Any]":
        """Start a ready container and return it, an ordinary Container from then on.

        `timeout` in seconds bounds the wait for a ready one (None forever,
        0 only one already ready), then TimedOut; not the start. Used in a
        `with` block the container is deleted at its end, as one from run().
        """
        ms = _args.timeout_ms(timeout)
        h = self._handle()
        out = _ffi.ContainerPtr()
        _slices.in_slices(lambda left: _ffi.lib().exec_pool_take(h, left, byref(out)), ms)
        return Container._made(_ffi.handle(out), self._plan)

    def fill(self, timeout: Optional[float] = None) -> None:
        """Wait until the pool holds its size of ready containers, as a host does before it serves.

        `timeout` in seconds (None forever, 0 polls), then TimedOut; a failed
        refill is raised here as by take().
        """
        h = self._handle()
        _slices.in_slices(lambda left: _ffi.lib().exec_pool_fill(h, left), _args.timeout_ms(timeout))
