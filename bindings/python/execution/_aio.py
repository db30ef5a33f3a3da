"""asyncio support: library fds awaited on the running loop, blocking calls in a worker.

An fd is registered with the loop once, however many tasks await it; its
readiness wakes them all (a second add_reader on an fd would replace the
first waiter). Blocking library calls run in the loop's default executor
so the loop keeps running; a call whose awaiting task is cancelled still
completes in its worker, and what it made is then undone there.
"""

import asyncio
import threading
import weakref
from typing import Callable, Dict, Optional, Set, TypeVar

_T = TypeVar("_T")

_Waiters = Dict[int, Set["asyncio.Future[None]"]]
_loops: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiters]" = (
    weakref.WeakKeyDictionary()
)


def _wake(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    waiters = _loops.get(loop, {}).pop(fd, set())
    loop.remove_reader(fd)
    for fut in waiters:
        if not fut.done():
            fut.set_result(None)


async def readable(fd: int, timeout: Optional[float] = None) -> None:
    """Return once `fd` polls readable; raise asyncio.TimeoutError after `timeout` seconds.

    Any number of tasks may await the same fd at once: the loop watches it
    once and wakes them all.
    """
    loop = asyncio.get_running_loop()
    table = _loops.setdefault(loop, {})
    waiters = table.get(fd)
    if waiters is None:
        waiters = table[fd] = set()
        loop.add_reader(fd, _wake, loop, fd)
    ready: "asyncio.Future[None]" = loop.create_future()
    waiters.add(ready)
    try:
        await asyncio.wait_for(ready, timeout)
    finally:
        waiters.discard(ready)
        if not waiters and table.get(fd) is waiters:
            del table[fd]
            loop.remove_reader(fd)


async def in_worker(fn: Callable[[], _T], undo: Optional[Callable[[_T], None]] = None) -> _T:
    """Run the blocking `fn` in the loop's default executor and return its result.

    If the awaiting task is cancelled, `fn` still runs to its end in the
    worker (a runtime call cannot be interrupted), and `undo` is then
    called with its result, so that nothing it made is left behind.
    """
    loop = asyncio.get_running_loop()
    lock = threading.Lock()
    state = {"abandoned": False, "finished": False}

    def work() -> _T:
        result = fn()
        with lock:
            state["finished"] = True
            abandoned = state["abandoned"]
        if abandoned and undo is not None:
            undo(result)
        return result

    fut = loop.run_in_executor(None, work)
    try:
        return await asyncio.shield(fut)
    except asyncio.CancelledError:
        with lock:
            state["abandoned"] = True
            finished = state["finished"]
        if finished and undo is not None:
            # work() returned before it could see the cancellation.
            fut.add_done_callback(lambda f: _undo_in_thread(f, undo))
        raise


def _undo_in_thread(fut: "asyncio.Future[_T]", undo: Callable[[_T], None]) -> None:
    if not fut.cancelled() and fut.exception() is None:
        threading.Thread(target=undo, args=(fut.result(),), name="execution-undo").start()
