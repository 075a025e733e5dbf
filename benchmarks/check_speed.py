"""Time `juesuan check` on a generated unit with N 项 rows per subject table (default 500).

Target (issue 3): checking a 500-row unit ≤ 50 ms. Prints figures only; asserts nothing.
Usage: .venv/bin/python benchmarks/check_speed.py [ROWS] [--repeat K]
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

from generator.check import context_for, run_checks, run_composed_checks  # noqa: E402
from generator.compose.report import compose  # noqa: E402
from generator.derive.printed import publish  # noqa: E402
from generator.derive.totals import derive  # noqa: E402
from generator.load.unit_loader import load_unit  # noqa: E402
from generator.profile import load_profile  # noqa: E402


def generated_unit(rows: int) -> str:
    """A consistent unit: `rows` 项 in 02, 03 and 05, with every 类/款/合计 total stated."""
    names = dict(load_profile("shanxi-2023").classes)
    classes = list(names)[:20]
    leaves = []
    for n in range(rows):
        cls = classes[n % len(classes)]
        kuan = f"{cls}{(n // len(classes)) % 5 + 1:02d}"
        leaves.append((f"{kuan}{n // (len(classes) * 5) + 1:02d}", Decimal(1000 + n) + Decimal("0.25")))
    tree: dict[str, Decimal] = {}
    for code, amount in leaves:
        for key in (code[:3], code[:5], code, "合计"):
            tree[key] = tree.get(key, Decimal(0)) + amount

    def table(name: str, col: str, total_col: str) -> list[str]:
        out = [f"{name}:"]
        for code in ["合计"] + sorted(c for c in tree if c != "合计"):
            out.append(f'  - 科目编码: {"合计" if code == "合计" else chr(34) + code + chr(34)}')
            if code != "合计":
                out.append(f"    科目名称: {names[code] if len(code) == 3 else '科目' + code}")
            out.append(f"    {col}: {tree[code]}")
            out.append(f"    {total_col}: {tree[code]}")
        return out

    basic_total = tree["合计"]
    lines = ["单位名称: 基准测试单位", "年度: 2023", "报告类型: 部门决算", "单位性质: 事业单位",
             "金额单位: 元", "模板: shanxi-2023"]
    lines += table("收入决算表", "财政拨款收入", "本年收入合计")
    lines += table("支出决算表", "基本支出", "本年支出合计")
    lines += table("一般公共预算财政拨款支出决算表", "基本支出", "小计")
    lines += ["经济分类支出明细:", '  - 科目编码: "302"', f"    基本支出: {basic_total}",
              '  - 科目编码: "30201"', f"    基本支出: {basic_total}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp(prefix="juesuan-check-")) / "unit.yaml"
    path.write_text(generated_unit(args.rows), encoding="utf-8")
    load_s, derive_s, check_s, compose_s = [], [], [], []
    findings = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        unit = load_unit(path)
        t1 = time.perf_counter()
        derived = derive(unit, load_profile(unit.profile))
        t2 = time.perf_counter()
        printed = publish(derived)
        ctx = context_for(derived, printed)
        findings = run_checks(ctx)
        t3 = time.perf_counter()
        texts = compose(printed, tables=False).section_texts()   # what `juesuan check` composes for the text rules
        t4 = time.perf_counter()
        findings += run_composed_checks(ctx, texts)
        t5 = time.perf_counter()
        load_s.append(t1 - t0), derive_s.append(t2 - t1), check_s.append(t3 - t2 + t5 - t4)
        compose_s.append(t4 - t3)
    rows = sum(len(v) for v in unit.subject_tables.values())
    med = statistics.median
    print(f"unit: {args.rows} 项 per table, {rows} rows in all subject tables; {len(findings)} findings")
    print(f"load {med(load_s) * 1000:.1f} ms   derive {med(derive_s) * 1000:.1f} ms   "
          f"check (all rules) {med(check_s) * 1000:.1f} ms   compose for the text rules "
          f"{med(compose_s) * 1000:.1f} ms   — median of {args.repeat}")


if __name__ == "__main__":
    main()
