"""What containers and exec'd processes share: streams, wait, communicate, resize."""

import asyncio
import io
import signal
import time
from ctypes import byref, c_int
from typing import IO, Any, AnyStr, ClassVar, Dict, Generic, Optional, Tuple, Union

from . import _aio, _args, _ffi, _slices
from .errors import ExecutionError, InvalidState, NotFound, TimedOut
from .exit import Exit
from .handle import Handle
from .streams import Communication, Plan, Text, stdio_fetcher


class Supervised(Handle, Generic[AnyStr]):
    """A container's init process or an exec'd process, used like `subprocess.Popen`.

    With PIPE streams, `stdin`, `stdout` and `stderr` are binary file objects
    (buffered, as Popen's), or text files in text mode; the others are None.
    With `terminal=True`, `terminal` is the pty master, one unbuffered
    read/write file object, and the three streams are None. close() closes
    these file objects too. wait(), poll(), communicate(), returncode,
    send_signal(), terminate() and kill() behave as Popen's; wait() and
    poll() return an Exit, an int that is the exit status.

    Used as a context manager, an object this program made (by
    Runtime.create(), Runtime.run() or Container.exec()) is killed if it
    still runs and deleted at the end of the block; one opened by load()
    is only closed.
    """

    _prefix: ClassVar[str]

    stdin: Optional[IO[AnyStr]] = None
    """Writable end of the process's standard input with stdin=PIPE, else None.

    A binary file, or a text file in text mode (`text`, `encoding` or `errors`)."""
    stdout: Optional[IO[AnyStr]] = None
    """Readable end of its standard output with stdout=PIPE, else None; binary or text."""
    stderr: Optional[IO[AnyStr]] = None
    """Readable end of its standard error with stderr=PIPE, else None; binary or text."""
    terminal: Optional[IO[bytes]] = None
    """The pty master with terminal=True (read and write, binary), else None."""
    _communication: Optional[Communication] = None
    _text: Text = None
    _exit: Optional[Exit] = None
    _owned: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fns = {}

    _fns: ClassVar[Dict[str, Any]]

    def _fn(self, verb: str) -> Any:
        try:
            return self._fns[verb]
        except KeyError:
            fn = self._fns[verb] = getattr(_ffi.lib(), f"{self._prefix}_{verb}")
            return fn

    def _attach(self, plan: Plan) -> None:
        plan.attach(self, stdio_fetcher(self._fn("stdio"), self._handle()))

    @property
    def pid(self) -> int:
        """Host pid of the process."""
        h = self._handle()
        pid = c_int()
        self._fn("pid")(h, byref(pid))
        return pid.value

    def wait(self, timeout: Optional[float] = None) -> Exit:
        """Wait for the process to exit and return how it ended.

        `timeout` is in seconds, None waits forever, 0 polls; when it runs out
        TimedOut (a TimeoutError) is raised. Other threads keep running while
        this one waits, and any number of waits get the same result.
        """
        ms = _args.timeout_ms(timeout)
        h = self._handle()
        out = _ffi.ExitStatus(version=_ffi.EXEC_EXIT_VERSION)
        wait = self._fn("wait")
        _slices.in_slices(lambda left: wait(h, left, byref(out)), ms)
        return self._exited(out)

    def exit_fd(self) -> int:
        """An fd that polls readable once the exit is known, for select or an event loop.

        The handle owns it (close() closes it); do not read or close it.
        """
        fd = c_int()
        self._fn("exit_fd")(self._handle(), byref(fd))
        return fd.value

    async def wait_async(self, timeout: Optional[float] = None) -> Exit:
        """wait() for asyncio: awaits the exit fd on the running loop, with no thread.

        `timeout` in seconds (None forever), then TimedOut. Any number of
        tasks may await it at once: the loop watches the fd once and wakes
        them all.
        """
        if timeout is not None:
            _args.seconds(timeout, "timeout")
        try:
            await _aio.readable(self.exit_fd(), timeout)
        except asyncio.TimeoutError:
            raise TimedOut(f"the process has not exited within {timeout} s") from None
        return self.wait(0)

    async def stdout_reader(self) -> asyncio.StreamReader:
        """The stdout pipe as an asyncio.StreamReader on the running loop, as asyncio.subprocess has it.

        Takes the pipe over: `stdout` becomes None (call this before reading
        from it), and the reader's transport closes the pipe at EOF. It
        reads bytes, also in text mode. InvalidState when stdout is no PIPE.
        """
        return await self._reader("stdout")

    async def stderr_reader(self) -> asyncio.StreamReader:
        """The stderr pipe as an asyncio.StreamReader; as stdout_reader()."""
        return await self._reader("stderr")

    async def stdin_writer(self) -> asyncio.StreamWriter:
        """The stdin pipe as an asyncio.StreamWriter on the running loop (write, drain, close).

        Takes the pipe over: `stdin` becomes None. It writes bytes, also in
        text mode. InvalidState when stdin is no PIPE.
        """
        f = self._take_pipe("stdin")
        loop = asyncio.get_running_loop()
        protocol = asyncio.StreamReaderProtocol(asyncio.StreamReader(), loop=loop)
        transport, _ = await loop.connect_write_pipe(lambda: protocol, f)
        return asyncio.StreamWriter(transport, protocol, None, loop)

    async def _reader(self, name: str) -> asyncio.StreamReader:
        f = self._take_pipe(name)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), f)
        return reader

    def _take_pipe(self, name: str) -> Any:
        self._handle()
        f = getattr(self, name)
        if f is None:
            raise InvalidState(f"{name} is not a PIPE, or was handed over already")
        setattr(self, name, None)
        return f.detach() if isinstance(f, io.TextIOWrapper) else f

    def _exited(self, out: _ffi.ExitStatus) -> Exit:
        self._exit = Exit._from_c(out)
        return self._exit

    @property
    def returncode(self) -> Optional[int]:
        """The exit code, or -signal when killed, once wait() or poll() saw the exit; else None.

        As `subprocess.Popen.returncode`; `Exit.status` is the shell's form.
        """
        return None if self._exit is None else self._exit.returncode

    def send_signal(self, sig: int) -> None:
        """Send signal `sig` to the process, as `subprocess.Popen.send_signal()`.

        Does nothing once the process has exited (poll() is not None).
        """
        _args.integer(sig, "sig", 0)
        if self.poll() is not None:
            return
        try:
            self._signal(sig)
        except InvalidState:
            if self.poll() is None:  # not the exit racing us: a real refusal
                raise

    def terminate(self) -> None:
        """Send SIGTERM, as `subprocess.Popen.terminate()`.

        A container's init (pid 1 of its pid namespace) ignores it unless it
        handles SIGTERM; kill() always works.
        """
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Send SIGKILL, as `subprocess.Popen.kill()`; does nothing once it exited."""
        self.send_signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        raise NotImplementedError

    def _discard(self) -> None:
        """Kill (if it runs) and delete what this object stands for."""
        raise NotImplementedError

    def _end_of_block(self) -> None:
        if self._owned and not self.closed:
            try:
                self._discard()
            except NotFound:
                pass

    def poll(self) -> Optional[Exit]:
        """How the process ended, or None while it runs."""
        try:
            return self.wait(0)
        except TimedOut:
            return None

    def communicate(
        self, input: Optional[Union[bytes, bytearray, memoryview, str]] = None,
        timeout: Optional[float] = None,
    ) -> Tuple[Any, Any]:
        """Send `input`, read stdout and stderr to EOF, wait for the exit; as Popen's.

        Returns (stdout, stderr), each None unless that stream is a PIPE; with a
        terminal, what was read from it is returned as stdout. They are bytes,
        or str in text mode (decoded, newlines translated, as Popen's), where
        `input` is a str too. stdin is closed after the input is written. When
        `timeout` (seconds) runs out, TimedOut is raised and a later call
        (without input) resumes without losing output.
        """
        data = self._encode(input)
        deadline = None if timeout is None else time.monotonic() + _args.seconds(timeout, "timeout")
        self._handle()
        if self._communication is None:
            self._communication = Communication(
                self.stdin, self.stdout, self.stderr, self.terminal, data
            )
        elif data:
            raise ValueError("cannot send input after starting communication")
        self._communication.run(deadline)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        out, err = self._communication.output()
        return self._decode(out), self._decode(err)

    def _encode(self, input: Any) -> bytes:
        if input is None:
            return b""
        if self._text is None:
            if not isinstance(input, (bytes, bytearray, memoryview)):
                raise TypeError(f"input must be bytes, not {type(input).__name__}")
            return bytes(input)
        if not isinstance(input, str):
            raise TypeError(f"input must be str in text mode, not {type(input).__name__}")
        return input.encode(*self._text)

    def _decode(self, data: Optional[bytes]) -> Any:
        if data is None or self._text is None:
            return data
        return data.decode(*self._text).replace("\r\n", "\n").replace("\r", "\n")

    def resize(self, rows: int, cols: int) -> None:
        """Set the window size of the process's terminal (terminal=True only)."""
        r = _args.integer(rows, "rows", 0, 2**32 - 1)
        c = _args.integer(cols, "cols", 0, 2**32 - 1)
        self._fn("resize")(self._handle(), r, c)

    def close(self) -> None:
        """Release the handle and close the stream file objects; the process runs on."""
        super().close()
        for f in (self.stdin, self.stdout, self.stderr, self.terminal):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass


def abandon(obj: "Supervised[Any]") -> None:
    """Kill (if it runs), delete and close what a cancelled async call made; errors ignored."""
    try:
        obj._discard()
    except ExecutionError:
        pass
    finally:
        obj.close()
