"""Mutation test (issue 3): change every leaf amount of each example, one at a time, and require
that at least one error names the table that holds it. Prints the share of mutations caught."""
from __future__ import annotations

from decimal import Decimal

import pytest

from generator.load.yaml_reader import read_yaml
from generator.pipeline import load_and_check

from .checkfix import BASES

SECTIONS = {"收入决算表": "02", "支出决算表": "03", "一般公共预算财政拨款支出决算表": "05",
            "政府性基金预算财政拨款收入支出决算表": "07", "国有资本经营预算财政拨款支出决算表": "08",
            "经济分类支出明细": "06"}
TOTAL_KEYS = {"本年收入合计", "本年支出合计", "小计", "合计"}


def leaf_amounts(path):
    """(table key, key path, line) of every lowest-level amount in the file."""
    loc = read_yaml(path)
    d = loc.data
    out = []
    for section, key in SECTIONS.items():
        for i, row in enumerate(d.get(section) or []):
            code = str(getattr(row["科目编码"], "raw", row["科目编码"]))
            leaf = len(code) == 7 if key != "06" else len(code) == 5
            if not leaf:
                continue
            for col, value in row.items():
                if col in ("科目编码", "科目名称") or col in TOTAL_KEYS or value is None:
                    continue
                out.append((key, (section, i, col)))
    for part in ("预算数", "决算数"):
        for item, value in ((d.get("三公经费") or {}).get(part) or {}).items():
            if item not in ("合计", "公务用车购置及运行维护费") and value is not None:
                out.append(("09", ("三公经费", part, item)))
    for item, value in ((d.get("相关信息统计") or {}).get("政府采购") or {}).items():
        if item != "合计" and value is not None:
            out.append(("10", ("相关信息统计", "政府采购", item)))
    return [(key, p, loc.lines[p]) for key, p in out]


def mutate(text: str, line: int, key: str) -> str:
    lines = text.split("\n")
    head, _, rest = lines[line - 1].partition(f"{key}:")
    value, sep, comment = rest.strip().partition("#")
    lines[line - 1] = f"{head}{key}: {Decimal(value.strip()) + Decimal('1.00')}" + (f"  #{comment}" if sep else "")
    return "\n".join(lines)


@pytest.mark.parametrize("base", ["xiaohe", "xincailiao"])
def test_every_leaf_mutation_is_caught_in_its_table(base, tmp_path, capsys):
    src = BASES[base]
    text = src.read_text(encoding="utf-8")
    leaves = leaf_amounts(src)
    assert len(leaves) >= 15
    missed = []
    for key, path, line in leaves:
        target = tmp_path / "mutant.yaml"
        target.write_text(mutate(text, line, path[-1]), encoding="utf-8")
        _, findings, _ = load_and_check(target)
        if not any(f.severity == "错误" and f.table == key for f in findings):
            missed.append((key, path))
    caught = len(leaves) - len(missed)
    with capsys.disabled():
        print(f"\n{base}: {caught}/{len(leaves)} mutations caught ({100 * caught / len(leaves):.1f}%)")
    assert missed == []
