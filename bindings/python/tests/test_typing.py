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
