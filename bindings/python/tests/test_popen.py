"""What a subprocess.Popen user looks for: returncode, send_signal, terminate, kill, text mode."""

import os
import signal
from typing import Callable

import pytest

import execution
from helpers import sh


def test_objects_come_only_from_their_factories() -> None:
    with pytest.raises(TypeError, match=r"Runtime\.create\(\), Runtime\.run\(\) or Runtime\.load"):
        execution.Container("job-1")
    with pytest.raises(TypeError, match=r"Container\.exec\(\) or Container\.load_process"):
        execution.Process("p")


def test_returncode_is_none_until_wait_or_poll_sees_the_exit(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("read x; exit 4")), stdin=execution.PIPE) as c:
        assert c.returncode is None
        assert c.poll() is None and c.returncode is None
        c.communicate(b"go\n", timeout=30)
        assert c.returncode == 4
        c.close()
        assert c.returncode == 4  # still readable after close


def test_terminate_kill_and_send_signal_of_a_process(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(["sleep", "1000"], id="t") as p:
        p.terminate()
        assert p.wait(timeout=30).signal == signal.SIGTERM
        assert p.returncode == -signal.SIGTERM
        p.send_signal(signal.SIGKILL)  # exited: nothing happens, as with Popen
        p.terminate()
    with sleeper.exec(["sleep", "1000"], id="k") as p:
        p.kill()
        assert p.wait(timeout=30).status == 128 + signal.SIGKILL
        assert p.returncode == -signal.SIGKILL
        p.kill()


def test_terminate_a_container_whose_init_handles_sigterm(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = 'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done'
    with rt.run(new_id(), bundle(sh(script)), stdout=execution.PIPE) as c:
        assert c.stdout is not None and c.stdout.readline() == b"ready\n"
        c.terminate()
        assert c.wait(timeout=30).code == 5 and c.returncode == 5
        c.terminate()
        c.send_signal(signal.SIGKILL)


def test_send_signal_checks_its_argument(sleeper: execution.Container[bytes]) -> None:
    with pytest.raises(TypeError):
        sleeper.send_signal("TERM")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sleeper.send_signal(-1)
    assert sleeper.poll() is None


def test_text_mode_streams_and_communicate(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = "read line; echo \"got $line\"; printf 'a\\r\\nb\\n'; echo oops >&2"
    with rt.run(
        new_id(),
        bundle(sh(script)),
        stdin=execution.PIPE,
        stdout=execution.PIPE,
        stderr=execution.PIPE,
        text=True,
    ) as c:
        assert c.stdout is not None and c.stdin is not None
        out, err = c.communicate("h\u00e9llo\n", timeout=30)
        assert (out, err) == ("got h\u00e9llo\na\nb\n", "oops\n")
        assert c.returncode == 0


def test_text_mode_files_read_and_write_str(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(
        ["cat"], id="cat", stdin=execution.PIPE, stdout=execution.PIPE, encoding="latin-1"
    ) as p:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write("caf\u00e9\n")
        p.stdin.flush()  # buffered, as Popen's
        assert p.stdout.readline() == "caf\u00e9\n"
        p.stdin.close()
        assert p.stdout.read() == ""
        assert p.wait(timeout=30).code == 0


def test_errors_alone_turns_text_mode_on(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(
        sh("printf 'x\\377y'"), id="bad", stdout=execution.PIPE, encoding="utf-8", errors="replace"
    ) as p:
        assert p.communicate(timeout=30) == ("x\ufffdy", None)


def test_text_mode_arguments_are_checked_before_any_container_is_made(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    b = bundle(["true"])
    with pytest.raises(LookupError):
        rt.run(new_id(), b, stdout=execution.PIPE, encoding="no-such-codec")
    with pytest.raises(TypeError):
        rt.run(new_id(), b, text=1)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        rt.run(new_id(), b, errors=b"strict")  # type: ignore[call-overload]
    assert rt.list() == []


def test_text_mode_input_must_be_str_and_bytes_mode_input_bytes(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["cat"]), stdin=execution.PIPE, text=True) as c:
        with pytest.raises(TypeError, match="input must be str in text mode"):
            c.communicate(b"x")
    with rt.run(new_id(), bundle(["cat"]), stdin=execution.PIPE) as c:
        with pytest.raises(TypeError, match="input must be bytes"):
            c.communicate("x")


def test_exit_is_an_int_that_is_its_status() -> None:
    ok = execution.Exit(0, 0, 0, False)
    failed = execution.Exit(3, 3, 0, False)
    killed = execution.Exit(137, -1, 9, False, oom_killed=True)
    assert isinstance(ok, int) and ok == 0 and not ok and int(ok) == 0
    assert failed == 3 and failed and failed != 0 and f"{failed:d}" == "3"
    assert killed == 137 and killed.status == 137 and killed.returncode == -9
    assert (killed.code, killed.signal, killed.core_dumped, killed.oom_killed) == (-1, 9, False, True)
    assert hash(failed) == hash(3) and sorted([killed, ok, failed]) == [0, 3, 137]
    assert repr(killed) == (
        "Exit(status=137, code=-1, signal=9, core_dumped=False, oom_killed=True)"
    )
    with pytest.raises(AttributeError):
        killed.signal = 0
    import pickle

    again = pickle.loads(pickle.dumps(killed))
    assert again == 137 and again.signal == 9 and again.oom_killed


def test_wait_and_poll_compare_as_popen_users_write_them(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(sh("exit 0"))) as c:
        assert c.wait(timeout=30) == 0
        assert c.poll() == 0 and c.returncode == 0
    with rt.run(new_id(), bundle(sh("exit 6"))) as c:
        e = c.wait(timeout=30)
        assert e and e == 6 and c.returncode == 6


def test_exec_makes_an_id_when_none_is_given(sleeper: execution.Container[bytes]) -> None:
    with sleeper.exec(sh("exit 3")) as p, sleeper.exec(["true"]) as q:
        assert p.id.startswith("exec-") and q.id.startswith("exec-") and p.id != q.id
        assert p.wait(timeout=30) == 3 and q.wait(timeout=30) == 0
        with sleeper.load_process(p.id) as again:
            assert again.wait(timeout=30) == 3


def test_with_exec_deletes_the_process_so_a_loop_can_reuse_its_id(
    sleeper: execution.Container[bytes],
) -> None:
    for n in range(3):
        with sleeper.exec(sh(f"exit {n}"), id="job") as p:
            assert p.wait(timeout=30) == n
    with sleeper.exec(["sleep", "1000"], id="job") as p:  # still running at the end: killed
        pid = p.pid
    with pytest.raises(execution.NotFound):
        sleeper.load_process("job")
    assert _zombie_or_gone(pid)


def _zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_a_loaded_process_is_only_closed_by_with(sleeper: execution.Container[bytes]) -> None:
    p = sleeper.exec(["sleep", "1000"], id="bg")
    p.close()
    with sleeper.load_process("bg") as again:
        assert again.poll() is None
    with sleeper.load_process("bg") as again:
        assert again.poll() is None
        again.kill()
        again.wait(timeout=30)
        again.delete()


def test_inherit_gives_the_process_this_programs_stream(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    r, w = os.pipe()
    saved = os.dup(1)
    os.dup2(w, 1)
    os.close(w)
    try:
        with rt.run(new_id(), bundle(sh("echo inherited")), stdout=execution.INHERIT) as c:
            c.wait(timeout=30)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    with os.fdopen(r, "rb") as f:
        assert f.read() == b"inherited\n"
