"""`juesuan import 报告.pdf` as a user waits for it (issue 26: under 3 s whole-process for a
25-page report on this 2-core machine): whole-process wall time and peak memory under
``/usr/bin/time -v``, K runs after one not counted, then the steps inside a fresh process
(import of the command, reading the PDF's words through PDFium, finding and reading the tables,
finding the unit's texts by composing the report with markers, reading the figures only the
narrative prints by composing it with probe values, the second reading of both that
published_report makes, writing the YAML text).

Default reports: the two published Putuo PDFs in ../shared/seeds/pdf/ (24 and 30 pages).
Usage: .venv/bin/python benchmarks/pdf_import_speed.py [PDF …] [--repeat K]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cli_speed import environment, juesuan, timed_run

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds" / "pdf"
DEFAULT = [SEEDS / "shanghai-putuo-shehuigongzuo-2024-final-accounts.pdf",
           SEEDS / "shanghai-putuo-guihuaziyuan-2024-final-accounts.pdf"]

STEPS = r"""
import json, sys, time
from pathlib import Path
t = time.perf_counter()
import generator.cli
from generator.published_report import read_report
from generator.write.yaml_writer import dump_unit
seconds = {"import": time.perf_counter() - t}
imported = read_report(Path(sys.argv[1]), seconds=seconds)
t = time.perf_counter()
dump_unit(imported.data, [])
seconds["yaml"] = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "pages": imported.page_count,
                  "figures": imported.figures_read, "narrative": len(imported.from_text)}))
"""


def whole(pdf: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, peak MB) of one `juesuan import` under /usr/bin/time -v."""
    wall, peak, code = timed_run([*juesuan(), "import", str(pdf), "--out", str(out), "--force"], environment(True))
    if code != 0:
        raise SystemExit(f"juesuan import {pdf} 退出码 {code}")
    return wall, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    os.environ.clear()
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        for pdf in args.pdfs:
            out = Path(tmp) / "unit.yaml"
            whole(pdf, out)                                  # not counted: bytecode in place
            runs = [whole(pdf, out) for _ in range(args.repeat)]
            walls = [w for w, _ in runs]
            steps = [json.loads(subprocess.run([sys.executable, "-c", STEPS, str(pdf)], capture_output=True,
                                               text=True, check=True, cwd=ROOT).stdout) for _ in range(args.repeat)]
            pages = steps[0]["pages"]
            print(f"{pdf.name}（{pages} 页，读出有数的格 {steps[0]['figures']} 个，说明中的数 {steps[0]['narrative']} 个）")
            print(f"  juesuan import 整个进程：中位 {statistics.median(walls):.2f} s（最快 {min(walls):.2f}，"
                  f"最慢 {max(walls):.2f}；{args.repeat} 次），内存峰值 {max(r for _, r in runs):.0f} MB")
            for step in steps[0]["seconds"]:
                print(f"  {step:<11} {statistics.median(s['seconds'][step] for s in steps) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
