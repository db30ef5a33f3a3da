"""A warm pool: python3 examples/python/pool.py ROOTFS [ROOT]

ROOTFS is a busybox root file system (`make bundle` builds
build/bundle/rootfs), ROOT the library's state dir. It keeps two containers
of one bundle created ahead, takes three one after another (each take only
starts one; the pool refills behind them), prints what each says through its
stdout pipe and how it exited, and closes the pool, which deletes the
containers it still holds. As root.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

try:
    import execution
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import execution


def main() -> None:
    rootfs = os.path.abspath(sys.argv[1])
    root = sys.argv[2] if len(sys.argv) > 2 else "/tmp/libexecution-pool-py"
    bundle = tempfile.mkdtemp(prefix="pool-bundle-")
    try:
        os.symlink(rootfs, os.path.join(bundle, "rootfs"))
        execution.bundle_init(bundle, ["sh", "-c", "echo hello from a warm pool; exit 3"])
        with execution.Runtime(root) as rt:
            with rt.pool(bundle, size=2, stdout=execution.PIPE, text=True, id_prefix="pool-py-") as pool:
                pool.fill(timeout=30)  # serve once warm: from here on a take is a start
                print("pool of 2 ready")
                for _ in range(3):
                    with pool.take(timeout=30) as c:
                        out, _ = c.communicate()
                        print(f'{c.id}: says "{out.strip()}"')
                        print(f"{c.id}: exited with status {c.wait().status}")
            print("pool closed")
    finally:
        shutil.rmtree(bundle, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} ROOTFS [ROOT]")
    main()
