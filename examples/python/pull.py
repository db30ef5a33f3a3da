"""Pull an image from a registry and run it: python3 examples/python/pull.py REF

REF is "REGISTRY/REPO:TAG" or "REGISTRY/REPO@sha256:..." (e.g.
127.0.0.1:5000/busybox:latest from a local registry). Shows a progress bar
when tqdm is installed, else one line per finished blob on stderr. As root.
The package is imported from the checkout when it is not installed.
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


def lines(blob: str, done: int, total: int) -> bool:
    if done == total:
        print(f"{blob[:19]}: {total} bytes", file=sys.stderr)
    return False  # True would cancel the pull


def main() -> None:
    ref = sys.argv[1]
    work = tempfile.mkdtemp(prefix="pull-example-")
    layout, bundle = os.path.join(work, "layout"), os.path.join(work, "bundle")
    try:
        try:
            with execution.tqdm_progress() as bar:
                execution.pull_image(ref, layout, progress=bar, parallel=3)
        except ImportError:
            execution.pull_image(ref, layout, progress=lines, parallel=3)
        execution.bundle_from_image(bundle, f"{layout}:{ref}")
        with execution.Runtime(os.path.join(work, "state")) as rt:
            with rt.run(f"pull-py-{os.getpid()}", bundle, stdout=execution.PIPE) as c:
                out, _ = c.communicate(timeout=30)
                print(out.decode(), end="")
                print(f"exited with status {c.wait().status}")
        execution.bundle_remove(bundle)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
