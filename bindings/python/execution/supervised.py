"""What containers and exec'd processes share: streams, wait, communicate, resize."""

import math
import threading
import time
from ctypes import byref, c_int
from typing import IO, Any, ClassVar, Dict, Optional, Tuple

from . import _args, _ffi
from .errors import TimedOut
from .exit import Exit
from .handle import Handle
from .streams import Communication, Plan, stdio_fetcher


_WAIT_SLICE_MS = 200
"""How long a wait in the main thread blocks in C before Python can run its signal handlers."""


class Supervised(Handle):
    """A container's init process or an exec'd process, used like `subprocess.Popen`.

    With PIPE streams, `stdin`, `stdout` and `stderr` are binary file objects
    (buffered, as Popen's); the others are None. With `terminal=True`,
    `terminal` is the pty master, one unbuffered read/write file object, and
    the three streams are None. close() closes these file objects too.
    """

    _prefix: ClassVar[str]

    stdin: Optional[IO[bytes]] = None
    """Writable end of the process's standard input with stdin=PIPE, else None."""
    stdout: Optional[IO[bytes]] = None
    """Readable end of its standard output with stdout=PIPE, else None."""
    stderr: Optional[IO[bytes]] = None
    """Readable end of its standard error with stderr=PIPE, else None."""
    terminal: Optional[IO[bytes]] = None
    """The pty master with terminal=True (read and write), else None."""
    _communication: Optional[Communication] = None

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
        if threading.current_thread() is not threading.main_thread():
            wait(h, ms, byref(out))
            return Exit._from_c(out)
        # Signal handlers (Ctrl-C) run in the main thread only between C
        # calls, so it waits in slices.
        deadline = None if ms < 0 else time.monotonic() + ms / 1000
        while True:
            left = _WAIT_SLICE_MS
            if deadline is not None:
                left = max(0, min(left, math.ceil((deadline - time.monotonic()) * 1000)))
            try:
                wait(h, left, byref(out))
                return Exit._from_c(out)
            except TimedOut:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    def poll(self) -> Optional[Exit]:
        """How the process ended, or None while it runs."""
        try:
            return self.wait(0)
        except TimedOut:
            return None

    def communicate(
        self, input: Optional[bytes] = None, timeout: Optional[float] = None
    ) -> Tuple[Optional[bytes], Optional[bytes]]:
        """Send `input`, read stdout and stderr to EOF, wait for the exit; as Popen's.

        Returns (stdout, stderr), each None unless that stream is a PIPE; with a
        terminal, what was read from it is returned as stdout. stdin is closed
        after the input is written. When `timeout` (seconds) runs out, TimedOut
        is raised and a later call (without input) resumes without losing output.
        """
        if input is not None and not isinstance(input, (bytes, bytearray, memoryview)):
            raise TypeError(f"input must be bytes, not {type(input).__name__}")
        deadline = None if timeout is None else time.monotonic() + _args.seconds(timeout, "timeout")
        self._handle()
        if self._communication is None:
            self._communication = Communication(
                self.stdin, self.stdout, self.stderr, self.terminal, bytes(input or b"")
            )
        elif input:
            raise ValueError("cannot send input after starting communication")
        self._communication.run(deadline)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self._communication.output()

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
