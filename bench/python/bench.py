"""The benchmark's Python driver: lifecycles and trivial calls through the
`execution` binding, timed inside this process.

It answers the benchmark driver's requests, one a line on stdin:

    csd <id> <bundle>     create, start, wait, delete: "ok <ns> <cpu> <children cpu>"
    rwd <id> <bundle>     run, wait, delete: "ok <ns> <cpu> <children cpu>"
    version <n>           n calls of execution.version(): "ok <ns per call>"
    hold <id> <bundle>    run a container for the pid calls: "ok 0"
    pid <n>               n reads of Container.pid on it: "ok <ns per call>"
    release               delete that container: "ok 0"
    quit

with the CPU ms this process and its children spent on the lifecycle. A
failed request answers "err <message>".

    python3 bench/python/bench.py --serve --root DIR [--runtime PATH]

The binding is imported from the checkout's bindings/python unless an
installed `execution` comes first on sys.path.
"""

import argparse
import os
import resource
import sys
import time

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))

import execution  # noqa: E402


def cpu_ms() -> "tuple[float, float]":
    """CPU ms (user + system) of this process and of its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (me.ru_utime + me.ru_stime) * 1e3, (kids.ru_utime + kids.ru_stime) * 1e3


def timed(ns: int, cpu0: "tuple[float, float]") -> str:
    """The answer to a lifecycle: its time and the CPU it cost."""
    cpu1 = cpu_ms()
    return f"{ns} {cpu1[0] - cpu0[0]:.4f} {cpu1[1] - cpu0[1]:.4f}"


class Driver:
    """One runtime, and the container held for the pid calls."""

    def __init__(self, root: str, runtime: str) -> None:
        self.rt = execution.Runtime(root, runtime_path=runtime)
        self.held = None

    def csd(self, id: str, bundle: str) -> str:
        cpu0 = cpu_ms()
        t0 = time.perf_counter_ns()
        c = self.rt.create(id, bundle)
        try:
            c.start()
            exit = c.wait()
            c.delete()
        finally:
            c.close()
        ns = time.perf_counter_ns() - t0
        if exit.status != 0:
            raise RuntimeError(f"container {id} exited with {exit.status}")
        return timed(ns, cpu0)

    def rwd(self, id: str, bundle: str) -> str:
        cpu0 = cpu_ms()
        t0 = time.perf_counter_ns()
        c = self.rt.run(id, bundle)
        try:
            exit = c.wait()
            c.delete()
        finally:
            c.close()
        ns = time.perf_counter_ns() - t0
        if exit.status != 0:
            raise RuntimeError(f"container {id} exited with {exit.status}")
        return timed(ns, cpu0)

    def version(self, n: str) -> str:
        count = int(n)
        version = execution.version
        t0 = time.perf_counter_ns()
        for _ in range(count):
            version()
        return str((time.perf_counter_ns() - t0) / count)

    def hold(self, id: str, bundle: str) -> str:
        self.release()
        self.held = self.rt.run(id, bundle)
        return "0"

    def pid(self, n: str) -> str:
        if self.held is None:
            raise RuntimeError("no container held")
        count = int(n)
        c = self.held
        t0 = time.perf_counter_ns()
        for _ in range(count):
            c.pid
        return str((time.perf_counter_ns() - t0) / count)

    def release(self) -> str:
        if self.held is not None:
            c, self.held = self.held, None
            try:
                c.delete(force=True)
            finally:
                c.close()
        return "0"


def serve(driver: Driver) -> None:
    """Answer requests until "quit" or the end of stdin."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            return
        handler = getattr(driver, words[0], None) if words[0] in (
            "csd", "rwd", "version", "hold", "pid", "release") else None
        try:
            if handler is None:
                raise ValueError(f"unsupported request: {line.strip()}")
            reply = "ok " + handler(*words[1:])
        except Exception as e:  # the driver prints it and stops the run
            reply = "err " + " ".join(f"{type(e).__name__}: {e}".split())
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--serve", action="store_true", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--runtime", default="runc")
    args = p.parse_args()
    driver = Driver(args.root, args.runtime)
    try:
        serve(driver)
    finally:
        driver.release()
        driver.rt.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
