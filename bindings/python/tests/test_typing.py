"""The package's types hold: mypy --strict passes on it, on these tests and on the READMEs' examples."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from helpers import PACKAGE_DIR, REPO


def mypy_strict(paths: List[Path], cwd: Path) -> "subprocess.CompletedProcess[str]":
    """mypy of the interpreter running these tests, which sees the same pytest they import."""
    if importlib.util.find_spec("mypy") is None:
        pytest.fail(f"mypy is not installed for {sys.executable} (`make deps` installs it)")
    cache = REPO / "build" / f"mypy-cache-{sys.version_info.major}.{sys.version_info.minor}"
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *map(str, paths)],
        cwd=cwd,
        env={"MYPYPATH": str(PACKAGE_DIR), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_package_and_its_tests() -> None:
    r = mypy_strict([PACKAGE_DIR / "execution", PACKAGE_DIR / "tests"], PACKAGE_DIR)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_readme_examples(tmp_path: Path) -> None:
    examples = []
    for readme in (REPO / "README.md", PACKAGE_DIR / "README.md"):
        for i, code in enumerate(re.findall(r"```python\n(.*?)```", readme.read_text(), re.S)):
            path = tmp_path / f"{readme.parent.name}_{i}.py"
            path.write_text(code)
            examples.append(path)
    assert len(examples) >= 2
    r = mypy_strict(examples, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_example_programs() -> None:
    examples = sorted((REPO / "examples" / "python").glob("*.py"))
    assert examples
    r = mypy_strict(examples, REPO)
    assert r.returncode == 0, r.stdout + r.stderr


STREAM_TYPES = '''
from typing import IO, Any, Optional
from typing_extensions import assert_type
import execution

def check(rt: execution.Runtime, flag: bool) -> None:
    b = rt.run("b", "bundle", stdout=execution.PIPE)
    assert_type(b, execution.Container[bytes])
    assert_type(b.stdout, Optional[IO[bytes]])
    t = rt.create("t", "bundle", stdout=execution.PIPE, text=True)
    assert_type(t.stdout, Optional[IO[str]])
    assert_type(rt.run("e", "bundle", encoding="utf-8"), execution.Container[str])
    assert_type(rt.run("r", "bundle", errors="replace"), execution.Container[str])
    assert_type(rt.run("a", "bundle", text=flag), execution.Container[Any])
    p = b.exec(["ls"], stdin=execution.PIPE)
    assert_type(p, execution.Process[bytes])
    assert_type(p.stdin, Optional[IO[bytes]])
    assert_type(t.exec(["ls"], text=True).stdout, Optional[IO[str]])
    assert_type(b.exec(["ls"], encoding="latin-1"), execution.Process[str])
    assert_type(b.wait(), execution.Exit)
    assert_type(b.wait() == 0, bool)
'''


def test_streams_are_typed_by_text_mode(tmp_path: Path) -> None:
    """IO[bytes] without text mode, IO[str] with it, Any when only a bool is known: as typeshed's Popen."""
    path = tmp_path / "stream_types.py"
    path.write_text(STREAM_TYPES)
    r = mypy_strict([path], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    path.write_text(STREAM_TYPES + "    assert_type(b.stdout, Optional[IO[str]])\n")
    r = mypy_strict([path], tmp_path)
    assert r.returncode == 1 and 'Expression is of type "IO[bytes] | None"' in r.stdout, r.stdout
