"""Waiting for a library fd on the running asyncio loop, with no thread."""

import asyncio
from typing import Optional


async def readable(fd: int, timeout: Optional[float] = None) -> None:
    """Return once `fd` polls readable; raise asyncio.TimeoutError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    ready: "asyncio.Future[None]" = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, timeout)
    finally:
        loop.remove_reader(fd)
