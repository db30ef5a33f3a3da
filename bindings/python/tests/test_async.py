"""asyncio: shared waits, lifecycle calls in a worker, stream readers, a fleet on one thread."""

import asyncio
import os
import threading
from typing import Callable, Dict, List

import pytest

import execution
from helpers import sh

FLEET = int(os.environ.get("EXEC_ASYNC_FLEET", "1000"))
"""How many containers the fleet test awaits (1000 unless told)."""


def test_many_tasks_await_one_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("read x; exit 5")), stdin=execution.PIPE) as c:

        async def main() -> List[execution.Exit]:
            waits = [asyncio.ensure_future(c.wait_async(60)) for _ in range(5)]
            await asyncio.sleep(0.05)
            assert not any(w.done() for w in waits)
            assert c.stdin is not None
            c.stdin.close()
            both = await asyncio.gather(c.wait_async(60), c.wait_async(60))
            return list(both) + list(await asyncio.gather(*waits))

        assert asyncio.run(main()) == [5] * 7


def test_a_timed_out_waiter_leaves_the_others_waiting(sleeper: execution.Container[bytes]) -> None:
    async def main() -> execution.Exit:
        patient = asyncio.ensure_future(sleeper.wait_async(60))
        with pytest.raises(execution.TimedOut):
            await sleeper.wait_async(0.05)
        assert not patient.done()
        sleeper.kill()
        return await patient

    assert asyncio.run(main()).signal == 9


def test_lifecycle_calls_leave_the_loop_running(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["sleep", "1000"])
    cid = new_id()

    async def main() -> List[str]:
        order: List[str] = []

        async def tick() -> None:
            order.append("tick")

        async def lifecycle() -> None:
            c = await rt.run_async(cid, b)
            order.append("run")
            p = await c.exec_async(sh("exit 4"))
            assert await p.wait_async(60) == 4
            await p.delete_async()
            await c.pause_async()
            await c.resume_async()
            await c.delete_async(force=True)
            c.close()
            order.append("deleted")

        job = asyncio.ensure_future(lifecycle())
        await tick()  # the loop runs this while the runtime call is in its worker
        await job
        return order

    assert asyncio.run(main()) == ["tick", "run", "deleted"]
    assert rt.list() == []


def test_a_cancelled_run_or_exec_still_cleans_up(
    rt: execution.Runtime,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    sleeper: execution.Container[bytes],
) -> None:
    b = bundle(["sleep", "1000"])
    cid = new_id()

    async def main() -> None:
        for make in (lambda: rt.run_async(cid, b), lambda: sleeper.exec_async(["sleep", "1000"], id="gone")):
            task = asyncio.ensure_future(make())
            await asyncio.sleep(0)  # its worker has the call
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())  # asyncio.run waits for the workers, and so for their undo
    assert rt.list() == [sleeper.id]
    with pytest.raises(execution.NotFound):
        sleeper.load_process("gone")


def test_stream_readers_and_writer(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = "while read line; do echo \"out $line\"; echo \"err $line\" >&2; done; exit 3"
    with rt.run(
        new_id(), bundle(sh(script)),
        stdin=execution.PIPE, stdout=execution.PIPE, stderr=execution.PIPE, text=True,
    ) as c:

        async def main() -> List[bytes]:
            stdin = await c.stdin_writer()
            stdout = await c.stdout_reader()
            stderr = await c.stderr_reader()
            assert c.stdin is None and c.stdout is None and c.stderr is None
            with pytest.raises(execution.InvalidState):
                await c.stdout_reader()
            stdin.write(b"a\nb\n")
            await stdin.drain()
            got = [await stdout.readline(), await stderr.readline()]
            stdin.close()
            got += [await stdout.read(), await stderr.read()]
            assert await c.wait_async(60) == 3
            return got

        assert asyncio.run(main()) == [b"out a\n", b"err a\n", b"out b\n", b"err b\n"]


def test_a_fleet_awaited_from_one_thread(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    """FLEET containers run at once; one loop thread awaits every exit, several waiters on some."""
    b = bundle(sh("read code; exit $code"))
    ids = [new_id() for _ in range(FLEET)]

    async def main() -> None:
        made: List[execution.Container[bytes]] = []
        try:
            for start in range(0, FLEET, 50):
                made += await asyncio.gather(
                    *(rt.run_async(i, b, stdin=execution.PIPE) for i in ids[start : start + 50])
                )
            threads = threading.active_count()
            waits: Dict[int, List["asyncio.Future[execution.Exit]"]] = {}
            for n, c in enumerate(made):
                waiters = 3 if n % 10 == 0 else 1
                waits[n] = [asyncio.ensure_future(c.wait_async(600)) for _ in range(waiters)]
            await asyncio.sleep(0)
            for n, c in enumerate(made):
                assert c.stdin is not None
                c.stdin.write(f"{n % 200}\n".encode())
                c.stdin.close()
            for n, futures in waits.items():
                for exit in await asyncio.gather(*futures):
                    assert exit == n % 200, (n, exit)
            assert threading.active_count() == threads  # the waits made no thread
            assert sum(len(f) for f in waits.values()) == FLEET + 2 * len(range(0, FLEET, 10))
        finally:
            for start in range(0, len(made), 50):
                await asyncio.gather(*(c.delete_async(force=True) for c in made[start : start + 50]))
            for c in made:
                c.close()

    asyncio.run(main())
    assert rt.list() == []
