"""Issue 23: a workbook never drops what a clerk typed. A number in a grey (computed) cell is compared
with the computed figure (rule W-COMPUTED) — `import` refuses a mismatch, since the YAML file cannot
hold it; a row below the table's “注：” line is read; content where nothing is read (right of a
table, an unknown sheet, 填写说明, a hidden row) is named (rule W-UNREAD). And `import` refuses what
`check` refuses as unusable, at the same sheet!cell.

Workbooks come from `juesuan export` of an example, edited with openpyxl; everything runs through
the real CLI.
"""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from .conftest import EXAMPLES, run_cli

XIAOHE = EXAMPLES / "xiaohe-2022.yaml"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("typed") / "xiaohe.xlsx"
    proc = run_cli("export", str(XIAOHE), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def edited(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def find(ws, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.strip() == text:
                return c.row, c.column
    raise AssertionError(f"{text!r} not in {ws.title}")


def check_json(path: Path) -> tuple[int, list[dict]]:
    proc = run_cli("check", str(path), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def findings_of(path: Path, rule: str) -> list[dict]:
    return [f for f in check_json(path)[1] if f["rule"] == rule]


def imported(path: Path, out: Path) -> tuple[int, str]:
    proc = run_cli("import", str(path), "--out", str(out))
    return proc.returncode, proc.stderr


# ---------------------------------------------------------------- grey (computed) cells

def test_a_figure_typed_into_a_grey_cell_is_compared_with_the_computed_one(exported, tmp_path):
    def edit(wb):
        ws = wb["收入支出决算总表"]
        r, c = find(ws, "四、上级补助收入")        # computed from 02's 上级补助收入 (0 for xiaohe)
        ws.cell(r, c + 2, 12345)
        r, c = find(ws, "一、一般公共服务支出")     # computed from 03
        ws.cell(r, c + 2, 1)
    path = edited(exported, tmp_path / "grey.xlsx", edit)
    found = {f["cell"]: f for f in findings_of(path, "W-COMPUTED")}
    assert set(found) == {"收入支出决算总表!C10", "收入支出决算总表!F7"}
    assert all(f["severity"] == "错误" for f in found.values())
    assert "上级补助收入填写为 12,345.00元" in found["收入支出决算总表!C10"]["message"]
    assert found["收入支出决算总表!F7"]["expected"] == "163522.43"
    # import cannot keep it (the YAML file holds no computed figure): refused at the same cells
    out = tmp_path / "grey.yaml"
    rc, err = imported(path, out)
    assert rc == 2 and not out.exists()
    assert "收入支出决算总表!C10" in err and "收入支出决算总表!F7" in err and "由程序计算" in err


def test_a_grey_cell_holding_the_computed_figure_passes(exported, tmp_path):
    def edit(wb):
        ws = wb["收入支出决算总表"]
        r, c = find(ws, "一、一般公共服务支出")
        ws.cell(r, c + 2, "163,522.43")           # as pasted from the published table
        ws = wb["财政拨款收入支出决算总表"]
        r, c = find(ws, "一、一般公共服务支出")
        ws.cell(r, c + 2, 163522.43)              # 合计 of the class: 05 + 07 + 08
    path = edited(exported, tmp_path / "same.xlsx", edit)
    assert findings_of(path, "W-COMPUTED") == []
    out = tmp_path / "same.yaml"
    rc, err = imported(path, out)
    assert rc == 0, err
    assert out.exists()


def test_a_number_in_a_grey_cell_that_holds_no_figure_is_refused(exported, tmp_path):
    def edit(wb):
        ws = wb["财政拨款收入支出决算总表"]
        r, c = find(ws, "年初财政拨款结转和结余")
        ws.cell(r + 1, c + 6, 7)      # 年末 by kind: only the 合计 column (F) holds a figure, not G
    path = edited(exported, tmp_path / "blank.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "财政拨款收入支出决算总表!G" in proc.stderr and "请清空这一格" in proc.stderr


def test_a_figure_on_an_unknown_row_of_01_is_refused(exported, tmp_path):
    def edit(wb):
        ws = wb["收入支出决算总表"]
        r, c = find(ws, "使用非财政拨款结余")
        ws.cell(r, c, "使用非财政拨款结余X")
        ws.cell(r, c + 2, 5)
    path = edited(exported, tmp_path / "unknown.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "使用非财政拨款结余X" in proc.stderr and "收入支出决算总表!C" in proc.stderr


# ---------------------------------------------------------------- rows below the 注 line

def test_a_row_below_the_note_line_is_read(exported, tmp_path):
    def edit(wb):
        ws = wb["支出决算表"]
        r, _ = find(ws, "2011302")  # a 项 row: moved below a note line
        last = ws.max_row
        ws.cell(last + 1, 1, "注：本表反映单位本年度各项支出情况。")
        for c in range(1, ws.max_column + 1):
            ws.cell(last + 3, c, ws.cell(r, c).value)
            ws.cell(r, c).value = None
        ws.cell(last + 4, 1, "2.本表金额单位为元。")
    path = edited(exported, tmp_path / "note.xlsx", edit)
    rc, findings = check_json(path)
    assert [f for f in findings if f["severity"] == "错误"] == [], findings
    out = tmp_path / "note.yaml"
    rc, err = imported(path, out)
    assert rc == 0, err
    assert "2011302" in out.read_text(encoding="utf-8")


def test_a_figure_below_the_note_line_without_a_code_is_refused(exported, tmp_path):
    def edit(wb):
        ws = wb["支出决算表"]
        last = ws.max_row
        ws.cell(last + 1, 1, "注：本表反映单位本年度各项支出情况。")
        ws.cell(last + 2, 3, 100)
    path = edited(exported, tmp_path / "note-bad.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "缺少科目编码" in proc.stderr and "支出决算表!A" in proc.stderr


# ---------------------------------------------------------------- import refuses what check refuses

def test_import_refuses_what_check_refuses_at_the_same_cell(exported, tmp_path):
    def edit(wb):
        ws = wb["情况说明"]
        r, c = find(ws, "其他事项")
        ws.cell(r, c + 1, "很长的说明。" * 5001)     # 30,006 characters: over a text's limit, under a cell's
    path = edited(exported, tmp_path / "long.xlsx", edit)
    check = run_cli("check", str(path))
    assert check.returncode == 2
    assert "情况说明!B" in check.stderr and "文字过长" in check.stderr
    place = next(line for line in check.stderr.splitlines() if "文字过长" in line).split("：")[1]
    out = tmp_path / "long.yaml"
    rc, err = imported(path, out)
    assert rc == 2 and not out.exists()
    assert place in err and "文字过长" in err
    assert "第" not in err.split("文字过长")[0]          # a cell, not a line of the YAML it would write


# ---------------------------------------------------------------- content where nothing is read

def test_content_where_nothing_is_read_is_named(exported, tmp_path):
    def edit(wb):
        ws = wb["支出决算表"]
        r, _ = find(ws, "2011301")
        ws.cell(r, 10, 500)                       # right of the table (it ends at H)
        ws.cell(r + 1, 11, "已核对")
        ws = wb["财政拨款“三公”经费支出决算表"]
        ws.cell(ws.max_row + 2, 2, 800)            # a second row of figures below the one read
        wb.create_sheet("草稿").cell(3, 2, 1234.5)   # a sheet of the user's own
        wb["填写说明"].cell(5, 5, 99)              # the guide is never read
        wb.create_sheet("备忘").cell(1, 1, "只有文字")
    path = edited(exported, tmp_path / "unread.xlsx", edit)
    found = {f["cell"]: f for f in findings_of(path, "W-UNREAD")}
    sangong = next(c for c in found if c.startswith("财政拨款“三公”经费支出决算表!"))
    assert set(found) == {"支出决算表!J10", "草稿!B3", "填写说明!E5", "备忘!A1", sangong}, found
    assert found["支出决算表!J10"]["severity"] == "警告"
    assert "J10“500.00”" in found["支出决算表!J10"]["message"] and "K11“已核对”" in found["支出决算表!J10"]["message"]
    assert found["备忘!A1"]["severity"] == "提示"
    assert all(found[c]["severity"] == "警告" for c in ("草稿!B3", "填写说明!E5", sangong))
    # import writes the data and says what it did not read, at the same cells
    out = tmp_path / "unread.yaml"
    rc, err = imported(path, out)
    assert rc == 0, err
    assert all(c in err for c in found)


def test_what_hidden_rows_and_columns_hold_is_read_and_said(exported, tmp_path):
    def edit(wb):
        ws = wb["支出决算表"]
        r, _ = find(ws, "2011302")
        ws.row_dimensions[r].hidden = True        # read as before, but nobody sees it
        ws = wb["收入决算表"]
        ws.column_dimensions["D"].hidden = True      # 财政拨款收入
    path = edited(exported, tmp_path / "hidden.xlsx", edit)
    found = {f["cell"]: f for f in findings_of(path, "W-HIDDEN")}
    assert set(found) == {"支出决算表!A11", "收入决算表!D7"}, found
    assert all(f["severity"] == "提示" for f in found.values())
    assert "照常读入" in found["支出决算表!A11"]["message"] and "62,862.13" in found["支出决算表!A11"]["message"]
    assert findings_of(exported, "W-HIDDEN") == []


# ---------------------------------------------------------------- text typed where no 项目 names it

@pytest.mark.parametrize("sheet, label, column, value, place", [
    ("情况说明", "其他事项", 2, "第二段文字写在了下一行。", "情况说明!B"),          # 内容 of a row without 项目
    ("部门决算公开相关信息统计表", "货物", 3, 900, "部门决算公开相关信息统计表!C"),  # a figure on a row without a label
])
def test_content_on_a_row_without_its_label_is_refused(exported, tmp_path, sheet, label, column, value, place):
    def edit(wb):
        ws = wb[sheet]
        r, c = find(ws, label) if sheet != "部门决算公开相关信息统计表" else find_label(ws, label)
        ws.insert_rows(r + 1)
        ws.cell(r + 1, column, value)
    path = edited(exported, tmp_path / "nolabel.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2, proc.stdout
    assert place in proc.stderr and ("项目" in proc.stderr or "没有项目名称" in proc.stderr)
    out = tmp_path / "nolabel.yaml"
    rc, err = imported(path, out)
    assert rc == 2 and not out.exists() and place in err


def find_label(ws, label: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.strip().endswith(label):
                return c.row, c.column
    raise AssertionError(label)


def test_a_figure_on_the_06_totals_row_under_no_total_is_refused(exported, tmp_path):
    def edit(wb):
        ws = wb["一般公共预算财政拨款支出决算明细表"]
        r, _ = find(ws, "人员经费合计")
        merged = next(m for m in ws.merged_cells.ranges if m.min_row == r and m.min_col == 5)
        ws.unmerge_cells(str(merged))              # as pasted: 公用经费合计 in one cell
        ws.cell(r, 7, 10)                          # the second group's amount: under neither total
    path = edited(exported, tmp_path / "total06.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "一般公共预算财政拨款支出决算明细表!G" in proc.stderr and "合计行" in proc.stderr


def test_an_amount_in_the_row_number_column_is_refused_and_a_number_in_the_help_column_said(exported, tmp_path):
    def edit(wb):
        ws = wb["收入支出决算总表"]
        r, c = find(ws, "年初结转和结余")
        ws.cell(r, c + 1, 2500.5)                 # pasted one column off: the figure lands in 行次
        ws = wb["上年数"]
        r, c = find(ws, "机关运行经费")
        ws.cell(r, c + 2, 8800)                   # typed into 说明 instead of 内容
    path = edited(exported, tmp_path / "columns.xlsx", edit)
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "收入支出决算总表!B" in proc.stderr and "不是行次" in proc.stderr
    wb = openpyxl.load_workbook(path)
    wb["收入支出决算总表"].cell(*find(wb["收入支出决算总表"], "年初结转和结余")).offset(0, 1).value = None
    wb.save(path)
    found = findings_of(path, "W-UNREAD")
    assert [(f["cell"], f["severity"]) for f in found] == [(f"上年数!C{find(wb['上年数'], '机关运行经费')[0]}", "警告")]
    assert "8,800.00" in found[0]["message"]


def test_import_refuses_a_missing_previous_year_file_as_check_does(exported, tmp_path):
    def edit(wb):
        ws = wb["单位信息"]
        r, c = find(ws, "上年数据文件")
        ws.cell(r, c + 1, "没有这个文件-2021.yaml")
    path = edited(exported, tmp_path / "previous.xlsx", edit)
    check = run_cli("check", str(path))
    assert check.returncode == 2 and "单位信息!B" in check.stderr
    out = tmp_path / "previous.yaml"
    rc, err = imported(path, out)
    assert rc == 2 and not out.exists()
    assert "单位信息!B" in err


def test_import_refuses_a_yaml_file_that_check_would_refuse(exported, tmp_path):
    """Each text under the 30,000-character limit, the workbook under its own limits: check reads it.
    The YAML file import would write is over the YAML reader's 5 MB: refused now, not written."""
    import random
    rnd = random.Random(23)

    def text() -> str:          # varied characters: a repeated phrase would compress like a zip bomb
        return "".join(chr(0x4E00 + rnd.randrange(3000)) for _ in range(29_000))

    def edit(wb):
        ws = wb["类说明"]
        for r in range(3, 29):
            ws.cell(r, 3, text())
            ws.cell(r, 4, text())
        ws = wb["情况说明"]
        for r in range(3, ws.max_row + 1):
            label = ws.cell(r, 1).value or ""
            if label.endswith(("变动原因", "用途", "说明")) and not label.startswith("预算绩效"):
                ws.cell(r, 2, text())
    path = edited(exported, tmp_path / "words.xlsx", edit)
    check = run_cli("check", str(path))
    assert check.returncode in (0, 1), check.stderr
    out = tmp_path / "words.yaml"
    rc, err = imported(path, out)
    assert rc == 2 and not out.exists()
    assert "words.xlsx" in err and "文件过大" in err and "juesuan check words.xlsx" in err


def test_a_column_that_is_none_of_the_tables_is_said(exported, tmp_path):
    def edit(wb):
        ws = wb["支出决算表"]
        r, c = find(ws, "对附属单位补助支出")
        ws.cell(r, c + 1, "其他资金支出")           # a column the published table of another region has
        r2, _ = find(ws, "2011301")
        ws.cell(r2, c + 1, 100)
    path = edited(exported, tmp_path / "column.xlsx", edit)
    found = findings_of(path, "W-UNREAD")
    assert [(f["cell"], f["severity"]) for f in found] == [("支出决算表!I10", "警告")], found
    assert "“其他资金支出”列" in found[0]["message"]
