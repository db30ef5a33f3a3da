"""Containers."""

import json
import secrets
import signal as _signal
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t
from typing import Any, AnyStr, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _aio, _args, _ffi, _typing
from .process import Process
from .state import State
from .stats import Stats
from .streams import PassFds, Plan, StreamArg, text_mode
from .supervised import Supervised, abandon

"""PATH of an exec'd process when `env` is None."""

User = Union[int, Tuple[int, int]]
"""A uid, or a (uid, gid) pair."""


class Container(Supervised[AnyStr]):
    """A container, created by Runtime.create() or Runtime.run(), or opened by Runtime.load().

    Its streams, wait(), poll(), communicate(), kill(), terminate() and
    resize() are those of its init process. close() releases the handle
    only; the container keeps running. Used as a context manager, a
    container that Runtime.create() or Runtime.run() made is deleted at the
    end of the block (killed first if it still runs); one from
    Runtime.load() is only closed.
    """

    _free = "exec_container_free"
    _kind = "container"
    _prefix = "exec_container"

    id: str
    """The container id (still readable after close)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError(
            "Container objects come from Runtime.create(), Runtime.run() or Runtime.load(), "
            "not from Container()"
        )

    @classmethod
    def _from_handle(cls, ptr: int, owned: bool = False) -> "Container[Any]":
        """The Container owning the library handle `ptr`; deleted by `with` when `owned`."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        self._owned = owned
        raw = _ffi.lib().exec_container_id(ptr)
        self.id = raw.decode("utf-8", "surrogateescape") if raw is not None else ""
        return self

    @classmethod
    def _made(cls, ptr: int, plan: Plan) -> "Container[Any]":
        """The owned Container of a handle that create, run or a pool's take returned, with
        the streams of `plan` attached; deleted if attaching them fails."""
        c = cls._from_handle(ptr, owned=True)
        try:
            c._attach(plan)
        except BaseException:
            try:
                c.delete(force=True)
            finally:
                c.close()
            raise
        return c

    @property
    def state(self) -> State:
        """Current state: CREATED, RUNNING, PAUSED or STOPPED."""
        h = self._handle()
        out = c_int()
        _ffi.lib().exec_container_state(h, byref(out))
        return State(out.value)

    def start(self) -> None:
        """Start the process of a created container."""
        _ffi.lib().exec_container_start(self._handle())

    def pause(self) -> None:
        """Freeze every process of the running container."""
        _ffi.lib().exec_container_pause(self._handle())

    def resume(self) -> None:
        """Thaw the paused container."""
        _ffi.lib().exec_container_resume(self._handle())

    def signal(self, sig: int, all: bool = False) -> None:
        """Send `sig` to the init process, or with `all=True` to every process of the container.

        A container's init (pid 1 of its pid namespace) ignores signals it
        has no handler for, except SIGKILL and SIGSTOP. InvalidState once
        it stopped (send_signal() instead does nothing then).
        """
        s = _args.integer(sig, "sig", 0)
        a = _args.flag(all, "all")
        _ffi.lib().exec_container_kill(self._handle(), s, a)

    def kill(self, *, all: bool = False) -> None:
        """Send SIGKILL to the init, as `subprocess.Popen.kill()`; nothing once it exited.

        With `all=True` every process of the container gets it. terminate()
        sends SIGTERM, which an init ignores unless it handles it.
        """
        if _args.flag(all, "all"):
            self.signal(_signal.SIGKILL, all=True)
        else:
            super().kill()

    def _signal(self, sig: int) -> None:
        self.signal(sig)

    def delete(self, force: bool = False) -> None:
        """Delete the container and its state.

        Without `force` only created and stopped containers can be deleted
        (InvalidState otherwise); with it a running or paused one is killed
        first. The handle stays open: wait() still reports the recorded exit.
        """
        f = _args.flag(force, "force")
        _ffi.lib().exec_container_delete(self._handle(), f)

    def stats(self) -> Stats:
        """Resource use, read from the container's cgroup (no runtime call).

        A stopped container answers until it is deleted; InvalidState when
        its cgroup is gone, NotFound once deleted.
        """
        out = _ffi.Stats(version=_ffi.EXEC_STATS_VERSION)
        _ffi.lib().exec_container_stats(self._handle(), byref(out))
        return Stats._from_c(out)

    def ps(self) -> List[int]:
        """Host pids of the container's processes, sorted, read from its cgroup."""
        pids = POINTER(c_int)()
        count = c_size_t()
        _ffi.lib().exec_container_ps(self._handle(), byref(pids), byref(count))
        try:
            return [pids[i] for i in range(count.value)]
        finally:
            _ffi.lib().exec_free(pids)

    @property
    def addresses(self) -> List[str]:
        """The container's addresses on the library's bridge network; [] for any other network."""
        addrs = POINTER(c_char_p)()
        count = c_size_t()
        lib = _ffi.lib()
        lib.exec_container_addresses(self._handle(), byref(addrs), byref(count))
        try:
            return [addrs[i].decode() for i in range(count.value)]
        finally:
            lib.exec_strings_free(addrs, count)

    def update(self, resources: Mapping[str, Any]) -> None:
        """Change the resources of the live container, through the runtime's update.

        `resources` is an OCI `linux.resources` object, such as
        ``{"memory": {"limit": 32 << 20}, "pids": {"limit": 64}}``; what it
        leaves out keeps its value. Unknown fields are InvalidArgument.
        """
        if not isinstance(resources, Mapping):
            raise TypeError(f"resources must be a mapping, not {type(resources).__name__}")
        text = json.dumps(dict(resources)).encode()
        _ffi.lib().exec_container_update(self._handle(), text)

    @_typing.exec_
    def exec(
        self,
        args: Sequence[str],
        *,
        id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        cwd: Optional[str] = None,
        user: Optional[User] = None,
        stdin: StreamArg = None,
        stdout: StreamArg = None,
        stderr: StreamArg = None,
        terminal: bool = False,
        text: bool = False,
        encoding: Optional[str] = None,
        errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Process[Any]":
        """Start `args` as an extra process in the running container, as docker-py's exec_run.

        `id` names the process, unique within the container (AlreadyExists
        otherwise); None makes one ("exec-" and 16 hex digits), told by the
        Process's `id`. As docker exec, what is not given is the
        container's own (its config's): `env` replaces the whole
        environment, `cwd` the working dir, `user` (a uid with gid 0, or a
        (uid, gid) pair) the user and groups; capabilities, rlimits, no new
        privileges and the security labels are always the container's. Streams and text mode are as for
        Runtime.create(): None is /dev/null, INHERIT this program's own
        stream; so are `pass_fds` (the process's 3, 4, ...). Used in a `with` block, the process is killed if it still
        runs and deleted at its end, so its id can be used again.
        """
        pid = _args.text(_new_process_id() if id is None else id, "id")
        spec = _process_json(args, env, cwd, user, _args.flag(terminal, "terminal"))
        plan = Plan(stdin, stdout, stderr, terminal, text_mode(text, encoding, errors), pass_fds)
        h = self._handle()
        out = _ffi.ProcessPtr()
        try:
            _ffi.lib().exec_container_exec(h, pid, spec, byref(plan.io()), byref(out))
            p = Process._from_handle(_ffi.handle(out), owned=True)
            try:
                p._attach(plan)
            except BaseException:
                _kill_quietly(p)
                p.close()
                raise
        finally:
            plan.close()
        return p

    async def exec_async(self, args: Sequence[str], **kwargs: Any) -> "Process[Any]":
        """exec() in a worker thread, so the running asyncio loop is not blocked; arguments as exec().

        Streams: None is /dev/null, INHERIT this program's own stream. If
        the awaiting task is cancelled, the runtime call still completes in
        its worker and the process it started is killed and deleted there.
        """
        return await _aio.in_worker(lambda: self.exec(args, **kwargs), abandon)

    async def start_async(self) -> None:
        """start() in a worker thread, so the running asyncio loop is not blocked.

        Cancelling the awaiting task does not stop the start.
        """
        await _aio.in_worker(self.start)

    async def pause_async(self) -> None:
        """pause() in a worker thread; cancelling the awaiting task does not stop it."""
        await _aio.in_worker(self.pause)

    async def resume_async(self) -> None:
        """resume() in a worker thread; cancelling the awaiting task does not stop it."""
        await _aio.in_worker(self.resume)

    async def delete_async(self, force: bool = False) -> None:
        """delete() in a worker thread; cancelling the awaiting task does not stop it."""
        await _aio.in_worker(lambda: self.delete(force))

    def load_process(self, process_id: str) -> "Process[Any]":
        """Open a process exec'd earlier into this container, also by another program."""
        pid = _args.text(process_id, "process_id")
        out = _ffi.ProcessPtr()
        _ffi.lib().exec_process_load(self._handle(), pid, byref(out))
        return Process._from_handle(_ffi.handle(out))

    def _discard(self) -> None:
        self.delete(force=True)

    def _state_repr(self) -> str:
        return f"id={self.id!r}" + (" closed" if self.closed else "")


def _process_json(args: Any, env: Any, cwd: Any, user: Any, terminal: int) -> bytes:
    argv = _args.strings(args, "args")
    if not argv:
        raise ValueError("args must not be empty")
    envv: Optional[List[str]] = None
    if env is None:
        pass
    elif isinstance(env, Mapping):
        envv = []
        for k, v in env.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("env keys and values must be str")
            if "=" in k or not k:
                raise ValueError(f"invalid environment variable name {k!r}")
            envv.append(f"{k}={v}")
    else:
        raise TypeError(f"env must be a mapping of str to str, not {type(env).__name__}")
    spec: Dict[str, Any] = {"terminal": bool(terminal), "args": argv}
    if cwd is not None:
        if not isinstance(cwd, str):
            raise TypeError(f"cwd must be str, not {type(cwd).__name__}")
        spec["cwd"] = cwd
    if user is None:
        pass
    elif isinstance(user, tuple) and len(user) == 2:
        uid = _args.integer(user[0], "uid", 0, 2**32 - 1)
        gid = _args.integer(user[1], "gid", 0, 2**32 - 1)
        spec["user"] = {"uid": uid, "gid": gid}
    else:
        spec["user"] = {"uid": _args.integer(user, "user", 0, 2**32 - 1), "gid": 0}
    if envv is not None:
        spec["env"] = envv
    return json.dumps(spec).encode()


def _new_process_id() -> str:
    return "exec-" + secrets.token_hex(8)


def _kill_quietly(p: "Process[Any]") -> None:
    try:
        p.signal(_signal.SIGKILL)
    except Exception:
        pass
