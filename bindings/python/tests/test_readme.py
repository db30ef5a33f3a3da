"""The READMEs' examples: the Python ones run as written, from the checkout root; Rust's is hello.rs."""

import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
from typing import List, Set

import pytest

import execution
from helpers import PACKAGE_DIR, REPO

READMES = [p for p in (PACKAGE_DIR / "README.md", REPO / "README.md") if p.is_file()]


def python_blocks(text: str) -> List[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def force_delete(root: str, ids: Set[str]) -> None:
    """Force-delete the containers `ids` under `root`, leaving any other alone."""
    if not os.path.isdir(root):
        return
    with execution.Runtime(root) as rt:
        for cid in ids:
            try:
                with rt.load(cid) as c:
                    c.delete(force=True)
            except execution.NotFound:
                pass


@pytest.mark.parametrize("readme", READMES, ids=[str(p.relative_to(REPO)) for p in READMES])
def test_readme_python_examples_run(readme: Path, rootfs: str, tmp_path: Path) -> None:
    blocks = python_blocks(readme.read_text())
    assert blocks, f"no Python example in {readme}"
    for code in blocks:
        roots = set(re.findall(r'Runtime\("([^"]+)"', code))
        ids = set(re.findall(r'\.(?:run|create)\("([^"]+)"', code))
        fresh = {r for r in roots if not os.path.exists(r)}
        try:
            r = subprocess.run(
                [sys.executable, "-c", code],
                cwd=REPO,
                # The example's temp dirs go where pytest removes them.
                env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR), "TMPDIR": str(tmp_path)},
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            for root in roots:
                force_delete(root, ids)
            for root in fresh:
                shutil.rmtree(root, ignore_errors=True)
        assert r.returncode == 0, f"{readme}:\n{code}\n{r.stderr}"
        assert "hello from runc" in r.stdout


def test_the_rust_example_is_hello_rs() -> None:
    """The README's Rust example is examples/rust/hello.rs, which the crate's tests run."""
    blocks = re.findall(r"```rust\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    assert blocks, "no Rust example in README.md"
    assert blocks[0] == (REPO / "examples" / "rust" / "hello.rs").read_text()
