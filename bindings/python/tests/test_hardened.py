"""Hardened configs: what they stop, each a real attempt inside a container,
beside the default config where it goes through; and the host's fds, which
never reach a container. Runs as root and, under `make test-rootless`, as an
unprivileged user."""

import os
from typing import Callable

import pytest

import execution
from helpers import sh


def _limits_apply() -> bool:
    """Whether this user's containers get a cgroup of their own."""
    return os.geteuid() == 0 or os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _output(rt: execution.Runtime, cid: str, bundle: str) -> str:
    with rt.run(cid, bundle, stdout=execution.PIPE, stderr=execution.STDOUT, text=True) as c:
        out, _ = c.communicate(timeout=30)
        c.delete()
    assert isinstance(out, str)
    return out


def test_seccomp_denies_mount_unshare_keyctl(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = sh("mount -t tmpfs none /mnt 2>&1; echo mount=$?; "
                "unshare -U true 2>&1; echo unshare=$?; probe keyctl")
    plain = _output(rt, new_id(), probe_bundle(script))
    assert "unshare=0" in plain and "keyctl=ok" in plain
    hard = _output(rt, new_id(), probe_bundle(script, hardened=True))
    assert "mount=1" in hard
    assert "unshare(0x10000000): Operation not permitted\nunshare=1" in hard
    assert "keyctl=EPERM" in hard


def test_rootfs_read_only_tmpfs_writable(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = sh("touch /etc/x 2>&1; echo touch=$?; echo kept > /tmp/t && cat /tmp/t")
    out = _output(rt, new_id(), probe_bundle(script, hardened=True, tmpfs=["/tmp"]))
    assert "Read-only file system" in out and "touch=1" in out and out.endswith("kept\n")


def test_setuid_gains_nothing(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    bundle = probe_bundle(["sleep", "60"], hardened=True, userns=execution.UserNS.SUBIDS)
    with rt.run(new_id(), bundle) as c:
        with c.exec(["/bin/probe-suid", "euid"], id="suid", user=(1000, 1000),
                    stdout=execution.PIPE) as p:
            out, _ = p.communicate(timeout=30)
        assert out == b"euid=1000\n"
        c.kill()
        c.wait(30)
        c.delete()


def test_root_inside_is_not_root_outside(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), probe_bundle(["sleep", "60"], hardened=True)) as c:
        with open(f"/proc/{c.pid}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        assert "0" not in uids
        if os.geteuid() != 0:
            assert uids == [str(os.geteuid())] * 4
        c.kill()
        c.wait(30)
        c.delete()


def test_fork_bomb_stopped_by_pids_limit(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    # The bomb's subshell dies of its failed fork; counting and killing use builtins.
    script = sh("(n=0; while [ $n -lt 200 ]; do sleep 60 & n=$((n+1)); done) 2>/tmp/err; "
                "set -- /proc/[0-9]*; echo started=$#; kill -9 -1; wait; cat /tmp/err")
    limits = execution.Limits(pids=32)
    if not _limits_apply():
        with pytest.raises(execution.NotSupported, match="cgroup v2"):
            probe_bundle(script, limits, hardened=True, tmpfs=["/tmp"])
        return
    out = _output(rt, new_id(), probe_bundle(script, limits, hardened=True, tmpfs=["/tmp"]))
    assert "can't fork" in out
    started = int(out.split("started=")[1].split()[0])
    assert 2 <= started <= 32


def test_bad_hardening_arguments(probe_bundle: Callable[..., str]) -> None:
    with pytest.raises(TypeError):
        probe_bundle(["true"], userns=2)
    with pytest.raises(TypeError):
        probe_bundle(["true"], tmpfs="/tmp")
    with pytest.raises(TypeError):
        probe_bundle(["true"], hardened=1)
    with pytest.raises(execution.InvalidArgument, match="absolute"):
        probe_bundle(["true"], tmpfs=["tmp"])


def test_host_fds_never_reach_a_container(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    leaky = os.open("/dev/null", os.O_RDONLY)
    os.set_inheritable(leaky, True)
    try:
        with rt.run(new_id(), probe_bundle(sh("probe fds; exec sleep 60")),
                    stdout=execution.PIPE) as c:
            assert c.stdout is not None
            assert c.stdout.readline() == b"fds=0 1 2 \n"
            with c.exec(["probe", "fds"], id="fds", stdout=execution.PIPE) as p:
                assert p.communicate(timeout=30)[0] == b"fds=0 1 2 \n"
            c.kill()
            c.wait(30)
            c.delete()
    finally:
        os.close(leaky)
