"""The library's diagnostics reach logging.getLogger("execution")."""

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import pytest

import execution
from test_errors import failing_runtime  # noqa: F401 - a fixture

CHATTY_RUNTIME = """#!/bin/sh
# runc, with 3000 more lines in its log.
log= prev=
for a in "$@"; do
    [ "$prev" = --log ] && log=$a
    case $a in --log=*) log=${a#--log=} ;; esac
    prev=$a
done
if [ -n "$log" ]; then
    i=0
    while [ $i -lt 3000 ]; do
        echo "{\\"level\\":\\"info\\",\\"msg\\":\\"chatty line $i\\"}"
        i=$((i + 1))
    done >> "$log"
fi
exec runc "$@"
"""


@pytest.fixture
def chatty_runtime(tmp_path: Path) -> str:
    path = tmp_path / "chatty-runtime"
    path.write_text(CHATTY_RUNTIME)
    path.chmod(0o755)
    return str(path)


@pytest.fixture(autouse=True)
def default_level() -> Iterator[None]:
    yield
    execution.set_log_level(logging.WARNING)


def fail_create(rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]) -> None:
    """A create that the failing runtime refuses."""
    with pytest.raises(execution.RuntimeFailure):
        rt.create(new_id(), bundle(["true"]))


def arrived(records: List[logging.LogRecord], level: int, text: str) -> bool:
    """Wait (30 s at most, a hang guard only) for a record at level with text."""
    for _ in range(3000):
        if any(r.levelno == level and text in r.getMessage() for r in list(records)):
            return True
        time.sleep(0.01)
    return False


def test_failed_runtime_call_is_a_warning(
    caplog: pytest.LogCaptureFixture,
    state_root: str,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    failing_runtime: str,
) -> None:
    caplog.set_level(logging.INFO, logger="execution")
    execution.set_log_level()
    with execution.Runtime(state_root, runtime_path=failing_runtime) as rt:
        fail_create(rt, bundle, new_id)
    assert arrived(caplog.records, logging.WARNING, "fake runtime refuses to create")
    assert arrived(caplog.records, logging.INFO, "started the monitor of " + state_root)
    assert all(r.name == "execution" for r in caplog.records)


def test_level_and_off(
    caplog: pytest.LogCaptureFixture,
    state_root: str,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    failing_runtime: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="execution")
    execution.set_log_level(logging.ERROR)
    with execution.Runtime(state_root, runtime_path=failing_runtime) as rt:
        fail_create(rt, bundle, new_id)
        execution.set_log_level(logging.CRITICAL)
        fail_create(rt, bundle, new_id)
        time.sleep(0.1)
        assert [r for r in caplog.records if r.name == "execution"] == []
        execution.set_log_level(logging.WARNING)
        fail_create(rt, bundle, new_id)
        assert arrived(caplog.records, logging.WARNING, "fake runtime refuses to create")


def test_a_handler_may_call_the_library(
    state_root: str,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    failing_runtime: str,
) -> None:
    seen: List[str] = []

    with execution.Runtime(state_root, runtime_path=failing_runtime) as rt:

        class Reentrant(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                execution.set_log_level(logging.DEBUG)
                seen.append(f"{record.getMessage()} {rt.list()}")

        handler = Reentrant()
        logger = logging.getLogger("execution")
        logger.addHandler(handler)
        try:
            execution.set_log_level(logging.WARNING)
            fail_create(rt, bundle, new_id)
            for _ in range(3000):
                if any("refuses to create" in s for s in seen):
                    break
                time.sleep(0.01)
        finally:
            execution.set_log_level(logging.WARNING)
            logger.removeHandler(handler)
    assert any("refuses to create" in s and s.endswith(" []") for s in seen)


def test_a_flood_drops_with_a_count(
    caplog: pytest.LogCaptureFixture,
    state_root: str,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    chatty_runtime: str,
) -> None:
    release = threading.Event()

    class Stuck(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            release.wait(60)

    caplog.set_level(logging.DEBUG, logger="execution")
    handler = Stuck()
    logger = logging.getLogger("execution")
    with execution.Runtime(state_root, runtime_path=chatty_runtime) as rt:
        execution.set_log_level(logging.DEBUG)
        logger.addHandler(handler)
        try:
            with rt.run(new_id(), bundle(["true"])) as c:
                release.set()
                assert c.wait().code == 0
        finally:
            release.set()
            logger.removeHandler(handler)
        assert arrived(caplog.records, logging.WARNING, "log messages dropped")
    for _ in range(3000):  # a hang guard only
        lines, dropped = flood_counts(caplog.records)
        if lines + dropped >= 3000:
            break
        time.sleep(0.01)
    assert lines > 0 and dropped > 0 and lines + dropped >= 3000


def flood_counts(records: List[logging.LogRecord]) -> Tuple[int, int]:
    """How many chatty lines came, and how many messages were said dropped."""
    lines = dropped = 0
    for r in list(records):
        text = r.getMessage()
        if "chatty line" in text:
            lines += 1
        elif text.endswith("log messages dropped: the log queue was full"):
            dropped += int(text.split()[0])
    return lines, dropped
