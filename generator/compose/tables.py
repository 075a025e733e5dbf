"""Tables: Derived + a table layout (templates/layouts/) → the published table as a `Table`.

`build_tables(d)` returns the profile's tables in profile order. Each table's shape — header
tree, fixed rows, 行次, 栏次 row, 合计 position — is its layout's data (generator/layout.py);
this module only interprets the layout kinds and looks figures up by address
(`figure_map`). The label, title, note and orientation come from the profile's `TableSpec`,
the label words from the layout's and the profile's ``文字``. No code here names a table.

Cell conventions: header cells are centred and bold; amount cells are right-aligned and
formatted with `numbers.cell` (a blank amount stays blank unless the layout prints blanks as
0.00, thousands separators as the profile says); code and name cells are left-aligned;
合计/总计 labels are centred. Spans are HTML-style: a cell covered by a rowspan/colspan from
above or the left is omitted.

A table whose every amount is blank gets `spec.empty_note` ("说明：本表无数据"); it still
prints its header and its 合计 row.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..derive.figures import figure_map
from ..derive.totals import Derived, EconLine, SubjectTable
from ..layout import Column, Line
from ..numbers import ZERO
from ..numbers import cell as money_cell
from ..profile import TableSpec
from .document import Cell, Table
from .fit import fit_amounts

NOT_APPLICABLE = "——"          # 06: an item that cannot occur in 基本支出
PAGE_WIDTH = {True: 740.0, False: 442.0}   # usable line in points: A4 landscape, portrait


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


def section(title: str, width: int) -> list[Cell]:
    """A full-width section line (清单: “二、机关运行经费”)."""
    return [Cell(title, colspan=width, align="left", bold=True)]


class Amounts:
    """Makes amount cells in the profile's style and remembers whether any is non-blank."""

    def __init__(self, grouping: bool, zero_blank: bool = False):
        self.grouping = grouping
        self.zero_blank = zero_blank
        self.any = False

    def __call__(self, value: Decimal | None, colspan: int = 1) -> Cell:
        if value is not None:
            self.any = True
        elif self.zero_blank:
            value = ZERO
        return Cell(money_cell(value, grouping=self.grouping), colspan=colspan, align="right")

    def count(self, value: int | None) -> Cell:
        """A count (车辆数, 设备数): an integer; None or 0 is blank, as the published tables print."""
        if value:
            self.any = True
        return Cell(str(value) if value else "", align="right")




class Frame:
    """One table being built: its layout, its words, its figures and its amount maker."""

    def __init__(self, d: Derived, spec: TableSpec, figures: dict[str, Any]):
        self.d, self.spec, self.layout = d, spec, spec.layout
        self.words = self.layout.words(d.profile.texts)
        self.fill = self.layout.filler(d.profile.texts)
        self.figures = figures
        self.a = Amounts(d.profile.cell_grouping, self.layout.zero_blank)

    def figure(self, address: str | None) -> Any:
        if address is None:
            return None
        if address not in self.figures:
            raise ValueError(f"表格版式“{self.layout.name}”：数字地址“{address}”未定义（见 docs/layouts.md）")
        return self.figures[address]

    def header(self, columns: list[Column] | None = None) -> list[list[Cell]]:
        """Header rows from the layout's column tree (and its 栏次 row)."""
        return [[head(t, colspan=cs, rowspan=rs) for t, cs, rs in row]
                for row in self.layout.header_rows(self.fill, columns)]

    def widths(self, leaves: list[Column]) -> list[float]:
        fixed = [leaf.width if leaf.width is not None else self.layout.default_width for leaf in leaves]
        free = [w for w in fixed if w is None]
        rest = (PAGE_WIDTH[self.spec.landscape] - sum(w for w in fixed if w is not None)) / len(free) if free else 0.0
        return [rest if w is None else w for w in fixed]

    def table(self, header: list[list[Cell]], body: list[list[Cell]], widths: list[float]) -> Table:
        unit, spec, words = self.d.unit, self.spec, self.words
        values = {**words, "名称标签": self.fill(self.layout.name_label), "单位名称": unit.name,
                  "年度": unit.year, "金额单位": self.d.money_unit}
        return fit_amounts(Table(
            key=spec.key, label=spec.label, title=spec.title,
            meta_left=words["表左上"].format_map(values),
            meta_center=words["表中上"].format_map(values),
            meta_right=(spec.meta_right or words["表右上"]).format_map(values),
            header=header, body=body, widths=widths,
            notes=[spec.note] if spec.note else [],
            empty_note=None if self.a.any else spec.empty_note.format_map(values),
            landscape=spec.landscape, font_size=self.layout.font_size, line_height=self.layout.line_height,
        ))


# ---------------------------------------------------------------- 科目: rows of 功能分类 科目

def _subject_table(d: Derived, name: str) -> SubjectTable:
    for t in (d.income_table, d.expense_table, d.gp_expense_table, d.fund_table, d.soe_table):
        if t.name == name:
            return t
    raise ValueError(f"没有名为“{name}”的数据表")


def build_subject(fr: Frame) -> Table:
    layout, a = fr.layout, fr.a
    t = _subject_table(fr.d, layout.data)
    leaves = layout.leaves()
    leads = [leaf for leaf in leaves if leaf.take in ("编码", "名称")]
    for leaf in leaves:
        if leaf.take not in ("编码", "名称", "合计", *t.columns):
            raise ValueError(f"表格版式“{layout.name}”：“{leaf.take}”不是“{t.name}”的一列")
    rows = list(t.rows)
    if layout.total_row == "尾":
        rows = rows[1:] + rows[:1]
    body = []
    for row in rows:
        cells: list[Cell] = [label_total("合计", colspan=len(leads))] if row.level == 0 else []
        for leaf in leaves:
            if leaf.take == "编码":
                cells += [] if row.level == 0 else [text(row.code)]
            elif leaf.take == "名称":
                cells += [] if row.level == 0 else [text(row.name)]
            else:
                cells.append(a(row.total if leaf.take == "合计" else row.values.get(leaf.take)))
        body.append(cells)
    return fr.table(fr.header(), body, fr.widths(leaves))


# ---------------------------------------------------------------- 对照: two sides of fixed rows

def pair_classes(d: Derived) -> list[tuple[str, str]]:
    """The 类 rows of 01 and 04: the profile's 固定行类, and any other 类 the unit has an amount
    in (so that the rows still add up to the total), in the catalogue's order."""
    fixed = {c for c, _ in d.profile.fixed_classes}
    return [(c, name) for c, name in d.profile.classes
            if c in fixed or d.expense_by_class.get(c) or any((d.fiscal_by_class.get(c) or {}).values())]


def build_pair(fr: Frame) -> Table:
    body = []
    for row in fr.layout.pair_grid(pair_classes(fr.d), fr.fill):
        cells: list[Cell] = []
        for leaf, entry, held in row:
            if leaf.take == "标签":
                cells.append(label_total(entry.label) if entry.total else text(entry.label))
            elif leaf.take == "行次":
                cells.append(number(held))
            else:
                cells.append(fr.a(fr.figure(held)))
        body.append(cells)
    return fr.table(fr.header(), body, fr.widths(fr.layout.leaves()))


# ---------------------------------------------------------------- 经济分类: 06 in column groups

def build_econ(fr: Frame) -> Table:
    d, layout, a = fr.d, fr.layout, fr.a
    p = d.profile
    groups = layout.econ_groups(p.econ_catalogue)
    cols = list(layout.columns)
    amounts = [c for c in cols if c.take not in ("编码", "名称")]
    lead = len(cols) - len(amounts)

    def amount(leaf: Column, code: str) -> Cell:
        line: EconLine | None = d.econ.get(code)
        if leaf.take == "金额":
            return a(line.amount if line else None)
        basic = line.basic if line else None
        return Cell(NOT_APPLICABLE, align="center") if code in p.econ_not_basic and basic is None else a(basic)

    body = []
    for r in range(max(len(g) for g in groups)):
        row: list[Cell] = []
        for g in groups:
            if r < len(g):
                row += [text(g[r]), text(p.econ_names[g[r]]), *(amount(c, g[r]) for c in amounts)]
            else:
                row += [text(""), text(""), *(Cell("", align="right") for _ in amounts)]
        body.append(row)

    def sums(line: EconLine) -> list[Cell]:
        return [a(line.amount if c.take == "金额" else line.basic) for c in amounts]

    personnel, public = layout.econ_totals
    body.append([label_total(personnel, colspan=lead), *sums(d.personnel),
                 label_total(public, colspan=len(cols) * (len(groups) - 1) - len(amounts)), *sums(d.public)])
    return fr.table(fr.header(layout.econ_tree(len(groups))), body, fr.widths(cols) * len(groups))


# ---------------------------------------------------------------- 单行: one row of figures

def build_single(fr: Frame) -> Table:
    leaves = fr.layout.leaves()
    body = [[fr.a(fr.figure(leaf.take)) for leaf in leaves]]
    return fr.table(fr.header(), body, fr.widths(leaves))


# ---------------------------------------------------------------- 清单: fixed rows with their 行次

def build_list(fr: Frame) -> Table:
    layout, a = fr.layout, fr.a
    leaves = layout.leaves()
    width = len(leaves)
    body: list[list[Cell]] = []
    for row in layout.list_rows(fr.d.profile.vehicle_labels, fr.fill):
        if isinstance(row, Line):
            body.append(section(row.texts[0], width) if row.kind == "节" else [head(t) for t in row.texts])
            continue
        cells = []
        for leaf in leaves:
            if leaf.take == "标签":
                cells.append(label_total(row.label) if row.total else text(row.label))
            elif leaf.take == "行次":
                cells.append(number(row.number))
            else:
                value = fr.figure(row.value)
                cells.append(a.count(value) if row.count else a(value))
        body.append(cells)
    header = ([section(fr.fill(layout.above_header), width)] if layout.above_header else []) + \
        [[head(fr.fill(leaf.title)) for leaf in leaves]]
    return fr.table(header, body, fr.widths(leaves))


# ---------------------------------------------------------------- all tables

BUILDERS = {"科目": build_subject, "对照": build_pair, "经济分类": build_econ, "单行": build_single,
            "清单": build_list}


def build_table(d: Derived, spec: TableSpec, figures: dict[str, Any] | None = None) -> Table:
    """One table; its grid is checked (every row fills the columns exactly)."""
    frame = Frame(d, spec, figure_map(d) if figures is None else figures)
    table = BUILDERS[spec.layout.kind](frame)
    for _ in table.placements():
        pass
    return table


def build_tables(d: Derived) -> list[Table]:
    """The profile's tables, in the profile's order, from the printed figures (derive.printed)."""
    if not d.printed:
        raise ValueError("决算表须由公开的（换算、四舍五入后的）数字生成：先调用 derive.printed.publish")
    figures = figure_map(d)
    return [build_table(d, spec, figures) for spec in d.profile.tables]
