"""Turn the benchmark drivers' rows into results.json, a table and the plot.

    python3 bench/report.py --rows ROWS.jsonl --json OUT.json
        [--markdown OUT.md] [--plot OUT.png] [--setting KEY=VALUE ...]

ROWS.jsonl holds one row a line as bench/c writes them. A row measured round
by round alongside the row it names in `ratio_vs` (same group, same run)
comes with its ratio: the median, p10 and p90 of the per-round ratios. Any
other row's ratio is its median over the median of its `ratio_vs` row. The table goes to stdout. The plot needs matplotlib; without it
(or without --plot) there is none. The schema is described in bench/README.md.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from typing import Any, Dict, List, Optional

SCHEMA = 1

GROUP_TITLES = {
    "lifecycle": "Lifecycle of one busybox `true` container, runc",
    "first": "One lifecycle in a fresh process: load, Go start, monitor start included, runc",
    "steps": "Steps of those lifecycles, runc",
    "lifecycle-crun": "Lifecycle on crun (private mount namespace with hugetlb mounted)",
    "steps-crun": "Steps of those lifecycles, crun",
    "cpu": "CPU time per lifecycle: the host process, and its children (runtime, container)",
    "cpu-crun": "CPU time per lifecycle on crun",
    "vs-gorunc": "The library's lifecycles against the go-runc peer's, round by round",
    "vs-gorunc-crun": "The same on crun",
    "throughput": "Throughput: lifecycles with P threads at once",
    "calls": "Per-call overhead of trivial calls",
    "fleet": "State, pid, list, stats and ps with containers running",
    "memory": "Resident memory of the host process",
    "scale": "One root at a soft fd limit of 1024: create rate and monitor cost as containers run",
    "exec": "Exec and exit notification",
}


def read_rows(path: str) -> List[Dict[str, Any]]:
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def add_ratios(rows: List[Dict[str, Any]]) -> None:
    """Set the ratio of each row that has a baseline and came without one."""
    by_name = {(r["group"], r["name"]): r for r in rows}
    for r in rows:
        vs = r.get("ratio_vs")
        if vs is not None and (r["group"], vs) not in by_name:
            raise SystemExit(f"row {r['group']}/{r['name']}: no baseline row {vs!r} in its group")
        if "ratio" in r:
            continue
        r["ratio"] = r["ratio_p10"] = r["ratio_p90"] = None
        base = by_name.get((r["group"], vs)) if vs is not None else None
        if base is not None and base["median"] > 0:
            r["ratio"] = float(f"{r['median'] / base['median']:.4g}")


def command_line(argv: List[str]) -> Optional[str]:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.splitlines()[0].strip() if out.returncode == 0 and out.stdout else None


def cgroup_layout() -> str:
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "v2"
    if os.path.isdir("/sys/fs/cgroup/unified"):
        return "hybrid v1/v2"
    return "v1"


def machine() -> Dict[str, Any]:
    """Facts about this machine that the numbers depend on."""
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_mib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_mib = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "kernel": platform.release(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "mem_mib": mem_mib,
        "cgroups": cgroup_layout(),
        "runc": command_line(["runc", "--version"]),
        "crun": command_line(["crun", "--version"]),
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def fmt(v: Optional[float]) -> str:
    if v is None:
        return ""
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_ratio(r: Dict[str, Any], spread: bool = False) -> str:
    if r["ratio"] is None:
        return ""
    text = f"{r['ratio']:.3g}x"
    if spread and r.get("ratio_p10") is not None:
        text += f" ({r['ratio_p10']:.3g}-{r['ratio_p90']:.3g})"
    return text


def groups_in_order(rows: List[Dict[str, Any]]) -> List[str]:
    seen: List[str] = []
    for r in rows:
        if r["group"] not in seen:
            seen.append(r["group"])
    return seen


def table(rows: List[Dict[str, Any]]) -> str:
    """The plain-text table for the terminal."""
    lines = []
    width = max(len(r["name"]) for r in rows) + 2
    for g in groups_in_order(rows):
        lines.append("")
        lines.append(GROUP_TITLES.get(g, g))
        lines.append(f"  {'':{width}} {'median':>10} {'p10':>10} {'p90':>10} {'unit':<12} {'n':>5}"
                     f"  {'ratio (p10-p90)':<22} vs")
        for r in (r for r in rows if r["group"] == g):
            n = str(r["n"]) if r["n"] else "-"
            lines.append(
                f"  {r['name']:{width}} {fmt(r['median']):>10} {fmt(r['p10']) if r['n'] else '':>10} "
                f"{fmt(r['p90']) if r['n'] else '':>10} {r['unit']:<12} {n:>5}  "
                f"{fmt_ratio(r, True):<22} {r['ratio_vs'] or ''}"
            )
            if r.get("note"):
                lines.append(f"  {'':{width}}   ({r['note']})")
    return "\n".join(lines) + "\n"


def markdown(rows: List[Dict[str, Any]]) -> str:
    """The same table as Markdown, one table per group."""
    out = []
    for g in groups_in_order(rows):
        out.append(f"**{GROUP_TITLES.get(g, g)}**\n")
        out.append("| row | median | p10 | p90 | unit | n | ratio (p10-p90) | vs |")
        out.append("| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |")
        for r in (r for r in rows if r["group"] == g):
            name = r["name"] + (f" ({r['note']})" if r.get("note") else "")
            quoted = r["n"] == 0
            out.append(
                f"| {name} | {fmt(r['median'])} | {'' if quoted else fmt(r['p10'])} | "
                f"{'' if quoted else fmt(r['p90'])} | {r['unit']} | {r['n'] or '-'} | "
                f"{fmt_ratio(r, True)} | {r['ratio_vs'] or ''} |"
            )
        out.append("")
    return "\n".join(out)


def color_of(name: str) -> str:
    if name.startswith("lib C"):
        return "#1f77b4"
    if name.startswith("lib Python") or name.startswith("Python"):
        return "#2ca02c"
    if name.startswith("lib Rust") or name.startswith("Rust"):
        return "#d62728"
    if name.startswith("go-runc"):
        return "#ff7f0e"
    if name.startswith("C "):
        return "#1f77b4"
    if name.startswith("crun"):
        return "#9e9e9e"
    return "#555555"


def plot(rows: List[Dict[str, Any]], path: str, subtitle: str) -> bool:
    """Latency per lifecycle by tool, and per-call overhead by language."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Patch
    except ImportError:
        print("report: matplotlib is not installed: no plot", file=sys.stderr)
        return False
    runc_rows = [r for r in rows if r["group"] == "lifecycle"]
    crun_rows = [r for r in rows if r["group"] == "lifecycle-crun" and r["name"] != "runc run"]
    calls = [r for r in rows if r["group"] == "calls"]
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(15, 8), gridspec_kw={"width_ratios": [3, 2]}, constrained_layout=True)

    def bars(ax: Any, data: List[Dict[str, Any]]) -> None:
        data = list(reversed(data))
        y = list(range(len(data)))
        med = [r["median"] for r in data]
        lo = [max(r["median"] - r["p10"], 0) for r in data]
        hi = [max(r["p90"] - r["median"], 0) for r in data]
        ax.barh(y, med, xerr=[lo, hi], color=[color_of(r["name"]) for r in data],
                capsize=3, error_kw={"elinewidth": 1, "ecolor": "black"})
        ax.set_yticks(y)
        ax.set_yticklabels([r["name"] for r in data], fontsize=9)
        for i, r in enumerate(data):
            label = fmt(r["median"])
            if r["ratio"] is not None:
                label += f"  ({fmt_ratio(r)} {r['ratio_vs']})"
            ax.text(max(r["p90"], r["median"]), i, "  " + label, va="center", fontsize=7.5)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)

    life = runc_rows + crun_rows
    if life:
        bars(ax1, life)
        if runc_rows and crun_rows:
            ax1.axhline(len(crun_rows) - 0.5, color="black", linewidth=0.8)
            ax1.text(0.99, len(crun_rows) - 0.4, "runc above, crun below", ha="right",
                     va="bottom", fontsize=8, transform=ax1.get_yaxis_transform())
        ax1.set_xlabel("ms per lifecycle (median, whiskers p10-p90)")
        ax1.set_title("Lifecycle of one busybox `true` container, by tool")
        ax1.set_xlim(0, max(r["p90"] for r in life) * 1.9)
        legend = [("runtime CLI (runc)", "#555555"), ("runtime CLI (crun)", "#9e9e9e"),
                  ("libexecution from C", "#1f77b4"), ("libexecution from Python", "#2ca02c"),
                  ("libexecution from Rust", "#d62728"), ("go-runc in one Go process", "#ff7f0e")]
        ax1.legend(handles=[Patch(color=c, label=t) for t, c in legend], loc="upper right", fontsize=8)
    if calls:
        bars(ax2, calls)
        ax2.set_xscale("log")
        ax2.set_xlabel("ns per call, log scale (median, whiskers p10-p90)")
        ax2.set_title("Per-call overhead by language")
        ax2.set_xlim(min(r["p10"] for r in calls) / 2, max(r["p90"] for r in calls) * 40)
        for x, label in ((100, "C target 100 ns"), (1000, "Python target 1 us")):
            ax2.axvline(x, color="black", linestyle="--", linewidth=0.8)
            ax2.text(x, 1.0, " " + label, rotation=90, va="top", ha="right", fontsize=7.5,
                     transform=ax2.get_xaxis_transform())
    fig.suptitle(f"libexecution `make bench`: {subtitle}", fontsize=11)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"report: wrote {path}", file=sys.stderr)
    return True


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--markdown")
    p.add_argument("--plot")
    p.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()

    rows = read_rows(args.rows)
    if not rows:
        raise SystemExit(f"report: no rows in {args.rows}")
    add_ratios(rows)
    keys = ["name", "group", "unit", "median", "p10", "p90", "n", "ratio_vs", "ratio",
            "ratio_p10", "ratio_p90", "note"]
    rows = [{k: r.get(k) for k in keys} for r in rows]
    facts = machine()
    settings = dict(s.split("=", 1) for s in args.setting)
    result = {"schema": SCHEMA, "machine": facts, "settings": settings, "rows": rows}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    sys.stdout.write(table(rows))
    print(f"\nreport: wrote {args.json}", file=sys.stderr)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows))
    if args.plot:
        plot(rows, args.plot, f"{facts['cpus']} cores, kernel {facts['kernel']}, "
             f"{facts['cgroups']} cgroups, {facts['date']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
