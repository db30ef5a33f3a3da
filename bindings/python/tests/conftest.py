"""Fixtures: the busybox rootfs, temp runtimes and bundles, unique ids, cleanup.

Every test runs real containers on runc. EXEC_TEST_ROOTFS is the busybox
rootfs (`make bundle`); the library is found as the package finds it
(EXECUTION_LIBRARY under `make test`). Ids are host-wide, so each is
"py-<pid>-<n>"; whatever a test leaves under its runtime roots is
force-deleted when it ends, pass or fail.
"""

import inspect
import os
import shutil
import subprocess
import sys
from typing import Any, Callable, Iterator, List, Optional, Sequence

import pytest

import execution
from helpers import REPO, force_delete_all, short_tempdir, unique_id


@pytest.fixture(scope="session")
def rootfs() -> str:
    """Absolute path of the busybox rootfs."""
    path = os.environ.get("EXEC_TEST_ROOTFS", "")
    if not os.path.isabs(path) or not os.path.exists(os.path.join(path, "bin", "busybox")):
        pytest.fail(
            f"EXEC_TEST_ROOTFS={path!r} must be the absolute path of the busybox rootfs "
            "(run `make bundle`, or the suite through `make test-python`)"
        )
    return path


@pytest.fixture
def state_root() -> Iterator[str]:
    """A fresh state root; its containers are force-deleted at the end."""
    root = short_tempdir("pyroot-")
    try:
        yield root
    finally:
        force_delete_all(root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def rt(state_root: str, request: pytest.FixtureRequest) -> Iterator[execution.Runtime]:
    """A Runtime on runc with a fresh state root: with the exec agent (the
    default), or for the "runtime" parameter without (every exec a runtime call)."""
    with execution.Runtime(state_root, agent=getattr(request, "param", "agent") == "agent") as r:
        yield r


def _execs(metafunc: pytest.Metafunc) -> bool:
    """Whether a test execs into a container."""
    if "sleeper" in metafunc.fixturenames:
        return True
    try:
        return ".exec(" in inspect.getsource(metafunc.function)
    except (OSError, TypeError):
        return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every exec test runs twice: execs through the container's agent, and
    through the runtime."""
    if "rt" in metafunc.fixturenames and _execs(metafunc):
        metafunc.parametrize("rt", ["agent", "runtime"], indirect=True)


@pytest.fixture
def new_id() -> Callable[[], str]:
    """Returns a new unique id on each call."""
    return unique_id


@pytest.fixture
def bundle(rootfs: str) -> Iterator[Callable[..., str]]:
    """A factory: bundle(args, terminal=False, limits=None) -> a new bundle dir running args.

    The bundle's `rootfs` is a symlink to the busybox rootfs.
    """
    made: List[str] = []

    def make(
        args: List[str], terminal: bool = False, limits: Optional[execution.Limits] = None
    ) -> str:
        d = short_tempdir("pybundle-")
        made.append(d)
        os.symlink(rootfs, os.path.join(d, "rootfs"))
        execution.bundle_init(d, args, terminal, limits)
        return d

    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sleeper(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> Iterator[execution.Container[bytes]]:
    """A running container whose init sleeps; deleted at the end."""
    with rt.run(new_id(), bundle(["sleep", "1000"])) as c:
        yield c


@pytest.fixture(scope="session")
def images(rootfs: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test images of scripts/make-image.py: $EXEC_TEST_IMAGES (`make
    images`), or written once into a temp dir."""
    path = os.environ.get("EXEC_TEST_IMAGES", "")
    if os.path.isabs(path) and os.path.isdir(os.path.join(path, "busybox")):
        return path
    out = str(tmp_path_factory.mktemp("images") / "images")
    subprocess.run([sys.executable, str(REPO / "scripts" / "make-image.py"), rootfs, out], check=True)
    return out


@pytest.fixture(scope="session")
def probe_rootfs() -> str:
    """The busybox rootfs with tests/probe as /bin/probe and /bin/probe-suid (setuid root)."""
    path = os.environ.get("EXEC_TEST_PROBE_ROOTFS", "")
    if not os.path.isabs(path) or not os.path.exists(os.path.join(path, "bin", "probe-suid")):
        pytest.fail(f"EXEC_TEST_PROBE_ROOTFS={path!r} must be the probe rootfs (`make probe`)")
    return path


@pytest.fixture
def probe_bundle(probe_rootfs: str) -> Iterator[Callable[..., str]]:
    """A factory: probe_bundle(args, **bundle_init keywords) -> a bundle on the probe rootfs."""
    made: List[str] = []

    def make(
        args: Sequence[str],
        limits: Optional[execution.Limits] = None,
        *,
        userns: Any = execution.UserNS.AUTO,
        hardened: Any = False,
        tmpfs: Any = (),
    ) -> str:
        d = short_tempdir("pyhard-")
        made.append(d)
        os.symlink(probe_rootfs, os.path.join(d, "rootfs"))
        execution.bundle_init(d, args, False, limits, userns=userns, hardened=hardened, tmpfs=tmpfs)
        return d

    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)
