"""Table layouts are the one description of each table (issue 9).

* Every layout loads, and every profile's tables name layouts that exist.
* No Python module spells a table's rows or columns: every header title, row label and
  section line of every layout that is not a word of the unit data itself (a data key, an
  enum value, a model constant) or a generic word, appears in no string constant of the
  generator package. A label written into code would make that module a second description
  of the table; this test fails then.
* The header tree gives the merged cells (the same rows for the document and the workbook).
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from generator import model
from generator.layout import Block, Column, Entry, Line, Repeat, available, load_layout
from generator.profile import available as profiles, load_profile

ROOT = Path(__file__).resolve().parents[1]
GENERIC = {"收入", "支出", "项目", "合计", "总计", "小计", "金额", "决算数", "预算数", "科目名称", "栏次", "行次"}


def _layout_words() -> dict[str, str]:
    """Every printed word of every layout → the layout it comes from."""
    out: dict[str, str] = {}

    def col(c: Column, name: str) -> None:
        for w in (c.title, *c.aliases):
            out.setdefault(w, name)
        for ch in c.children:
            col(ch, name)

    def entry(e: Entry, name: str) -> None:
        for w in (e.label, *e.aliases):
            out.setdefault(w, name)

    for name in available():
        layout = load_layout(name)
        for c in (*layout.columns, *layout.econ_detail_columns):
            col(c, name)
        for w in (*layout.econ_group_titles, *layout.econ_totals, layout.above_header):
            out.setdefault(w, name)
        for row in layout.rows:
            if isinstance(row, dict):
                for e in row.values():
                    entry(e, name)
            elif isinstance(row, Block):
                for part in row.sides.values():
                    for e in () if part == "每类" else part:
                        entry(e, name)
            elif isinstance(row, Line):
                for w in row.texts:
                    out.setdefault(w, name)
            elif isinstance(row, Repeat):
                entry(row.pattern, name)
            elif isinstance(row, Entry):
                entry(row, name)
    return {w: n for w, n in out.items() if w and "{" not in w}


def _data_words() -> set[str]:
    """Words of the unit data: schema keys and enum values, model constants."""
    words: set[str] = set()

    def walk(o) -> None:
        if isinstance(o, dict):
            words.update(o.get("properties", {}))
            words.update(x for x in o.get("enum", []) if isinstance(x, str))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads((ROOT / "generator/load/unit.schema.json").read_text(encoding="utf-8")))
    for name in dir(model):
        v = getattr(model, name)
        if isinstance(v, (list, tuple)):
            words.update(x for x in v if isinstance(x, str))
        elif isinstance(v, dict):
            words.update(x for x in (*v.keys(), *v.values()) if isinstance(x, str))
    return words


def _constants(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.add(node.value)
    return out


def test_every_layout_loads_and_every_profile_names_existing_layouts():
    for name in available():
        layout = load_layout(name)
        assert layout.columns or (layout.kind == "自评表" and layout.form["资金列"] and layout.form["指标列"]) or \
            (layout.kind == "评价报告" and layout.form["措辞"] and layout.form["标签"])
        assert layout.kind != "整体自评表" or (layout.columns and layout.form["资金"])
    for name in profiles():
        for spec in load_profile(name).tables:
            assert spec.layout.name in available()


def test_no_module_spells_a_tables_rows_or_columns():
    words = _layout_words()
    printed_only = {w: n for w, n in words.items() if w not in _data_words() and w not in GENERIC}
    assert len(printed_only) >= 15          # the test looks at something: labels such as （一）车辆数合计（辆）
    assert "（一）车辆数合计（辆）" in printed_only and "一、政府采购情况" in printed_only
    spelled = []
    for path in sorted((ROOT / "generator").rglob("*.py")):
        for w in sorted(_constants(path) & set(printed_only)):
            spelled.append(f"{path.relative_to(ROOT)}：“{w}”（表格版式 {printed_only[w]}）")
    assert not spelled, "表格的行或列又在 Python 里写了一遍：\n" + "\n".join(spelled)


def test_the_check_would_catch_a_label_written_into_code(tmp_path):
    words = _layout_words()
    bad = tmp_path / "bad.py"
    bad.write_text('ROWS = ["（一）车辆数合计（辆）", "货物"]\n', encoding="utf-8")
    assert "（一）车辆数合计（辆）" in _constants(bad) & set(words)


@pytest.mark.parametrize("name", ["sangong-by-part", "fiscal"])
def test_header_tree_gives_the_merged_cells(name):
    layout = load_layout(name)
    rows = layout.header_rows(lambda t: t.format_map({**layout.texts, "决算数列名": "金额"}))
    width = len(layout.leaves())
    for row in rows:
        assert sum(cs for _, cs, _ in row) <= width
    assert sum(cs for _, cs, _ in rows[0]) == width
    if name == "sangong-by-part":
        assert rows[0] == [("预算数", 6, 1), ("决算数", 6, 1)]
        assert rows[1][:3] == [("合计", 1, 2), ("因公出国（境）费", 1, 2), ("公务用车购置及运行维护费", 3, 1)]
        assert rows[-1] == [(str(i), 1, 1) for i in range(1, 13)]
    else:
        assert rows[-1] == [("栏次", 1, 1), ("", 1, 1), ("1", 1, 1), ("栏次", 1, 1), ("", 1, 1),
                            ("2", 1, 1), ("3", 1, 1), ("4", 1, 1), ("5", 1, 1)]
