"""A supervisor loop on asyncio: python3 examples/python/supervisor.py ROOTFS [ROOT]

ROOTFS is a busybox root file system (`make bundle` builds
build/bundle/rootfs), ROOT the library's state dir. It runs three containers
that each sleep a little and exit 3, prints every event of the root as it
comes (no thread: the stream's fd is watched by the event loop), deletes each
container once its init exited, and ends once all three are deleted. As root.
"""

import asyncio
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

from execution import EventType


async def supervise(rt: execution.Runtime, bundle: str) -> None:
    with rt.events() as events:
        containers = {}
        for i in range(3):
            c = rt.run(f"supervised-py-{os.getpid()}-{i}", bundle)
            containers[c.id] = c
        async for ev in events:
            if ev.type == EventType.EXITED and ev.exit is not None:
                print(f"{ev.container_id}: exited with status {ev.exit.status}")
                containers[ev.container_id].delete()
            else:
                print(f"{ev.container_id}: {ev.type.name.lower()}")
            if ev.type == EventType.DELETED:
                containers.pop(ev.container_id).close()
                if not containers:
                    return


def main() -> None:
    rootfs = os.path.abspath(sys.argv[1])
    root = sys.argv[2] if len(sys.argv) > 2 else "/tmp/libexecution-supervisor-py"
    bundle = tempfile.mkdtemp(prefix="supervisor-bundle-")
    try:
        os.symlink(rootfs, os.path.join(bundle, "rootfs"))
        execution.bundle_init(bundle, ["sh", "-c", "sleep 0.2; exit 3"])
        with execution.Runtime(root) as rt:
            asyncio.run(asyncio.wait_for(supervise(rt, bundle), 60))
    finally:
        shutil.rmtree(bundle)


if __name__ == "__main__":
    main()
