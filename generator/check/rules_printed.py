"""Rules on a published report read from its PDF (``juesuan audit``, ``juesuan import 报告.pdf``):
a figure the report prints in a cell computed from others (a 类 row of the 收入支出决算总表, a
column of the 财政拨款收入支出决算总表) against what the report's own rows give (P-PRINTED); every
figure of its narrative against the same sentence composed by the profile from the report's tables
and the 上年、预算 figures its narrative gives (P-TEXT: sentences.counterpart pairs them). A unit
file has none of these."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from ..model import Source
from ..sentences import counterparts, value
from .registry import ERROR, INFO, Context, Finding, Rule, rule
from .rules_text import TEXT
from .rules_workbook import computed_figure


@rule("P-PRINTED", "已公开的报告：由其他数算出的格（如收入支出决算总表的各类支出）中印的数 = 按报告各表的明细算出的数",
      ERROR, ("01", "04"))
def printed_computed(r: Rule, ctx: Context) -> Iterator[Finding | None]:
    for t in ctx.unit.printed:
        yield ctx.compare(r, table=t.table, row=t.row, column=t.column, stated=t.value,
                          computed=computed_figure(ctx, t.address),
                          how="报告中这一格由其他数算出，按报告各表的明细算出", source=t.src)


# ---------------------------------------------------------------- the narrative

UNIT_AFTER = re.compile(r"(万元|元|%|个|辆|批次|人次|台（套）|分)")
NEAR = Decimal("1")          # a difference of one in the last place printed: a 尾差


def _places(number: str) -> int:
    return len(number.split(".", 1)[1]) if "." in number else 0


def _said(text: str, number: str) -> str:
    """The figure with the unit printed after it (“5,377.64万元”, “95.45%”)."""
    at = text.find(number)
    m = UNIT_AFTER.match(text, at + len(number)) if at >= 0 else None
    return number + (m.group(1) if m else "")


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


@rule("P-TEXT", "已公开的报告：说明中每句的数 = 按报告各表（及说明给出的上年数、预算数）按版式生成同一句时的数",
      ERROR, (TEXT,), composed=True)
def printed_text(r: Rule, ctx: Context) -> Iterator[Finding | None]:
    for s, unsure, found in counterparts(ctx.unit.printed_text, ctx.composed or ()):
        if found is None:
            continue
        c, paired = found
        for i, j in paired:
            stated, computed = value(s.numbers[i]), value(c.numbers[j])
            if stated == computed or i in unsure:       # unsure: depends on a figure the report does not print
                continue
            places = max(_places(s.numbers[i]), _places(c.numbers[j]))
            tail = abs(stated - computed) <= NEAR.scaleb(-places) and places > 0
            message = (f"第{s.page}页“{_short(s.text)}”中印为 {_said(s.text, s.numbers[i])}，按报告各表"
                       f"（及说明给出的上年数、预算数）生成这一句为 {_said(c.text, c.numbers[j])}"
                       + ("：相差末位 1，多半是四舍五入的尾差（原数以元计算，或先舍入后相加），报告印的就是这个数"
                          if tail else ""))
            yield Finding(r.id, INFO if tail else r.severity, TEXT, message, Source(ctx.unit.file, cell=f"第{s.page}页"),
                          _short(s.text, 24), _said(s.text, s.numbers[i]), computed, stated)
