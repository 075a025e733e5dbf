"""Rules on a published report read from its PDF (``juesuan audit``, ``juesuan import 报告.pdf``):
a figure the report prints in a cell computed from others (a 类 row of the 收入支出决算总表, a
column of the 财政拨款收入支出决算总表) against what the report's own rows give. A unit file has
none of these."""
from __future__ import annotations

from typing import Iterator

from .registry import ERROR, Context, Finding, Rule, rule
from .rules_workbook import computed_figure


@rule("P-PRINTED", "已公开的报告：由其他数算出的格（如收入支出决算总表的各类支出）中印的数 = 按报告各表的明细算出的数",
      ERROR, ("01", "04"))
def printed_computed(r: Rule, ctx: Context) -> Iterator[Finding | None]:
    for t in ctx.unit.printed:
        yield ctx.compare(r, table=t.table, row=t.row, column=t.column, stated=t.value,
                          computed=computed_figure(ctx, t.address),
                          how="报告中这一格由其他数算出，按报告各表的明细算出", source=t.src)
