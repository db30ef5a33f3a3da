"""Standard streams: the values create/run/exec accept, and communicate().

A stream argument is None or DEVNULL (/dev/null), INHERIT (this program's
own stream), an int file descriptor, any object with fileno(), or PIPE.
PIPE, STDOUT and DEVNULL have the values of the `subprocess` constants of
the same names, so either module's work.

None means /dev/null, where Popen's None inherits: a container usually
outlives the terminal or the job that started it, and a stream inherited
by accident keeps that terminal (or a pipe's reader) tied to it. Pass
INHERIT to share this program's stream, as Popen's None does.
"""

import codecs
import collections.abc
import errno
import io
import locale
import os
import select
import selectors
import subprocess
import time
from ctypes import byref, c_int
from typing import IO as _IO, Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple, Union

from . import _ffi
from .errors import TimedOut

PIPE: int = subprocess.PIPE
"""Make a pipe; its end becomes the `stdin`, `stdout` or `stderr` attribute."""
STDOUT: int = subprocess.STDOUT
"""For stderr only: send standard error where standard output goes."""
DEVNULL: int = subprocess.DEVNULL
"""Connect the stream to /dev/null, as None does."""
INHERIT: int = -100
"""Give the process this program's own stream (fd 0, 1 or 2), as Popen's None does."""

StreamArg = Any
"""What a stream argument may be: None, PIPE, DEVNULL, INHERIT, an int, an object with fileno()."""

_PIPE_BUF = getattr(select, "PIPE_BUF", 512)
_Selector = getattr(selectors, "PollSelector", selectors.SelectSelector)


def _fd(value: StreamArg, what: str, inherited: int) -> int:
    if value is None:
        return _ffi.EXEC_IO_NULL
    if isinstance(value, bool):
        raise TypeError(f"{what} must be None, PIPE, DEVNULL, INHERIT, an fd or a file, not bool")
    if isinstance(value, int):
        if value == PIPE:
            return _ffi.EXEC_IO_PIPE
        if value == DEVNULL:
            return _ffi.EXEC_IO_NULL
        if value == INHERIT:
            return inherited
        if value == STDOUT:
            raise ValueError(f"STDOUT is only valid for stderr, not for {what}")
        if value < 0:
            raise ValueError(f"{what} is a negative fd: {value}")
        return value
    fileno = getattr(value, "fileno", None)
    if not callable(fileno):
        raise TypeError(
            f"{what} must be None, PIPE, DEVNULL, INHERIT, an fd or an object with fileno(), "
            f"not {type(value).__name__}"
        )
    fd = fileno()
    if isinstance(fd, bool) or not isinstance(fd, int) or fd < 0:
        raise ValueError(f"{what}.fileno() returned {fd!r}")
    return fd


class HasFileno(Protocol):
    """An object with fileno(), as a file."""

    def fileno(self) -> int: ...


PassFds = Sequence[Union[int, HasFileno]]
"""What pass_fds may be: a sequence of fds or objects with fileno()."""


def pass_fds_of(value: Any) -> Tuple[int, ...]:
    """The fds of create/run/exec's `pass_fds`, as Popen's: ints (or objects with fileno()).

    The library checks the fds themselves (EXEC_EINVAL: InvalidArgument).
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Sequence):
        raise TypeError(f"pass_fds must be a sequence of fds, not {type(value).__name__}")
    fds = []
    for item in value:
        fileno = getattr(item, "fileno", None)
        fd = fileno() if callable(fileno) else item
        if isinstance(fd, bool) or not isinstance(fd, int):
            raise TypeError(f"pass_fds holds {type(item).__name__}, not an fd or an object with fileno()")
        fds.append(fd)
    return tuple(fds)


Text = Optional[Tuple[str, str]]
"""Text mode: (encoding, errors), or None for bytes."""


def text_mode(text: Any, encoding: Any, errors: Any) -> Text:
    """The text mode of create/run/exec's `text`, `encoding` and `errors`, as Popen's.

    Any of the three turns it on; the encoding defaults to the locale's, as
    Popen's does, and errors to "strict".
    """
    if not isinstance(text, bool):
        raise TypeError(f"text must be bool, not {type(text).__name__}")
    for name, value in (("encoding", encoding), ("errors", errors)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be str or None, not {type(value).__name__}")
    if not (text or encoding or errors):
        return None
    if encoding:
        codecs.lookup(encoding)
    return (encoding or locale.getpreferredencoding(False), errors or "strict")


class Plan:
    """How create/run/exec set up their streams: the exec_io, then what to fetch."""

    def __init__(
        self,
        stdin: StreamArg,
        stdout: StreamArg,
        stderr: StreamArg,
        terminal: bool,
        text: Text = None,
        pass_fds: PassFds = (),
    ) -> None:
        self.terminal = terminal
        self.text = text
        self.pass_fds = pass_fds_of(pass_fds)
        self._extra: Any = None
        self.stdin = self.stdout = self.stderr = _ffi.EXEC_IO_NULL
        self.merge = False
        self._read_end: Optional[int] = None
        self._write_end: Optional[int] = None
        if terminal:
            if (stdin, stdout, stderr) != (None, None, None):
                raise ValueError("stdin, stdout and stderr must be None with terminal=True")
            return
        self.stdin = _fd(stdin, "stdin", 0)
        self.stdout = _fd(stdout, "stdout", 1)
        self.merge = not isinstance(stderr, bool) and isinstance(stderr, int) and stderr == STDOUT
        self.stderr = self.stdout if self.merge else _fd(stderr, "stderr", 2)

    def io(self) -> _ffi.IO:
        """The exec_io to pass. For stderr=STDOUT with stdout=PIPE, opens the shared pipe."""
        value = _ffi.IO()
        _ffi.lib().exec_io_init(byref(value), _ffi.EXEC_IO_VERSION)
        value.terminal = int(self.terminal)
        value.stdin_fd, value.stdout_fd, value.stderr_fd = self.stdin, self.stdout, self.stderr
        if self.pass_fds:
            self._extra = (c_int * len(self.pass_fds))(*self.pass_fds)
            value.extra_fds = self._extra
            value.extra_fds_count = len(self.pass_fds)
        if self.merge and self.stdout == _ffi.EXEC_IO_PIPE:
            self._read_end, self._write_end = os.pipe2(os.O_CLOEXEC)
            value.stdout_fd = value.stderr_fd = self._write_end
        return value

    def close(self) -> None:
        """Close the fds io() opened and attach() did not hand to the owner.

        Call it once the library call returned: the library has dup'ed what it keeps.
        """
        for fd in (self._read_end, self._write_end):
            if fd is not None:
                os.close(fd)
        self._read_end = self._write_end = None

    def attach(self, owner: Any, stdio: Callable[[int], int]) -> None:
        """Set owner.stdin/stdout/stderr/terminal from the fds `stdio(stream)` hands over.

        In text mode the three streams are text files, as Popen's; the
        terminal stays binary.
        """
        owner._text = self.text
        if self.terminal:
            owner.terminal = open(stdio(_ffi.EXEC_STDIN), "r+b", buffering=0)
            return
        if self._read_end is not None:
            owner.stdout = self._file(self._read_end, "rb")
            self._read_end = None
        elif self.stdout == _ffi.EXEC_IO_PIPE:
            owner.stdout = self._file(stdio(_ffi.EXEC_STDOUT), "rb")
        if self.stdin == _ffi.EXEC_IO_PIPE:
            owner.stdin = self._file(stdio(_ffi.EXEC_STDIN), "wb")
        if self.stderr == _ffi.EXEC_IO_PIPE and not self.merge:
            owner.stderr = self._file(stdio(_ffi.EXEC_STDERR), "rb")

    def _file(self, fd: int, mode: str) -> _IO[Any]:
        f = open(fd, mode)
        if self.text is None:
            return f
        encoding, errors = self.text
        return io.TextIOWrapper(f, encoding, errors, write_through=mode == "wb")


def stdio_fetcher(fn: Callable[..., int], handle: int) -> Callable[[int], int]:
    """A function calling exec_*_stdio(handle, stream) and returning the fd."""

    def fetch(stream: int) -> int:
        fd = c_int(-1)
        fn(handle, stream, byref(fd))
        return fd.value

    return fetch


class Communication:
    """The state of communicate(), kept across calls that time out."""

    def __init__(
        self,
        stdin: Optional[_IO[Any]],
        stdout: Optional[_IO[Any]],
        stderr: Optional[_IO[Any]],
        terminal: Optional[_IO[bytes]],
        input: Optional[bytes],
    ) -> None:
        self._input = memoryview(input or b"").cast("B")
        self._offset = 0
        self._files: Dict[int, _IO[Any]] = {}
        self._writer: Optional[int] = None
        self._readers: Dict[int, str] = {}
        self._chunks: Dict[str, List[bytes]] = {}
        writer = terminal if terminal is not None else stdin
        if self._input and (writer is None or writer.closed):
            raise ValueError("input needs an open stdin=PIPE or terminal")
        if terminal is not None:
            self._read_from("stdout", terminal)
            if self._input:
                self._writer = terminal.fileno()
            return
        if stdin is not None and not stdin.closed:
            try:
                stdin.flush()
            except BrokenPipeError:
                pass
            if self._input:
                self._writer = stdin.fileno()
                self._files[self._writer] = stdin
            else:
                _close(stdin)
        self._read_from("stdout", stdout)
        self._read_from("stderr", stderr)

    def _read_from(self, name: str, f: Optional[_IO[Any]]) -> None:
        if f is None:
            return
        self._chunks[name] = []
        if not f.closed:
            self._readers[f.fileno()] = name
            self._files[f.fileno()] = f

    def run(self, deadline: Optional[float]) -> None:
        """Write the input and read the outputs until EOF, or raise TimedOut at deadline."""
        with _Selector() as sel:
            for fd in self._files:
                sel.register(fd, self._interest(fd))
            while sel.get_map():
                timeout = None
                if deadline is not None:
                    timeout = deadline - time.monotonic()
                    if timeout <= 0:
                        raise TimedOut("communicate() timed out")
                for key, events in sel.select(timeout):
                    if events & selectors.EVENT_WRITE:
                        self._write(key.fd)
                    if events & selectors.EVENT_READ:
                        self._read(key.fd)
                    interest = self._interest(key.fd)
                    if interest:
                        sel.modify(key.fd, interest)
                    else:
                        sel.unregister(key.fd)
                        _close(self._files.pop(key.fd))

    def _interest(self, fd: int) -> int:
        events = 0
        if fd in self._readers:
            events |= selectors.EVENT_READ
        if fd == self._writer:
            events |= selectors.EVENT_WRITE
        return events

    def _write(self, fd: int) -> None:
        size = 512 if os.isatty(fd) else _PIPE_BUF
        try:
            self._offset += os.write(fd, self._input[self._offset : self._offset + size])
        except OSError as e:
            if not isinstance(e, BrokenPipeError) and e.errno != errno.EIO:
                raise
            self._offset = len(self._input)
        if self._offset >= len(self._input):
            self._writer = None

    def _read(self, fd: int) -> None:
        try:
            data = os.read(fd, 32768)
        except OSError as e:
            if e.errno != errno.EIO:  # a pty master reads EIO once the other side is gone
                raise
            data = b""
        if data:
            self._chunks[self._readers[fd]].append(data)
            return
        del self._readers[fd]
        if fd == self._writer:
            self._writer = None

    def output(self) -> Tuple[Optional[bytes], Optional[bytes]]:
        """What was read from stdout (or the terminal) and stderr; None for a stream not read."""
        out = self._chunks.get("stdout")
        err = self._chunks.get("stderr")
        return (
            None if out is None else b"".join(out),
            None if err is None else b"".join(err),
        )


def _close(f: _IO[Any]) -> None:
    try:
        f.close()
    except BrokenPipeError:
        pass
