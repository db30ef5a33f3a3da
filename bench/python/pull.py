"""Pull time of the test image from a local registry: execution.pull_image
against `skopeo copy` (and `podman pull` where installed), interleaved round
by round in one run, each into a fresh layout (or store).

    pull.py --registry build/tests/test-registry --images build/images --rounds 20

Prints one line per tool (median, p10, p90) and its ratio to pull_image.
Never asserts a time limit.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List

import execution


def quantile(v: List[float], q: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True, help="the test-registry helper")
    ap.add_argument("--images", required=True, help="the test images (make images)")
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-pull-")
    os.mkdir(os.path.join(work, "registry"))
    helper = subprocess.Popen([a.registry, os.path.join(work, "registry"), os.path.join(a.images, "busybox")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert helper.stdout is not None
        host = helper.stdout.readline().strip()
        ref = f"{host}/busybox:latest"
        n = [0]

        def fresh() -> str:
            n[0] += 1
            return os.path.join(work, f"out-{n[0]}")

        tools: Dict[str, Callable[[], None]] = {
            "execution.pull_image": lambda: (execution.pull_image(ref, fresh()), None)[1],
        }
        if shutil.which("skopeo"):
            tools["skopeo copy"] = lambda: subprocess.run(
                ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", f"oci:{fresh()}:latest"],
                check=True, stdout=subprocess.DEVNULL)
        if shutil.which("podman"):
            tools["podman pull"] = lambda: subprocess.run(
                ["podman", "--root", fresh(), "--runroot", fresh(), "pull", "-q", "--tls-verify=false", ref],
                check=True, stdout=subprocess.DEVNULL)
        times: Dict[str, List[float]] = {k: [] for k in tools}
        names = list(tools)
        for r in range(a.rounds + 1):
            for i in range(len(names)):
                name = names[(i + r) % len(names)]
                t = time.perf_counter()
                tools[name]()
                if r > 0:  # round 0 warms up
                    times[name].append(time.perf_counter() - t)
        base = statistics.median(times[names[0]])
        for name in names:
            m = statistics.median(times[name])
            print(f"pull busybox ({a.rounds} rounds) {name:22} median {m * 1000:7.1f} ms  "
                  f"p10 {quantile(times[name], 0.1) * 1000:7.1f}  p90 {quantile(times[name], 0.9) * 1000:7.1f}  "
                  f"{m / base:.2f}x pull_image")
    finally:
        assert helper.stdin is not None
        helper.stdin.close()
        helper.wait()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
