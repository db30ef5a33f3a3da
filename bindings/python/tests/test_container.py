"""Container lifecycle: create, start, run, state, wait, kill, pause, delete, list, load."""

import os
import select
import signal
import threading
import time

from typing import Callable

import pytest

import execution
from execution import State
from helpers import sh


@pytest.mark.parametrize("code", [0, 3, 255])
def test_exit_codes(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str], code: int
) -> None:
    with rt.run(new_id(), bundle(sh(f"exit {code}"))) as c:
        e = c.wait(timeout=10)
        assert e == execution.Exit(status=code, code=code, signal=0, core_dumped=False)
        assert e.returncode == code and not e.signaled
        assert c.state is State.STOPPED


def test_killed_by_a_signal(sleeper: execution.Container[bytes]) -> None:
    sleeper.kill()
    e = sleeper.wait(timeout=10)
    assert e == execution.Exit(status=128 + 9, code=-1, signal=9, core_dumped=False)
    assert e.signaled and e.returncode == -9


def test_kill_sends_sigkill_as_popen_does(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    # The init traps SIGTERM; kill() is SIGKILL, which no init can ignore.
    script = 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done'
    with rt.run(new_id(), bundle(sh(script)), stdout=execution.PIPE) as c:
        assert c.stdout is not None and c.stdout.readline() == b"ready\n"
        c.kill()
        e = c.wait(timeout=10)
        assert e.signal == signal.SIGKILL and e == 128 + signal.SIGKILL
        assert c.returncode == -signal.SIGKILL


def test_kill_all_reaches_every_process(sleeper: execution.Container[bytes]) -> None:
    # The init ignores SIGTERM (pid 1 without a handler); an exec'd sleep does not.
    with sleeper.exec(["sleep", "1000"]) as p:
        sleeper.signal(signal.SIGTERM)
        time.sleep(0.3)
        assert p.poll() is None
        sleeper.signal(signal.SIGTERM, all=True)
        assert p.wait(timeout=10).signal == signal.SIGTERM
        assert sleeper.state is State.RUNNING


def test_signal_to_a_stopped_container_is_invalid_state_and_kill_does_nothing(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["true"])) as c:
        c.wait(timeout=10)
        with pytest.raises(execution.InvalidState):
            c.signal(signal.SIGKILL)
        c.kill()  # exited: nothing happens, as with Popen
        c.terminate()


def test_create_then_start(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    with rt.create(cid, bundle(sh("exit 5"))) as c:
        assert c.id == cid
        assert c.state is State.CREATED
        assert c.pid > 0
        with pytest.raises(execution.TimedOut):
            c.wait(timeout=0.2)
        c.start()
        assert c.wait(timeout=10).code == 5
        with pytest.raises(execution.InvalidState):
            c.start()


def test_wait_on_a_created_container_waits_for_its_start(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.create(new_id(), bundle(sh("exit 6"))) as c:
        result = []
        t = threading.Thread(target=lambda: result.append(c.wait(timeout=20)))
        t.start()
        time.sleep(0.3)
        assert t.is_alive()
        c.start()
        t.join(20)
        assert [e.code for e in result] == [6]


def test_pid_is_the_host_pid_of_init(sleeper: execution.Container[bytes]) -> None:
    # run returns once the init is started; its execve of sleep may still be
    # under way, and /proc shows an empty cmdline or runc's init meanwhile.
    deadline = time.monotonic() + 10
    while True:
        with open(f"/proc/{sleeper.pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0]
        if argv0 == b"sleep" or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert argv0 == b"sleep"


def test_list_and_load(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    ids = sorted([new_id(), new_id()])
    b = bundle(["sleep", "1000"])
    with rt.run(ids[1], b) as c1, rt.create(ids[0], b) as c0:
        assert rt.list() == ids
        with rt.load(ids[1]) as loaded:
            assert loaded.id == ids[1]
            assert loaded.pid == c1.pid
            assert loaded.state is State.RUNNING
        assert c1.state is State.RUNNING
        with rt.load(ids[0]) as loaded:
            assert loaded.state is State.CREATED
            assert loaded.pid == c0.pid
    assert rt.list() == []


def test_list_of_an_empty_root(rt: execution.Runtime) -> None:
    assert rt.list() == []


def test_pause_and_resume_freeze_the_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    script = "while :; do echo tick; sleep 0.02; done"
    with rt.run(new_id(), bundle(sh(script)), stdout=execution.PIPE) as c:
        assert c.stdout is not None
        fd = c.stdout.fileno()
        assert os.read(fd, 5) == b"tick\n"
        c.pause()
        paused = c.state
        assert paused is State.PAUSED
        time.sleep(0.1)
        while select.select([fd], [], [], 0)[0]:
            os.read(fd, 4096)
        assert select.select([fd], [], [], 0.3)[0] == []
        with pytest.raises(execution.InvalidState):
            c.pause()
        c.resume()
        assert c.state is State.RUNNING
        assert select.select([fd], [], [], 5)[0] == [fd]
        with pytest.raises(execution.InvalidState):
            c.resume()


def test_delete_a_created_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    c = rt.create(cid, bundle(["true"]))
    c.delete()
    assert rt.list() == []
    with pytest.raises(execution.NotFound):
        c.state
    with pytest.raises(execution.NotFound):
        c.delete()
    with pytest.raises(execution.NotFound):
        rt.load(cid)
    c.close()


def test_delete_keeps_the_recorded_exit(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    c = rt.run(new_id(), bundle(sh("exit 9")))
    assert c.wait(timeout=10).code == 9
    c.delete()
    assert c.wait().code == 9
    c.close()


def test_force_delete_kills_a_running_container(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    c = rt.run(new_id(), bundle(["sleep", "1000"]))
    pid = c.pid
    c.delete(force=True)
    assert c.wait(timeout=10).signal == signal.SIGKILL
    assert not os.path.exists(f"/proc/{pid}")
    assert rt.list() == []
    c.close()


def test_force_delete_a_paused_container(
    sleeper: execution.Container[bytes], rt: execution.Runtime
) -> None:
    sleeper.pause()
    sleeper.delete(force=True)
    assert sleeper.wait(timeout=10).signaled
    assert rt.list() == []


def test_with_block_deletes_what_it_created(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    with rt.run(cid, bundle(["sleep", "1000"])) as c:
        pid = c.pid
    assert c.closed
    assert rt.list() == []
    assert not os.path.exists(f"/proc/{pid}")


def test_with_block_deletes_on_an_exception(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with pytest.raises(ZeroDivisionError):
        with rt.create(new_id(), bundle(["true"])):
            1 / 0
    assert rt.list() == []


def test_with_block_on_a_loaded_container_only_closes(
    sleeper: execution.Container[bytes], rt: execution.Runtime
) -> None:
    with rt.load(sleeper.id) as c:
        pass
    assert c.closed
    assert rt.list() == [sleeper.id]
    assert sleeper.state is State.RUNNING


def test_with_block_after_an_explicit_delete(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    with rt.run(new_id(), bundle(["true"])) as c:
        c.wait(timeout=10)
        c.delete()
    assert c.closed


def test_close_neither_kills_nor_deletes(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    cid = new_id()
    c = rt.run(cid, bundle(["sleep", "1000"]))
    c.close()
    with rt.load(cid) as again:
        assert again.state is State.RUNNING
        again.delete(force=True)


def test_a_container_outlives_its_runtime_handle(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    rt = execution.Runtime(state_root)
    c = rt.run(new_id(), bundle(sh("exit 4")))
    rt.close()
    assert c.wait(timeout=10).code == 4
    c.delete()
    c.close()


def test_runtime_options(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    runc_root = os.path.join(state_root, "other-runc-root")
    log = os.path.join(state_root, "runc.log")
    with execution.Runtime(
        state_root, "runc", runtime_root=runc_root, debug=True, log_path=log, timeout=30
    ) as rt:
        assert rt.root == state_root
        with rt.run(new_id(), bundle(["true"])) as c:
            assert c.wait(timeout=10).code == 0
            assert os.path.isdir(os.path.join(runc_root, c.id))
    assert os.path.getsize(log) > 0


def test_runtime_rejects_an_unknown_binary(state_root: str) -> None:
    with pytest.raises(execution.InvalidArgument):
        execution.Runtime(state_root, runtime_path="/nonexistent/runc")


def test_runtime_creates_its_root(state_root: str) -> None:
    root = os.path.join(state_root, "a", "b")
    with execution.Runtime(root):
        assert os.stat(root).st_mode & 0o777 == 0o700


class _Interrupted(Exception):
    pass


def test_wait_in_the_main_thread_lets_signal_handlers_run(sleeper: execution.Container[bytes]) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted()

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        timer.start()
        # Without its slices, the wait would end in TimedOut after 20 s.
        with pytest.raises(_Interrupted):
            sleeper.wait(timeout=20)
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert sleeper.poll() is None
