"""Limits written at bundle time, stats, ps, update, and exits that tell an OOM kill."""

import json
import os
import signal
import subprocess
import time
from typing import Callable

import pytest

import execution
from helpers import sh

MIB = 1 << 20


def poll_stats(c: execution.Container[bytes], ok: Callable[[execution.Stats], bool]) -> execution.Stats:
    """Read stats until ok accepts them; fail after 20 s."""
    deadline = time.monotonic() + 20
    while True:
        s = c.stats()
        if ok(s):
            return s
        assert time.monotonic() < deadline, f"stats never got there: {s}"
        time.sleep(0.02)


def test_limits_are_written(bundle: Callable[..., str]) -> None:
    limits = execution.Limits(memory=64 * MIB, memory_swap=-1, cpus=1.5, cpu_shares=512, pids=20)
    with open(os.path.join(bundle(["true"], limits=limits), "config.json")) as f:
        r = json.load(f)["linux"]["resources"]
    assert r["memory"] == {"limit": 64 * MIB, "swap": -1}
    assert r["cpu"] == {"shares": 512, "quota": 150000, "period": 100000}
    assert r["pids"] == {"limit": 20}


@pytest.mark.parametrize(
    "limits, error",
    [
        (execution.Limits(memory_swap=64 * MIB), execution.InvalidArgument),
        (execution.Limits(memory=64 * MIB, memory_swap=MIB), execution.InvalidArgument),
        (execution.Limits(cpus=1, cpu_quota=50000), execution.InvalidArgument),
        (execution.Limits(cpu_shares=1), execution.InvalidArgument),
        (execution.Limits(memory=0), ValueError),
        (execution.Limits(pids=-2), ValueError),
        (execution.Limits(cpus=-1.0), ValueError),
        (execution.Limits(cpus=float("nan")), ValueError),
        (execution.Limits(memory="1G"), TypeError),  # type: ignore[arg-type]
        (execution.Limits(pids=True), TypeError),
    ],
)
def test_bad_limits_write_nothing(tmp_path: "os.PathLike[str]", limits: execution.Limits,
                                  error: type) -> None:
    with pytest.raises(error):
        execution.bundle_init(tmp_path, ["true"], limits=limits)
    assert not os.path.exists(os.path.join(tmp_path, "config.json"))


def test_limits_must_be_limits(tmp_path: "os.PathLike[str]") -> None:
    with pytest.raises(TypeError):
        execution.bundle_init(tmp_path, ["true"], limits={"memory": 1})  # type: ignore[arg-type]


def test_stats_rise_while_it_burns_cpu_and_allocates(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = "busybox dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done"
    limits = execution.Limits(memory=128 * MIB, pids=50)
    with rt.run(new_id(), bundle(sh(script), limits=limits)) as c:
        s = poll_stats(c, lambda s: s.cpu_usage_ns > 50_000_000 and s.memory_usage >= 24 * MIB)
        assert s.memory_limit == 128 * MIB and s.pids_limit == 50
        assert s.pids_current >= 1 and s.memory_peak >= s.memory_usage
        assert s.memory_cache >= 24 * MIB and s.cpu_user_ns + s.cpu_system_ns > 0
        later = poll_stats(c, lambda t: t.cpu_usage_ns > s.cpu_usage_ns)
        assert later.cpu_usage_ns > s.cpu_usage_ns
        assert c.pid in c.ps()


def test_unset_limits_are_none(sleeper: execution.Container[bytes]) -> None:
    s = sleeper.stats()
    assert s.memory_limit is None and s.pids_limit is None
    assert sleeper.ps() == [sleeper.pid]


def test_update_lowers_a_live_memory_limit(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["sleep", "100"], limits=execution.Limits(memory=64 * MIB))) as c:
        assert c.stats().memory_limit == 64 * MIB
        c.update({"memory": {"limit": 32 * MIB}, "pids": {"limit": 7}})
        s = c.stats()
        assert s.memory_limit == 32 * MIB and s.pids_limit == 7
        with pytest.raises(execution.InvalidArgument, match="memroy"):
            c.update({"memroy": {}})
        with pytest.raises(TypeError):
            c.update('{"pids": {"limit": 3}}')  # type: ignore[arg-type]
        with pytest.raises(execution.RuntimeFailure):
            c.update({"memory": {"limit": 4096}})
        c.kill()
        c.wait(10)
        with pytest.raises(execution.InvalidState):
            c.update({"pids": {"limit": 9}})
        assert c.ps() == []
        c.delete()
        for call in (c.stats, c.ps):
            with pytest.raises(execution.NotFound):
                call()


def test_stats_with_the_cgroup_gone(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    with rt.create(cid, bundle(["true"])) as c:
        c.start()
        c.wait(10)
        assert c.stats().pids_current == 0
        runc_root = os.path.join(state_root, "runc")
        subprocess.run(["runc", "--root", runc_root, "delete", cid], check=True)
        with pytest.raises(execution.InvalidState):
            c.stats()
        with pytest.raises(execution.InvalidState):
            c.ps()


def test_a_pids_limit_stops_a_fork_loop(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = "for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; echo all started >&2"
    limits = execution.Limits(pids=4)
    with rt.run(new_id(), bundle(sh(script), limits=limits), stderr=execution.PIPE) as c:
        _, err = c.communicate(timeout=20)
        assert c.wait().status != 0
        assert b"fork" in (err or b"") and b"all started" not in (err or b"")
        assert c.stats().pids_limit == 4


def test_a_memory_limit_oom_kills(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    limits = execution.Limits(memory=16 * MIB, memory_swap=16 * MIB)
    with rt.run(new_id(), bundle(["busybox", "tail", "/dev/zero"], limits=limits)) as c:
        e = c.wait(20)
        assert e.oom_killed and e.signal == signal.SIGKILL and e.status == 137
        assert c.stats().oom_kills >= 1
        with rt.load(c.id) as again:
            assert again.wait(5) == e


def test_a_plain_kill_is_no_oom(sleeper: execution.Container[bytes]) -> None:
    sleeper.kill()
    e = sleeper.wait(10)
    assert e.signal == signal.SIGKILL and not e.oom_killed


def test_an_exec_killed_by_the_oom_killer(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    limits = execution.Limits(memory=16 * MIB, memory_swap=16 * MIB)
    with rt.run(new_id(), bundle(["sleep", "100"], limits=limits)) as c:
        with c.exec(["busybox", "tail", "/dev/zero"], id="hog") as p:
            assert p.wait(20).oom_killed
        with c.exec(["true"], id="calm") as p:
            assert not p.wait(10).oom_killed
