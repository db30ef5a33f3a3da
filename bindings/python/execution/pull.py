"""Pulling images from a registry into an OCI layout."""

import ctypes
import importlib
from ctypes import byref, c_char_p, c_void_p
from typing import Any, Dict, Optional

from . import _args, _ffi
from .bundle import PathArg
from ._progress import Progress, Reporter

def pull_image(
    ref: str,
    layout_dir: PathArg,
    *,
    progress: Optional[Progress] = None,
    platform: Optional[str] = None,
    username: Optional[str] = None,
    password: Optional[str] = None,
    ca_file: Optional[PathArg] = None,
    insecure: bool = False,
    timeout: Optional[float] = None,
    parallel: int = 0,
) -> str:
    """Pull the image `ref` from its registry into the OCI layout `layout_dir`; return its digest.

    `ref` is "REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:HEX". The layout is
    made where missing and names the image by the ref's full name, so
    bundle_from_image(bundle, f"{layout_dir}:{ref}") runs it. Blobs already
    in the layout are verified and not fetched again; every blob is
    verified as it is written, and a failed or cancelled pull leaves no
    partial blob. From an index the host's platform (or `platform`,
    "linux/ARCH[/VARIANT]") is taken. Without `username` the user's docker
    and podman auth files are read. `ca_file` is a PEM bundle trusted
    besides the system's; `insecure` allows plain HTTP and unverified TLS to
    the ref's registry (plain HTTP is otherwise used only on loopback).
    `timeout` is in seconds for the whole pull; `parallel` is how many blobs
    download at once (0: one).

    `progress(blob, done, total)` is called on the calling thread as blobs
    are written; a true return cancels the pull, which raises Cancelled. An
    exception it raises cancels the pull too and is raised again here.
    tqdm_progress() makes a ready progress bar. A missing image raises
    NotFound, a digest mismatch or refused credentials InvalidArgument, an
    unreachable registry SystemCallError, the timeout TimedOut.
    """
    opts = _ffi.PullOptions()
    _ffi.lib().exec_pull_options_init(byref(opts), _ffi.EXEC_PULL_OPTIONS_VERSION)
    ref_arg = _args.text(ref, "ref")
    dir_arg = _args.path(layout_dir, "layout_dir")
    opts.platform = _optional_text(platform, "platform")
    opts.username = _optional_text(username, "username")
    opts.password = _optional_text(password, "password")
    opts.ca_file = _args.optional_path(ca_file, "ca_file")
    opts.insecure = _args.flag(insecure, "insecure")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise TypeError("timeout must be a positive number of seconds or None")
        opts.timeout_ms = max(1, min(int(timeout * 1000), 2**31 - 1))
    opts.parallel = _args.integer(parallel, "parallel", 0, 1024)
    reporter = None if progress is None else Reporter(progress)
    if reporter is not None:
        opts.progress = reporter.fn
    digest = c_char_p()

    def call() -> None:
        _ffi.lib().exec_image_pull(ref_arg, dir_arg, byref(opts), byref(digest))

    if reporter is None:
        call()
    else:
        reporter.run(call)
    try:
        return (digest.value or b"").decode()
    finally:
        _ffi.lib().exec_free(ctypes.cast(digest, c_void_p))


def _optional_text(value: Optional[str], what: str) -> Optional[bytes]:
    return None if value is None else _args.text(value, what)


class tqdm_progress:
    """A ready progress bar for pull_image(): one tqdm bar per blob.

    Needs tqdm (not a dependency of this package): ImportError otherwise.
    Use it as `progress=` and close it after the pull, or as a context
    manager::

        with execution.tqdm_progress() as bar:
            execution.pull_image(ref, "layout", progress=bar)
    """

    def __init__(self, **tqdm_args: Any) -> None:
        # Optional, and untyped: only this class needs it.
        self._tqdm: Any = importlib.import_module("tqdm").tqdm
        self._args = {"unit": "B", "unit_scale": True, "unit_divisor": 1024, "leave": True, **tqdm_args}
        self._bars: Dict[str, Any] = {}

    def __call__(self, blob: str, done: int, total: int) -> bool:
        bar = self._bars.get(blob)
        if bar is None:
            bar = self._bars[blob] = self._tqdm(total=total, desc=blob[7:19], **self._args)
        bar.update(done - bar.n)
        return False

    def close(self) -> None:
        """Close every bar."""
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()

    def __enter__(self) -> "tqdm_progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
