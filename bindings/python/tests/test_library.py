"""Finding the library: EXECUTION_LIBRARY, beside the package, the checkout's build/, the system."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator

import pytest

import execution
from execution import _ffi
from helpers import PACKAGE_DIR, REPO, short_tempdir


@pytest.fixture
def lone_package() -> Iterator[Path]:
    """A copy of the package at <tmp>/bindings/python/execution: its "checkout" is <tmp>."""
    tmp = Path(short_tempdir("pylib-"))
    shutil.copytree(PACKAGE_DIR / "execution", tmp / "bindings" / "python" / "execution")
    yield tmp
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def installed_package() -> Iterator[Path]:
    """A copy of the package at <tmp>/site-packages/execution, as pip installs it."""
    tmp = Path(short_tempdir("pysite-"))
    shutil.copytree(PACKAGE_DIR / "execution", tmp / "site-packages" / "execution")
    yield tmp / "site-packages"
    shutil.rmtree(tmp, ignore_errors=True)


def run(pythonpath: Path, code: str, env: Dict[str, str]) -> "subprocess.CompletedProcess[str]":
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


def test_nothing_found_names_every_place(lone_package: Path) -> None:
    r = run(
        lone_package / "bindings" / "python",
        NO_SYSTEM_LIBRARY + "import execution\n"
        "try:\n    execution.version()\n"
        "except execution.LibraryNotFoundError as e:\n    print(e)\n",
        {},
    )
    assert r.returncode == 0, r.stderr
    msg = r.stdout
    assert "EXECUTION_LIBRARY" in msg and "not set" in msg
    assert str(lone_package / "bindings" / "python" / "execution" / "libexecution.so") in msg
    assert str(lone_package / "build" / "libexecution.so") in msg
    assert "find_library('execution') found nothing" in msg


def test_a_bad_execution_library_is_an_error(lone_package: Path) -> None:
    r = run(
        lone_package / "bindings" / "python",
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


def test_the_checkout_build_dir(lone_package: Path) -> None:
    (lone_package / "build").mkdir()
    (lone_package / "build" / "libexecution.so").symlink_to(REPO / "build" / "libexecution.so")
    r = run(
        lone_package / "bindings" / "python",
        NO_SYSTEM_LIBRARY
        + "import execution\nprint(execution.version(), execution.library_path())\n",
        {},
    )
    assert r.stdout.split() == [
        _ffi.EXEC_VERSION,
        str(lone_package / "build" / "libexecution.so"),
    ], r.stderr


def test_the_system_library_path(lone_package: Path) -> None:
    r = run(
        lone_package / "bindings" / "python",
        "import execution\nprint(execution.version(), execution.library_path())\n",
        {"LD_LIBRARY_PATH": str(REPO / "build")},
    )
    soname = f"libexecution.so.{_ffi.EXEC_VERSION_MAJOR}.{_ffi.EXEC_VERSION_MINOR}"
    assert r.stdout.split() == [_ffi.EXEC_VERSION, soname], r.stderr


def test_the_checkout_of_this_package() -> None:
    assert _ffi.checkout_library() == REPO / "build" / "libexecution.so"


def test_the_library_beside_the_package_comes_before_the_system(installed_package: Path) -> None:
    """As a wheel installs it: no EXECUTION_LIBRARY, no checkout, a library on the system path."""
    shutil.copy(REPO / "build" / "libexecution.so", installed_package / "execution")
    r = run(
        installed_package,
        "import execution\nprint(execution.version(), execution.library_path())\n",
        {"LD_LIBRARY_PATH": str(REPO / "build")},
    )
    assert r.stdout.split() == [
        _ffi.EXEC_VERSION,
        str(installed_package / "execution" / "libexecution.so"),
    ], r.stderr


def test_an_installed_package_names_no_checkout(installed_package: Path) -> None:
    r = run(
        installed_package,
        NO_SYSTEM_LIBRARY + "import execution\n"
        "try:\n    execution.version()\n"
        "except execution.LibraryNotFoundError as e:\n    print(e)\n",
        {},
    )
    assert "checkout: the package is not in a checkout's bindings/python" in r.stdout, r.stderr
    assert "/build/libexecution.so" not in r.stdout


@pytest.mark.parametrize("other", ["0.2.0", "0.4.1", "1.3.0"])
def test_a_library_of_another_minor_is_refused(lone_package: Path, other: str) -> None:
    """Before 1.0 each minor release may change the ABI, so another minor is another library."""
    source = lone_package / "old.c"
    source.write_text(f'const char *exec_version(void) {{ return "{other}"; }}\n')
    library = lone_package / "libexecution.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    r = run(
        lone_package / "bindings" / "python",
        "import execution\n"
        "try:\n    execution.version()\n"
        "except execution.LibraryNotFoundError as e:\n    print(e)\n",
        {"EXECUTION_LIBRARY": str(library)},
    )
    expected = f"is libexecution {other}; this binding needs {_ffi.required_version()}"
    assert expected in r.stdout, r.stdout + r.stderr


def test_versions_compatible_before_one() -> None:
    assert _ffi.compatible(_ffi.EXEC_VERSION)
    assert _ffi.compatible(f"0.{_ffi.EXEC_VERSION_MINOR}.9")
    assert not _ffi.compatible(f"0.{_ffi.EXEC_VERSION_MINOR + 1}.0")
    assert not _ffi.compatible("0")
