"""Images pulled from a local registry (Debian's docker-registry), then run."""

import os
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

import execution
from helpers import REPO


@pytest.fixture
def registry(images: str, tmp_path: Path) -> Iterator[str]:
    """host:port of a registry on 127.0.0.1 holding busybox:latest, stopped by pid."""
    helper = os.environ.get("EXEC_TEST_REGISTRY") or str(REPO / "build" / "tests" / "test-registry")
    if not os.path.exists(helper):
        pytest.skip("no test-registry helper (make test-registry)")
    (tmp_path / "registry").mkdir()
    proc = subprocess.Popen([helper, str(tmp_path / "registry"), os.path.join(images, "busybox")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        host = proc.stdout.readline().strip()
        assert host, "test-registry did not start"
        yield host
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def test_pull_then_run(registry: str, tmp_path: Path, rt: execution.Runtime, new_id: Any) -> None:
    seen: List[Tuple[str, int, int, int]] = []

    def progress(blob: str, done: int, total: int) -> None:
        seen.append((blob, done, total, threading.get_ident()))

    ref = f"{registry}/busybox:latest"
    layout = tmp_path / "layout"
    digest = execution.pull_image(ref, layout, progress=progress, parallel=2)
    assert digest.startswith("sha256:")
    assert {t for *_, t in seen} == {threading.get_ident()}
    assert len({b for b, d, t, _ in seen if d == t}) >= 3
    bundle = tmp_path / "bundle"
    execution.bundle_from_image(bundle, f"{layout}:{ref}")
    with rt.run(new_id(), str(bundle), stdout=execution.PIPE) as c:
        out, _ = c.communicate(timeout=20)
        assert (out, c.wait()) == (b"hello from the second layer\n", 0)
    execution.bundle_remove(bundle)
    # Again by digest, into the same layout: nothing new to fetch.
    assert execution.pull_image(f"{registry}/busybox@{digest}", layout) == digest


def test_cancel_missing_and_errors(registry: str, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    with pytest.raises(execution.Cancelled):
        execution.pull_image(f"{registry}/busybox:latest", layout, progress=lambda *a: True)
    assert not (layout / "index.json").exists()

    class Boom(Exception):
        pass

    def boom(*a: Any) -> None:
        raise Boom()

    with pytest.raises(Boom):
        execution.pull_image(f"{registry}/busybox:latest", layout, progress=boom)
    with pytest.raises(execution.NotFound):
        execution.pull_image(f"{registry}/busybox:nope", layout)
    with pytest.raises(execution.NotFound):
        execution.pull_image(f"{registry}/busybox@sha256:{'0' * 64}", layout)
    with pytest.raises(execution.SystemCallError):
        execution.pull_image("127.0.0.1:1/busybox:latest", layout)
    with pytest.raises(execution.InvalidArgument):
        execution.pull_image("Not A Ref", layout)
    with pytest.raises(TypeError):
        execution.pull_image(f"{registry}/busybox:latest", layout, progress=3)  # type: ignore[arg-type]


def test_tqdm_progress(registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bars: List[Any] = []

    class FakeTqdm:
        def __init__(self, total: int, desc: str, **kw: Any) -> None:
            self.total, self.n, self.closed = total, 0, False
            bars.append(self)

        def update(self, n: int) -> None:
            self.n += n

        def close(self) -> None:
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    with execution.tqdm_progress() as bar:
        execution.pull_image(f"{registry}/busybox:latest", tmp_path / "layout", progress=bar)
    assert len(bars) >= 3
    assert all(b.n == b.total and b.closed for b in bars)


def test_tqdm_progress_needs_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ImportError):
        execution.tqdm_progress()


def test_example_pulls_and_runs(registry: str) -> None:
    example = REPO / "examples" / "python" / "pull.py"
    done = subprocess.run([sys.executable, str(example), f"{registry}/busybox:latest"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello from the second layer\nexited with status 0\n"
