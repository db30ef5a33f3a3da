"""Every error class, each raised by a real situation."""

import os
import shutil
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

import execution
from execution import ErrorCode, _ffi
from helpers import is_monitor, parent_of, python_child, short_tempdir

FAILING_RUNTIME = """#!/bin/sh
# A runtime that fails every command but `--version`/`delete`, saying why on
# stderr and in the --log file (JSON lines, as runc writes them).
log=
while [ $# -gt 0 ]; do
    case "$1" in
    --log) log="$2"; shift 2 ;;
    --root|--log-format|--criu|--rootless) shift 2 ;;
    --version|-v) echo "runc version 1.1.5"; echo "spec: 1.0.2-dev"; exit 0 ;;
    delete) exit 0 ;;
    -*) shift ;;
    *) break ;;
    esac
done
echo "fake runtime refuses to $1" >&2
if [ -n "$log" ]; then
    echo "{\\"level\\":\\"error\\",\\"msg\\":\\"fake runtime refuses to $1\\"}" >> "$log"
fi
exit 1
"""


@pytest.fixture
def failing_runtime() -> Iterator[str]:
    """Path of FAILING_RUNTIME, written to a temp dir."""
    d = short_tempdir("pyfail-")
    path = Path(d, "fake-runc")
    path.write_text(FAILING_RUNTIME)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    yield str(path)
    shutil.rmtree(d, ignore_errors=True)


def test_invalid_argument_for_a_bad_id(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with pytest.raises(execution.InvalidArgument) as e:
        rt.create("bad/id", bundle(["true"]))
    assert e.value.code == ErrorCode.EINVAL and int(e.value.code) == -1
    assert "bad/id" in str(e.value)
    assert rt.list() == []


def test_invalid_argument_for_a_missing_bundle(
    rt: execution.Runtime, new_id: Callable[[], str]
) -> None:
    with pytest.raises(execution.InvalidArgument):
        rt.create(new_id(), "/nonexistent/bundle")


def test_invalid_argument_for_a_terminal_mismatch(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with pytest.raises(execution.InvalidArgument):
        rt.create(new_id(), bundle(["true"], terminal=False), terminal=True)
    assert rt.list() == []


def test_not_found_loading_an_unknown_id(rt: execution.Runtime, new_id: Callable[[], str]) -> None:
    cid = new_id()
    with pytest.raises(execution.NotFound) as e:
        rt.load(cid)
    assert e.value.code == ErrorCode.ENOTFOUND
    assert cid in str(e.value)


def test_already_exists_for_a_duplicate_id(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    b = bundle(["true"])
    with rt.create(cid, b) as c:
        with pytest.raises(execution.AlreadyExists) as e:
            rt.create(cid, b)
        assert e.value.code == ErrorCode.EEXIST
        assert c.state is execution.State.CREATED


def test_already_exists_for_an_existing_config(bundle: Callable[..., str]) -> None:
    b = bundle(["true"])
    with pytest.raises(execution.AlreadyExists):
        execution.bundle_init(b, ["true"])


def test_invalid_state_deleting_a_running_container(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(execution.InvalidState) as e:
        sleeper.delete()
    assert e.value.code == ErrorCode.ESTATE
    assert sleeper.state is execution.State.RUNNING


def test_runtime_failure_carries_what_the_runtime_said(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str], failing_runtime: str
) -> None:
    log = os.path.join(state_root, "runtime.log")
    with execution.Runtime(state_root, runtime_path=failing_runtime, log_path=log) as rt:
        with pytest.raises(execution.RuntimeFailure) as e:
            rt.run(new_id(), bundle(["true"]))
        assert e.value.code == ErrorCode.ERUNTIME
        assert "fake runtime refuses to" in e.value.message
        assert rt.list() == []
    assert "fake runtime refuses to" in Path(log).read_text()


def test_runtime_failure_without_a_log(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str], failing_runtime: str
) -> None:
    with execution.Runtime(state_root, runtime_path=failing_runtime) as rt:
        with pytest.raises(execution.RuntimeFailure) as e:
            rt.create(new_id(), bundle(["true"]))
        assert "fake runtime refuses to create" in str(e.value)


def test_timed_out_when_the_runtime_does_not_answer(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    hang = Path(state_root, "hanging-runc")
    hang.write_text(
        '#!/bin/sh\ncase " $* " in *" --version "*) echo "runc version 1.1.5" ;; *) exec sleep 30 ;; esac\n'
    )
    hang.chmod(0o755)
    with execution.Runtime(state_root, runtime_path=str(hang), timeout=0.5) as rt:
        start = time.monotonic()
        with pytest.raises(execution.TimedOut) as e:
            rt.create(new_id(), bundle(["true"]))
        assert time.monotonic() - start < 10
        assert e.value.code == ErrorCode.ETIMEDOUT


def test_timed_out_is_a_timeout_error(sleeper: execution.Container[bytes]) -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError) as e:
        sleeper.wait(timeout=0.1)
    elapsed = time.monotonic() - start
    assert isinstance(e.value, execution.TimedOut)
    assert isinstance(e.value, execution.ExecutionError)
    assert e.value.code == ErrorCode.ETIMEDOUT
    assert 0.09 <= elapsed < 5
    assert sleeper.state is execution.State.RUNNING


def test_closed_after_close(sleeper: execution.Container[bytes]) -> None:
    sleeper.close()
    with pytest.raises(execution.Closed) as e:
        sleeper.state
    assert e.value.code == ErrorCode.ECLOSED


def test_closed_from_the_library_for_a_freed_handle(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    c = rt.create(new_id(), bundle(["true"]))
    ptr = c._ptr
    c.close()
    with pytest.raises(execution.Closed) as e:
        _ffi.lib().exec_container_start(ptr)
    assert e.value.message


def test_system_call_error_when_the_monitor_died(
    rt: execution.Runtime, state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    # A second process runs the container and exits. The monitor, its
    # parent, is killed by hand: the container is re-parented to init, which
    # reaps it, so no exit status can be known.
    cid = new_id()
    b = bundle(["sleep", "1000"])
    child = python_child(
        "import execution\n"
        f"rt = execution.Runtime({state_root!r})\n"
        f"c = rt.run({cid!r}, {b!r})\n"
        "print(c.pid)\n"
    )
    assert child.returncode == 0, child.stderr
    pid = int(child.stdout)
    monitor = parent_of(pid)
    assert is_monitor(monitor)
    os.kill(monitor, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while parent_of(pid) == monitor and time.monotonic() < deadline:
        time.sleep(0.02)
    with rt.load(cid) as c:
        c.kill()
        with pytest.raises(execution.SystemCallError) as e:
            c.wait(timeout=10)
        assert e.value.code == ErrorCode.ESYS
        assert "unknown" in str(e.value)
        c.delete(force=True)


def test_root_is_required_as_root_and_reported_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        with pytest.raises(execution.InvalidArgument, match="root is required"):
            execution.Runtime()
    monkeypatch.chdir(tmp_path)
    with execution.Runtime("state") as rt:
        assert rt.root == str(tmp_path / "state")


def test_internal_error_maps_from_its_code() -> None:
    e = execution.errors.error_from_code(_ffi.EXEC_EINTERNAL, "a recovered panic")
    assert type(e) is execution.InternalError
    assert e.code == ErrorCode.EINTERNAL and str(e) == "a recovered panic"


def test_every_code_has_its_class() -> None:
    classes = {
        -1: execution.InvalidArgument,
        -2: execution.NotFound,
        -3: execution.AlreadyExists,
        -4: execution.InvalidState,
        -5: execution.RuntimeFailure,
        -6: execution.TimedOut,
        -7: execution.Closed,
        -8: execution.SystemCallError,
        -9: execution.InternalError,
    }
    for code, cls in classes.items():
        e = execution.errors.error_from_code(code, "m")
        assert type(e) is cls and e.code == code and isinstance(e, execution.ExecutionError)
        assert cls("m").code == code
    unknown = execution.errors.error_from_code(-100, "newer library")
    assert type(unknown) is execution.ExecutionError and unknown.code == -100


def test_check_reads_the_message_of_the_failing_call() -> None:
    with pytest.raises(execution.InvalidArgument) as e:
        _ffi.lib().exec_runtime_new(None, None)
    assert e.value.message and e.value.message == _ffi.last_error()


def test_last_error_is_per_thread(rt: execution.Runtime, new_id: Callable[[], str]) -> None:
    with pytest.raises(execution.NotFound):
        rt.load(new_id())
    mine = _ffi.last_error()
    seen = []
    t = threading.Thread(target=lambda: seen.append(_ffi.last_error()))
    t.start()
    t.join()
    assert mine and seen == [""]


def test_strerror_describes_each_code() -> None:
    for code in ErrorCode:
        assert _ffi.strerror(code)
    assert _ffi.strerror(-100) == "unknown error"
