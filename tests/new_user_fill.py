"""What a new user does with `juesuan template`, done by a script: the blank workbook of a
profile is filled in from the figures of a reference workbook (`juesuan export` of a published
example stands for the 决算 software the user copies from), typing in the 功能分类 tables only the
项 rows — no 合计, 类 or 款 row — some amounts as text with thousands separators and one as a
formula. Used by tests/test_new_user.py."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl

# The 功能分类 tables (sheet names of the profile's workbook): only their 项 rows are typed.
SUBJECT_SHEETS = ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表",
                  "政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表")
ITEM = re.compile(r"^\d{7}$")


def _item_rows(ws) -> tuple[int, list[list]]:
    """(the row after 合计, the values of every 项 row below it) of a reference sheet."""
    total = next(c.row for c in ws["A"] if c.value == "合计")
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=total + 1)
            if isinstance(row[0].value, str) and ITEM.match(row[0].value)]
    return total + 1, rows


def fill(blank: Path, reference: Path, out: Path) -> dict[str, str]:
    """Write ``out``: ``blank`` with what the user types; return {what: cell} of the cells typed
    in an unusual way (text amounts, the formula)."""
    wb, ref = openpyxl.load_workbook(blank), openpyxl.load_workbook(reference)
    assert wb.sheetnames == ref.sheetnames, (wb.sheetnames, ref.sheetnames)
    typed: dict[str, str] = {}
    for ws in wb.worksheets:
        rs = ref[ws.title]
        if ws.title in SUBJECT_SHEETS:
            first, rows = _item_rows(rs)
            for r, values in enumerate(rows, start=first):
                for c, value in enumerate(values, start=1):
                    ws.cell(r, c).value = value
            continue
        for row in rs.iter_rows():
            for cell in row:
                target = ws.cell(cell.row, cell.column)
                if not target.protection.locked and cell.value is not None:
                    target.value = cell.value
    # amounts as a finance user types them: text with thousands separators, and a formula
    for sheet, column_label in (("支出决算表", "本年支出合计"), ("一般公共预算财政拨款支出决算表", "小计")):
        ws = wb[sheet]
        cell = _first_amount_below(ws, column_label)
        cell.value = f"{cell.value:,.2f}"
        typed[f"text {sheet}"] = f"{sheet}!{cell.coordinate}"
    ws = wb["收入决算表"]
    cell = _first_amount_below(ws, "本年收入合计")
    whole, cents = f"{cell.value:.2f}".split(".")
    cell.value = f"={int(whole) - 1000}+1000.{cents}"
    typed["formula 收入决算表"] = f"收入决算表!{cell.coordinate}"
    wb.save(out)
    patch_cached_value(out, wb.sheetnames.index("收入决算表") + 1, cell.coordinate, f"{whole}.{cents}")
    return typed


def _first_amount_below(ws, label: str):
    """The first 项 row's cell in the column headed ``label``."""
    head = next(c for row in ws.iter_rows(max_row=8) for c in row if c.value == label)
    row = next(c.row for c in ws["A"] if isinstance(c.value, str) and ITEM.match(c.value))
    return ws.cell(row, head.column)


def patch_cached_value(path: Path, sheet_index: int, ref: str, value: str) -> None:
    """Give a formula cell the cached value that Excel would have saved (openpyxl writes the
    formula only)."""
    buf = io.BytesIO(path.read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                text = data.decode("utf-8")
                new = re.sub(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>", text)
                assert new != text
                data = new.encode("utf-8")
            zout.writestr(info, data)
    path.write_bytes(out.getvalue())
