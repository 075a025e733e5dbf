"""The cost of the cluster path (issue 28): the same N units (batch_speed.generate: variants of the
examples) rendered as DOCX + PDF by ``juesuan batch`` as a user runs it, once on the local process
pool and once with ``--cluster local`` (a Dask LocalCluster on this machine) with the same number
of workers; optionally a third time on a running scheduler (``--address tcp://…``).

For each run it prints what the user waits for — the whole process's wall time and peak resident
memory (``/usr/bin/time -v``: the batch process, and the children it waited for; a cluster's
render processes are not its children) — beside the figures in the batch's own report: units per
minute, the mean seconds a unit takes in its render process, the render processes' peak memory.
Then the overhead of the cluster path as a ratio of wall times (cluster / pool).

Usage: .venv/bin/python benchmarks/cluster_overhead.py [N] [--jobs J] [--address tcp://HOST:8786]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch_speed import generate  # noqa: E402

JUESUAN = ROOT / ".venv" / "bin" / "juesuan"


def timed(args: list[str]) -> dict:
    """Run the CLI under /usr/bin/time -v; its wall time, peak memory and the report's figures."""
    proc = subprocess.run(["/usr/bin/time", "-v", str(JUESUAN), *args], capture_output=True, text=True)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    h, m, s = wall.groups()
    seconds = int(h or 0) * 3600 + int(m) * 60 + float(s)
    out = Path(args[args.index("--out") + 1])
    rows = list(csv.DictReader((out / "batch-report.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    rendered = [r for r in rows if r["状态"] == "已生成"]
    per_unit = [float(r["用时（秒）"]) for r in rendered if r["用时（秒）"]]
    peak = re.search(r"峰值内存不超过 (\d+) MB", (out / "batch-report.html").read_text(encoding="utf-8"))
    return {"code": proc.returncode, "wall": seconds, "rss_mb": int(rss.group(1)) / 1024, "rendered": len(rendered),
            "units": len(rows), "per_unit": sum(per_unit) / max(len(per_unit), 1),
            "render_peak_mb": int(peak.group(1)) if peak else 0,
            "summary": proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else proc.stderr[-300:]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--address", default=None, help="also run on this running scheduler")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="juesuan-cluster-bench-"))
    units = work / "units"
    generate(units, args.n)
    runs = [("local pool", ["--jobs", str(args.jobs)]), ("--cluster local", ["--cluster", "local", "--jobs", str(args.jobs)])]
    if args.address:
        runs.append((f"--cluster {args.address}", ["--cluster", args.address]))
    results = {}
    for name, extra in runs:
        out = work / re.sub(r"\W+", "-", name).strip("-")
        results[name] = r = timed(["batch", str(units), "--out", str(out), "--format", "docx,pdf", *extra])
        print(f"{name:<28} exit {r['code']}  rendered {r['rendered']}/{r['units']}  wall {r['wall']:.1f} s  "
              f"units/min {r['rendered'] / r['wall'] * 60:.1f}  s/unit in its render process {r['per_unit']:.2f}  "
              f"peak RSS: the batch process (and the children it waited for) {r['rss_mb']:.0f} MB, "
              f"each render process ≤ {r['render_peak_mb']} MB", flush=True)
    base = results["local pool"]["wall"]
    for name, r in results.items():
        if name != "local pool":
            print(f"overhead of {name}: {r['wall'] / base:.3f} × the local pool's wall time "
                  f"({r['wall'] - base:+.1f} s for {args.n} units, {(r['wall'] - base) / args.n:+.2f} s per unit)")
    print(f"units and outputs: {work}")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time incl. generating units: {time.perf_counter() - t:.1f} s)")
