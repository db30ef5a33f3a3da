"""Threads: blocking calls release the GIL; lifecycles run concurrently."""

import signal
import threading
import time

from typing import Callable

import execution
from helpers import sh


def test_wait_does_not_hold_up_other_threads(sleeper: execution.Container[bytes]) -> None:
    done = []
    t = threading.Thread(target=lambda: done.append(sleeper.wait(timeout=30)))
    t.start()
    time.sleep(0.1)
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < 0.3:
        n += 1
    assert time.monotonic() - start < 1.0
    assert t.is_alive() and not done and n > 1000
    sleeper.kill()
    t.join(10)
    assert done and done[0].signal == 9


def test_communicate_does_not_hold_up_other_threads(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("sleep 1; echo late")), stdout=execution.PIPE) as c:
        result = []
        t = threading.Thread(target=lambda: result.append(c.communicate(timeout=30)))
        t.start()
        time.sleep(0.2)
        assert t.is_alive()
        t.join(30)
        assert result == [(b"late\n", None)]


def test_many_waiters_get_the_same_exit(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("sleep 0.3; exit 11"))) as c:
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(c.wait(timeout=30))) for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(results) == 8 and {e.code for e in results} == {11}


def test_eight_threads_run_lifecycles(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh('read name; echo "hello $name"; exec sleep 1000'))
    errors = []

    def lifecycle(n: int) -> None:
        try:
            for i in range(3):
                with rt.run(new_id(), b, stdin=execution.PIPE, stdout=execution.PIPE) as c:
                    assert c.stdin is not None and c.stdout is not None
                    c.stdin.write(f"{n}-{i}\n".encode())
                    c.stdin.flush()
                    assert c.stdout.readline() == f"hello {n}-{i}\n".encode()
                    with c.exec(sh("exit $1", "sh", str(n)), id="p", stdout=execution.PIPE) as p:
                        assert p.communicate(timeout=60) == (b"", None)
                        assert p.wait().code == n
                    c.kill()
                    assert c.wait(timeout=60).signal == signal.SIGKILL
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=lifecycle, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert rt.list() == []
