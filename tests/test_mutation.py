"""Mutation tests. Issue 3: change every leaf amount of each example, one at a time, and require
that at least one error names the table that holds it. Issue 23: for every relation between printed
facts (the map of docs/checks.md), the mutation of tests/fixtures/relation-mutations.yaml must be
reported by its rule as a 错误 or 警告 (benchmarks/mutation_score.py prints the score); and the
examples raise no 错误/警告 beyond those recorded in tests/fixtures/example-findings.json."""
from __future__ import annotations

from decimal import Decimal

import json

import pytest

from generator.load.yaml_reader import read_yaml
from generator.pipeline import load_and_check

from .checkfix import BASES, ROOT, findings_of, load_mutations, run_mutation

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


RELATION_MUTATIONS = load_mutations()


@pytest.mark.parametrize("mutation", RELATION_MUTATIONS, ids=[f"{i:02d}-{m['规则']}" for i, m in enumerate(RELATION_MUTATIONS, 1)])
def test_every_relation_mutation_is_caught_by_its_rule(mutation, tmp_path):
    base = {f.rule for f in findings_of(BASES[mutation["示例"]]) if f.severity in ("错误", "警告")}
    assert mutation["规则"] not in base, "the unmutated example must not raise the rule already"
    caught, found = run_mutation(mutation, tmp_path)
    assert caught, [(f.rule, f.severity, f.message) for f in found]


def test_relation_mutations_cover_every_relation_rule():
    """Each rule of the relation map's new module has at least one mutation."""
    from generator.check import RULES
    from generator.check import rules_relations
    ours = {r.id for r in RULES if r.fn.__module__ == rules_relations.__name__}
    assert ours and ours <= {m["规则"] for m in RELATION_MUTATIONS}


EXAMPLE_FINDINGS = json.loads((ROOT / "tests" / "fixtures" / "example-findings.json").read_text(encoding="utf-8"))["示例"]


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "data" / "examples").glob("*.yaml")))
def test_examples_raise_nothing_beyond_their_recorded_findings(example):
    """No false alarms: every 错误/警告 of an example is one recorded before the relation rules."""
    found = {(f.severity, f.rule, f.source.path) for f in findings_of(ROOT / "data" / "examples" / example)
             if f.severity in ("错误", "警告")}
    recorded = {tuple(x) for x in EXAMPLE_FINDINGS[example]}
    assert found - recorded == set()
