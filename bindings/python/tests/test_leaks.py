"""No fd, child or zombie growth over many lifecycles."""

import os
import signal

from typing import Callable

import execution
from helpers import children_of, open_fds, sh


def lifecycle(rt: execution.Runtime, b: str, new_id: Callable[[], str]) -> None:
    with rt.run(
        new_id(), b, stdin=execution.PIPE, stdout=execution.PIPE, stderr=execution.PIPE
    ) as c:
        assert c.stdout is not None and c.stdout.readline() == b"up\n"
        with c.exec(["cat"], id="p", stdin=execution.PIPE, stdout=execution.PIPE) as p:
            assert p.communicate(b"x", timeout=30) == (b"x", None)
            p.delete()
        with c.exec(sh("exit 2"), id="t", terminal=True) as t:
            t.communicate(timeout=30)
            assert t.wait().code == 2
        c.kill()
        assert c.wait(timeout=30).signal == signal.SIGKILL


def test_no_fd_or_zombie_growth_over_50_lifecycles(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("echo up; exec sleep 1000"))
    for _ in range(3):
        lifecycle(rt, b, new_id)
    fds = open_fds()
    children = children_of(os.getpid())
    for _ in range(50):
        lifecycle(rt, b, new_id)
    assert open_fds() == fds
    after = children_of(os.getpid())
    assert after == children
    assert [pid for pid, state in after if state == "Z"] == []
    assert rt.list() == []
    assert os.listdir(os.path.join(rt.root, "containers")) == []
