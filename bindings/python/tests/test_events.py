"""The event stream of a root, exit fds, and waiting with asyncio."""

import asyncio
import select
import signal
import threading
from typing import Callable, Dict, List

import pytest

import execution
from execution import EventType
from helpers import python_child

MIB = 1 << 20


def kinds(events: List[execution.Event]) -> List[EventType]:
    return [e.type for e in events]


def test_a_lifecycle_in_order(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    id = new_id()
    with rt.events() as events:
        c = rt.create(id, bundle(["sleep", "100"]))
        with c:
            c.start()
            c.pause()
            c.resume()
            with c.exec(["sh", "-c", "exit 3"], id="job") as p:
                assert p.wait().code == 3
                job_pid = p.pid
            pid = c.pid
            c.send_signal(signal.SIGKILL)
            c.wait()
            c.delete()
        got = [events.next(20) for _ in range(8)]
        assert kinds(got) == [
            EventType.CREATED, EventType.STARTED, EventType.PAUSED, EventType.RESUMED,
            EventType.EXEC_ADDED, EventType.PROCESS_EXITED, EventType.EXITED, EventType.DELETED,
        ]
        assert {e.container_id for e in got} == {id}
        assert [e.process_id for e in got][4:6] == ["job", "job"]
        assert got[5].pid == job_pid and got[5].exit == execution.Exit(3, 3, 0, False)
        assert got[6].pid == pid and got[6].exit is not None and got[6].exit.signal == 9
        assert got[0].exit is None
        times = [e.time_ns for e in got]
        assert times == sorted(times)
        with pytest.raises(execution.TimedOut):
            events.next(0)


def test_a_stream_sees_another_process_on_the_root(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    id, b = new_id(), bundle(["sh", "-c", "exit 4"])
    with rt.events() as events:
        r = python_child(
            "import execution\n"
            f"with execution.Runtime({rt.root!r}) as rt, rt.run({id!r}, {b!r}) as c:\n"
            "    c.wait(20)\n"
            "    c.delete()\n"
        )
        assert r.returncode == 0, r.stderr
        got = [events.next(20) for _ in range(4)]
    assert kinds(got) == [EventType.CREATED, EventType.STARTED, EventType.EXITED, EventType.DELETED]
    assert {e.container_id for e in got} == {id}
    assert got[2].exit is not None and got[2].exit.code == 4


def test_twenty_lifecycles_nothing_lost(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["true"])
    ids = [new_id() for _ in range(20)]
    errors: List[BaseException] = []

    def life(id: str) -> None:
        try:
            with rt.run(id, b) as c:
                c.wait(20)
                c.delete()
        except BaseException as e:  # reported by the test thread
            errors.append(e)

    with rt.events() as first, rt.events() as second:
        threads = [threading.Thread(target=life, args=(id,)) for id in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        for events in (first, second):
            per: Dict[str, List[EventType]] = {id: [] for id in ids}
            for _ in range(4 * len(ids)):
                e = events.next(20)
                per[e.container_id].append(e.type)
            want = [EventType.CREATED, EventType.STARTED, EventType.EXITED, EventType.DELETED]
            assert per == {id: want for id in ids}
            with pytest.raises(execution.TimedOut):
                events.next(0)


def test_overflow_says_how_many_were_lost(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["true"])
    with rt.events(capacity=3) as events:
        assert select.select([events], [], [], 0)[0] == []
        for _ in range(2):
            with rt.run(new_id(), b) as c:
                c.wait(20)
                c.delete()
        assert select.select([events], [], [], 0)[0] == [events]
        got = [events.next(0) for _ in range(4)]
        assert kinds(got) == [EventType.CREATED, EventType.STARTED, EventType.EXITED,
                              EventType.OVERFLOW]
        assert got[3].dropped == 5 and got[3].container_id == ""
        assert select.select([events], [], [], 0)[0] == []


def test_oom_event_before_the_exit(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    limits = execution.Limits(memory=16 * MIB, memory_swap=16 * MIB)
    with rt.events() as events, rt.run(new_id(), bundle(["busybox", "tail", "/dev/zero"], limits=limits)) as c:
        assert c.wait(20).oom_killed
        got = [events.next(20) for _ in range(4)]
        assert kinds(got) == [EventType.CREATED, EventType.STARTED, EventType.OOM, EventType.EXITED]
        assert got[2].pid == 0 and got[2].process_id == ""
        c.delete()


def test_bad_capacity_and_closed_stream(rt: execution.Runtime) -> None:
    with pytest.raises(execution.InvalidArgument):
        rt.events(capacity=(1 << 20) + 1)
    with pytest.raises(TypeError):
        rt.events(capacity="10")  # type: ignore[arg-type]
    events = rt.events()
    events.close()
    events.close()
    with pytest.raises(execution.Closed):
        events.next(0)


def test_exit_fd_polls_readable_at_the_exit(sleeper: execution.Container[bytes]) -> None:
    fd = sleeper.exit_fd()
    assert fd == sleeper.exit_fd()
    assert select.select([fd], [], [], 0)[0] == []
    sleeper.send_signal(signal.SIGKILL)
    assert select.select([fd], [], [], 20)[0] == [fd]
    assert sleeper.poll() is not None


def test_fifty_containers_awaited_on_one_thread(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["sh", "-c", "read line; exit 7"])
    containers = [rt.run(new_id(), b, stdin=execution.PIPE) for _ in range(50)]
    threads_before = threading.active_count()
    try:
        async def main() -> List[execution.Exit]:
            waits = [asyncio.ensure_future(c.wait_async(30)) for c in containers]
            await asyncio.sleep(0.1)
            assert not any(w.done() for w in waits)
            assert threading.active_count() == threads_before
            for c in containers:
                assert c.stdin is not None
                c.stdin.close()
            return await asyncio.gather(*waits)

        exits = asyncio.run(main())
        assert [e.code for e in exits] == [7] * 50
    finally:
        for c in containers:
            c.delete(force=True)
            c.close()


def test_wait_async_times_out(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(execution.TimedOut):
        asyncio.run(sleeper.wait_async(0.05))


def test_async_events_iterator(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    id = new_id()

    async def main() -> List[EventType]:
        seen: List[EventType] = []
        with rt.events() as events:
            c = rt.run(id, bundle(["true"]))
            with c:
                await c.wait_async(20)
                c.delete()
            async for e in events:
                seen.append(e.type)
                if e.type == EventType.DELETED:
                    return seen
            return seen

    assert asyncio.run(asyncio.wait_for(main(), 30)) == [
        EventType.CREATED, EventType.STARTED, EventType.EXITED, EventType.DELETED]
