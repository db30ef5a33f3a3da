"""Reattach: containers shared with a second Python process through the state root."""

import os
import signal

from typing import Callable

import execution
from helpers import children_of, is_monitor, parent_of, python_child, sh


def test_load_and_wait_a_container_another_process_left_running(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    # The child runs the container and exits without deleting it; its init
    # stays the monitor's child, and this process loads it and gets its exit.
    cid = new_id()
    b = bundle(sh('trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'))
    child = python_child(
        "import execution\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"c = rt.run({cid!r}, {b!r}, stdout=execution.PIPE)\n"
        "assert c.stdout.readline() == b'ready\\n'\n"
        "print(c.pid)\n"
    )
    assert child.returncode == 0, child.stderr
    pid = int(child.stdout)
    assert rt.list() == [cid]
    with rt.load(cid) as c:
        assert c.pid == pid
        assert c.state is execution.State.RUNNING
        assert pid not in [p for p, _ in children_of(os.getpid())]
        assert is_monitor(parent_of(pid))
        c.signal(signal.SIGTERM)
        assert c.wait(timeout=10) == execution.Exit(status=7, code=7, signal=0, core_dumped=False)
        c.delete()
    assert rt.list() == []


def test_a_second_process_lists_loads_and_deletes(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    with rt.run(cid, bundle(["sleep", "1000"])) as c:
        child = python_child(
            "import execution\n"
            f"rt = execution.Runtime({state_root!r})\n"
            "print(rt.list())\n"
            f"c = rt.load({cid!r})\n"
            "print(c.state.name, c.pid)\n"
            "c.delete(force=True)\n"
        )
        assert child.returncode == 0, child.stderr
        assert child.stdout.splitlines() == [repr([cid]), f"RUNNING {c.pid}"]
        assert c.wait(timeout=10).signal == signal.SIGKILL
        assert rt.list() == []


def test_a_recorded_exit_survives_the_process_that_saw_it(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    c = rt.run(cid, bundle(sh("exit 12")))
    assert c.wait(timeout=10).code == 12
    c.close()
    child = python_child(
        "import execution\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"c = rt.load({cid!r})\n"
        "print(c.state.name, c.wait(timeout=10).code)\n"
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["STOPPED", "12"]


def test_load_a_process_another_process_execd(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    # The child execs a process into the container and exits; this process
    # loads it by id, signals it and gets its exit.
    cid = new_id()
    b = bundle(["sleep", "1000"])
    child = python_child(
        "import execution\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"c = rt.run({cid!r}, {b!r})\n"
        "p = c.exec(['sh', '-c', 'trap \"exit 9\" TERM; while :; do sleep 0.05; done'], id='worker')\n"
        "print(p.pid)\n"
    )
    assert child.returncode == 0, child.stderr
    pid = int(child.stdout)
    with rt.load(cid) as c:
        with c.load_process("worker") as p:
            assert p.pid == pid
            assert p.poll() is None
            p.signal(signal.SIGTERM)
            assert p.wait(timeout=10).code == 9
            p.delete()
        c.delete(force=True)
