"""Issue 23's examples that `juesuan check` passed although the report it would print contradicts
itself: each run through the CLI on a changed copy of an example, expecting the relation's rule
(generator/check/rules_relations.py) with its severity, the file's line, and the exit code."""
from __future__ import annotations

import json

import pytest

from .checkfix import BASES, replace, set_key, set_row
from .conftest import run_cli

G05 = "一般公共预算财政拨款支出决算表"


def K(path, value):
    return lambda t: set_key(t, path, value)


def R(code, column, value):
    return lambda t: set_row(t, G05, code, column, value)


def S(old, new):
    return lambda t: replace(t, old, new)


CASES = {
    # (a) a 05 项 changed (with the totals the 决算软件 prints above it): 04 shows a 年末财政拨款结转和结余
    # of 1.00万元 while 01's 年末结转和结余 is blank
    "a-05-carry": ("xincailiao", [R(c, col, "5922.37") for c in ("2060404", "20604", "206") for col in ("项目支出", "小计")]
                   + [R("合计", "项目支出", "5983.23"), R("合计", "小计", "5986.71")],
                   "X-01-04-CARRY", "错误", "一般公共预算财政拨款支出决算表"),
    # (b) last year's 一般公共预算财政拨款支出 changed, its 类 not
    "b-last-year-by-class": ("xiaohe", [K(["上年", "一般公共预算财政拨款支出"], "340824.51")],
                             "X-LY-GP-CLASS", "错误", "上年.一般公共预算财政拨款支出"),
    # (c) last year's 支出总计 1.00 beside its 收入总计
    "c-last-year-totals": ("admin", [K(["上年", "支出总计"], "1.00")], "X-LY-BALANCE", "错误", "上年.支出总计"),
    # (d) 车辆保有量 5 in the 三公 words, 1 car in the 10表
    "d-cars": ("admin", [K(["情况说明", "三公经费", "车辆保有量"], "5"),
                         S("车辆: {车辆数合计: 3, 执法执勤用车: 2, 其他用车: 1}", "车辆: {车辆数合计: 1, 其他用车: 1}")],
               "X-SG-CARS", "错误", "情况说明.三公经费.车辆保有量"),
    # (e) 公务接待 0 批次、0 人次 with 接待费
    "e-reception": ("admin", [S("国内接待: {金额: 10000.00, 批次: 5, 人次: 40", "国内接待: {金额: 10000.00, 批次: 0, 人次: 0")],
                    "X-SG-RECEPTION", "错误", "情况说明.三公经费.国内接待.批次"),
    # (f) 出国团组 3 and 9 人次 with no 因公出国（境）费
    "f-abroad": ("xincailiao", [K(["情况说明", "三公经费", "出国团组数"], "3"), K(["情况说明", "三公经费", "出国人次"], "9")],
                 "X-SG-ABROAD", "错误", "情况说明.三公经费.出国团组数"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_issue_example_fails_the_check(case, tmp_path):
    base, edits, rule_id, severity, path = CASES[case]
    text = BASES[base].read_text(encoding="utf-8")
    for edit in edits:
        text = edit(text)
    target = tmp_path / f"{base}-{case}.yaml"
    target.write_text(text, encoding="utf-8")
    proc = run_cli("check", str(target), "--format", "json")
    assert proc.returncode == (1 if severity == "错误" else 0), proc.stderr
    mine = [f for f in json.loads(proc.stdout) if f["rule"] == rule_id]
    assert mine, proc.stdout
    assert {f["severity"] for f in mine} == {severity}
    assert any(f["path"] == path and f["file"] == str(target) and f["line"] for f in mine), mine
    text_out = run_cli("check", str(target)).stdout
    assert rule_id in text_out and "第" in text_out and "行" in text_out


@pytest.mark.parametrize("value,severity", [("70.28", "提示"), ("70.30", "错误"), (None, "错误")])
def test_last_year_by_class_in_wanyuan_allows_a_rounding_tail(tmp_path, value, severity):
    """万元 figures are rounded: last year's 类 may add to the total ± a 尾差 (提示); more is a 错误, and
    so is a list that leaves out a 类 of last year (新材料's 215, absent this year)."""
    text = BASES["xincailiao"].read_text(encoding="utf-8")
    text = set_key(text, ["上年", "一般公共预算财政拨款支出按类", '"215"'], value)
    target = tmp_path / "xincailiao-by-class.yaml"
    target.write_text(text, encoding="utf-8")
    proc = run_cli("check", str(target), "--format", "json")
    mine = [f for f in json.loads(proc.stdout) if f["rule"] == "X-LY-GP-CLASS"]
    assert [f["severity"] for f in mine] == [severity], proc.stdout
    assert proc.returncode == (1 if severity == "错误" else 0)


def test_workbook_findings_name_the_cell(tmp_path):
    """The same relations in a workbook: the finding names sheet!cell (上年数, 情况说明)."""
    import openpyxl
    book = tmp_path / "admin.xlsx"
    proc = run_cli("export", str(BASES["admin"]), "--out", str(book))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(book)
    labels = {(ws.title, c.value): c for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if isinstance(c.value, str)}
    last_total = labels[("上年数", "支出总计")]
    wb["上年数"].cell(last_total.row, last_total.column + 1).value = 1
    held = labels[("情况说明", "三公经费／车辆保有量")]
    wb["情况说明"].cell(held.row, held.column + 1).value = 5
    wb.save(book)
    proc = run_cli("check", str(book), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    cells = {f["rule"]: f["cell"] for f in json.loads(proc.stdout)}
    col = openpyxl.utils.get_column_letter(last_total.column + 1)
    assert cells["X-LY-BALANCE"] == f"上年数!{col}{last_total.row}"
    assert cells["X-SG-CARS"] == f"情况说明!{openpyxl.utils.get_column_letter(held.column + 1)}{held.row}"
