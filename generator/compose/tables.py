"""Table builders: Derived → the published tables (公开NN表) as format-neutral `Table`s.

`build_tables(d)` returns the profile's tables in profile order. There is one builder per
semantic table key 01…10 (DOMAIN.md numbering), registered in `TABLE_BUILDERS`; the label,
title, note, orientation and layout variant come from the profile's `TableSpec`, and the
wording that differs between profiles from `profile.texts`. No builder looks at the profile's
name.

Cell conventions: header cells are centred and bold; amount cells are right-aligned and
formatted with `numbers.cell` (a blank amount stays blank, thousands separators as the
profile says); code and name cells are left-aligned; 合计/总计 labels are centred. Spans are
HTML-style: a cell covered by a rowspan/colspan from above or the left is omitted.

A table whose every amount is blank gets `spec.empty_note` ("说明：本表无数据"); it still
prints its header and its 合计 row.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Callable

from ..derive.totals import Derived, EconLine, Row, SubjectTable
from ..model import FISCAL_KINDS, PURCHASE_KINDS, VEHICLE_KINDS
from ..numbers import chinese_number, cell as money_cell
from ..profile import TableSpec
from .document import Cell, Table

NOT_APPLICABLE = "——"          # 06: an item that cannot occur in 基本支出

# Texts that differ between profiles (profile `文字:`), with the default used when a profile
# does not set them.
TEXT_DEFAULTS = {
    "部门名称标签": "部门名称",
    "相关信息表名称标签": "单位名称",
    "使用非财政拨款结余": "使用非财政拨款结余",
    "决算数列名": "决算数",
    "功能分类科目编码列名": "功能分类科目编码",
    "经济分类科目编码列名": "科目编码",
    "财政拨款收入总计": "收入总计",
    "采购金额列名": "采购金额",
}

# 01 left column: the eight income sources (key in Derived.summary).
INCOME_SOURCES = ["一般公共预算财政拨款收入", "政府性基金预算财政拨款收入", "国有资本经营预算财政拨款收入",
                  "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
ROWS_BODY = 26                  # 01 and 04: rows of the source / 类 block


# ---------------------------------------------------------------- cells

def head(text: str, colspan: int = 1, rowspan: int = 1) -> Cell:
    """A header cell: centred, bold."""
    return Cell(text, colspan=colspan, rowspan=rowspan, align="center", bold=True)


def text(value: str, colspan: int = 1) -> Cell:
    """A code or name cell: left-aligned."""
    return Cell(value, colspan=colspan, align="left")


def label_total(value: str, colspan: int = 1) -> Cell:
    """A 合计/总计 label: centred, bold."""
    return Cell(value, colspan=colspan, align="center", bold=True)


def number(n: int | None) -> Cell:
    """A 行次 / 栏次 number, printed as an integer."""
    return Cell("" if n is None else str(n), align="center")


class Amounts:
    """Makes amount cells in the profile's style and remembers whether any is non-blank."""

    def __init__(self, grouping: bool):
        self.grouping = grouping
        self.any = False

    def __call__(self, value: Decimal | None, colspan: int = 1) -> Cell:
        if value is not None:
            self.any = True
        return Cell(money_cell(value, grouping=self.grouping), colspan=colspan, align="right")

    def count(self, value: int | None) -> Cell:
        """A count (车辆数, 设备数): an integer; None or 0 is blank, as the published tables print."""
        if value:
            self.any = True
        return Cell(str(value) if value else "", align="right")


# ---------------------------------------------------------------- the table frame

def _text(d: Derived, key: str) -> str:
    return d.profile.texts.get(key, TEXT_DEFAULTS[key])


def _table(d: Derived, spec: TableSpec, amounts: Amounts, header: list[list[Cell]],
           body: list[list[Cell]], widths: list[float], *, font_size: float = 9.0,
           name_label: str = "部门名称标签") -> Table:
    unit = d.unit
    return Table(
        key=spec.key, label=spec.label, title=spec.title,
        meta_left=f"{_text(d, name_label)}：{unit.name}",
        meta_center=f"{unit.year}年度",
        meta_right=f"金额单位：{d.money_unit}",
        header=header, body=body, widths=widths,
        notes=[spec.note] if spec.note else [],
        empty_note=None if amounts.any else spec.empty_note,
        landscape=spec.landscape, font_size=font_size,
    )


def _subject_header(d: Derived, amount_heads: list[Cell], n_amounts: int) -> list[list[Cell]]:
    """Rows 2 and 3 of a 功能分类 table header: [编码 | 名称 | …] and the 栏次 row.

    ``amount_heads`` are the cells of the second header row after the two label columns
    (those not covered by a rowspan from the first row)."""
    return [
        [head(_text(d, "功能分类科目编码列名")), head("科目名称"), *amount_heads],
        [head("栏次", colspan=2), *(head(str(i)) for i in range(1, n_amounts + 1))],
    ]


def _subject_body(table: SubjectTable, amounts: Amounts,
                  values: Callable[[Row], list[Decimal | None]]) -> list[list[Cell]]:
    """合计 (label spanning code and name), then every 类/款/项 row."""
    body = []
    for row in table.rows:
        lead = [label_total("合计", colspan=2)] if row.level == 0 else [text(row.code), text(row.name)]
        body.append(lead + [amounts(v) for v in values(row)])
    return body


# Relative column widths, in points of the usable line (A4 landscape ≈ 740pt, portrait ≈ 442pt
# with the stylesheet's margins): 7-digit codes and their two-line header fit in 50pt, the
# longest 科目名称 on one line in 170pt; every amount column holds "12,345,678.90".
SUBJECT_WIDTHS = [50.0, 170.0]  # 编码, 名称


# ---------------------------------------------------------------- 01 收入支出决算总表

def build_01(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    s = d.summary
    amount_word = _text(d, "决算数列名")
    header = [
        [head("收入", colspan=3), head("支出", colspan=3)],
        [head("项目"), head("行次"), head(amount_word), head("项目"), head("行次"), head(amount_word)],
        [head("栏次"), head(""), head("1"), head("栏次"), head(""), head("2")],
    ]
    left: list[tuple[str, Decimal | None]] = [
        (f"{chinese_number(i)}、{key}", s.get(key)) for i, key in enumerate(INCOME_SOURCES, start=1)]
    left += [("", None)] * (ROWS_BODY - len(left))
    right = [(f"{chinese_number(i)}、{name}", d.expense_by_class.get(code))
             for i, (code, name) in enumerate(d.profile.classes, start=1)]
    if len(right) != ROWS_BODY:
        raise ValueError(f"支出功能分类应有{ROWS_BODY}个类，模板给出{len(right)}个")
    body = []
    for i in range(ROWS_BODY):
        (ll, lv), (rl, rv) = left[i], right[i]
        body.append([text(ll), number(i + 1), a(lv), text(rl), number(i + 1 + 31), a(rv)])
    tail = [
        (label_total("本年收入合计"), 27, s.get("本年收入合计"), label_total("本年支出合计"), 58, s.get("本年支出合计")),
        (text(_text(d, "使用非财政拨款结余")), 28, s.get("使用非财政拨款结余"), text("结余分配"), 59, s.get("结余分配")),
        (text("年初结转和结余"), 29, s.get("年初结转和结余"), text("年末结转和结余"), 60, s.get("年末结转和结余")),
        (text(""), 30, None, text(""), 61, None),
        (label_total("总计"), 31, s.get("收入总计"), label_total("总计"), 62, s.get("支出总计")),
    ]
    for lc, ln, lv, rc, rn, rv in tail:
        body.append([lc, number(ln), a(lv), rc, number(rn), a(rv)])
    return _table(d, spec, a, header, body, [200.0, 30.0, 140.0, 200.0, 30.0, 140.0], font_size=8.0)


# ---------------------------------------------------------------- 02 收入决算表

def build_02(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    t = d.t02
    columns = ["本年收入合计", *t.columns]
    header = [[head("项目", colspan=2), *(head(c, rowspan=2) for c in columns)],
              *_subject_header(d, [], len(columns))]
    body = _subject_body(t, a, lambda r: [r.total, *(r.values.get(c) for c in t.columns)])
    return _table(d, spec, a, header, body, SUBJECT_WIDTHS + [(740.0 - 220.0) / len(columns)] * len(columns))


# ---------------------------------------------------------------- 03 支出决算表

def build_03(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    t = d.t03
    columns = ["本年支出合计", *t.columns]
    header = [[head("项目", colspan=2), *(head(c, rowspan=2) for c in columns)],
              *_subject_header(d, [], len(columns))]
    body = _subject_body(t, a, lambda r: [r.total, *(r.values.get(c) for c in t.columns)])
    return _table(d, spec, a, header, body, SUBJECT_WIDTHS + [(740.0 - 220.0) / len(columns)] * len(columns))


# ---------------------------------------------------------------- 04 财政拨款收入支出决算总表

def build_04(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    f = d.fiscal
    sums = f["合计"]
    income, opening, closing, spent = (f["本年收入"], f["年初财政拨款结转和结余"],
                                       f["年末财政拨款结转和结余"], f["本年支出"])
    header = [
        [head("收入", colspan=3), head("支出", colspan=6)],
        [head("项目"), head("行次"), head("金额"), head("项目"), head("行次"), head("合计"),
         *(head(k) for k in FISCAL_KINDS)],
        [head("栏次"), head(""), head("1"), head("栏次"), head(""), *(head(str(i)) for i in range(2, 6))],
    ]
    left: list[tuple[str, Decimal | None]] = [
        (f"{chinese_number(i)}、{k}", income.get(k)) for i, k in enumerate(FISCAL_KINDS, start=1)]
    left += [("", None)] * (ROWS_BODY - len(left))
    classes = d.profile.classes
    if len(classes) != ROWS_BODY:
        raise ValueError(f"支出功能分类应有{ROWS_BODY}个类，模板给出{len(classes)}个")

    def right(values: dict[str, Decimal | None]) -> list[Cell]:
        return [a(values.get("合计")), *(a(values.get(k)) for k in FISCAL_KINDS)]

    body = []
    for i, (code, name) in enumerate(classes):
        by_kind = d.fiscal_by_class.get(code, {})
        ll, lv = left[i]
        body.append([text(ll), number(i + 1), a(lv), text(f"{chinese_number(i + 1)}、{name}"), number(i + 33),
                     *right(by_kind)])
    body.append([label_total("本年收入合计"), number(27), a(sums.get("本年收入合计")),
                 label_total("本年支出合计"), number(59),
                 *right({"合计": sums.get("本年支出合计"), **spent})])
    body.append([text("年初财政拨款结转和结余"), number(28), a(sums.get("年初财政拨款结转和结余")),
                 text("年末财政拨款结转和结余"), number(60),
                 *right({"合计": sums.get("年末财政拨款结转和结余"), **closing})])
    for i, k in enumerate(FISCAL_KINDS):
        # left: 年初 by kind; right: 年末 by kind in the 合计 column, label blank as published
        body.append([text(k), number(29 + i), a(opening.get(k)), text(""), number(61 + i),
                     a(closing.get(k)), *(a(None) for _ in FISCAL_KINDS)])
    body.append([label_total(_text(d, "财政拨款收入总计")), number(32), a(sums.get("收入总计")),
                 label_total("总计"), number(64), *right({"合计": sums.get("支出总计"), **f["总计"]})])
    return _table(d, spec, a, header, body, [130.0, 26.0, 70.0, 130.0, 26.0, 90.0, 89.0, 89.0, 89.0],
                  font_size=8.0)


# ---------------------------------------------------------------- 05 一般公共预算财政拨款支出决算表

def build_05(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    t = d.t05
    header = [[head("项目", colspan=2), head("本年支出", colspan=3)],
              *_subject_header(d, [head("小计"), head("基本支出"), head("项目支出")], 3)]
    body = _subject_body(t, a, lambda r: [r.total, r.values.get("基本支出"), r.values.get("项目支出")])
    return _table(d, spec, a, header, body, SUBJECT_WIDTHS + [74.0] * 3)


# ---------------------------------------------------------------- 06 基本支出 / 支出决算明细表

def build_06(d: Derived, spec: TableSpec) -> Table:
    variant = spec.variant or "基本"
    if variant not in ("基本", "明细"):
        raise ValueError(f"表06的样式“{variant}”未定义：应为“基本”或“明细”")
    detailed = variant == "明细"
    p = d.profile
    a = Amounts(p.cell_grouping)
    groups = p.econ_columns
    if not groups:
        raise ValueError("模板的经济分类布局为空")
    personnel_groups = 1          # the first column group is 人员经费, the rest 公用经费
    amount_heads = ["金额", "其中：基本支出"] if detailed else ["决算数"]
    per = 2 + len(amount_heads)
    code_word = _text(d, "经济分类科目编码列名")
    header = [
        [head("人员经费", colspan=per * personnel_groups),
         head("公用经费", colspan=per * (len(groups) - personnel_groups))],
        [c for _ in groups for c in (head(code_word), head("科目名称"), *(head(h) for h in amount_heads))],
    ]

    def amount_cells(code: str) -> list[Cell]:
        line: EconLine | None = d.econ.get(code)
        not_basic = code in p.econ_not_basic
        basic = line.basic if line else None
        if detailed:
            amount = line.amount if line else None
            return [a(amount), Cell(NOT_APPLICABLE, align="center") if not_basic and basic is None else a(basic)]
        return [Cell(NOT_APPLICABLE, align="center") if not_basic and basic is None else a(basic)]

    body = []
    for r in range(max(len(g) for g in groups)):
        row: list[Cell] = []
        for g in groups:
            if r < len(g):
                code = g[r]
                row += [text(code), text(p.econ_names[code]), *amount_cells(code)]
            else:
                row += [text(""), text(""), *(a(None) for _ in amount_heads)]
        body.append(row)

    def sums(line: EconLine) -> list[Cell]:
        return [a(line.amount), a(line.basic)] if detailed else [a(line.basic)]

    body.append([label_total("人员经费合计", colspan=2), *sums(d.personnel),
                 label_total("公用经费合计", colspan=per * (len(groups) - personnel_groups) - len(amount_heads)),
                 *sums(d.public)])
    # four groups in ≈740pt: 5-digit code 33pt, two amounts of 45pt or one of 50pt, the name the rest
    group_widths = [33.0, 62.0, 45.0, 45.0] if detailed else [33.0, 102.0, 50.0]
    return _table(d, spec, a, header, body, group_widths * len(groups), font_size=8.0)


# ---------------------------------------------------------------- 07 政府性基金预算财政拨款收入支出决算表

def build_07(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    t = d.t07
    header = [[head("项目", colspan=2), head("年初结转和结余", rowspan=2), head("本年收入", rowspan=2),
               head("本年支出", colspan=3), head("年末结转和结余", rowspan=2)],
              *_subject_header(d, [head("小计"), head("基本支出"), head("项目支出")], 6)]
    body = _subject_body(t, a, lambda r: [r.values.get("年初结转和结余"), r.values.get("本年收入"), r.total,
                                          r.values.get("基本支出"), r.values.get("项目支出"),
                                          r.values.get("年末结转和结余")])
    return _table(d, spec, a, header, body, SUBJECT_WIDTHS + [(740.0 - 220.0) / 6] * 6)


# ---------------------------------------------------------------- 08 国有资本经营预算财政拨款支出决算表

def build_08(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    t = d.t08
    header = [[head("项目", colspan=2), head("本年支出", colspan=3)],
              *_subject_header(d, [head("合计"), head("基本支出"), head("项目支出")], 3)]
    body = _subject_body(t, a, lambda r: [r.total, r.values.get("基本支出"), r.values.get("项目支出")])
    return _table(d, spec, a, header, body, SUBJECT_WIDTHS + [74.0] * 3)


# ---------------------------------------------------------------- 09 财政拨款“三公”经费支出决算表

SANGONG_COLUMNS = ["合计", "因公出国（境）费", "公务用车购置及运行维护费", "公务用车购置费",
                   "公务用车运行维护费", "公务接待费"]


def build_09(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    parts = ["预算数", "决算数"]
    header = [
        [head(part, colspan=6) for part in parts],
        [c for _ in parts for c in (head("合计", rowspan=2), head("因公出国（境）费", rowspan=2),
                                     head("公务用车购置及运行维护费", colspan=3), head("公务接待费", rowspan=2))],
        [c for _ in parts for c in (head("小计"), head("公务用车购置费"), head("公务用车运行维护费"))],
        [head(str(i)) for i in range(1, 13)],
    ]
    body = [[a(d.sangong.get(part, {}).get(col)) for part in parts for col in SANGONG_COLUMNS]]
    widths = [60.0] * 12
    return _table(d, spec, a, header, body, widths)


# ---------------------------------------------------------------- 10 部门决算公开相关信息统计表

ADMIN_ROWS = [("（一）行政单位", 5, "行政单位"), ("（二）参照公务员法管理事业单位", 6, "参公事业单位")]


def build_10(d: Derived, spec: TableSpec) -> Table:
    a = Amounts(d.profile.cell_grouping)
    unit = d.unit

    def section(title: str) -> list[Cell]:
        return [Cell(title, colspan=3, align="left", bold=True)]

    # The section line comes first, as published; it is part of the header so that the
    # column heads follow it (the header is repeated should the table ever break a page).
    header = [section("一、政府采购情况"),
              [head("项目"), head("行次"), head(_text(d, "采购金额列名"))]]
    body: list[list[Cell]] = [[label_total("合计"), number(1), a(d.purchase.get("合计"))]]
    body += [[text(k), number(i), a(d.purchase.get(k))] for i, k in enumerate(PURCHASE_KINDS, start=2)]
    body.append(section("二、机关运行经费"))
    body.append([head("项目"), head(""), head("统计数")])
    for label, n, nature in ADMIN_ROWS:
        body.append([text(label), number(n), a(d.admin_cost if unit.nature == nature else None)])
    body.append(section("三、国有资产占用情况"))
    body.append([text("（一）车辆数合计（辆）"), number(7), a.count(d.vehicles_total)])
    labels = d.profile.vehicle_labels
    for i, kind in enumerate(VEHICLE_KINDS, start=1):
        body.append([text(f"{i}. {labels.get(kind, kind)}"), number(7 + i), a.count(d.vehicles.get(kind))])
    body.append([text("（二）单价100万元（含）以上设备（不含车辆）"), number(17), a.count(unit.big_equipment)])
    return _table(d, spec, a, header, body, [300.0, 40.0, 100.0], name_label="相关信息表名称标签")


# ---------------------------------------------------------------- all tables

TABLE_BUILDERS: dict[str, Callable[[Derived, TableSpec], Table]] = {
    "01": build_01, "02": build_02, "03": build_03, "04": build_04, "05": build_05,
    "06": build_06, "07": build_07, "08": build_08, "09": build_09, "10": build_10,
}


def build_table(d: Derived, spec: TableSpec) -> Table:
    """One table; its grid is checked (every row fills the columns exactly)."""
    table = TABLE_BUILDERS[spec.key](d, spec)
    for _ in table.placements():
        pass
    return table


def build_tables(d: Derived) -> list[Table]:
    """The profile's tables, in the profile's order, from the printed figures (derive.printed)."""
    if not d.printed:
        raise ValueError("决算表须由公开的（换算、四舍五入后的）数字生成：先调用 derive.printed.publish")
    return [build_table(d, spec) for spec in d.profile.tables]
