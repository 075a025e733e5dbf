"""Render the example units N times and print seconds per unit for each step, pages and peak memory.

Targets (issue 2, seed-sized report on a 2-core machine): DOCX ≤ 0.25 s, PDF ≤ 2 s.
Usage: .venv/bin/python benchmarks/render_speed.py [N] [--out DIR]
Prints figures only; asserts nothing.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.pipeline import render  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="juesuan-bench-"))
    examples = sorted((ROOT / "data" / "examples").glob("*.yaml"))
    render(examples[0], out, ("docx", "pdf"))            # warm-up: imports, fonts, template caches
    print(f"{'unit':<36}{'load+derive':>12}{'compose':>9}{'layout':>8}{'docx':>8}{'pdf':>8}{'pages':>7}")
    for path in examples:
        runs = [render(path, out, ("docx", "pdf")) for _ in range(args.n)]
        med = lambda k: statistics.median(r.seconds[k] for r in runs)  # noqa: E731
        print(f"{path.stem:<36}{med('load') + med('derive'):>12.4f}{med('compose'):>9.4f}{med('layout'):>8.3f}"
              f"{med('docx'):>8.3f}{med('pdf'):>8.3f}{runs[0].pages:>7}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"median of {args.n} runs per unit, seconds (layout: the pages, once, for the PDF and the DOCX 目录's "
          f"page numbers; pdf: writing them); peak memory {peak:.0f} MB (ru_maxrss of this process)")


if __name__ == "__main__":
    main()
