"""`juesuan consolidate` of a large department (issue 27: 300 units in under 10 s on this 2-core
machine): N generated units (tests/consolidation_units.py: the 潇河 example as a 本级 and its
所属单位, one internal flow to eliminate) consolidated by the command, whole-process wall time and
peak memory under ``/usr/bin/time -v`` (K runs after one not counted), then the steps in one process:
reading and checking every unit, adding up, writing the YAML, checking the department's file.

Usage: .venv/bin/python benchmarks/consolidate_speed.py [--units N] [--repeat K]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli_speed import environment, juesuan, timed_run  # noqa: E402
from tests.consolidation_units import make_group  # noqa: E402



def whole(folder: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, peak MB) of one `juesuan consolidate` under /usr/bin/time -v."""
    wall, peak, code = timed_run([*juesuan(), "consolidate", str(folder / "001-本级.yaml"), str(folder), "--name",
                                  "示范区某局", "--out", str(out), "--force"], environment(True))
    if code not in (0, 1):
        raise SystemExit(f"juesuan consolidate 退出码 {code}")
    return wall, peak


def steps(folder: Path, out: Path) -> dict[str, float]:
    from generator.cli_consolidate import read_members, unit_files
    from generator.consolidation import check_members, consolidate
    from generator.pipeline import load_and_check
    from generator.write.yaml_writer import dump_unit
    seconds = {}
    t = time.perf_counter()
    members, _ = read_members(unit_files([folder]))
    seconds["读入并检查各单位"] = time.perf_counter() - t
    t = time.perf_counter()
    check_members(members)
    result = consolidate(members, "示范区某局")
    seconds["汇总"] = time.perf_counter() - t
    t = time.perf_counter()
    out.write_text(dump_unit(result.data, []), encoding="utf-8")
    seconds["写出 YAML"] = time.perf_counter() - t
    t = time.perf_counter()
    load_and_check(out)
    seconds["检查部门数据"] = time.perf_counter() - t
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "units"
        make_group(folder, args.units, Decimal("5000.00"))
        out = Path(tmp) / "部门.yaml"
        whole(folder, out)                                   # not counted: bytecode, file cache
        runs = [whole(folder, out) for _ in range(args.repeat)]
        walls = [w for w, _ in runs]
        print(f"juesuan consolidate，{args.units} 个单位：整个进程 中位 {statistics.median(walls):.2f} s（最快 "
              f"{min(walls):.2f}，最慢 {max(walls):.2f}；{args.repeat} 次），内存峰值 {max(r for _, r in runs):.0f} MB")
        for step, s in steps(folder, out).items():
            print(f"  {step:<10} {s * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
