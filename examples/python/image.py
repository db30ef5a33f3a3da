"""Run an OCI image from disk: python3 examples/python/image.py IMAGE [CACHE_DIR]

IMAGE is an OCI layout dir or a `docker save` archive, with an optional
:TAG (e.g. build/images/busybox:latest after `make images`). As root. The
package is imported from the checkout when it is not installed.
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
    image = sys.argv[1]
    cache = sys.argv[2] if len(sys.argv) > 2 else None
    work = tempfile.mkdtemp(prefix="image-example-")
    bundle = os.path.join(work, "bundle")
    execution.bundle_from_image(bundle, image, cache_dir=cache)
    try:
        with execution.Runtime(os.path.join(work, "state")) as rt:
            with rt.run(f"image-py-{os.getpid()}", bundle, stdout=execution.PIPE) as c:
                out, _ = c.communicate(timeout=30)
                print(out.decode(), end="")
                print(f"exited with status {c.wait().status}")
    finally:
        execution.bundle_remove(bundle)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
