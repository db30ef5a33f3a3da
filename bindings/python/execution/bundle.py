"""OCI bundles."""

import os
from typing import Sequence, Union

from . import _args, _ffi

PathArg = Union[str, bytes, "os.PathLike[str]"]
"""A file system path: str, bytes or os.PathLike."""


def bundle_init(bundle_dir: PathArg, args: Sequence[str], terminal: bool = False) -> None:
    """Write `<bundle_dir>/config.json`: a default config, as `runc spec` makes it.

    The process runs `args`, with a pty when `terminal` is True. The rootfs
    is `<bundle_dir>/rootfs`, a directory or a symlink to one (written to
    the config as its resolved absolute path, as runtimes refuse symlinks
    there). Raises AlreadyExists if a config.json is there.
    """
    path = _args.path(bundle_dir, "bundle_dir")
    argv = _args.strings(args, "args")
    t = _args.flag(terminal, "terminal")
    _ffi.lib().exec_bundle_init(path, _args.string_array(argv), t)
