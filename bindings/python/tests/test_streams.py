"""Standard streams: PIPE, fds, file objects, /dev/null, STDOUT, communicate, terminals."""

import os
import subprocess
import tempfile
from ctypes import byref, c_int

from typing import Callable, Optional

import pytest

import execution
from execution import _ffi
from helpers import sh


def test_pipes_capture_stdout_and_stderr(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("echo out; echo err >&2; exit 2"))
    with rt.run(new_id(), b, stdout=execution.PIPE, stderr=execution.PIPE) as c:
        assert c.stdin is None and c.terminal is None
        assert c.stdout is not None and c.stderr is not None
        assert c.stdout.read() == b"out\n"
        assert c.stderr.read() == b"err\n"
        assert c.wait(timeout=10).code == 2


def test_stdin_pipe(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["cat"]), stdin=execution.PIPE, stdout=execution.PIPE) as c:
        assert c.stdin is not None and c.stdout is not None
        c.stdin.write(b"hello\n")
        c.stdin.flush()
        assert c.stdout.readline() == b"hello\n"
        c.stdin.close()
        assert c.stdout.read() == b""
        assert c.wait(timeout=10).code == 0


def test_stderr_to_stdout(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("echo one; echo two >&2; echo three"))
    with rt.run(new_id(), b, stdout=execution.PIPE, stderr=execution.STDOUT) as c:
        assert c.stderr is None
        out, err = c.communicate(timeout=10)
        assert (out, err) == (b"one\ntwo\nthree\n", None)


def test_stderr_to_a_file_given_as_stdout(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with tempfile.TemporaryFile() as f:
        b = bundle(sh("echo one; echo two >&2"))
        with rt.run(new_id(), b, stdout=f, stderr=execution.STDOUT) as c:
            c.wait(timeout=10)
        f.seek(0)
        assert f.read() == b"one\ntwo\n"


def test_int_fds(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    r, w = os.pipe()
    try:
        with rt.run(new_id(), bundle(sh("echo via-fd")), stdout=w) as c:
            os.close(w)
            w = -1
            assert c.stdout is None
            c.wait(timeout=10)
            assert os.read(r, 100) == b"via-fd\n"
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_file_objects(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with tempfile.TemporaryFile() as src, tempfile.TemporaryFile() as dst:
        src.write(b"from a file\n")
        src.seek(0)
        with rt.run(new_id(), bundle(["cat"]), stdin=src, stdout=dst) as c:
            assert c.wait(timeout=10).code == 0
        dst.seek(0)
        assert dst.read() == b"from a file\n"


@pytest.mark.parametrize("null", [None, execution.DEVNULL, subprocess.DEVNULL])
def test_dev_null(
    rt: execution.Runtime,
    bundle: Callable[..., str],
    new_id: Callable[[], str],
    null: Optional[int],
) -> None:
    b = bundle(sh("cat; echo discarded; echo $? >&2"))
    with rt.run(new_id(), b, stdin=null, stdout=null, stderr=null) as c:
        assert (c.stdin, c.stdout, c.stderr) == (None, None, None)
        assert c.wait(timeout=10).code == 0


def test_subprocess_constants_work() -> None:
    assert (execution.PIPE, execution.STDOUT, execution.DEVNULL) == (
        subprocess.PIPE,
        subprocess.STDOUT,
        subprocess.DEVNULL,
    )


def test_bad_stream_values(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["true"])
    with pytest.raises(ValueError):
        rt.create(new_id(), b, stdin=execution.STDOUT)
    with pytest.raises(ValueError):
        rt.create(new_id(), b, stdout=-5)
    with pytest.raises(ValueError):
        rt.create(new_id(), b, terminal=True, stdout=execution.PIPE)
    assert rt.list() == []


def test_each_pipe_end_is_handed_over_once(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.create(new_id(), bundle(["true"]), stdout=execution.PIPE) as c:
        fd = c_int(-1)
        with pytest.raises(execution.InvalidState):
            _ffi.lib().exec_container_stdio(c._handle(), _ffi.EXEC_STDOUT, byref(fd))
        with pytest.raises(execution.InvalidArgument):
            _ffi.lib().exec_container_stdio(c._handle(), _ffi.EXEC_STDERR, byref(fd))
        assert fd.value == -1


def test_communicate(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("cat; echo err >&2; exit 1"))
    with rt.run(
        new_id(), b, stdin=execution.PIPE, stdout=execution.PIPE, stderr=execution.PIPE
    ) as c:
        assert c.communicate(b"input", timeout=10) == (b"input", b"err\n")
        assert c.stdin is not None and c.stdout is not None and c.stderr is not None
        assert c.stdin.closed and c.stdout.closed and c.stderr.closed
        assert c.wait().code == 1


def test_communicate_a_large_input_without_deadlock(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    data = os.urandom(1 << 20)
    with rt.run(new_id(), bundle(["cat"]), stdin=execution.PIPE, stdout=execution.PIPE) as c:
        out, err = c.communicate(data, timeout=30)
        assert out == data and err is None


def test_communicate_without_pipes_only_waits(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("exit 3"))) as c:
        assert c.communicate(timeout=10) == (None, None)
        assert c.wait().code == 3


def test_communicate_closes_stdin_without_input(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["cat"]), stdin=execution.PIPE, stdout=execution.PIPE) as c:
        assert c.communicate(timeout=10) == (b"", None)


def test_communicate_timeout_keeps_the_output(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("echo start; sleep 1; echo end"))
    with rt.run(new_id(), b, stdout=execution.PIPE) as c:
        with pytest.raises(TimeoutError) as e:
            c.communicate(timeout=0.3)
        assert isinstance(e.value, execution.TimedOut)
        assert c.communicate(timeout=10) == (b"start\nend\n", None)


def test_communicate_timeout_while_waiting(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("exec >&-; sleep 1000"))
    with rt.run(new_id(), b, stdout=execution.PIPE) as c:
        with pytest.raises(execution.TimedOut):
            c.communicate(timeout=0.3)
        c.kill()
        assert c.communicate(timeout=10) == (b"", None)


def test_communicate_input_needs_a_stdin(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["true"]), stdout=execution.PIPE) as c:
        with pytest.raises(ValueError):
            c.communicate(b"x")
        with pytest.raises(TypeError):
            c.communicate("text")


def test_terminal_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("stty size; tty; exit 3"), terminal=True)
    with rt.create(new_id(), b, terminal=True) as c:
        assert (c.stdin, c.stdout, c.stderr) == (None, None, None)
        assert c.terminal is not None and c.terminal.isatty()
        c.resize(24, 101)
        c.start()
        out, err = c.communicate(timeout=10)
        assert out.startswith(b"24 101\r\n/dev/pts/") and err is None
        assert c.wait().code == 3


def test_terminal_input(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(sh("read line; echo got:$line"), terminal=True)
    with rt.run(new_id(), b, terminal=True) as c:
        out, _ = c.communicate(b"hello\n", timeout=10)
        assert b"got:hello\r\n" in out


def test_resize_without_a_terminal(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(execution.InvalidArgument):
        sleeper.resize(24, 80)


def test_close_closes_the_streams(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["cat"])
    with rt.create(
        new_id(), b, stdin=execution.PIPE, stdout=execution.PIPE, stderr=execution.PIPE
    ) as c:
        files = (c.stdin, c.stdout, c.stderr)
    assert all(f is not None and f.closed for f in files)
