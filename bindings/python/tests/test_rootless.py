"""The library run by a user who is not root: `make test-rootless` runs these
as one (they are skipped as root). Rootless configs, the lifecycle, exec,
reattach, and NotSupported for what needs a cgroup the user cannot have."""

import os
from pathlib import Path
from typing import Callable

import pytest

import execution
from helpers import sh

pytestmark = pytest.mark.skipif(
    os.geteuid() == 0, reason="runs as a user who is not root (make test-rootless)"
)


def _uid_map_line(inside: int, outside: int, count: int) -> str:
    return f"{inside:10d} {outside:10d} {count:10d}\n"


def test_the_default_root_is_under_xdg_runtime_dir() -> None:
    with execution.Runtime() as rt:
        assert rt.root == os.path.join(os.environ["XDG_RUNTIME_DIR"], "libexecution")


def test_root_inside_is_the_caller(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = sh("id -u; cat /proc/self/uid_map; exit 7")
    with rt.run(new_id(), bundle(script), stdout=execution.PIPE, text=True) as c:
        out, _ = c.communicate(timeout=30)
        assert out == "0\n" + _uid_map_line(0, os.geteuid(), 1)
        assert c.returncode == 7
        assert c.state == execution.State.STOPPED
        c.delete()


def test_exec_kill_and_reattach(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    with execution.Runtime(state_root) as rt:
        c = rt.run(cid, bundle(["sleep", "60"]))
        with c.exec(sh("exit 5"), id="five") as p:
            assert p.wait(30).status == 5
            p.delete()
        pid = c.pid
        c.close()
    with execution.Runtime(state_root) as rt2, rt2.load(cid) as again:
        assert again.state == execution.State.RUNNING
        assert again.pid == pid
        again.kill()
        assert again.wait(30).status == 128 + 9
        again.delete()


@pytest.mark.skipif(
    os.path.exists("/sys/fs/cgroup/cgroup.controllers"),
    reason="a cgroup v2 host can delegate a cgroup to the user",
)
def test_no_cgroup_is_not_supported(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["sleep", "60"])) as c:
        for call in (c.stats, c.ps, c.pause):
            with pytest.raises(execution.NotSupported, match="no cgroup of its own"):
                call()
        with pytest.raises(execution.NotSupported):
            c.update({"pids": {"limit": 10}})
        assert execution.NotSupported.code == -10
        c.kill()
        c.wait(30)
        c.delete()
    with pytest.raises(execution.NotSupported):
        bundle(["true"], limits=execution.Limits(memory=64 << 20))


def test_subids_map_the_users_range(
    rt: execution.Runtime, rootfs: str, new_id: Callable[[], str], tmp_path: Path
) -> None:
    d = os.path.join(tmp_path, "b")
    os.mkdir(d)
    os.symlink(rootfs, os.path.join(d, "rootfs"))
    execution.bundle_init(d, ["sleep", "60"], userns=execution.UserNS.SUBIDS)
    with rt.run(new_id(), d) as c:
        with c.exec(sh("id -u; cat /proc/self/uid_map; exec sleep 60"), id="u1000",
                    user=(1000, 1000), stdout=execution.PIPE, text=True) as p:
            assert p.stdout is not None
            lines = [p.stdout.readline() for _ in range(3)]
            assert lines[:2] == ["1000\n", _uid_map_line(0, os.geteuid(), 1)]
            inside, start, count = map(int, lines[2].split())
            assert (inside, count) == (1, 65536)
            with open(f"/proc/{p.pid}/status") as f:
                uid = next(line for line in f if line.startswith("Uid:")).split()[1]
            assert int(uid) == start + 999
            p.kill()
            p.wait(30)
        c.kill()
        c.wait(30)
        c.delete()


def test_no_user_namespace_is_for_root(rootfs: str, tmp_path: Path) -> None:
    d = os.path.join(tmp_path, "b")
    os.mkdir(d)
    os.symlink(rootfs, os.path.join(d, "rootfs"))
    with pytest.raises(execution.InvalidArgument, match="needs root"):
        execution.bundle_init(d, ["true"], userns=execution.UserNS.NONE)
    assert not os.path.exists(os.path.join(d, "config.json"))
