"""The overloads that type create(), run() and exec() by text mode, as typeshed types Popen.

Without `text`, `encoding` or `errors` the streams are IO[bytes] and
communicate() gives bytes; with any of them IO[str]; with a `text` that is
only known as a bool, Any.
"""

from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Optional, Protocol, Sequence, overload

from .bundle import PathArg
from .streams import PassFds, StreamArg

if TYPE_CHECKING:
    from .container import Container, User
    from .process import Process


class Make(Protocol):
    """The type of Runtime.create() and Runtime.run()."""

    @overload
    def __call__(
        self, id: str, bundle: PathArg, stdin: StreamArg = None, stdout: StreamArg = None,
        stderr: StreamArg = None, terminal: bool = False, *, text: Literal[True],
        encoding: Optional[str] = None, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Container[str]": ...
    @overload
    def __call__(
        self, id: str, bundle: PathArg, stdin: StreamArg = None, stdout: StreamArg = None,
        stderr: StreamArg = None, terminal: bool = False, *, text: bool = False,
        encoding: str, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Container[str]": ...
    @overload
    def __call__(
        self, id: str, bundle: PathArg, stdin: StreamArg = None, stdout: StreamArg = None,
        stderr: StreamArg = None, terminal: bool = False, *, text: bool = False,
        encoding: Optional[str] = None, errors: str,
        pass_fds: PassFds = (),
    ) -> "Container[str]": ...
    @overload
    def __call__(
        self, id: str, bundle: PathArg, stdin: StreamArg = None, stdout: StreamArg = None,
        stderr: StreamArg = None, terminal: bool = False, *, text: Literal[False] = False,
        encoding: None = None, errors: None = None,
        pass_fds: PassFds = (),
    ) -> "Container[bytes]": ...
    @overload
    def __call__(
        self, id: str, bundle: PathArg, stdin: StreamArg = None, stdout: StreamArg = None,
        stderr: StreamArg = None, terminal: bool = False, *, text: bool = False,
        encoding: Optional[str] = None, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Container[Any]": ...


class Exec(Protocol):
    """The type of Container.exec()."""

    @overload
    def __call__(
        self, args: Sequence[str], *, id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, user: "Optional[User]" = None,
        stdin: StreamArg = None, stdout: StreamArg = None, stderr: StreamArg = None,
        terminal: bool = False, text: Literal[True],
        encoding: Optional[str] = None, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Process[str]": ...
    @overload
    def __call__(
        self, args: Sequence[str], *, id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, user: "Optional[User]" = None,
        stdin: StreamArg = None, stdout: StreamArg = None, stderr: StreamArg = None,
        terminal: bool = False, text: bool = False,
        encoding: str, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Process[str]": ...
    @overload
    def __call__(
        self, args: Sequence[str], *, id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, user: "Optional[User]" = None,
        stdin: StreamArg = None, stdout: StreamArg = None, stderr: StreamArg = None,
        terminal: bool = False, text: bool = False,
        encoding: Optional[str] = None, errors: str,
        pass_fds: PassFds = (),
    ) -> "Process[str]": ...
    @overload
    def __call__(
        self, args: Sequence[str], *, id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, user: "Optional[User]" = None,
        stdin: StreamArg = None, stdout: StreamArg = None, stderr: StreamArg = None,
        terminal: bool = False, text: Literal[False] = False,
        encoding: None = None, errors: None = None,
        pass_fds: PassFds = (),
    ) -> "Process[bytes]": ...
    @overload
    def __call__(
        self, args: Sequence[str], *, id: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, user: "Optional[User]" = None,
        stdin: StreamArg = None, stdout: StreamArg = None, stderr: StreamArg = None,
        terminal: bool = False, text: bool = False,
        encoding: Optional[str] = None, errors: Optional[str] = None,
        pass_fds: PassFds = (),
    ) -> "Process[Any]": ...


def make(fn: Callable[..., "Container[Any]"]) -> Make:
    """Types a create() or run() method by its text mode; it stays the same function."""
    return fn


def exec_(fn: Callable[..., "Process[Any]"]) -> Exec:
    """Types an exec() method by its text mode; it stays the same function."""
    return fn
