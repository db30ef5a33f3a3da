"""Owning handles: close, with, finalisers, use after close, type checks."""

import gc
import signal
from ctypes import byref, c_int

from typing import Any, Callable, Dict, List, cast

import pytest

import execution
from execution import _ffi


def test_close_twice(
    state_root: str, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    rt = execution.Runtime(state_root)
    c = rt.run(new_id(), bundle(["sleep", "1000"]))
    p = c.exec(["sleep", "1000"], id="p")
    for h in (p, c, rt):
        assert not h.closed
        h.close()
        h.close()
        assert h.closed
    with execution.Runtime(state_root) as rt2:
        assert rt2.list() == [c.id]


def test_with_closes(state_root: str, sleeper: execution.Container[bytes]) -> None:
    with execution.Runtime(state_root) as rt:
        pass
    assert rt.closed
    with sleeper.exec(["true"], id="p") as p:
        pass
    assert p.closed


def test_finaliser_frees_the_handle(
    rt: execution.Runtime, bundle: Callable[..., str], new_id: Callable[[], str]
) -> None:
    c = rt.create(new_id(), bundle(["true"]))
    ptr = c._ptr
    _ffi.lib().exec_container_state(ptr, byref(c_int()))
    del c
    gc.collect()
    with pytest.raises(execution.Closed):
        _ffi.lib().exec_container_state(ptr, byref(c_int()))


USES: Dict[str, List[Callable[..., object]]] = {
    "runtime": [
        lambda rt, c, p: rt.list(),
        lambda rt, c, p: rt.load("x"),
        lambda rt, c, p: rt.create("x", "/"),
        lambda rt, c, p: rt.run("x", "/"),
    ],
    "container": [
        lambda rt, c, p: c.state,
        lambda rt, c, p: c.pid,
        lambda rt, c, p: c.start(),
        lambda rt, c, p: c.pause(),
        lambda rt, c, p: c.resume(),
        lambda rt, c, p: c.kill(),
        lambda rt, c, p: c.wait(),
        lambda rt, c, p: c.poll(),
        lambda rt, c, p: c.communicate(),
        lambda rt, c, p: c.resize(24, 80),
        lambda rt, c, p: c.delete(force=True),
        lambda rt, c, p: c.exec(["true"], id="q"),
        lambda rt, c, p: c.load_process("p"),
        lambda rt, c, p: c.stats(),
        lambda rt, c, p: c.ps(),
        lambda rt, c, p: c.update({}),
    ],
    "process": [
        lambda rt, c, p: p.pid,
        lambda rt, c, p: p.signal(signal.SIGKILL),
        lambda rt, c, p: p.wait(),
        lambda rt, c, p: p.poll(),
        lambda rt, c, p: p.communicate(),
        lambda rt, c, p: p.resize(24, 80),
        lambda rt, c, p: p.delete(),
    ],
}


@pytest.mark.parametrize("kind", sorted(USES))
def test_use_after_close_raises_closed(
    state_root: str, sleeper: execution.Container[bytes], kind: str
) -> None:
    rt = execution.Runtime(state_root)
    c = rt.load(sleeper.id)
    p = sleeper.exec(["sleep", "1000"], id="p")
    {"runtime": rt, "container": c, "process": p}[kind].close()
    for use in USES[kind]:
        with pytest.raises(execution.Closed, match=f"{kind} handle is closed"):
            use(rt, c, p)
    assert c.id == sleeper.id and p.id == "p"
    for h in (p, c, rt):
        h.close()


def _no_c_calls() -> None:
    raise AssertionError("a C call was made")


BAD_CALLS: List[Callable[..., object]] = [
    lambda rt, c, p, d: execution.Runtime(123),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, runtime_path=1),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, runtime_root=1.0),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, debug="yes"),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, systemd_cgroup=1),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, log_path=[]),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.Runtime(d, timeout="1"),  # type: ignore[arg-type]
    lambda rt, c, p, d: rt.create(1, d),
    lambda rt, c, p, d: rt.create(b"x", d),
    lambda rt, c, p, d: rt.run("x", None),
    lambda rt, c, p, d: rt.create("x", d, stdin=1.5),
    lambda rt, c, p, d: rt.create("x", d, stdout=True),
    lambda rt, c, p, d: rt.create("x", d, stderr="pipe"),
    lambda rt, c, p, d: rt.create("x", d, terminal=1),
    lambda rt, c, p, d: rt.load(None),
    lambda rt, c, p, d: c.signal("9"),
    lambda rt, c, p, d: c.signal(9.0),
    lambda rt, c, p, d: c.kill(all=1),
    lambda rt, c, p, d: c.wait(timeout="1"),
    lambda rt, c, p, d: c.wait(timeout=True),
    lambda rt, c, p, d: c.delete(force="yes"),
    lambda rt, c, p, d: c.resize("24", 80),
    lambda rt, c, p, d: c.communicate(input="text"),
    lambda rt, c, p, d: c.communicate(timeout="1"),
    lambda rt, c, p, d: c.exec(["true"], id=1),
    lambda rt, c, p, d: c.exec("true", id="q"),
    lambda rt, c, p, d: c.exec([b"true"], id="q"),
    lambda rt, c, p, d: c.exec(["true"], id="q", env=["A=B"]),
    lambda rt, c, p, d: c.exec(["true"], id="q", env={"A": 1}),
    lambda rt, c, p, d: c.exec(["true"], id="q", cwd=1),
    lambda rt, c, p, d: c.exec(["true"], id="q", user="root"),
    lambda rt, c, p, d: c.exec(["true"], id="q", user=(0, "0")),
    lambda rt, c, p, d: c.exec(["true"], id="q", stdout=object()),
    lambda rt, c, p, d: c.exec(["true"], id="q", terminal="no"),
    lambda rt, c, p, d: c.load_process(7),
    lambda rt, c, p, d: p.signal(None),
    lambda rt, c, p, d: p.wait(timeout=[]),
    lambda rt, c, p, d: p.resize(24, 80.0),
    lambda rt, c, p, d: execution.bundle_init(1, ["true"]),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.bundle_init(d, "true"),
    lambda rt, c, p, d: execution.bundle_init(d, [1]),  # type: ignore[list-item]
    lambda rt, c, p, d: execution.bundle_init(d, ["true"], terminal=None),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.bundle_init(d, ["true"], limits={"memory": 1}),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.bundle_init(d, ["true"], limits=execution.Limits(memory="1")),  # type: ignore[arg-type]
    lambda rt, c, p, d: execution.bundle_init(d, ["true"], limits=execution.Limits(cpus="1")),  # type: ignore[arg-type]
    lambda rt, c, p, d: c.update(cast(Any, "{}")),
    lambda rt, c, p, d: c.update({"memory": object()}),
]


@pytest.mark.parametrize("call", range(len(BAD_CALLS)))
def test_wrong_types_raise_type_error_before_any_c_call(
    monkeypatch: pytest.MonkeyPatch,
    rt: execution.Runtime,
    state_root: str,
    sleeper: execution.Container[bytes],
    call: int,
) -> None:
    with sleeper.exec(["sleep", "1000"], id="p") as p:
        monkeypatch.setattr(_ffi, "lib", _no_c_calls)
        with pytest.raises(TypeError):
            BAD_CALLS[call](rt, sleeper, p, state_root)
        monkeypatch.undo()
        p.signal(signal.SIGKILL)
