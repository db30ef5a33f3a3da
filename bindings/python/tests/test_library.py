"""Finding the library: EXECUTION_LIBRARY, then the checkout's build/, then the system."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

import execution
from execution import _ffi
from helpers import PACKAGE_DIR, REPO, short_tempdir


@pytest.fixture
def lone_package():
    """A copy of the package at <tmp>/a/b/execution: its "checkout" is <tmp>."""
    tmp = Path(short_tempdir("pylib-"))
    shutil.copytree(PACKAGE_DIR / "execution", tmp / "a" / "b" / "execution")
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


def run(pythonpath: Path, code: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("EXECUTION_LIBRARY", "LD_LIBRARY_PATH")
    }
    clean.update(env, PYTHONPATH=str(pythonpath))
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=pythonpath,
        capture_output=True,
        text=True,
        timeout=60,
    )


NO_SYSTEM_LIBRARY = "import ctypes.util; ctypes.util.find_library = lambda name: None\n"


def test_nothing_found_names_all_three_places(lone_package) -> None:
    r = run(
        lone_package / "a" / "b",
        NO_SYSTEM_LIBRARY + "import execution\n"
        "try:\n    execution.version()\n"
        "except execution.LibraryNotFoundError as e:\n    print(e)\n",
        {},
    )
    assert r.returncode == 0, r.stderr
    msg = r.stdout
    assert "EXECUTION_LIBRARY" in msg and "not set" in msg
    assert str(lone_package / "build" / "libexecution.so") in msg
    assert "find_library('execution') found nothing" in msg


def test_a_bad_execution_library_is_an_error(lone_package) -> None:
    r = run(
        lone_package / "a" / "b",
        "import execution\n"
        "try:\n    execution.version()\n"
        "except ImportError as e:\n    print(type(e).__name__, e)\n",
        {"EXECUTION_LIBRARY": "/nonexistent/libexecution.so"},
    )
    assert r.stdout.startswith(
        "LibraryNotFoundError EXECUTION_LIBRARY=/nonexistent/libexecution.so"
    ), r.stderr


def test_execution_library_comes_first() -> None:
    assert os.environ.get("EXECUTION_LIBRARY"), "the suite runs with EXECUTION_LIBRARY set"
    assert execution.library_path() == os.environ["EXECUTION_LIBRARY"]


def test_the_checkout_build_dir(lone_package) -> None:
    (lone_package / "build").mkdir()
    (lone_package / "build" / "libexecution.so").symlink_to(REPO / "build" / "libexecution.so")
    r = run(
        lone_package / "a" / "b",
        NO_SYSTEM_LIBRARY
        + "import execution\nprint(execution.version(), execution.library_path())\n",
        {},
    )
    assert r.stdout.split() == [
        _ffi.EXEC_VERSION,
        str(lone_package / "build" / "libexecution.so"),
    ], r.stderr


def test_the_system_library_path(lone_package) -> None:
    r = run(
        lone_package / "a" / "b",
        "import execution\nprint(execution.version(), execution.library_path())\n",
        {"LD_LIBRARY_PATH": str(REPO / "build")},
    )
    assert r.stdout.split() == [_ffi.EXEC_VERSION, "libexecution.so.0"], r.stderr


def test_the_checkout_of_this_package() -> None:
    assert _ffi.checkout_library() == REPO / "build" / "libexecution.so"
