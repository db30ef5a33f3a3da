"""Runtimes: a state root and an OCI runtime binary."""

import os
from ctypes import POINTER, byref, c_char_p, c_size_t, pointer
from typing import Any, List, Optional

from . import _aio, _args, _ffi, _typing
from .bundle import PathArg
from .container import Container
from .events import Events
from .handle import Handle
from .pool import Pool
from .supervised import abandon
from .streams import PassFds, Plan, StreamArg, Text, text_mode


class Runtime(Handle):
    """A state root and an OCI runtime binary, through which containers are made.

    `root` is the library's state dir (created with mode 0700 if missing;
    None, for an ordinary user, is `$XDG_RUNTIME_DIR/libexecution`);
    `runtime_path` the OCI runtime binary (None: "runc" from PATH);
    `runtime_root` the runtime's --root (None: "<root>/runc");
    `systemd_cgroup` and `debug` pass those flags to the runtime; `log_path`
    is a file the runtime's log is appended to; `timeout` the deadline in
    seconds of each runtime invocation (None: 60); with `kill_on_exit` the
    containers this process creates are killed and deleted, their exits
    recorded, when it exits or dies while they live; with `agent` False every
    exec is a runtime call, never a fork by the container's exec agent (see
    the README's "Fast exec"). Closing a runtime leaves
    its containers, and the Container objects opened through it, as they are.
    """

    _free = "exec_runtime_free"
    _kind = "runtime"

    root: str
    """The state root, absolute: as given, or the default one."""

    def __init__(
        self,
        root: Optional[PathArg] = None,
        runtime_path: Optional[PathArg] = None,
        *,
        runtime_root: Optional[PathArg] = None,
        systemd_cgroup: bool = False,
        debug: bool = False,
        log_path: Optional[PathArg] = None,
        timeout: Optional[float] = None,
        kill_on_exit: bool = False,
        agent: bool = True,
    ) -> None:
        root_b = _args.optional_path(root, "root")
        path_b = _args.optional_path(runtime_path, "runtime_path")
        rroot_b = _args.optional_path(runtime_root, "runtime_root")
        systemd = _args.flag(systemd_cgroup, "systemd_cgroup")
        dbg = _args.flag(debug, "debug")
        log_b = _args.optional_path(log_path, "log_path")
        kill = _args.flag(kill_on_exit, "kill_on_exit")
        use_agent = _args.flag(agent, "agent")
        ms = 0
        if timeout is not None:
            if _args.seconds(timeout, "timeout") <= 0:
                raise ValueError("timeout must be positive")
            ms = _args.timeout_ms(timeout)
        lib = _ffi.lib()
        opts = _ffi.RuntimeOptions()
        lib.exec_runtime_options_init(byref(opts), _ffi.EXEC_RUNTIME_OPTIONS_VERSION)
        opts.root = root_b
        opts.runtime_path = path_b
        opts.runtime_root = rroot_b
        opts.systemd_cgroup = systemd
        opts.debug = dbg
        opts.log_path = log_b
        opts.timeout_ms = ms
        opts.kill_on_exit = kill
        opts.no_agent = 0 if use_agent else 1
        out = _ffi.RuntimePtr()
        lib.exec_runtime_new(byref(opts), byref(out))
        self._adopt(_ffi.handle(out))
        self.root = os.fsdecode(lib.exec_runtime_root(out))

    @_typing.make
    def create(
        self,
        id: str,
        bundle: PathArg,
        stdin: StreamArg = None,
        stdout: StreamArg = None,
        stderr: StreamArg = None,
        terminal: bool = False,
        *,
        text: bool = False,
        encoding: Optional[str] = None,
        errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Container[Any]":
        """Create a container from a bundle; its process waits for Container.start().

        `id` is letters, digits and `_ + - .` (host-wide: runc's default
        cgroup is /<id>). Each stream is None or DEVNULL (/dev/null, where
        Popen's None inherits: a container often outlives this program's
        terminal), INHERIT (this program's own fd 0, 1 or 2), an fd, an
        object with fileno() (the library dups it), or PIPE, which makes
        the container's `stdin`, `stdout` or `stderr` a file object; stderr
        may be STDOUT. With `terminal=True` the process gets a pty instead,
        the bundle's process.terminal must be true, and the streams must be
        None. `text`, `encoding` or `errors` make the PIPE streams text
        files and communicate() take and return str, as with Popen.
        `pass_fds`, as Popen's, are fds of this program (ints or objects with
        fileno()) the container's process gets as 3, 4, ... in that order,
        at most 64 (the library dups them; close yours once this returns).
        Used in a `with` block, the container is deleted at its end.
        """
        return self._make(
            "exec_container_create", id, bundle, stdin, stdout, stderr, terminal,
            text_mode(text, encoding, errors), pass_fds,
        )

    @_typing.make
    def run(
        self,
        id: str,
        bundle: PathArg,
        stdin: StreamArg = None,
        stdout: StreamArg = None,
        stderr: StreamArg = None,
        terminal: bool = False,
        *,
        text: bool = False,
        encoding: Optional[str] = None,
        errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Container[Any]":
        """Create and start a container in one runtime call; arguments as create().

        Streams: None is /dev/null, INHERIT this program's own stream.
        """
        return self._make(
            "exec_container_run", id, bundle, stdin, stdout, stderr, terminal,
            text_mode(text, encoding, errors), pass_fds,
        )

    async def create_async(self, *args: Any, **kwargs: Any) -> "Container[Any]":
        """create() in a worker thread, so the running asyncio loop is not blocked; arguments as create().

        If the awaiting task is cancelled, the runtime call still completes
        in its worker and the container it made is deleted there.
        """
        return await _aio.in_worker(lambda: self.create(*args, **kwargs), abandon)

    async def run_async(self, *args: Any, **kwargs: Any) -> "Container[Any]":
        """run() in a worker thread, so the running asyncio loop is not blocked; arguments as run().

        Streams: None is /dev/null, INHERIT this program's own stream. If
        the awaiting task is cancelled, the runtime call still completes in
        its worker and the container it made is killed and deleted there.
        """
        return await _aio.in_worker(lambda: self.run(*args, **kwargs), abandon)

    def _make(
        self,
        fn: str,
        id: str,
        bundle: PathArg,
        stdin: StreamArg,
        stdout: StreamArg,
        stderr: StreamArg,
        terminal: bool,
        text: Text,
        pass_fds: PassFds,
    ) -> "Container[Any]":
        id_b = _args.text(id, "id")
        bundle_b = _args.path(bundle, "bundle")
        plan = Plan(stdin, stdout, stderr, _args.flag(terminal, "terminal") == 1, text, pass_fds)
        h = self._handle()
        out = _ffi.ContainerPtr()
        try:
            getattr(_ffi.lib(), fn)(h, id_b, bundle_b, byref(plan.io()), byref(out))
            return Container._made(_ffi.handle(out), plan)
        finally:
            plan.close()

    def pool(
        self,
        bundle: PathArg,
        size: int = 1,
        stdin: StreamArg = None,
        stdout: StreamArg = None,
        stderr: StreamArg = None,
        terminal: bool = False,
        *,
        id_prefix: Optional[str] = None,
        concurrency: int = 0,
        text: bool = False,
        encoding: Optional[str] = None,
        errors: Optional[str] = None,
    ) -> Pool:
        """Open a warm pool keeping `size` containers of `bundle` created ahead; see Pool.

        Streams as for create(), given to every container (PIPE makes pipes
        of each container's own; stderr=STDOUT with stdout=PIPE is not
        possible in a pool). Ids are `id_prefix` (None: "pool-") and 12 hex
        digits; `concurrency` creates refill at once (0: 1). It returns at
        once; Pool.fill() waits until the pool is full. Use it in a `with`
        block: its end deletes the containers not taken.
        """
        bundle_b = _args.path(bundle, "bundle")
        prefix_b = None if id_prefix is None else _args.text(id_prefix, "id_prefix")
        n = _args.integer(size, "size", 1, 2**32 - 1)
        conc = _args.integer(concurrency, "concurrency", 0, 2**32 - 1)
        plan = Plan(stdin, stdout, stderr, _args.flag(terminal, "terminal") == 1,
                    text_mode(text, encoding, errors))
        if plan.merge and plan.stdout == _ffi.EXEC_IO_PIPE:
            raise ValueError("stderr=STDOUT with stdout=PIPE is not possible in a pool")
        io = plan.io()
        opts = _ffi.PoolOptions()
        lib = _ffi.lib()
        lib.exec_pool_options_init(byref(opts), _ffi.EXEC_POOL_OPTIONS_VERSION)
        opts.bundle = bundle_b
        opts.size = n
        opts.io = pointer(io)
        opts.id_prefix = prefix_b
        opts.concurrency = conc
        out = _ffi.PoolPtr()
        lib.exec_pool_new(self._handle(), byref(opts), byref(out))
        return Pool._from_handle(_ffi.handle(out), plan)

    def load(self, id: str) -> "Container[Any]":
        """Open an existing container by id, also one another program created."""
        id_b = _args.text(id, "id")
        out = _ffi.ContainerPtr()
        _ffi.lib().exec_container_load(self._handle(), id_b, byref(out))
        return Container._from_handle(_ffi.handle(out))

    def list(self) -> List[str]:
        """The ids of this runtime's containers, sorted."""
        h = self._handle()
        ids = POINTER(c_char_p)()
        count = c_size_t()
        lib = _ffi.lib()
        lib.exec_container_list(h, byref(ids), byref(count))
        try:
            return [ids[i].decode("utf-8", "surrogateescape") for i in range(count.value)]
        finally:
            lib.exec_strings_free(ids, count)

    def events(self, capacity: int = 0) -> Events:
        """Open a stream of the root's lifecycle events, every library process's, from now on.

        `capacity` bounds the events held for a reader that falls behind (0:
        1024); past it the newest are dropped and an OVERFLOW event counts them.
        """
        cap = _args.integer(capacity, "capacity", 0, 2**32 - 1)
        out = _ffi.EventsPtr()
        _ffi.lib().exec_events_open(self._handle(), cap, byref(out))
        return Events._from_handle(_ffi.handle(out))

    def _state_repr(self) -> str:
        return f"root={self.root!r}" + (" closed" if self.closed else "")
