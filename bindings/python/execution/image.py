"""Bundles from OCI images on disk."""

from ctypes import byref, c_size_t, pointer
from typing import Mapping, Optional, Sequence

from . import _args, _ffi
from ._progress import Progress, Reporter
from .bundle import Limits, PathArg, UserNS, bundle_options
from .workload import Mount, Network, Rlimits, UserArg


def bundle_from_image(
    bundle_dir: PathArg,
    image: PathArg,
    *,
    args: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    cache_dir: Optional[PathArg] = None,
    terminal: bool = False,
    max_bytes: int = 0,
    cmd: Optional[Sequence[str]] = None,
    entrypoint: Optional[Sequence[str]] = None,
    platform: Optional[str] = None,
    limits: Optional[Limits] = None,
    userns: UserNS = UserNS.AUTO,
    hardened: bool = False,
    tmpfs: Sequence[str] = (),
    cwd: Optional[str] = None,
    user: Optional[UserArg] = None,
    groups: Sequence[str] = (),
    hostname: Optional[str] = None,
    mounts: Sequence[Mount] = (),
    rlimits: Optional[Rlimits] = None,
    cap_add: Sequence[str] = (),
    cap_drop: Sequence[str] = (),
    no_new_privileges: Optional[bool] = None,
    readonly_rootfs: Optional[bool] = None,
    network: Network = "none",
    progress: Optional[Progress] = None,
) -> None:
    """Make the bundle `bundle_dir` from an OCI image on disk; no registry is contacted.

    `image` is "PATH[:TAG]": an OCI image layout directory, or an archive as
    `docker save`, `podman save` or `skopeo copy` write it. Its layers are
    unpacked into `<bundle_dir>/rootfs` and `config.json` is written from its
    config. `args` replace its whole command line (entrypoint and cmd);
    `cmd` replaces its cmd only, as `docker run IMAGE ARGS...` does, and
    `entrypoint` its entrypoint (clearing its cmd; `[]` clears the
    entrypoint). `env` is set over its env. `platform` ("linux/ARCH[/VARIANT]")
    picks the image of an index; by default the host's, and an image for
    another platform raises InvalidArgument. `limits`, `userns`, `hardened`
    and `tmpfs` shape the config as bundle_init() does; with a user
    namespace the image's files are owned by the ids they map to.
    With `cache_dir`, each layer is unpacked once there and the rootfs is an
    overlay mount of the cached layers. `max_bytes` bounds what the layers
    write (0: the free space). `bundle_dir` must be missing or empty; it is
    made mode 0700. Every blob is verified against its digest; a blob that
    does not match, or a malicious layer (reaching outside the rootfs),
    raises InvalidArgument and leaves nothing. The image's labels never
    become annotations. Remove the bundle with bundle_remove(), and unused
    cached layers with image_cache_prune(). Root only.
    The workload (`cwd` to `network`) is bundle_init()'s, over the image's
    config: its user and working dir, for instance.

    `progress(blob, done, total)` is told each layer's bytes read as it is
    unpacked, on the calling thread (a layer already in the cache is not
    read); a true return cancels, raising Cancelled and leaving nothing, and
    an exception it raises is raised here instead.
    """
    if args is not None and (cmd is not None or entrypoint is not None):
        raise ValueError("args replace the whole command: give them or cmd and entrypoint")
    opts = _ffi.ImageOptions()
    _ffi.lib().exec_image_options_init(byref(opts), _ffi.EXEC_IMAGE_OPTIONS_VERSION)
    dir_arg = _args.path(bundle_dir, "bundle_dir")
    image_arg = _args.path(image, "image")
    if args is not None:
        cmd, entrypoint = args, ()
    # The arrays must outlive the call: keep them in locals.
    argv = None if cmd is None else _args.string_array(_args.strings(cmd, "cmd"))
    entry = None if entrypoint is None else _args.string_array(_args.strings(entrypoint, "entrypoint"))
    envv = None if env is None else _args.string_array(_args.env(env, "env"))
    if argv is not None:
        opts.argv = argv
    if entry is not None:
        opts.entrypoint = entry
    if envv is not None:
        opts.env = envv
    opts.cache_dir = _args.optional_path(cache_dir, "cache_dir")
    opts.terminal = _args.flag(terminal, "terminal")
    opts.max_bytes = _args.integer(max_bytes, "max_bytes", 0, 2**63 - 1)
    if platform is not None:
        if not isinstance(platform, str):
            raise TypeError(f"platform must be str, not {type(platform).__name__}")
        opts.platform = platform.encode()
    bundle, _keep = bundle_options(
        False, limits, userns, hardened, tmpfs,
        dict(cwd=cwd, user=user, groups=groups, hostname=hostname, mounts=mounts,
             rlimits=rlimits, cap_add=cap_add, cap_drop=cap_drop,
             no_new_privileges=no_new_privileges, readonly_rootfs=readonly_rootfs, network=network),
    )
    opts.bundle = pointer(bundle)
    if progress is None:
        _ffi.lib().exec_bundle_from_image(dir_arg, image_arg, byref(opts))
        return
    reporter = Reporter(progress)
    opts.progress = reporter.fn

    def call() -> None:
        _ffi.lib().exec_bundle_from_image(dir_arg, image_arg, byref(opts))

    reporter.run(call)


def bundle_remove(bundle_dir: PathArg) -> None:
    """Remove a bundle bundle_from_image() made: unmount its overlay, remove the dir.

    Delete its containers first. The layer cache stays. A directory the
    library did not make raises InvalidArgument, and one a container still
    has as its root raises InvalidState; either is left untouched.
    """
    _ffi.lib().exec_bundle_remove(_args.path(bundle_dir, "bundle_dir"))


def image_cache_prune(cache_dir: PathArg) -> int:
    """Remove from the layer cache every layer no live bundle uses; return how many.

    Also removes what a crashed bundle_from_image() left there. Waits for the
    calls making bundles on the cache. A dir that is no layer cache raises
    InvalidArgument. Root only.
    """
    removed = c_size_t(0)
    _ffi.lib().exec_image_cache_prune(_args.path(cache_dir, "cache_dir"), byref(removed))
    return removed.value
