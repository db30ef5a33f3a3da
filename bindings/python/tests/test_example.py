"""The examples in examples/python run as their docstrings say."""

import os
import re
import shutil
import subprocess
import sys

from helpers import REPO, short_tempdir

def run_demo(*args: str) -> "subprocess.CompletedProcess[str]":
    return run_example("demo", *args)


def run_example(name: str, *args: str) -> "subprocess.CompletedProcess[str]":
    """Run examples/python/NAME.py with args, as a newcomer would: from /, no PYTHONPATH."""
    return subprocess.run(
        [sys.executable, str(REPO / "examples" / "python" / f"{name}.py"), *args],
        cwd="/",
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_runs_twice_in_a_bundle(rootfs: str) -> None:
    bundle = short_tempdir("pydemo-")
    root = os.path.join(bundle, "state")
    os.symlink(rootfs, os.path.join(bundle, "rootfs"))
    try:
        first = run_demo(bundle, root)
        second = run_demo(bundle, root)
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == f"wrote {bundle}/config.json"
    assert re.fullmatch(r"container demo-py-\d+ is running", lines[1])
    assert lines[2] == "container says: hello from busybox"
    assert lines[3].startswith("uname -a says: Linux ")
    assert lines[4:] == [
        "uname exited with status 0",
        "container exited: status 137 (killed by signal 9)",
        "container deleted",
    ]
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[1:] == lines[2:]  # no "wrote" line: the config is there


def test_demo_usage() -> None:
    assert run_demo().returncode == 2
    r = run_demo("/nonexistent")
    assert r.returncode == 2 and "no busybox rootfs in /nonexistent/rootfs" in r.stderr


def test_supervisor_sees_each_container_through(rootfs: str) -> None:
    root = short_tempdir("pysupervisor-")
    try:
        r = run_example("supervisor", rootfs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    per: "dict[str, list[str]]" = {}
    for line in r.stdout.splitlines():
        id, what = line.split(": ", 1)
        per.setdefault(id, []).append(what)
    assert len(per) == 3
    assert all(w == ["created", "started", "exited with status 3", "deleted"] for w in per.values())


def test_pool_takes_three_and_leaves_nothing(rootfs: str) -> None:
    root = short_tempdir("pypool-")
    try:
        r = run_example("pool", rootfs, root)
        left = os.listdir(os.path.join(root, "containers"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "pool of 2 ready" and lines[-1] == "pool closed"
    assert len([x for x in lines if x.endswith(': says "hello from a warm pool"')]) == 3
    assert len([x for x in lines if x.endswith(": exited with status 3")]) == 3
    assert left == []
