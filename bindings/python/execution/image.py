"""Bundles from OCI images on disk."""

from ctypes import byref
from typing import Mapping, Optional, Sequence

from . import _args, _ffi
from .bundle import PathArg


def bundle_from_image(
    bundle_dir: PathArg,
    image: PathArg,
    *,
    args: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    cache_dir: Optional[PathArg] = None,
    terminal: bool = False,
    max_bytes: int = 0,
) -> None:
    """Make the bundle `bundle_dir` from an OCI image on disk; no registry is contacted.

    `image` is "PATH[:TAG]": an OCI image layout directory, or an archive as
    `docker save`, `podman save` or `skopeo copy` write it. Its layers are
    unpacked into `<bundle_dir>/rootfs` and `config.json` is written from its
    config; `args` replace its entrypoint and cmd, `env` is set over its env.
    With `cache_dir`, each layer is unpacked once there and the rootfs is an
    overlay mount of the cached layers. `max_bytes` bounds what the layers
    write (0: the free space). `bundle_dir` must be missing or empty. A
    malicious layer (reaching outside the rootfs) raises InvalidArgument and
    leaves nothing. Remove the bundle with bundle_remove(). Root only.
    """
    opts = _ffi.ImageOptions()
    _ffi.lib().exec_image_options_init(byref(opts), _ffi.EXEC_IMAGE_OPTIONS_VERSION)
    dir_arg = _args.path(bundle_dir, "bundle_dir")
    image_arg = _args.path(image, "image")
    # The arrays must outlive the call: keep them in locals.
    argv = None if args is None else _args.string_array(_args.strings(args, "args"))
    envv = None if env is None else _args.string_array(_args.env(env, "env"))
    if argv is not None:
        opts.argv = argv
    if envv is not None:
        opts.env = envv
    opts.cache_dir = _args.optional_path(cache_dir, "cache_dir")
    opts.terminal = _args.flag(terminal, "terminal")
    opts.max_bytes = _args.integer(max_bytes, "max_bytes", 0, 2**63 - 1)
    _ffi.lib().exec_bundle_from_image(dir_arg, image_arg, byref(opts))


def bundle_remove(bundle_dir: PathArg) -> None:
    """Remove a bundle bundle_from_image() made: unmount its overlay, remove the dir.

    Delete its containers first. The layer cache stays. A directory that is
    no such bundle raises InvalidArgument and is left untouched.
    """
    _ffi.lib().exec_bundle_remove(_args.path(bundle_dir, "bundle_dir"))
