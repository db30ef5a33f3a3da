"""Workloads: the container a CI job needs (workspace, user, env, cwd,
hostname, an exec that inherits them) and each network mode. Traffic goes
only to 127.0.0.1 and to the addresses of containers the tests made."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from typing import Any, Callable, Iterator, List

import pytest

import execution
from helpers import python_child, sh, short_tempdir


@pytest.fixture
def workload_bundle(rootfs: str) -> Iterator[Callable[..., str]]:
    """A factory: workload_bundle(args, **bundle_init keywords) -> a bundle on a
    copy of the busybox rootfs with a user "ci" (1000:1000) and /www/hello."""
    made: List[str] = []

    def make(args: List[str], **kw: Any) -> str:
        d = short_tempdir("pywork-")
        made.append(d)
        root = os.path.join(d, "rootfs")
        subprocess.run(["cp", "-a", rootfs, root], check=True)
        os.makedirs(os.path.join(root, "www"), exist_ok=True)
        files = {
            "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nci:x:1000:1000:ci:/workspace:/bin/sh\n",
            "etc/group": "root:x:0:\nci:x:1000:\n",
            "www/hello": "hello from the container\n",
        }
        for name, text in files.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        execution.bundle_init(d, args, **kw)
        return d

    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


def _output(c: "execution.Container[bytes]") -> bytes:
    out, _ = c.communicate(timeout=30)
    assert c.wait(timeout=30) == 0
    return out or b""


def test_ci_job(
    rt: execution.Runtime, workload_bundle: Callable[..., str], new_id: Callable[[], str], tmp_path: Any
) -> None:
    workspace = str(tmp_path / "workspace")
    os.mkdir(workspace)
    os.chown(workspace, 1000, 1000)
    b = workload_bundle(
        sh("echo built > artifact; sleep 1000"),
        env={"CI": "true"},
        cwd="/workspace",
        user="ci",
        hostname="ci-runner",
        mounts=[execution.Mount(workspace, "/workspace")],
        rlimits={"nofile": 512},
    )
    with rt.run(new_id(), b) as c:
        # The exec names only its command: user, cwd, env and hostname are the container's.
        with c.exec(sh("id -u; pwd; hostname; echo $CI; ulimit -n; sleep 0.2; cat artifact"), stdout=execution.PIPE) as p:
            out, _ = p.communicate(timeout=30)
        assert out == b"1000\n/workspace\nci-runner\ntrue\n512\nbuilt\n"
        # What the exec gives replaces the container's.
        with c.exec(sh("id -u; pwd"), user=(0, 0), cwd="/", stdout=execution.PIPE) as p:
            assert p.communicate(timeout=30)[0] == b"0\n/\n"
        st = os.stat(os.path.join(workspace, "artifact"))
        assert (st.st_uid, st.st_gid) == (1000, 1000)


def test_bad_workload_writes_nothing(tmp_path: Any) -> None:
    os.mkdir(tmp_path / "rootfs")
    for kw in (
        {"cwd": "relative"},
        {"user": "nobody-here"},
        {"mounts": [execution.Mount("/nonexistent/dir", "/w")]},
        {"cap_add": ["FLY"]},
        {"network": "somewhere"},
    ):
        with pytest.raises(execution.InvalidArgument):
            execution.bundle_init(tmp_path, ["true"], **kw)
        assert not os.path.exists(tmp_path / "config.json")
    with pytest.raises(TypeError):
        execution.bundle_init(tmp_path, ["true"], mounts=["/tmp:/tmp"])  # type: ignore[list-item]


def test_network_none_sees_only_lo(
    rt: execution.Runtime, workload_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), workload_bundle(sh("ls /sys/class/net")), stdout=execution.PIPE) as c:
        assert _output(c) == b"lo\n"
        assert c.addresses == []


def test_network_host_sees_the_hosts_interfaces(
    rt: execution.Runtime, workload_bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = workload_bundle(sh("ls /sys/class/net"), network="host")
    with rt.run(new_id(), b, stdout=execution.PIPE) as c:
        assert sorted(_output(c).split()) == sorted(n.encode() for n in os.listdir("/sys/class/net"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_bridge_serves_a_mapped_port_and_reaches_another_container(
    rt: execution.Runtime, workload_bundle: Callable[..., str], new_id: Callable[[], str], state_root: str
) -> None:
    port = _free_port()
    server = workload_bundle(
        ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"],
        network=execution.Bridge(ports=[(port, 8080)]),
    )
    with rt.run(new_id(), server) as c:
        [addr] = c.addresses
        assert addr.startswith("10.217.")
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == b"hello from the container\n"
        client = workload_bundle(
            sh(f"printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 {addr} 8080"),
            network=execution.Bridge(),
        )
        with rt.run(new_id(), client, stdout=execution.PIPE) as other:
            assert _output(other).endswith(b"hello from the container\n")
        cid = c.id
    # Delete (the with block's end) leaves nothing of the network.
    net = os.path.join(state_root, "network")
    assert not os.path.exists(os.path.join(net, "netns", cid))
    assert not os.path.exists(os.path.join(net, "bundles", cid))
    rules = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True).stdout
    assert cid not in rules


def _host_uid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[2])
    raise AssertionError(f"no Uid line for {pid}")


def test_two_hardened_containers_get_ranges_of_their_own(
    rt: execution.Runtime, rootfs: str, new_id: Callable[[], str], state_root: str
) -> None:
    b = short_tempdir("pyhard-")
    os.symlink(rootfs, os.path.join(b, "rootfs"))
    execution.bundle_init(b, ["sleep", "60"], hardened=True)
    with rt.run(new_id(), b) as one, rt.run(new_id(), b) as two:
        uids = [_host_uid(one.pid), _host_uid(two.pid)]
        assert all(u >= 0x70000000 for u in uids)
        assert abs(uids[0] - uids[1]) >= 65536
        cid = one.id
    assert not os.path.exists(os.path.join(state_root, "userns", cid))
    shutil.rmtree(b, ignore_errors=True)


def test_a_crash_after_create_leaves_nothing_the_next_delete_does_not_remove(
    workload_bundle: Callable[..., str], new_id: Callable[[], str], state_root: str
) -> None:
    b = workload_bundle(["sleep", "60"], network=execution.Bridge(ports=[(_free_port(), 80)]))
    cid = new_id()
    # A process creates a bridge container and dies without deleting it.
    r = python_child(
        "import os, execution\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"c = rt.run({cid!r}, {b!r})\n"
        "print(c.addresses[0], flush=True)\n"
        "os._exit(0)\n"
    )
    assert r.returncode == 0, r.stderr
    net = os.path.join(state_root, "network")
    assert os.path.exists(os.path.join(net, "netns", cid))
    with execution.Runtime(state_root) as rt:
        with rt.load(cid) as c:
            assert c.addresses == [r.stdout.strip()]
            c.delete(force=True)
    assert not os.path.exists(os.path.join(net, "netns", cid))
    assert not os.path.exists(os.path.join(net, "bundles", cid))
    leases = os.path.join(net, "ipam", "libexecution", r.stdout.strip())
    assert not os.path.exists(leases)
    rules = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True).stdout
    assert cid not in rules
