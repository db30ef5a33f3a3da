"""Processes exec'd into a running container."""

import signal

from typing import Callable

import pytest

import execution
from helpers import sh


def test_exec_captures_output_and_status(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(sh("ls /; exit 3"), id="p", stdout=execution.PIPE) as p:
        assert p.id == "p" and p.pid > 0 and p.pid != sleeper.pid
        out, err = p.communicate(timeout=10)
        assert b"bin\n" in out and err is None
        assert p.wait() == execution.Exit(status=3, code=3, signal=0, core_dumped=False)


def test_exec_env_cwd_user(sleeper: execution.Container[bytes]) -> None:
    script = 'echo "$FOO|$PATH"; pwd; id -u; id -g'
    env = {"FOO": "bar baz", "PATH": "/bin"}
    with sleeper.exec(
        sh(script), id="p", env=env, cwd="/tmp", user=(65534, 65534), stdout=execution.PIPE
    ) as p:
        out, _ = p.communicate(timeout=10)
        assert out == b"bar baz|/bin\n/tmp\n65534\n65534\n"


def test_exec_defaults(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(sh('echo "$PATH"; pwd; id -u; id -g'), id="p", stdout=execution.PIPE) as p:
        out, _ = p.communicate(timeout=10)
        # The bundle's config (as runc spec writes it) gives the environment.
        path = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        assert out == path + b"\n/\n0\n0\n"


def test_exec_uid_alone_means_gid_0(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(sh("id -u; id -g"), id="p", user=65534, stdout=execution.PIPE) as p:
        assert p.communicate(timeout=10)[0] == b"65534\n0\n"


def test_exec_stdin_and_stderr(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(
        sh("cat >&2"), id="p", stdin=execution.PIPE, stdout=execution.PIPE, stderr=execution.PIPE
    ) as p:
        assert p.communicate(b"to stderr", timeout=10) == (b"", b"to stderr")


def test_signal_and_wait(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        assert p.poll() is None
        with pytest.raises(execution.TimedOut):
            p.wait(timeout=0.1)
        p.signal(signal.SIGTERM)
        e = p.wait(timeout=10)
        assert e == execution.Exit(status=143, code=-1, signal=15, core_dumped=False)
        assert p.poll() == e
        with pytest.raises(execution.InvalidState):
            p.signal(signal.SIGTERM)


def test_terminal_and_resize(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sh"], id="p", terminal=True) as p:
        assert p.terminal is not None and p.terminal.isatty() and p.stdout is None
        p.resize(33, 77)
        out, err = p.communicate(b"stty size; exit 4\n", timeout=10)
        assert b"33 77\r\n" in out and err is None
        assert p.wait().code == 4


def test_resize_without_a_terminal(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        with pytest.raises(execution.InvalidArgument):
            p.resize(24, 80)
        p.signal(signal.SIGKILL)


def test_delete(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        with pytest.raises(execution.InvalidState):
            p.delete()
        p.signal(signal.SIGKILL)
        p.wait(timeout=10)
        p.delete()
        with pytest.raises(execution.NotFound):
            p.delete()
    with pytest.raises(execution.NotFound):
        sleeper.load_process("p")


def test_load_process(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(sh("exit 8"), id="p") as p:
        with sleeper.load_process("p") as again:
            assert again.id == "p" and again.pid == p.pid
            assert again.wait(timeout=10).code == 8
        assert p.wait().code == 8


def test_duplicate_process_id(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        with pytest.raises(execution.AlreadyExists):
            sleeper.exec(["true"], id="p")
        p.signal(signal.SIGKILL)


def test_bad_process_id(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(execution.InvalidArgument):
        sleeper.exec(["true"], id="../p")


def test_empty_args(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(ValueError):
        sleeper.exec([], id="p")


def test_exec_into_a_stopped_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["true"])) as c:
        c.wait(timeout=10)
        with pytest.raises(execution.InvalidState):
            c.exec(["true"], id="p")


def test_processes_die_with_their_container(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        sleeper.kill()
        assert p.wait(timeout=10).signal == signal.SIGKILL


def test_a_process_outlives_its_container_handle(sleeper: execution.Container[bytes]) -> None:
    p = sleeper.exec(sh("exit 2"), id="p")
    sleeper.close()
    assert p.wait(timeout=10).code == 2
    p.close()
