"""Rules on what a workbook holds besides its data: a figure typed into a cell the program
computes (a grey cell of 01, 04), content where nothing is read, content read from rows and columns
hidden in Excel. A YAML file has none of these."""
from __future__ import annotations

from typing import Iterator

from ..derive.figures import figure_map
from ..derive.totals import Fig
from .registry import ERROR, INFO, WARNING, Context, Finding, Rule, rule


def _terms_key(address: str) -> str:
    """The key of ``Derived.terms`` for a layout figure address: 收支.X → 01.X, 财政拨款.A.B → 04.A.B."""
    head, _, rest = address.partition(".")
    return {"收支": "01.", "财政拨款": "04."}.get(head, "") + rest


def computed_figure(ctx: Context, address: str) -> Fig:
    """The figure the program prints at ``address`` (in the file's unit) with its terms."""
    figures = ctx.cache.get("figure_map")
    if figures is None:
        figures = ctx.cache["figure_map"] = figure_map(ctx.derived)
    value = figures.get(address)
    terms = ctx.derived.terms.get(_terms_key(address))
    return Fig(value, terms if terms is not None else (0 if value is None else 2))


def _sheet(u) -> str:
    """The sheet a notice is about: the row of its finding."""
    return (u.src.cell or "").rsplit("!", 1)[0]


@rule("W-COMPUTED", "工作簿：灰色（由程序计算）单元格中填写的数 = 程序算出的数", ERROR, ("01", "04"))
def typed_computed(r: Rule, ctx: Context) -> Iterator[Finding | None]:
    for t in ctx.unit.typed:
        yield ctx.compare(r, table=t.table, row=t.row, column=t.column, stated=t.value,
                          computed=computed_figure(ctx, t.address),
                          how="这一格由程序计算（工作簿中为灰色，不读入），算出", source=t.src)


@rule("W-UNREAD", "工作簿：没有读入的内容（表格以外、不认识的工作表、填写说明中）要指出：有数字时警告，只有文字时提示",
      WARNING)
def unread(r: Rule, ctx: Context) -> Iterator[Finding]:
    for u in ctx.unit.unread:
        if u.rule == r.id:
            yield Finding(r.id, WARNING if u.number else INFO, "", u.message, u.src, _sheet(u))


@rule("W-HIDDEN", "工作簿：隐藏的行、列中的内容照常读入，要指出（在 Excel 中看不到）", INFO)
def hidden(r: Rule, ctx: Context) -> Iterator[Finding]:
    for u in ctx.unit.unread:
        if u.rule == r.id:
            yield Finding(r.id, INFO, "", u.message, u.src, _sheet(u))
