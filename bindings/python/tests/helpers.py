"""Helpers of the tests: ids, paths, second processes, /proc probes."""

import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, List, Tuple

import execution

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO = PACKAGE_DIR.parents[1]

_counter = itertools.count()


def unique_id() -> str:
    """A container or process id no other test, here or in another suite, uses."""
    return f"py-{os.getpid()}-{next(_counter)}"


def sh(script: str, *args: str) -> List[str]:
    """Process arguments running `script` with the container's sh ($0, $1... are args)."""
    return ["sh", "-c", script, *args]


def short_tempdir(prefix: str) -> str:
    """A temp dir with a short path (runc's sockets have a 108-byte limit)."""
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


def force_delete_all(root: str) -> None:
    """Force-delete every container under the state root `root`."""
    if not os.path.isdir(root):
        return
    with execution.Runtime(root) as rt:
        for cid in rt.list():
            try:
                with rt.load(cid) as c:
                    c.delete(force=True)
            except execution.NotFound:
                pass


def python_child(script: str, **kw: Any) -> "subprocess.CompletedProcess[str]":
    """Run `script` in a second Python process that imports this package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PACKAGE_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    r: "subprocess.CompletedProcess[str]" = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, **kw
    )
    return r


def is_monitor(pid: int) -> bool:
    """Whether pid is a libexecution monitor process."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read() == "exec-monitor\n"
    except OSError:
        return False


def parent_of(pid: int) -> int:
    """The parent pid of pid."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> List[Tuple[int, str]]:
    """(pid, state) of every process whose parent is pid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append((int(entry), fields[0]))
    return out


def open_fds() -> List[str]:
    """The fds open in this process, with what each points to."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            pass
    return sorted(out)
