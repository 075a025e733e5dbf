"""Hostile unit files cost little (issue 22): a YAML “billion laughs”, a YAML of too many values,
a workbook of huge merged ranges, a cell far out, too many cells, an over-long text. Each is
refused by the real CLI with exit 2 and one plain Chinese message naming the file and the place,
before anything is expanded (benchmarks/input_cost.py measures time and memory)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.errors import InputError
from generator.load import xlsx_guard, xlsx_values
from generator.load.yaml_reader import MAX_NODES, read_yaml

from . import bombs
from .conftest import EXAMPLES, run_cli
from .test_bad_input_corpus import EXCEPTIONS, english

FIXTURES = Path(__file__).parent / "fixtures"
LAUGHS = FIXTURES / "billion-laughs.yaml"       # bombs.yaml_laughs(9): 512 bytes, 9**9 values once expanded


def refused(tmp_path: Path, path: Path, command: str = "check", line: int | None = None) -> str:
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "render" else [])
    proc = run_cli(*args, timeout=120)
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    assert not out.exists() or list(out.iterdir()) == []
    assert str(path) in err and err.count("错误：") == 1, err
    assert not EXCEPTIONS.search(err), err
    assert english(re.sub(r"\b[A-Z]{1,3}\d+\b", "", err.replace(str(path), ""))) == [], err     # cells (XFD7) are fine
    if line is not None:
        assert f"第{line}行" in err, err
    return err


def test_the_fixture_is_the_generated_bomb():
    assert LAUGHS.read_text(encoding="utf-8") == bombs.yaml_laughs(9)


@pytest.mark.parametrize("command", ["check", "render"])
def test_yaml_billion_laughs_is_refused_at_its_first_anchor(tmp_path, command):
    err = refused(tmp_path, LAUGHS, command, line=3)
    assert "锚点“&a0”" in err and "不支持锚点" in err, err


def test_yaml_alias_is_refused_where_it_is_used(tmp_path):
    path = tmp_path / "alias.yaml"
    path.write_text("单位名称: 测试单位\n年度: 2023\n简称: \"*测试\"\n全称: *name\n", encoding="utf-8")
    err = refused(tmp_path, path, line=4)
    assert "别名“*name”" in err, err


def test_yaml_of_too_many_values_is_refused_while_parsing(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(bombs.yaml_many_values(MAX_NODES + 1), encoding="utf-8")
    err = refused(tmp_path, path, line=3)
    assert "数据项过多" in err and f"{MAX_NODES:,}" in err, err


@pytest.mark.parametrize("depth", [60, 100_000])
def test_yaml_nested_too_deep_is_refused_plainly(tmp_path, depth):
    """Under libyaml's own limit (1000) the composer and the checks would recurse past Python's."""
    path = tmp_path / "deep.yaml"
    path.write_text("单位名称: 测试单位\n年度: 2023\n列表: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    err = refused(tmp_path, path, line=3)
    assert "嵌套" in err, err


def test_a_template_may_use_aliases_but_their_expansion_is_bounded(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    assert read_yaml(small, "模板", aliases=True).data == {"a": [1, 2], "b": [1, 2]}
    with pytest.raises(InputError) as info:
        read_yaml(LAUGHS, "模板", aliases=True)
    assert "展开后的数据项过多" in info.value.problems[0].message
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &x [1, *x]\n", encoding="utf-8")          # a list inside itself
    with pytest.raises(InputError) as info:
        read_yaml(loop, "模板", aliases=True)
    assert "嵌套超过 50 层" in info.value.problems[0].message


# ---------------------------------------------------------------- workbooks

@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bombs") / "xiaohe.xlsx"
    proc = run_cli("export", str(EXAMPLES / "xiaohe-2022.yaml"), "--out", str(path))
    assert proc.returncode == 0, proc.stderr
    return path


def test_merged_range_bomb_is_refused_naming_the_sheet(workbook, tmp_path):
    path = tmp_path / "merged.xlsx"
    bombs.merged_bomb(workbook, path)           # 2000 ranges of 100 × 100 cells: 106 KB
    assert path.stat().st_size < 200_000
    err = refused(tmp_path, path)
    assert "工作表“收入决算表”合并的单元格超过" in err and "收入决算表!" in err, err


def test_too_many_merged_ranges_is_refused(workbook, tmp_path):
    path = tmp_path / "ranges.xlsx"
    bombs.merged_bomb(workbook, path, ranges=xlsx_guard.MAX_MERGED_RANGES + 1, height=1, width=2)
    err = refused(tmp_path, path)
    assert f"合并区域超过 {xlsx_guard.MAX_MERGED_RANGES:,} 个" in err, err


def test_many_small_merged_ranges_are_read_as_before(workbook, tmp_path):
    """Under the limits a merged range is still found over the cell it covers (looked up by row)."""
    path = tmp_path / "merged-ok.xlsx"
    bombs.merged_bomb(workbook, path, ranges=1000, height=2, width=3)
    proc = run_cli("check", str(path))
    assert proc.returncode == 0, proc.stderr
    sheet = xlsx_values.Sheet("表", [], merged=["B2:D3", "A1:A1", "C3:E4", "A10:ZZ30", "F1"])
    assert sheet.merge_at(1, 1) == ("B2:D3", 1, 1)
    assert sheet.merge_at(2, 2) == ("C3:E4", 2, 2)          # overlapping (never from Excel): the last wins
    assert sheet.merge_at(0, 0) == ("A1:A1", 0, 0)
    assert sheet.merge_at(12, 3) is None                     # over 10,000 cells: a banner, not looked up
    assert sheet.merge_at(0, 5) is None and sheet.merge_at(5, 5) is None


def test_a_cell_far_below_is_refused_naming_it(workbook, tmp_path):
    path = tmp_path / "far.xlsx"
    bombs.far_row(workbook, path)
    err = refused(tmp_path, path)
    assert "表格区域过大" in err and "填写说明!A900000000" in err, err


def test_rows_reaching_column_xfd_are_refused(workbook, tmp_path):
    path = tmp_path / "wide.xlsx"
    bombs.wide_rows(workbook, path)
    err = refused(tmp_path, path)
    assert "表格区域过大" in err and "填写说明!XFD" in err, err


def test_too_many_cells_is_refused(workbook, tmp_path):
    path = tmp_path / "cells.xlsx"
    bombs.many_cells(workbook, path, xlsx_guard.MAX_CELLS)
    err = refused(tmp_path, path)
    assert f"单元格超过 {xlsx_guard.MAX_CELLS:,} 个" in err and "填写说明!" in err, err


def test_a_text_longer_than_excel_allows_is_refused(workbook, tmp_path):
    path = tmp_path / "long.xlsx"
    bombs.long_text(workbook, path, xlsx_guard.MAX_CELL_CHARS + 1)
    err = refused(tmp_path, path)
    assert "填写说明!B2000" in err and "上限" in err, err


@pytest.mark.parametrize("nested", [False, True])
def test_too_many_xml_elements_are_refused_as_they_open(workbook, tmp_path, nested):
    path = tmp_path / "elements.xlsx"
    bombs.many_elements(workbook, path, xlsx_guard.MAX_XML_ELEMENTS, nested=nested)
    err = refused(tmp_path, path)
    assert "工作簿的内容过多" in err and "xl/extra.xml" in err, err


def test_two_sheets_on_one_part_are_refused(workbook, tmp_path):
    path = tmp_path / "twice.xlsx"
    bombs.two_sheets_one_part(workbook, path)
    err = refused(tmp_path, path)
    assert "指向同一个内部文件" in err, err
