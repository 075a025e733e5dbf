"""Batch speed: generate N units (variants of the examples: other names, years and amounts),
render them all as DOCX + PDF with ``juesuan batch``'s runner, and print units per minute,
seconds per unit and the peak memory of each worker process; then run the same batch again
(nothing changed, so nothing is rendered) and print how long that takes.

Targets (this 2-core machine): issue 5, 100 units in ≤ 2 minutes, ≤ 500 MB per worker; issue 11,
≥ 80 units/min with ≤ 170 MB per worker (DOCX + PDF, 2 workers).
Usage: .venv/bin/python benchmarks/batch_speed.py [N] [--jobs J] [--formats docx,pdf]
       [--start-method spawn|forkserver|fork] [--out DIR]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.batch import RENDERED, SKIPPED, run_batch  # noqa: E402

BASES = [ROOT / "data" / "examples" / "xiaohe-2022.yaml", ROOT / "data" / "examples" / "xincailiao-2023.yaml",
         ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml"]
AMOUNT = re.compile(r"(?<=: )(\d+\.\d{2})(?=\s*(?:[,}#]|$))", re.M)


def generate(folder: Path, n: int) -> None:
    """N units: each base in turn, its own name, a year of 2022–2025 and amounts × 1…5 (not in the
    附件, whose scores and texts must agree with the amounts they state)."""
    texts = [b.read_text(encoding="utf-8") for b in BASES]
    for i in range(n):
        text = texts[i % len(texts)]
        text = re.sub(r"^单位名称: .*$", f"单位名称: 基准测试第{i + 1:03d}号单位", text, count=1, flags=re.M)
        text = re.sub(r"^年度: \d+", f"年度: {2022 + i % 4}", text, count=1, flags=re.M)
        factor = 1 + i % 5
        tables, mark, attachments = text.partition("\n附件:")   # 附件 scores and texts stay as written
        text = AMOUNT.sub(lambda m: str(Decimal(m.group(1)) * factor), tables) + mark + attachments
        sub = folder / f"group-{i // 25}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"unit-{i + 1:03d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--formats", default="docx,pdf")
    ap.add_argument("--start-method", default=None, choices=("spawn", "forkserver", "fork"),
                    help="how workers start (default: as juesuan batch chooses)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="juesuan-batch-bench-"))
    units, out = work / "units", args.out or work / "out"
    generate(units, args.n)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())

    first = run_batch(units, out, formats, jobs=args.jobs, progress_stream=None, start_method=args.start_method)
    rendered = first.count(RENDERED)
    per_unit = [r.seconds for r in first.records if r.status == RENDERED and r.seconds is not None]
    second = run_batch(units, out, formats, jobs=args.jobs, progress_stream=None, start_method=args.start_method)

    print(f"units: {args.n} ({'+'.join(f.upper() for f in formats)}), workers: {first.jobs} "
          f"({first.start_method}), rendered: {rendered}, other: {args.n - rendered}")
    print(f"total: {first.seconds:.1f} s   units/min: {rendered / first.seconds * 60:.1f}   "
          f"s/unit (wall): {first.seconds / max(rendered, 1):.2f}   "
          f"s/unit in a worker (mean): {sum(per_unit) / max(len(per_unit), 1):.2f}")
    peaks = sorted(first.worker_peak_mb.values(), reverse=True)
    print("peak memory per worker (ru_maxrss): " + ", ".join(f"{p:.0f} MB" for p in peaks)
          + f"   (worker processes used: {len(peaks)})")
    print(f"second run, nothing changed: {second.seconds:.2f} s, skipped {second.count(SKIPPED)}, "
          f"rendered {second.count(RENDERED)}")
    print(f"outputs and report: {out}")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time incl. generating units: {time.perf_counter() - t:.1f} s)")
