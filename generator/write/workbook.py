"""The unit workbook: an empty one to fill (``juesuan template``) and a unit's data written into
one (``juesuan export``). The layout is defined together with the reader
(`generator.load.excel_reader`), which reads back exactly what is written here; docs/excel.md
describes it sheet by sheet.

Table sheets look like the published 公开表 (title, 公开NN表, 部门名称/年度/金额单位, header rows
with the same merged cells, 栏次, 合计 and the 类/款/项 rows) so that a table copied from the 决算
software or from last year's report pastes straight in. Header cells are locked (sheet
protection without a password), input cells unlocked; grey cells are computed by the program and
not read. The workbook carries the same data as the YAML file: only what the file states is
written (a 款 row without figures stays blank; nothing computed is filled in).
"""
from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..layout import Entry, Line
from ..layout import path as data_path
from ..load.workbook_spec import (BOOL, BUDGET_BY_CLASS, BUDGET_COLUMN, CHOICE, CLASS_WORD_COLUMNS, COUNT,
                                  LAST_BY_CLASS, LAST_CLASS_COLUMN, LONGTEXT, MONEY,
                                  SHEET_ATTACH, SHEET_BUDGET, SHEET_FULL_BUDGET, SHEET_MEMBERS, FULL_BUDGET_BY_CLASS,
                                  FULL_BUDGET_COLUMN, MEMBERS, MEMBER_COLUMNS, SHEET_INFO, INFO,
                                  SHEET_SELF_EVAL, SHEET_SELF_FUNDS, SHEET_SELF_INDICATORS, ATTACHMENT_NO, FORM_SHEETS,
                                  PAIRS, SHEET_OVERALL, SHEET_OVERALL_INDICATORS, SHEET_OVERALL_PEOPLE, SHEET_OVERALL_TEXT,
                                  SHEET_CLASS_WORDS, SHEET_GLOSSARY, SHEET_GUIDE, FormSheets, column_path,
                                  SHEET_LAST, SHEET_UNIT, SHEET_WORDS, TEXT, UNIT_FIELDS,
                                  YEAR, Field, info_fields as spec_info_fields, last_fields,
                                  word_fields as spec_word_fields)
from ..errors import InputError, Problem
from ..profile import Profile, TableSpec, available, load_profile
from ..atomic import atomic_path

# ---------------------------------------------------------------- styles

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
GREY_FILL = PatternFill("solid", fgColor="EDEDED")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=16)
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "0"
TEXT_FORMAT = "@"
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=False)
WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")

BLANK_ROWS_TEMPLATE = 60      # input rows below a subject table in an empty template
BLANK_ROWS_EXPORT = 20        # spare input rows below a filled table
# 附件 forms (sheet of the form's fields → empty blocks to fill): (in an empty template, after a
# unit's own forms). A unit often has several 项目支出绩效自评表 and one 部门整体 form; the sheets
# are protected, so the blocks and rows a unit needs must be there already.
SPARE_FORM_BLOCKS = {SHEET_SELF_EVAL: (10, 2), SHEET_OVERALL: (1, 0)}
ROWS_PER_FORM = {"指标": 40}    # input rows one form needs on a list sheet; other lists: 8


def display_width(text: Any) -> float:
    """Column width units a text needs: a CJK character is about two."""
    s = "" if text is None else str(text)
    return sum(2.1 if ord(ch) > 0x2E80 else 1.1 for ch in s)


class SheetWriter:
    """Writes cells with the workbook's conventions and tracks column widths."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.widths: dict[int, float] = {}

    def fit(self, col: int, text: Any, limit: float = 60) -> None:
        lines = str(text or "").split("\n")
        w = min(max((display_width(x) for x in lines), default=0) + 2, limit)
        self.widths[col] = max(self.widths.get(col, 0), w)

    def head(self, row: int, col: int, text: str, colspan: int = 1, rowspan: int = 1, fit: bool = True) -> None:
        ws = self.ws
        cell = ws.cell(row, col, text)
        for r in range(row, row + rowspan):
            for c in range(col, col + colspan):
                x = ws.cell(r, c)
                x.font, x.fill, x.border, x.alignment, x.protection = BOLD, HEAD_FILL, BORDER, CENTER, LOCKED
        if colspan > 1 or rowspan > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
        elif fit:
            self.fit(col, text, 30)
        cell.value = text

    def header(self, top: int, rows: list[list[tuple]]) -> int:
        """HTML-style header rows of (text, colspan, rowspan); returns the next free row."""
        taken: set[tuple[int, int]] = set()
        for i, cells in enumerate(rows):
            c = 1
            for text, cs, rs in cells:
                while (top + i, c) in taken:
                    c += 1
                self.head(top + i, c, text, cs, rs, fit=cs == 1)
                for dr in range(rs):
                    for dc in range(cs):
                        taken.add((top + i + dr, c + dc))
                c += cs
        return top + len(rows)

    def label(self, row: int, col: int, text: Any, bold: bool = False, colspan: int = 1, fit: bool = True) -> None:
        ws = self.ws
        cell = ws.cell(row, col, text)
        for c in range(col, col + colspan):
            x = ws.cell(row, c)
            x.border, x.protection = BORDER, LOCKED
            x.alignment = CENTER if bold else LEFT
            if bold:
                x.font = BOLD
        if colspan > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + colspan - 1)
        elif fit:
            self.fit(col, text)
        cell.value = text

    def input(self, row: int, col: int, value: Any = None, kind: str = MONEY, wrap: bool = False) -> None:
        cell = self.ws.cell(row, col)
        if value is not None:
            if isinstance(value, bool):
                value = "是" if value else "否"
            elif kind == MONEY and not isinstance(value, Decimal):
                value = Decimal(str(value))
            elif isinstance(value, int):
                value = int(value)          # RawInt (a YAML int that remembers its text) → int
            elif isinstance(value, str) and type(value) is not str:
                value = str(value)
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"        # text such as “=100%” (an indicator value), not a formula
        cell.border, cell.protection, cell.fill = BORDER, UNLOCKED, INPUT_FILL
        if kind == MONEY:
            cell.number_format, cell.alignment = MONEY_FORMAT, RIGHT
        elif kind in (COUNT, YEAR):
            cell.number_format, cell.alignment = COUNT_FORMAT, RIGHT
        else:
            cell.number_format = TEXT_FORMAT
            cell.alignment = WRAP if wrap else LEFT
            if not wrap and value is not None:
                self.fit(col, value, 50)

    def grey(self, row: int, col: int, text: Any = None) -> None:
        """A cell the program computes: locked, grey, not read as data (a figure typed into it is
        compared with the computed one: rule W-COMPUTED)."""
        cell = self.ws.cell(row, col, text)
        cell.border, cell.protection, cell.fill = BORDER, LOCKED, GREY_FILL
        cell.alignment = CENTER if text else RIGHT

    def code(self, row: int, col: int, value: str | None, editable: bool = True) -> None:
        cell = self.ws.cell(row, col, value)
        cell.number_format, cell.border, cell.alignment = TEXT_FORMAT, BORDER, LEFT
        cell.protection = UNLOCKED if editable else LOCKED
        self.fit(col, value or "功能分类科目编码", 18)

    def title(self, text: str, width: int, label: str | None = None) -> None:
        ws = self.ws
        ws.cell(1, 1, text).font = TITLE_FONT
        ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
        if width > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.row_dimensions[1].height = 28
        if label:
            ws.cell(2, width, label).alignment = Alignment(horizontal="right")

    def finish(self, freeze: str | None, protect: bool = True, min_width: float = 8) -> None:
        ws = self.ws
        for col, w in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = max(w, min_width)
        if freeze:
            ws.freeze_panes = freeze
        ws.page_setup.orientation = "landscape"          # printed like the published tables: one page wide
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        if protect:
            p = ws.protection
            p.sheet = True
            p.formatColumns = p.formatRows = p.insertRows = p.deleteRows = False
            p.formatCells = False
            p.sort = p.autoFilter = False


# ---------------------------------------------------------------- the meta row

def meta_row(sw: SheetWriter, row: int, width: int, data: dict, name_label: str) -> None:
    """部门名称：… | YYYY年度 | 金额单位：…; formulas on 单位信息 in an empty template."""
    ws = sw.ws
    name_row = 3 + [f.path for f in UNIT_FIELDS].index(("单位名称",))
    year_row = 3 + [f.path for f in UNIT_FIELDS].index(("年度",))
    unit_row = 3 + [f.path for f in UNIT_FIELDS].index(("金额单位",))
    if data.get("单位名称"):
        left, mid, right = (f"{name_label}：{data['单位名称']}", f"{data.get('年度', '')}年度",
                            f"金额单位：{data.get('金额单位', '')}")
    else:
        left = f'="{name_label}："&{SHEET_UNIT}!$B${name_row}'
        mid = f'=IF({SHEET_UNIT}!$B${year_row}="","",{SHEET_UNIT}!$B${year_row}&"年度")'
        right = f'="金额单位："&{SHEET_UNIT}!$B${unit_row}'
    ws.cell(row, 1, left)
    ws.cell(row, max(2, (width + 1) // 2), mid).alignment = Alignment(horizontal="center")
    ws.cell(row, width, right).alignment = Alignment(horizontal="right")


def _code_text(value: Any) -> str | None:
    if value is None:
        return None
    return getattr(value, "raw", None) or str(value)


class Sheet:
    """One table sheet being written from its layout (the same layout compose prints)."""

    def __init__(self, sw: SheetWriter, p: Profile, spec: TableSpec, data: dict):
        self.sw, self.p, self.spec, self.data = sw, p, spec, data
        self.layout = spec.layout
        self.fill = self.layout.filler(p.texts)

    def top(self, width: int) -> None:
        """Title, label and the meta row (rows 1–3)."""
        self.sw.title(self.spec.title, width, self.spec.label or None)
        meta_row(self.sw, 3, width, self.data, self.fill(self.layout.name_label))

    def get(self, address: str | None) -> Any:
        return None if address is None else _get(self.data, data_path(address))

    def value_cell(self, row: int, col: int, address: str | None, kind: str = MONEY) -> None:
        """An input cell holding the data at ``address``, or a grey computed cell."""
        if address is None:
            self.sw.grey(row, col)
        else:
            self.sw.input(row, col, self.get(address), kind=kind)


def write_subject(sh: Sheet) -> None:
    """科目 sheets: header as published, the 合计 row, every stated row, spare input rows."""
    sw, layout = sh.sw, sh.layout
    leaves = layout.leaves()
    amounts = [x for x in leaves if x.take not in ("编码", "名称")]
    keys = [x.input or None if x.take == "合计" else x.take for x in amounts]
    width = len(leaves)
    sh.top(width)
    r = sw.header(4, layout.header_rows(sh.fill))
    first = r
    rows = list(sh.data.get(layout.data) or [])
    total = next((x for x in rows if str(x.get("科目编码")) == "合计"), {})

    def amount_cells(row: int, values: dict) -> None:
        for j, k in enumerate(keys):
            sw.input(row, 3 + j, values.get(k)) if k else sw.grey(row, 3 + j)

    sw.label(r, 1, "合计", bold=True, colspan=2)
    amount_cells(r, total)
    r += 1
    for x in rows:
        if str(x.get("科目编码")) == "合计":
            continue
        sw.code(r, 1, _code_text(x.get("科目编码")))
        sw.input(r, 2, x.get("科目名称"), kind=TEXT)
        amount_cells(r, x)
        r += 1
    for _ in range(BLANK_ROWS_EXPORT if sh.data.get("单位名称") else BLANK_ROWS_TEMPLATE):
        sw.code(r, 1, None)
        sw.input(r, 2, None, kind=TEXT)
        amount_cells(r, {})
        r += 1
    sw.widths[2] = max(sw.widths.get(2, 0), 36)
    for j in range(len(amounts)):
        sw.widths[3 + j] = max(sw.widths.get(3 + j, 0), 16)
    sw.finish(f"C{first}")


def write_pair(sh: Sheet) -> None:
    """对照 sheets (收入 | 支出): the layout's rows; the figures the data may state are white."""
    sw, layout = sh.sw, sh.layout
    sh.top(len(layout.leaves()))
    r = sw.header(4, layout.header_rows(sh.fill))
    first = r
    for row in layout.pair_grid(sh.p.classes, sh.fill, "input"):
        for c, (leaf, entry, held) in enumerate(row, start=1):
            if leaf.take == "标签":
                sw.label(r, c, entry.label, bold=entry.total)
            elif leaf.take == "行次":
                sw.grey(r, c, str(held))
                sw.widths[c] = 6
            else:
                sh.value_cell(r, c, held)
                sw.widths[c] = max(sw.widths.get(c, 0), 18)
        r += 1
    sw.finish(f"A{first}")


def econ_detailed(sh: Sheet) -> bool:
    """A 金额 column besides 基本支出: the layout has one, or the data states 项目支出 (kept on export)."""
    rows = sh.data.get("经济分类支出明细") or []
    return any(x.take == "金额" for x in sh.layout.columns) or any(
        x.get("项目支出") is not None or x.get("金额") is not None for x in rows)


def write_econ(sh: Sheet) -> None:
    """经济分类 sheet: the catalogue's codes in the layout's column groups."""
    sw, p, layout = sh.sw, sh.p, sh.layout
    detailed = econ_detailed(sh)
    cols = list(layout.columns)
    if detailed and not any(x.take == "金额" for x in cols):
        cols = list(layout.econ_detail_columns or cols)
    amount_takes = [x.take for x in cols if x.take not in ("编码", "名称")]
    per = len(cols)
    groups = [list(g) for g in p.econ_columns]
    by_code = {str(_code_text(x.get("科目编码"))): x for x in sh.data.get("经济分类支出明细") or []}
    placed = {c for g in groups for c in g}
    totals = layout.econ_totals
    extra = [c for c in by_code if c not in placed and c not in totals]
    length = max(len(g) for g in groups)
    groups[0] = groups[0] + [""] * (length - len(groups[0])) + extra
    width = per * len(groups)
    sh.top(width)
    tree = replace(layout, columns=tuple(cols)).econ_tree(len(groups))
    r = sw.header(4, layout.header_rows(sh.fill, tree))
    first = r

    def amounts(row: int, col: int, x: dict | None, not_basic: bool) -> None:
        x = x or {}
        basic, project, stated = x.get("基本支出"), x.get("项目支出"), x.get("金额")
        for j, take in enumerate(amount_takes):
            if take == "金额":
                sw.input(row, col + j, stated if stated is not None else (
                    None if basic is None and project is None else (basic or 0) + (project or 0)))
            elif not_basic and basic is None:
                sw.grey(row, col + j, "——")
            else:
                sw.input(row, col + j, basic)

    for i in range(max(len(g) for g in groups)):
        for gi, g in enumerate(groups):
            col = 1 + gi * per
            code = g[i] if i < len(g) else ""
            if code:
                x = by_code.get(code)
                sw.label(r, col, code)
                sw.label(r, col + 1, (x or {}).get("科目名称") or p.econ_names.get(code, ""))
                amounts(r, col + 2, x, code in p.econ_not_basic)
            else:
                sw.label(r, col, "")
                sw.label(r, col + 1, "")
                for j in range(len(amount_takes)):
                    sw.grey(r, col + 2 + j)
        r += 1
    sw.label(r, 1, totals[0], bold=True, colspan=2)
    amounts(r, 3, by_code.get(totals[0]), False)
    last = 1 + (len(groups) - 1) * per
    sw.label(r, 1 + per, totals[1], bold=True, colspan=last + 2 - (1 + per))
    amounts(r, last + 2, by_code.get(totals[1]), False)
    for gi in range(len(groups)):
        col = 1 + gi * per
        sw.widths[col] = 8
        sw.widths[col + 1] = max(sw.widths.get(col + 1, 0), 20)
        for j in range(len(amount_takes)):
            sw.widths[col + 2 + j] = 16
    sw.finish(f"A{first}")


def write_single(sh: Sheet) -> None:
    """单行 sheet (三公): the header tree and one row of input cells."""
    sw, layout = sh.sw, sh.layout
    leaves = layout.leaves()
    sh.top(len(leaves))
    r = sw.header(4, layout.header_rows(sh.fill))
    for c, leaf in enumerate(leaves, start=1):
        sh.value_cell(r, c, leaf.input or None)
        sw.widths[c] = max(sw.widths.get(c, 0), 14)
    sw.finish(f"A{r}")


def write_list_sheet(sh: Sheet) -> None:
    """清单 sheet (相关信息): section lines, column heads and the layout's rows."""
    sw, layout, data = sh.sw, sh.layout, sh.data
    leaves = layout.leaves()
    width = len(leaves)
    sh.top(width)
    r = 4

    def section(text: str) -> None:
        nonlocal r
        sw.label(r, 1, text, colspan=width, fit=False)
        sw.ws.cell(r, 1).font = BOLD
        sw.ws.cell(r, 1).alignment = LEFT
        r += 1

    if layout.above_header:
        section(sh.fill(layout.above_header))
    sw.header(r, [[(sh.fill(x.title), 1, 1) for x in leaves]])
    r += 1
    first = r
    rows = layout.list_rows(sh.p.vehicle_labels, sh.fill)
    # rows that hold a figure only for one 单位性质 (机关运行经费): the unit's row, else the first
    natures = [e.nature for e in rows if isinstance(e, Entry) and e.nature]
    nature = data.get("单位性质") if data.get("单位性质") in natures else next(iter(natures), "")
    for row in rows:
        if isinstance(row, Line):
            if row.kind == "节":
                section(row.texts[0])
            else:
                sw.header(r, [[(t, 1, 1) for t in row.texts]])
                r += 1
            continue
        for c, leaf in enumerate(leaves, start=1):
            if leaf.take == "标签":
                sw.label(r, c, row.label, bold=row.total)
            elif leaf.take == "行次":
                sw.grey(r, c, None if row.number is None else str(row.number))
                sw.widths[c] = 8
            elif row.nature and row.nature != nature:
                sw.input(r, c, None, kind=COUNT if row.count else MONEY)
            else:
                sh.value_cell(r, c, row.input, kind=COUNT if row.count else MONEY)
                sw.widths[c] = 18
        r += 1
    sw.finish(f"A{first}")


SHEET_WRITERS = {"科目": write_subject, "对照": write_pair, "经济分类": write_econ, "单行": write_single,
                 "清单": write_list_sheet}


# ---------------------------------------------------------------- text sheets

def _get(data: dict, path: tuple) -> Any:
    d: Any = data
    for i, p in enumerate(path):
        if isinstance(d, str) and path[i:] == ("说明",):
            return d            # a text where the sheet also offers figures (预算绩效): the text row
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def write_key_values(sw: SheetWriter, title: str, fields: list[Field], prefix: tuple, data: dict,
                     choices: dict[tuple, tuple] | None = None) -> int:
    ws = sw.ws
    sw.title(title, 3)
    sw.header(2, [[("项目", 1, 1), ("内容", 1, 1), ("说明", 1, 1)]])
    r = 3
    for f in fields:
        sw.label(r, 1, f.label(prefix))
        value = _get(data, f.path)
        wrap = f.kind == LONGTEXT
        sw.input(r, 2, value, kind=f.kind if f.kind in (MONEY, COUNT, YEAR) else TEXT, wrap=wrap)
        help_cell = ws.cell(r, 3, f.help + ("（必填）" if f.required else ""))
        help_cell.alignment = WRAP
        help_cell.border = BORDER
        opts = (choices or {}).get(f.path) or f.choices
        if f.kind in (CHOICE, BOOL) and opts:
            dv = DataValidation(type="list", formula1='"' + ",".join(opts) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="请从列表中选择",
                                error=f"应为：{'、'.join(opts)}")
            ws.add_data_validation(dv)
            dv.add(ws.cell(r, 2).coordinate)
        if wrap and isinstance(value, str):
            lines = sum(max(1, math.ceil(display_width(x) / 100)) for x in value.split("\n"))
            ws.row_dimensions[r].height = min(409, 15 * max(lines, 1) + 4)
        r += 1
    sw.widths[1] = max(sw.widths.get(1, 0), 16)
    sw.widths[2] = 60
    sw.widths[3] = 50
    return r


def class_rows(p: Profile, data: dict, codes: Iterable[str]) -> list[tuple[str, str]]:
    """The 26 类 of the profile, then any other code the data names (with its 05/02/03 name)."""
    names = dict(p.classes)
    for table in ("一般公共预算财政拨款支出决算表", "支出决算表", "收入决算表"):
        for x in data.get(table) or []:
            names.setdefault(str(_code_text(x.get("科目编码"))), x.get("科目名称") or "")
    out = list(p.classes)
    for c in codes:
        c = str(_code_text(c))
        if c not in dict(out):
            out.append((c, names.get(c, "")))
    return out


def write_code_table(sw: SheetWriter, top: int, rows: list[tuple[str, str]], columns: list[str],
                     values: dict, kinds: list[str], blank: int = 10) -> int:
    sw.header(top, [[("科目编码", 1, 1), ("科目名称", 1, 1), *((c, 1, 1) for c in columns)]])
    r = top + 1
    for code, name in rows:
        sw.code(r, 1, code)
        sw.input(r, 2, name, kind=TEXT)
        v = values.get(code)
        for j, (col, kind) in enumerate(zip(columns, kinds)):
            cell_value = v if len(columns) == 1 else (v or {}).get(col)
            sw.input(r, 3 + j, cell_value, kind=kind, wrap=kind == LONGTEXT)
        r += 1
    for _ in range(blank):
        sw.code(r, 1, None)
        sw.input(r, 2, None, kind=TEXT)
        for j, kind in enumerate(kinds):
            sw.input(r, 3 + j, None, kind=kind, wrap=kind == LONGTEXT)
        r += 1
    sw.widths[1] = max(sw.widths.get(1, 0), 12)
    sw.widths[2] = max(sw.widths.get(2, 0), 30)
    return r


def write_list(sw: SheetWriter, title: str, columns: list[str], items: list[dict], widths: list[float]) -> None:
    sw.title(title, len(columns) + 1)
    sw.header(2, [[("序号", 1, 1), *((c, 1, 1) for c in columns)]])
    r = 3
    for i, item in enumerate(list(items) + [{}] * 10, start=1):
        sw.grey(r, 1, str(i))
        for j, c in enumerate(columns):
            sw.input(r, 2 + j, item.get(c), kind=TEXT, wrap=True)
        r += 1
    sw.widths[1] = 6
    for j, w in enumerate(widths):
        sw.widths[2 + j] = w
    sw.finish("A3")


# ---------------------------------------------------------------- 填写说明

def guide_rows(p: Profile) -> list[tuple[str, str, str]]:
    rows = [(SHEET_UNIT, "单位名称、年度、报告类型、单位性质、金额单位（所填数字的单位）、公开金额单位（报告印出的单位）、"
                         "模板（版式），职责与机构设置",
             "在“内容”列填写；报告类型、单位性质、金额单位、公开金额单位、模板从下拉列表选择。"
             "长文字按 Alt+Enter 换行，空一行分段。")]
    for spec in p.tables:
        what, how = spec.layout.guide
        rows.append((spec.title, f"{spec.label}：{what}" if spec.label else what, how))
    rows += [
        (SHEET_LAST, "与上年比较所需的上年数：收入总计、支出总计、财政拨款收支总计、一般公共预算财政拨款支出（合计与按类）、"
                     "“三公”经费各项、机关运行经费",
         "“项目”列不要修改；按类的上年数填在下方科目表中。若在“单位信息”中填了上年数据文件，本表不填"),
        (SHEET_BUDGET, "一般公共预算财政拨款支出的年初预算数（按类，也可按款、项）", "用于“完成年初预算的 %”；没有的科目留空"),
        (SHEET_WORDS, "第三部分情况说明中单位自己的文字：各项增减的主要原因、“三公”经费的用途与明细（团组、车辆、接待批次人次）、"
                      "政府采购授予中小企业合同金额、国有资产说明、预算绩效、其他事项",
         "文字原样插入报告；长文字按 Alt+Enter 换行，空一行分段；金额填数字，批次、人次、辆数填整数"),
        (SHEET_CLASS_WORDS, "第三部分五（三）：一般公共预算财政拨款支出每一类的用途和增减原因", "只填本单位有支出的类"),
        (SHEET_GLOSSARY, "第四部分名词解释：在固定名词之后追加的名词", "没有可不填"),
        (SHEET_ATTACH, "第五部分附件清单（绩效自评表等）的名称", "按顺序每行一个"),
        *([(SHEET_INFO, "政府采购（合计、货物、工程、服务）、机关运行经费、车辆数、单价100万元以上设备",
            "本版式不公开相关信息统计表，这些数用于第三部分的说明")] if info_fields(p) else []),
        (SHEET_FULL_BUDGET, "一般公共预算财政拨款支出的全年预算数（调整后；按类、款或项）",
         "可不填；填了，说明中逐项写“全年预算为……，完成全年预算数的 %”（上海五（三））"),
        (SHEET_MEMBERS, "第一部分 二、纳入部门决算编制范围的单位（第一行为本级）", "可不填；多于一个单位时印出单位构成表"),
        *([(SHEET_SELF_EVAL, "第五部分 项目支出绩效自评表：每个附件的项目名称、主管部门、目标、分析文字（附件序号指“附件”表中的序号）",
            "执行率、资金结余、资金得分、总分、等级由程序计算；表上原有的结果可写在“填写／…”行以便核对"),
           (SHEET_SELF_FUNDS, "自评表的资金行：第一行为年度资金总额，其后为其中各项", "金额按自评表原样（万元，可有三位小数）"),
           (SHEET_SELF_INDICATORS, "自评表的绩效指标：一级、二级、三级指标，指标值、实际完成值、分值、得分", "得分是单位的评判，按原样填写")]
          if p.self_eval_layout is not None else []),
        *([(SHEET_OVERALL, "第五部分 部门整体支出绩效自评表：单位负责人、联系电话、填报日期与表头的资金数",
            "调整后预算、年末结余（不填时）、比率与算式、一级二级分值、综合得分、等次由程序计算"),
           (SHEET_OVERALL_TEXT, "整体自评表的“部门整体支出情况”：每段一行（标题、内容）", "文字原样印出"),
           (SHEET_OVERALL_INDICATORS, "整体自评表的评价指标：一级、二级、三级指标、分值、计算分析、得分；"
                                       "比率行写比率名称（templates/catalogs/ratios.yaml），数据写“名称=数；名称=数”",
            "比率的算式与结果由程序按数据印出；表上手写的结果可写在“填写结果／填写计算”以便核对"),
           (SHEET_OVERALL_PEOPLE, "整体自评表的评价人员：姓名、职务、科室", "可不填")]
          if p.overall_layout else []),
    ]
    return rows


GENERAL_RULES = [
    "每张表的第一列、表头和灰色单元格已锁定（工作表保护，没有密码）；白色单元格填写。需要整表粘贴（连同表头）时，"
    "可先在“审阅→撤销工作表保护”后粘贴。",
    "从决算软件或上年公开的决算表复制表格时，只粘贴数据行（合计行及以下），表头、标题行可以保留原样；多余的空行没有关系。",
    "金额按“单位信息”中的金额单位填写，最多两位小数；以文本形式保存的数字、千分位逗号、全角数字都可以读入；"
    "空白、“——”表示没有数（表中保持空白，说明中按 0 计算）。",
    "科目编码是 3 位（类）、5 位（款）或 7 位（项）数字，经济分类是 3 位（款）或 5 位（项）；单元格已设为文本格式。",
    "可以使用公式，但文件必须在 Excel 或 WPS 中保存过（保存时记下公式的计算结果）；没有计算结果的公式会被指出。",
    "导入：juesuan import 本文件.xlsx --out 单位数据.yaml；也可以直接生成：juesuan render 本文件.xlsx。"
    "有问题时会列出“工作表!单元格”和应填写的内容。",
    "不要改工作表的名称（表中标题行写明是哪张表时，改名也能识别）；不认识的工作表不读取（其中有内容时，检查会指出）。",
]


def write_guide(sw: SheetWriter, p: Profile) -> None:
    ws = sw.ws
    sw.title("填写说明", 3)
    r = 2
    ws.cell(r, 1, f"版式：{p.name}（{p.description}）").alignment = WRAP
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
    r += 1
    for text in GENERAL_RULES:
        ws.cell(r, 1, text).alignment = WRAP
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
        ws.row_dimensions[r].height = 32
        r += 1
    r += 1
    sw.header(r, [[("工作表", 1, 1), ("内容", 1, 1), ("怎样填写", 1, 1)]])
    r += 1
    for sheet, what, how in guide_rows(p):
        for c, v in enumerate((sheet, what, how), start=1):
            cell = ws.cell(r, c, v)
            cell.alignment, cell.border = WRAP, BORDER
        ws.row_dimensions[r].height = 15 * max(2, math.ceil(display_width(what) / 60) + 1)
        r += 1
    sw.widths = {1: 34, 2: 70, 3: 60}
    sw.finish(None, protect=False)


# ---------------------------------------------------------------- the workbook

def layout_inputs(p: Profile) -> set[tuple[str, ...]]:
    """The data paths the profile's table sheets already have a cell for."""
    out: set[tuple[str, ...]] = set()
    for spec in p.tables:
        layout = spec.layout
        entries = [e for e in layout.list_rows(p.vehicle_labels, str) if isinstance(e, Entry)] \
            if layout.kind == "清单" else []
        out.update(data_path(e.input) for e in entries if e.input)
    return out


def info_fields(p: Profile) -> list[Field]:
    """相关信息统计 rows no table sheet of the profile holds (a profile without the 相关信息统计表)."""
    held = layout_inputs(p)
    return [f for f in spec_info_fields(p.vehicle_kinds) if f.path not in held]


def word_fields(p: Profile, data: dict) -> list[Field]:
    """The 情况说明 rows: the 自评等级 rows are the profile's grades (绩效等级) and any the data names."""
    grades = set(p.performance_grades) | set(_get(data, ("情况说明", "预算绩效", "自评等级")) or {})
    return [f for f in spec_word_fields(p.sangong) if f.path[2:3] != ("自评等级",) or f.path[3] in grades]


def budget_sheet(wb: Workbook, p: Profile, data: dict, name: str, title: str, path: tuple, column: str) -> None:
    """A sheet of budget figures by 科目 (年初预算, 全年预算): the 26 类 and every code the data names."""
    sw = SheetWriter(wb.create_sheet(name))
    sw.title(title, 3)
    values = _get(data, path) or {}
    write_code_table(sw, 2, class_rows(p, data, values), [column], values, [MONEY])
    sw.widths[3] = 18
    sw.finish("C3")


def _pairs(value: Any) -> str | None:
    """A mapping as one cell: {"在职人员": 8, "编制数": 16} → “在职人员=8；编制数=16”."""
    if not isinstance(value, dict) or not value:
        return None
    return "；".join(f"{k}={v}" for k, v in value.items())


def write_forms(wb: Workbook, data: dict, spec: FormSheets) -> None:
    """The forms of one kind (FORM_SHEETS) on long sheets, by 附件序号: the form's fields, then
    each list of its rows (an empty template shows the field names to fill)."""
    forms = [(i + 1, a[spec.key]) for i, a in enumerate(data.get("附件") or []) if a.get(spec.key)]
    sw = SheetWriter(wb.create_sheet(spec.sheet))
    sw.title(f"{spec.name}（每个附件一段；{spec.computed}）", 4)
    sw.header(2, [[(ATTACHMENT_NO, 1, 1), ("项目", 1, 1), ("内容", 1, 1), ("说明", 1, 1)]])
    r = 3
    blocks = SPARE_FORM_BLOCKS[spec.sheet][1 if forms else 0]
    for n, form in forms + [(None, {})] * blocks:
        for f in spec.fields:
            sw.input(r, 1, n, kind=COUNT)
            sw.label(r, 2, f.label())
            sw.input(r, 3, _get(form, f.path), kind=f.kind if f.kind == MONEY else TEXT, wrap=f.kind == LONGTEXT)
            sw.ws.cell(r, 4, f.help).alignment = WRAP
            r += 1
    sw.widths.update({1: 9, 2: 26, 3: 70, 4: 40})
    sw.finish("C3")
    for name, key, columns in spec.lists:
        sw = SheetWriter(wb.create_sheet(name))
        sw.title(f"{spec.name}的{key}（每行一个，附件序号指“附件”表中的序号）", len(columns) + 1)
        sw.header(2, [[(ATTACHMENT_NO, 1, 1), *((c[0], 1, 1) for c in columns)]])
        r = 3
        spare = max(30 if key == "指标" else 10, ROWS_PER_FORM.get(key, 8) * blocks)
        rows = [(n, x) for n, form in forms for x in form.get(key) or []] + [(None, {})] * spare
        for n, x in rows:
            sw.input(r, 1, n, kind=COUNT)
            for j, column in enumerate(columns, start=2):
                kind, value = column[1], _get(x, column_path(column))
                if kind == PAIRS:
                    value = _pairs(value)
                sw.input(r, j, value, kind=kind if kind == MONEY else TEXT, wrap=kind == LONGTEXT)
            r += 1
        sw.widths[1] = 9
        sw.finish("B3")


def form_kinds(p: Profile) -> list[FormSheets]:
    """The kinds of 附件 form whose sheets a workbook of ``p`` has: those its profile can print."""
    printable = {SHEET_SELF_EVAL: p.self_eval_layout is not None, SHEET_OVERALL: bool(p.overall_layout)}
    return [spec for spec in FORM_SHEETS if printable[spec.sheet]]


def build_workbook(p: Profile, data: dict | None = None) -> Workbook:
    """The workbook for profile ``p``; filled with ``data`` (the plain values of a unit file)."""
    data = dict(data or {})
    if not data.get("模板"):
        data["模板"] = p.name
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    write_guide(SheetWriter(guide), p)
    sw = SheetWriter(wb.create_sheet(SHEET_UNIT))
    write_key_values(sw, "单位信息", UNIT_FIELDS, (), data, {("模板",): tuple(available())})
    sw.finish("B3")
    for spec in p.tables:
        sw = SheetWriter(wb.create_sheet(spec.title[:31]))
        SHEET_WRITERS[spec.layout.kind](Sheet(sw, p, spec, data))
    sw = SheetWriter(wb.create_sheet(SHEET_LAST))
    r = write_key_values(sw, "上年数（与上年比较用）", last_fields(p.sangong), ("上年",), data)
    by_class = _get(data, LAST_BY_CLASS) or {}
    r += 1
    sw.ws.cell(r, 1, "一般公共预算财政拨款支出按类（上年决算数）").font = BOLD
    write_code_table(sw, r + 1, class_rows(p, data, by_class), [LAST_CLASS_COLUMN], by_class, [MONEY])
    sw.widths[3] = 50
    sw.finish("B3")
    budget_sheet(wb, p, data, SHEET_BUDGET, "年初预算（一般公共预算财政拨款支出）", BUDGET_BY_CLASS, BUDGET_COLUMN)
    sw = SheetWriter(wb.create_sheet(SHEET_WORDS))
    write_key_values(sw, "情况说明（单位自己的文字）", word_fields(p, data), ("情况说明",), data)
    sw.widths[2] = 80
    sw.finish("B3")
    sw = SheetWriter(wb.create_sheet(SHEET_CLASS_WORDS))
    sw.title("类说明（第三部分五（三）每一类的用途与增减原因）", 4)
    words = _get(data, ("情况说明", "类说明")) or {}
    write_code_table(sw, 2, class_rows(p, data, words), CLASS_WORD_COLUMNS, words, [LONGTEXT, LONGTEXT])
    sw.widths[3] = sw.widths[4] = 60
    sw.finish("C3")
    write_list(SheetWriter(wb.create_sheet(SHEET_GLOSSARY)), "名词解释补充", ["名词", "解释"],
               _get(data, ("情况说明", "名词解释补充")) or [], [24, 80])
    write_list(SheetWriter(wb.create_sheet(SHEET_ATTACH)), "附件", ["名称"], data.get("附件") or [], [70])
    info = info_fields(p)
    if info:
        sw = SheetWriter(wb.create_sheet(SHEET_INFO))
        write_key_values(sw, "相关信息（政府采购、机关运行经费、车辆与设备；说明中引用）", info, INFO, data)
        sw.finish("B3")
    budget_sheet(wb, p, data, SHEET_FULL_BUDGET, "全年预算（调整后的一般公共预算财政拨款支出预算，可按类、款、项）",
                 FULL_BUDGET_BY_CLASS, FULL_BUDGET_COLUMN)
    write_list(SheetWriter(wb.create_sheet(SHEET_MEMBERS)), "单位构成（纳入部门决算编制范围的单位）", MEMBER_COLUMNS,
               _get(data, MEMBERS) or [], [50, 30])
    for spec in form_kinds(p):
        write_forms(wb, data, spec)
    return wb


def save_workbook(wb: Workbook, out: Path) -> None:
    """Write completely or not at all."""
    with atomic_path(Path(out)) as tmp:
        wb.save(tmp)


def write_template(profile: str, out: Path) -> None:
    """An empty workbook to fill, for ``profile``."""
    save_workbook(build_workbook(load_profile(profile)), out)


def export_unit(path: Path, out: Path) -> None:
    """A unit's data file (YAML, or a workbook to lay out anew) → a filled workbook.
    Raises InputError for a file that does not load; nothing is written then."""
    from ..load.builder import Builder
    from ..load.unit_loader import read_located
    located = read_located(path)
    Builder(located).build()
    data = located.data
    profile = load_profile(data["模板"])
    kept = {spec.key for spec in form_kinds(profile)}
    for i, a in enumerate(data.get("附件") or []):
        lost = [k for k in ("项目自评", "整体自评", "评价报告") if a.get(k) and k not in kept]
        if lost:
            raise InputError([Problem(located.source(("附件", i, lost[0])),
                                       f"工作簿还不能容纳附件{i + 1}的{lost[0]}（模板“{profile.name}”的工作簿没有这部分），"
                                       "导出会丢失它：请继续用 YAML 文件维护这个单位")])
    save_workbook(build_workbook(profile, data), out)
