"""Wheel tags: a platform wheel when the library sits beside the package.

`make wheel` stages the package with build/libexecution.so in execution/ and
builds it here. Such a wheel is not pure: it installs into platlib and is
tagged py3-none-<platform> (ctypes, so any Python 3), where the platform is
the manylinux tag the library's own needs make true: the highest GLIBC_
symbol version that it or the monitor program it carries (and runs from
memory, linked against the host's glibc) imports; `make wheel` names that
program, from the same build, in EXECUTION_MONITOR. Without the library the
wheel stays pure (py3-none-any) and finds the library elsewhere at run time.
"""

import os
import platform
import re
import subprocess
from pathlib import Path
from typing import List, Optional, Tuple

from setuptools import setup
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70
    from wheel.bdist_wheel import bdist_wheel

LIBRARY = Path(__file__).resolve().parent / "execution" / "libexecution.so"


def glibc_needed(program: Path) -> Tuple[int, int]:
    """The newest glibc symbol version `program` imports or its loader needs."""
    out = subprocess.run(
        ["objdump", "-T", str(program)], check=True, capture_output=True, text=True
    ).stdout
    versions = {(int(major), int(minor)) for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", out)}
    # Packed relative relocations (DT_RELR) need a loader of glibc 2.36 or
    # newer, which the library then names as a version it needs.
    needs = subprocess.run(
        ["objdump", "-p", str(program)], check=True, capture_output=True, text=True
    ).stdout
    if "GLIBC_ABI_DT_RELR" in needs:
        versions.add((2, 36))
    if not versions:
        raise SystemExit(f"{program} imports no GLIBC_ symbol version; not a glibc program?")
    return max(versions)


def manylinux_tag(*programs: Path) -> str:
    """manylinux_2_<minor>_<arch> for the newest glibc symbol version `programs` import."""
    major, minor = max(glibc_needed(p) for p in programs)
    return f"manylinux_{major}_{minor}_{platform.machine()}"


def carried_programs() -> List[Path]:
    """The library and, when `make wheel` names it, the monitor program built into it."""
    monitor = os.environ.get("EXECUTION_MONITOR")
    return [LIBRARY] + ([Path(monitor)] if monitor else [])


class LibraryDistribution(Distribution):
    """Not pure once the library is in the package."""

    def has_ext_modules(self) -> bool:
        return LIBRARY.is_file()


class PlatformWheel(bdist_wheel):  # type: ignore[misc]
    """py3-none-<manylinux tag> with the library, py3-none-any without."""

    def get_tag(self) -> Tuple[str, str, str]:
        plat: Optional[str] = manylinux_tag(*carried_programs()) if LIBRARY.is_file() else None
        return ("py3", "none", plat or "any")


setup(distclass=LibraryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
