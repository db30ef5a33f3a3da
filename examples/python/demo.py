"""libexecution in one page, in Python: run a busybox container, read its
output, exec a second process into it, stop it, and clean up.

    usage: python3 examples/python/demo.py BUNDLE [ROOT]

BUNDLE is a directory holding `rootfs/`, a busybox root file system
(`scripts/make-bundle.sh BUNDLE` makes one). When it has no config.json the
demo writes one with execution.bundle_init(), running a shell that says hello
and then sleeps. ROOT is the library's state dir; default
/tmp/libexecution-demo. Run it as root (containers need it).

The package is imported from the checkout when it is not installed; the
library is found through EXECUTION_LIBRARY, the checkout's build/, or the
system's library path.
"""

import os
import sys
from pathlib import Path
from typing import List

try:
    import execution
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    import execution


def demo(bundle: Path, root: Path) -> None:
    # 1. A runtime: the library's state dir, and runc from PATH.
    with execution.Runtime(root) as rt:
        # 2. A bundle: rootfs/ plus config.json, written here if missing.
        config = bundle / "config.json"
        if not config.exists():
            greeter = ["sh", "-c", "echo hello from busybox; exec sleep 60"]
            execution.bundle_init(bundle, greeter)
            print(f"wrote {config}")

        # 3. Run the container with its stdout in a pipe. Ids are host-wide.
        #    Leaving the `with` block deletes it, killing it if it still runs.
        with rt.run(f"demo-py-{os.getpid()}", bundle, stdout=execution.PIPE) as c:
            print(f"container {c.id} is running")

            # 4. Read its first line: stdout is an IO[bytes] (IO[str] with text=True).
            assert c.stdout is not None
            print(f"container says: {c.stdout.readline().decode()}", end="")

            # 5. Run a second process inside it.
            exec_uname(c)

            # 6. Stop it. Its process is pid 1 of the container, which ignores
            #    signals it has no handler for; kill() is SIGKILL, as Popen's.
            c.kill()
            exit = c.wait(timeout=10)
            if exit.signal:
                print(f"container exited: status {exit.status} (killed by signal {exit.signal})")
            else:
                print(f"container exited: status {exit.status}")

            # 7. Delete it: the runtime's state and the library's go away.
            #    close(), or the end of a `with` block on a handle from
            #    Runtime.load(), only releases the handle.
            c.delete()
            print("container deleted")


def exec_uname(c: execution.Container[bytes]) -> None:
    """Exec `uname -a` into the running container and print what it says."""
    with c.exec(["uname", "-a"], stdout=execution.PIPE) as p:
        out, _ = p.communicate(timeout=10)
        for line in out.decode().splitlines():
            print(f"uname -a says: {line}")
        print(f"uname exited with status {p.wait().status}")
        # An exited process's state stays until deleted, like a container's.
        p.delete()


def main(argv: List[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: demo.py BUNDLE [ROOT]", file=sys.stderr)
        return 2
    bundle = Path(argv[1])
    root = Path(argv[2] if len(argv) == 3 else "/tmp/libexecution-demo")
    if not os.access(bundle / "rootfs" / "bin" / "sh", os.X_OK):
        print(
            f"demo: no busybox rootfs in {bundle}/rootfs; "
            f"make one with scripts/make-bundle.sh {bundle}",
            file=sys.stderr,
        )
        return 2
    try:
        demo(bundle, root)
    except execution.ExecutionError as e:
        print(f"demo: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
