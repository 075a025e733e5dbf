"""What it costs to say what a workbook holds where nothing is read (issue 23, rules W-UNREAD,
W-HIDDEN, W-COMPUTED): `juesuan check` and `juesuan import` of the xiaohe example exported to a
workbook, plain and with large content where nothing is read — a sheet of the user's own of 100,000
cells, 60,000 cells right of a table, 2,000 hidden rows of figures, every grey cell of 01 and 04
filled. Prints wall time and peak memory (GNU time); asserts nothing.

Usage: .venv/bin/python benchmarks/workbook_unread.py
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
JUESUAN = ROOT / ".venv" / "bin" / "juesuan"
TIME = shutil.which("time") or "/usr/bin/time"


def variants(folder: Path) -> list[tuple[str, Path]]:
    base = folder / "xiaohe.xlsx"
    subprocess.run([str(JUESUAN), "export", str(ROOT / "data" / "examples" / "xiaohe-2022.yaml"), "--out", str(base)],
                   check=True, capture_output=True)
    out = [("exported, nothing extra", base)]

    def variant(name: str, edit) -> None:
        wb = openpyxl.load_workbook(base)
        edit(wb)
        path = folder / f"{len(out)}.xlsx"
        wb.save(path)
        out.append((name, path))

    def own_sheet(wb):
        ws = wb.create_sheet("草稿")
        for r in range(1, 10_001):
            for c in range(1, 11):
                ws.cell(r, c, r * c if c % 2 else f"备注{r}")

    def right_of_table(wb):
        ws = wb["支出决算表"]
        for r in range(8, 6_008):
            for c in range(12, 22):
                ws.cell(r, c, r + c)

    def hidden_rows(wb):
        ws = wb["支出决算表"]
        for r in range(40, 2_040):
            ws.cell(r, 1, "2011302")
            ws.row_dimensions[r].hidden = True
        # the same code 2,000 times: refused (重复) — the cost of saying it is what is measured

    def grey_cells(wb):
        for name in ("收入支出决算总表", "财政拨款收入支出决算总表"):
            ws = wb[name]
            for row in ws.iter_rows(min_row=7):
                for cell in row:
                    if cell.fill.fgColor.rgb in ("00EDEDED", "FFEDEDED") and cell.value is None:
                        cell.value = 1

    variant("a sheet of the user's own, 100,000 cells", own_sheet)
    variant("60,000 cells right of 支出决算表", right_of_table)
    variant("2,000 hidden rows in 支出决算表", hidden_rows)
    variant("every grey cell of 01, 04 holding 1 (refused)", grey_cells)   # some hold no figure: refused
    return out


def measure(*args: str) -> tuple[int, float, float]:
    proc = subprocess.run([TIME, "-v", str(JUESUAN), *args], capture_output=True, text=True, timeout=600)
    err = proc.stderr
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else float("nan")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return proc.returncode, seconds, int(rss.group(1)) / 1024 if rss else float("nan")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="juesuan-unread-"))
    try:
        cases = variants(folder)
        measure("check", str(cases[0][1]))          # bytecode and caches in place
        print(f"{'workbook':44} {'size':>8} {'check: exit':>11} {'s':>6} {'MB':>5} {'import: exit':>12} {'s':>6} {'MB':>5}")
        for name, path in cases:
            c = measure("check", str(path))
            i = measure("import", str(path), "--out", str(folder / "out.yaml"), "--force")
            print(f"{name:44} {path.stat().st_size // 1024:>6}KB {c[0]:>11} {c[1]:6.2f} {c[2]:5.0f} "
                  f"{i[0]:>12} {i[1]:6.2f} {i[2]:5.0f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
