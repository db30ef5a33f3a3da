"""bundle_init writes a runnable config.json."""

import json
import os
import shutil
from pathlib import Path

from typing import Callable, Iterator

import pytest

import execution
from helpers import short_tempdir


@pytest.fixture
def bundle_dir() -> Iterator[Path]:
    d = short_tempdir("pybundle-")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_default_config(bundle_dir: Path) -> None:
    execution.bundle_init(str(bundle_dir), ["echo", "a b"])
    spec = json.loads((bundle_dir / "config.json").read_text())
    assert spec["process"]["args"] == ["echo", "a b"]
    assert spec["process"].get("terminal", False) is False
    assert spec["root"]["path"] == "rootfs"


def test_terminal_and_symlinked_rootfs(bundle_dir: Path, rootfs: str) -> None:
    (bundle_dir / "rootfs").symlink_to(rootfs)
    execution.bundle_init(bundle_dir, ["sh"], terminal=True)
    spec = json.loads((bundle_dir / "config.json").read_text())
    assert spec["process"]["terminal"] is True
    assert spec["root"]["path"] == os.path.realpath(rootfs)


def test_runs_with_a_rootfs_elsewhere(
    rt: execution.Runtime, bundle_dir: Path, rootfs: str, new_id: Callable[[], str]
) -> None:
    (bundle_dir / "rootfs").symlink_to(rootfs)
    execution.bundle_init(bundle_dir, ["sh", "-c", "exit 21"])
    with rt.run(new_id(), bundle_dir) as c:
        assert c.wait(timeout=10).code == 21


def test_errors(bundle_dir: Path) -> None:
    with pytest.raises(execution.InvalidArgument):
        execution.bundle_init(bundle_dir, [])
    with pytest.raises(execution.InvalidArgument):
        execution.bundle_init(bundle_dir / "missing", ["true"])
    execution.bundle_init(bundle_dir, ["true"])
    with pytest.raises(execution.AlreadyExists):
        execution.bundle_init(bundle_dir, ["true"])
