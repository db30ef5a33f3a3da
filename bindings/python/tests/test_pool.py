"""Warm pools: Runtime.pool(), Pool.take(), Pool.fill(), and what close() leaves."""

import os
import signal
import subprocess
import sys
import threading
from typing import Callable, List

import pytest

import execution
from helpers import PACKAGE_DIR, sh, unique_id


def entries(root: str, sub: str) -> List[str]:
    """The entries of `<root>/<sub>`; none where it does not exist."""
    path = os.path.join(root, sub)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def state_dirs(root: str) -> List[str]:
    return entries(root, "containers")


def cgroups_of(ids: List[str]) -> List[str]:
    """The cgroup dirs of `ids` that exist, in any hierarchy."""
    found = []
    for base, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(base, d) for d in dirs if d in ids]
        dirs[:] = [d for d in dirs if d in ("unified", "memory", "pids", "cpu,cpuacct")]
    return found


def test_take_output_exit_and_list(rt: execution.Runtime, bundle: Callable[..., str]) -> None:
    with rt.pool(bundle(sh("echo hello; exit 7")), size=2, stdout=execution.PIPE,
                 id_prefix=unique_id() + "-") as pool:
        pool.fill(timeout=60)
        assert rt.list() == []
        with pool.take(timeout=60) as c:
            assert c.pid > 0
            assert c.stdout is not None
            assert c.stdout.read() == b"hello\n"
            assert c.wait(timeout=20) == 7
            assert rt.list() == [c.id]
            assert c.state is execution.State.STOPPED
        assert rt.list() == []


def test_text_streams_and_stdin(rt: execution.Runtime, bundle: Callable[..., str]) -> None:
    with rt.pool(bundle(["cat"]), stdin=execution.PIPE, stdout=execution.PIPE, text=True,
                 id_prefix=unique_id() + "-") as pool:
        with pool.take(timeout=60) as c:
            out, _ = c.communicate("hi there")
            assert out == "hi there"
            assert c.wait(timeout=20) == 0


def test_refill_and_close_leaves_nothing(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str]
) -> None:
    pool = rt.pool(bundle(["true"]), size=2, concurrency=2, id_prefix=unique_id() + "-")
    pool.fill(timeout=60)
    first = state_dirs(state_root)
    assert len(first) == 2
    for _ in range(3):
        with pool.take(timeout=60) as c:
            assert c.wait(timeout=20) == 0
    pool.fill(timeout=60)
    ready = state_dirs(state_root)
    assert len(ready) == 2 and not set(ready) & set(first)
    pool.close()
    pool.close()
    assert state_dirs(state_root) == []
    assert entries(state_root, "pools") == []
    assert entries(state_root, "runc") == []
    assert cgroups_of(ready) == []
    with pytest.raises(execution.Closed):
        pool.take(timeout=0)


def test_concurrent_takes(rt: execution.Runtime, bundle: Callable[..., str]) -> None:
    ids: List[str] = []
    errors: List[BaseException] = []
    lock = threading.Lock()

    with rt.pool(bundle(sh("exit 3")), size=2, concurrency=2, id_prefix=unique_id() + "-") as pool:
        def taker() -> None:
            try:
                for _ in range(2):
                    with pool.take() as c:
                        assert c.wait(timeout=20) == 3
                        with lock:
                            ids.append(c.id)
            except BaseException as e:  # reported below, in the test's thread
                errors.append(e)

        threads = [threading.Thread(target=taker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(ids) == 8 and len(set(ids)) == 8


def test_refill_error_raised_by_take(rt: execution.Runtime, bundle: Callable[..., str]) -> None:
    b = bundle(["true"])
    with rt.pool(b, id_prefix=unique_id() + "-") as pool:
        pool.fill(timeout=60)
        os.unlink(os.path.join(b, "config.json"))
        with pool.take(timeout=60) as c:
            c.wait(timeout=20)
        with pytest.raises(execution.InvalidArgument, match="config.json"):
            pool.take(timeout=60)


def test_failing_runtime_raised_by_take(state_root: str, bundle: Callable[..., str]) -> None:
    failing = PACKAGE_DIR.parents[1] / "tests" / "c" / "fixtures" / "failing-runtime"
    with execution.Runtime(state_root, str(failing)) as rt:
        with rt.pool(bundle(["true"]), id_prefix=unique_id() + "-") as pool:
            with pytest.raises(execution.RuntimeFailure, match="deliberate failure"):
                pool.take()
    assert state_dirs(state_root) == []


def test_bad_arguments(rt: execution.Runtime, state_root: str, bundle: Callable[..., str]) -> None:
    b = bundle(["true"])
    with pytest.raises(TypeError):
        rt.pool(b, size="2")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rt.pool(b, size=0)
    with pytest.raises(ValueError, match="STDOUT"):
        rt.pool(b, stdout=execution.PIPE, stderr=execution.STDOUT)
    with pytest.raises(execution.InvalidArgument):
        rt.pool(os.path.join(b, "missing"))
    with pytest.raises(execution.InvalidArgument):
        rt.pool(b, id_prefix="-x")
    assert state_dirs(state_root) == []
    assert entries(state_root, "pools") == []


def test_crashed_pool_leftovers_removed(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str]
) -> None:
    script = (
        "import execution, sys\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"pool = rt.pool({bundle(['true'])!r}, size=2, id_prefix={unique_id() + '-'!r})\n"
        "pool.fill(timeout=60)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    child = subprocess.Popen([sys.executable, "-c", script], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = state_dirs(state_root)
    assert len(left) == 2
    with execution.Runtime(state_root):
        assert state_dirs(state_root) == []
        assert entries(state_root, "runc") == []
        assert cgroups_of(left) == []
