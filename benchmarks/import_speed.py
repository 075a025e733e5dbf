"""Time the import of a seed-sized workbook (issue 4): export each example to .xlsx, then read
it back (safety checks, defusedxml pass, openpyxl read-only, layout recognition) N times.

Target: ≤ 0.3 s per workbook. Prints figures only; asserts nothing.
Usage: .venv/bin/python benchmarks/import_speed.py [N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.load.excel_reader import read_xlsx  # noqa: E402
from generator.errors import InputError  # noqa: E402
from generator.load.unit_loader import load_unit  # noqa: E402
from generator.write.workbook import export_unit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="juesuan-import-"))
    examples = sorted((ROOT / "data" / "examples").glob("*.yaml"))
    print(f"{'workbook':<22}{'size':>9}{'sheets':>8}{'read (median)':>15}{'max':>9}{'load_unit':>11}")
    for example in examples:
        xlsx = tmp / f"{example.stem}.xlsx"
        try:
            export_unit(example, xlsx)
        except InputError as exc:                          # e.g. a 绩效评价报告, which a workbook does not hold
            print(f"{example.stem:<22}not exported: {exc.problems[0].message[:60]}")
            continue
        t = time.perf_counter()
        read_xlsx(xlsx)                                   # first read: imports openpyxl, loads the profiles
        print(f"{example.stem:<22}first read in this process (cold): {time.perf_counter() - t:.3f}s")
        reads, loads = [], []
        for _ in range(args.n):
            t0 = time.perf_counter()
            located = read_xlsx(xlsx)
            t1 = time.perf_counter()
            load_unit(xlsx)
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            loads.append(t2 - t1)
        sheets = len({c.split("!")[0] for c in located.cells.values()})
        print(f"{example.stem:<22}{xlsx.stat().st_size // 1024:>7}KB{sheets:>8}"
              f"{statistics.median(reads):>14.3f}s{max(reads):>8.3f}s{statistics.median(loads):>10.3f}s")
    print("target: import ≤ 0.3 s per workbook (read = workbook → plain data; load_unit adds the schema "
          "check and the typed model)")


if __name__ == "__main__":
    main()
