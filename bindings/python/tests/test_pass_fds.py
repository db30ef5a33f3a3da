"""pass_fds: fds of this program a container or exec'd process gets as 3, 4, ..."""

import os
from typing import Callable, Iterator, Tuple

import pytest

import execution
from execution import _ffi
from helpers import open_fds, sh



@pytest.fixture
def pipe() -> Iterator[Tuple[int, int]]:
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_a_pipe_end_is_fd_3_and_stays_ours(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str],
    pipe: Tuple[int, int],
) -> None:
    r, w = pipe
    with rt.create(new_id(), bundle(sh("echo through-fd-3 >&3")), pass_fds=[w]) as c:
        os.fstat(w)
        os.close(w)
        c.start()
        assert os.read(r, 100) == b"through-fd-3\n"
        assert os.read(r, 100) == b""
        assert c.wait(timeout=10) == 0


def test_two_fds_in_the_order_given(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str],
) -> None:
    ra_fd, wa = os.pipe()
    rb_fd, wb = os.pipe()
    with open(ra_fd, "rb") as ra, open(rb_fd, "rb") as rb, open(wa, "wb") as fa:
        b = bundle(sh("echo three >&3; echo four >&4"))
        with rt.run(new_id(), b, pass_fds=(wb, fa)) as c:
            fa.close()
            os.close(wb)
            assert rb.read() == b"three\n"
            assert ra.read() == b"four\n"
            assert c.wait(timeout=10) == 0


def test_exec_gets_its_own_and_nothing_else_of_the_host(
    rt: execution.Runtime, probe_bundle: Callable[..., str], new_id: Callable[[], str],
    pipe: Tuple[int, int],
) -> None:
    leaky = os.open("/dev/null", os.O_RDONLY)
    os.set_inheritable(leaky, True)
    r, w = pipe
    try:
        b = probe_bundle(sh("probe fds >&3; sleep 60"))
        with rt.run(new_id(), b, pass_fds=[w]) as c:
            with os.fdopen(r, "rb", closefd=False) as f:
                assert f.readline() == b"fds=0 1 2 3 \n"
            p = c.exec(sh("probe fds >&3"), pass_fds=[w], stdout=execution.PIPE)
            with p:
                os.close(w)
                assert p.wait(timeout=10) == 0
                assert p.stdout is not None and p.stdout.read() == b""
            assert os.read(r, 100) == b"fds=0 1 2 3 \n"
            c.kill()
    finally:
        os.close(leaky)


def test_bad_fds_are_refused_and_leave_nothing(
    rt: execution.Runtime, sleeper: execution.Container[bytes], bundle: Callable[..., str],
    new_id: Callable[[], str],
) -> None:
    b = bundle(["true"])
    closed_r, closed_w = os.pipe()
    os.close(closed_r)
    os.close(closed_w)
    events = rt.events()
    before = (rt.list(), open_fds())
    try:
        for fds, said in (
            ([-1], "not an fd"),
            ([closed_w], "bad file descriptor"),
            ([events.fileno()], "the library's own"),
            ([2] * (_ffi.EXEC_IO_MAX_EXTRA_FDS + 1), "EXEC_IO_MAX_EXTRA_FDS"),
        ):
            with pytest.raises(execution.InvalidArgument, match=said):
                rt.run(new_id(), b, pass_fds=fds)
            with pytest.raises(execution.InvalidArgument, match=said):
                rt.create(new_id(), b, pass_fds=fds)
            with pytest.raises(execution.InvalidArgument, match=said):
                sleeper.exec(["true"], id="refused", pass_fds=fds)
        assert (rt.list(), open_fds()) == before
        assert not os.path.exists(os.path.join(rt.root, "containers", sleeper.id, "processes", "refused"))
    finally:
        events.close()


def test_pass_fds_must_be_fds() -> None:
    with pytest.raises(TypeError):
        execution.streams.Plan(None, None, None, False, None, "12")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        execution.streams.Plan(None, None, None, False, None, [1.5])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        execution.streams.Plan(None, None, None, False, None, 3)  # type: ignore[arg-type]
