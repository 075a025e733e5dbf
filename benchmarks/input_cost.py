"""Worst-case input cost (issue 22): `juesuan check` on the largest legitimate unit files and on
each hostile file the readers refuse, every one in its own process under ``/usr/bin/time -v``
(and an address-space limit of 4 GB, so that a bomb the readers did not refuse cannot take the
machine down). Prints per input: size, exit code, wall time, peak RSS and the first line of
the message.

“Largest legitimate” here: a unit with 2,000 项 rows in each subject table (a real unit has a few
dozen; check_speed.py's generated unit) and 200 项目支出绩效自评表 (xiaohe-2022's three, copied),
as YAML and as the workbook `juesuan export` makes of it: about 90,000 YAML values, 86,000 cells.
Also the worst a reader lets through: a YAML just under yaml_reader.MAX_NODES (then refused by the
structure check).
Refused: YAML anchors/aliases (billion laughs, 9 levels), a YAML of more values than
yaml_reader.MAX_NODES, YAML lists nested too deep, a YAML over 5 MB; workbooks of 2,000 merged
ranges of 100 × 100 cells, of more merged ranges than allowed, with a cell in row 900,000,000,
with 5,000 rows reaching column XFD, of more cells than allowed, with a 32,768-character text,
with more sheets than allowed, with two sheets on one part, of more XML elements than allowed
(side by side, and nested: counted as they open), and over 20 MB.
Target: no refused input above 2 s or 200 MB. Prints figures only; asserts nothing.
Usage: .venv/bin/python benchmarks/input_cost.py [--only NAME,NAME] [--keep DIR]
"""
from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from check_speed import generated_unit  # noqa: E402

from generator.load import xlsx_guard  # noqa: E402
from generator.load.yaml_reader import MAX_BYTES, MAX_NODES, read_yaml  # noqa: E402
from generator.write.yaml_writer import dump_unit  # noqa: E402
from tests import bombs  # noqa: E402

TIME = "/usr/bin/time"
JUESUAN = ROOT / ".venv" / "bin" / "juesuan"
LIMIT = 4 * 1024 ** 3


def largest_yaml(path: Path, rows: int = 2000, self_evals: int = 200) -> None:
    data = read_yaml(_write(path, generated_unit(rows))).data
    examples = [a for a in read_yaml(ROOT / "data" / "examples" / "xiaohe-2022.yaml").data["附件"] if "项目自评" in a]
    data["附件"] = []
    for i in range(self_evals):
        item = dict(examples[i % len(examples)], 名称=f"第{i + 1}个项目支出绩效自评表")
        item["项目自评"] = dict(item["项目自评"], 项目名称=f"第{i + 1}个项目")
        data["附件"].append(item)
    path.write_text(dump_unit(data), encoding="utf-8")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def build(folder: Path) -> list[tuple[str, str, Path]]:
    """(name, legitimate or refused, file) of every input."""
    big = folder / "largest.yaml"
    largest_yaml(big)
    book = folder / "largest.xlsx"
    subprocess.run([str(JUESUAN), "export", str(big), "--out", str(book), "--force"], check=True, capture_output=True)
    base = folder / "xiaohe.xlsx"
    subprocess.run([str(JUESUAN), "export", str(ROOT / "data" / "examples" / "xiaohe-2022.yaml"), "--out", str(base), "--force"],
                   check=True, capture_output=True)
    out = [("yaml: largest legitimate (2000 项/table, 200 自评表)", "legit", big),
           ("xlsx: the same, exported", "legit", book),
           ("yaml: xiaohe-2022 (a real unit)", "legit", ROOT / "data" / "examples" / "xiaohe-2022.yaml"),
           ("xlsx: xiaohe-2022 exported", "legit", base),
           ("yaml: billion laughs (9 levels)", "refused", ROOT / "tests" / "fixtures" / "billion-laughs.yaml"),
           (f"yaml: {MAX_NODES + 1:,} values", "refused", _write(folder / "many.yaml", bombs.yaml_many_values(MAX_NODES + 1))),
           (f"yaml: {MAX_NODES - 10:,} values (parsed, refused later)", "refused",
            _write(folder / "many-ok.yaml", bombs.yaml_many_values(MAX_NODES - 10))),
           ("yaml: lists nested 60 deep", "refused",
            _write(folder / "deep.yaml", "单位名称: 测试\n列表: " + "[" * 60 + "]" * 60 + "\n")),
           ("yaml: lists nested 1,000,000 deep", "refused",
            _write(folder / "deeper.yaml", "单位名称: 测试\n列表: " + "[" * 1_000_000 + "]" * 1_000_000 + "\n")),
           ("yaml: over 5 MB", "refused", _write(folder / "huge.yaml", "单位名称: 测试\n说明: |\n" +
                                                  ("  " + "长" * 100 + "\n") * (MAX_BYTES // 300 + 10)))]
    cases = [("xlsx: 2000 merged ranges of 100×100", lambda p: bombs.merged_bomb(base, p)),
             (f"xlsx: {xlsx_guard.MAX_MERGED_RANGES + 1:,} merged ranges of 1×2",
              lambda p: bombs.merged_bomb(base, p, ranges=xlsx_guard.MAX_MERGED_RANGES + 1, height=1, width=2)),
             ("xlsx: a cell in row 900,000,000", lambda p: bombs.far_row(base, p)),
             ("xlsx: 5000 rows reaching column XFD", lambda p: bombs.wide_rows(base, p)),
             (f"xlsx: {xlsx_guard.MAX_CELLS:,} more cells", lambda p: bombs.many_cells(base, p, xlsx_guard.MAX_CELLS)),
             ("xlsx: a text of 32,768 characters",
              lambda p: bombs.long_text(base, p, xlsx_guard.MAX_CELL_CHARS + 1)),
             (f"xlsx: {xlsx_guard.MAX_SHEETS} more sheets", lambda p: bombs.many_sheets(base, p, xlsx_guard.MAX_SHEETS)),
             (f"xlsx: {xlsx_guard.MAX_XML_ELEMENTS:,} more XML elements",
              lambda p: bombs.many_elements(base, p, xlsx_guard.MAX_XML_ELEMENTS)),
             ("xlsx: 2,000,000 XML elements nested",
              lambda p: bombs.many_elements(base, p, 2_000_000, nested=True))]
    for i, (name, make) in enumerate(cases):
        path = folder / f"bomb{i}.xlsx"
        make(path)
        out.append((name, "refused", path))
    twice = folder / "twice.xlsx"
    bombs.two_sheets_one_part(base, twice)
    out.append(("xlsx: two sheets on one part", "refused", twice))
    oversize = folder / "oversize.xlsx"
    with oversize.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(xlsx_guard.MAX_FILE_BYTES + 1)
    out.append(("xlsx: over 20 MB", "refused", oversize))
    return out


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def measure(path: Path) -> tuple[int, float, float, str]:
    """(exit code, wall seconds, peak RSS MB, first line of stderr) of `juesuan check path`."""
    proc = subprocess.run([TIME, "-v", str(JUESUAN), "check", str(path)], capture_output=True, text=True,
                          preexec_fn=_limit, timeout=600)
    err = proc.stderr
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", err)
    seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else float("nan")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    first = next((line for line in err.splitlines() if line.strip() and not line.startswith(("\t", "Command "))), "")
    first = first.replace(str(path), path.name)
    return proc.returncode, seconds, int(rss.group(1)) / 1024 if rss else float("nan"), first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated words; run the inputs whose name has one")
    ap.add_argument("--keep", help="build the inputs in this folder and keep them")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="juesuan-input-cost-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        inputs = build(folder)
        measure(inputs[2][2])                 # once first: bytecode and the compiled-code cache in place
        words = [w for w in args.only.split(",") if w]
        print(f"{'input':52} {'kind':8} {'size':>9} {'exit':>4} {'wall s':>7} {'peak MB':>8}  message")
        worst = (0.0, 0.0)
        for name, kind, path in inputs:
            if words and not any(w in name for w in words):
                continue
            code, seconds, mb, first = measure(path)
            size = path.stat().st_size
            shown = f"{size / 1024 / 1024:.1f} MB" if size > 1024 * 1024 else f"{size / 1024:.0f} KB"
            print(f"{name:52} {kind:8} {shown:>9} {code:>4} {seconds:7.2f} {mb:8.0f}  {first[:110]}")
            if kind == "refused":
                worst = (max(worst[0], seconds), max(worst[1], mb))
        print(f"worst refused input: {worst[0]:.2f} s, {worst[1]:.0f} MB (target: ≤ 2 s and ≤ 200 MB)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
