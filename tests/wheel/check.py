"""Run by run.sh with a venv's Python in which only the wheel is installed.

usage: check.py WHEEL ROOTFS WORK MONITOR
"""

import os
import re
import subprocess
import sys
import zipfile

import execution

wheel, rootfs, work, monitor = sys.argv[1:]

# The wheel: the library inside, not pure, tagged for the glibc it needs.
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    meta = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
assert "execution/libexecution.so" in names, names
assert "Root-Is-Purelib: false" in meta, meta
tag = re.fullmatch(r"execution-[^-]+-py3-none-manylinux_(\d+)_(\d+)_(\w+)\.whl", os.path.basename(wheel))
assert tag, f"{wheel} has no py3-none-manylinux tag"
package_dir = os.path.dirname(execution.__file__)
library = os.path.join(package_dir, "libexecution.so")
# The monitor the library carries is the one this build made, and it runs
# against the host's glibc too: the tag covers both.
with open(library, "rb") as f, open(monitor, "rb") as m:
    assert m.read() in f.read(), f"the wheel's library does not carry {monitor}"


def glibc_needed(program: str) -> "tuple[int, ...]":
    out = subprocess.run(["objdump", "-T", program], check=True, capture_output=True, text=True)
    return max(tuple(map(int, v)) for v in re.findall(r"GLIBC_(\d+)\.(\d+)", out.stdout))


needed = max(glibc_needed(library), glibc_needed(monitor))
# Packed relative relocations (DT_RELR) need the loader of glibc 2.36.
private = subprocess.run(["objdump", "-p", library], check=True, capture_output=True, text=True).stdout
if "GLIBC_ABI_DT_RELR" in private:
    needed = max(needed, (2, 36))
assert needed == (int(tag[1]), int(tag[2])), f"library and monitor need glibc {needed}, tag says {tag[0]}"
# ...and links only libraries every manylinux system has (PEP 600's list).
MANYLINUX_LIBS = {"libc.so.6", "libpthread.so.0", "libdl.so.2", "libm.so.6", "librt.so.1",
                  "libgcc_s.so.1", "libstdc++.so.6", "ld-linux-x86-64.so.2", "libutil.so.1"}
dynamic = subprocess.run(["readelf", "-d", library], check=True, capture_output=True, text=True)
linked = set(re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic.stdout))
assert linked and linked <= MANYLINUX_LIBS, f"the library links {linked - MANYLINUX_LIBS}"

# The package: installed, and the library beside it loaded without help.
assert package_dir.startswith(sys.prefix), package_dir
assert execution.library_path() == library, execution.library_path()
assert execution.version() == execution.__version__

# A container, run through to its deletion.
bundle = os.path.join(work, "bundle")
os.mkdir(bundle)
os.symlink(rootfs, os.path.join(bundle, "rootfs"))
execution.bundle_init(bundle, ["sh", "-c", "echo hello from the wheel; exit 7"])
with execution.Runtime(os.path.join(work, "state")) as rt:
    with rt.run(f"wheel-{os.getpid()}", bundle, stdout=execution.PIPE) as c:
        out, _ = c.communicate(timeout=60)
        status = c.wait().status
    left = rt.list()
assert out == b"hello from the wheel\n", out
assert status == 7, status
assert left == [], left
print(f"tests/wheel: ok, {os.path.basename(wheel)} ran a container")
