"""The loaded library itself."""

from . import _ffi


def version() -> str:
    """Version of the loaded libexecution, as "MAJOR.MINOR.PATCH"."""
    text: bytes = _ffi.lib().exec_version()
    return text.decode()


def library_path() -> str:
    """Where libexecution was loaded from: a path, or a name the dynamic linker resolved."""
    _ffi.lib()
    return _ffi.lib_path() or ""
