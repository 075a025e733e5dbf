"""The figures as the report prints them.

``publish(d)`` takes the Derived of ``derive`` (exact, in the file's 金额单位) and returns the same
structure with every amount converted to the report's unit (公开金额单位) and rounded half up once,
as the 决算软件 prints a 万元 table from its 元 figures: each cell, total and 总计 is the rounding of
its own exact value, so a printed 合计 is not always the sum of the printed rows (docs/domain.md,
docs/money.md). When the file is already in the report's unit the figures are printed as given.

Everything after this step — the tables, the narrative's 占比, 增减 and rates — reads the printed
figures only, so a reader can recompute each one from the published tables.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable

from ..model import WORD_NUMBER_KEYS, LastYear
from ..numbers import convert
from .totals import Derived, EconLine, SubjectTable

Conv = Callable[[Decimal | None], Decimal | None]


def converter(from_unit: str, to_unit: str) -> Conv:
    return lambda v: convert(v, from_unit, to_unit)


def publish(d: Derived) -> Derived:
    """The printed figures of ``d`` in the report's money unit."""
    if d.printed:
        return d
    to = d.unit.printed_unit
    c = converter(d.money_unit, to)
    return replace(
        d,
        income_table=_table(d.income_table, c), expense_table=_table(d.expense_table, c),
        gp_expense_table=_table(d.gp_expense_table, c), fund_table=_table(d.fund_table, c),
        soe_table=_table(d.soe_table, c),
        econ={k: _econ(v, c) for k, v in d.econ.items()},
        personnel=_econ(d.personnel, c), public=_econ(d.public, c),
        summary=_flat(d.summary, c), expense_by_class=_flat(d.expense_by_class, c),
        fiscal=_nested(d.fiscal, c), fiscal_by_class=_nested(d.fiscal_by_class, c),
        sangong=_nested(d.sangong, c), purchase=_flat(d.purchase, c),
        admin_cost=c(d.admin_cost), budget=_flat(d.budget, c),      # type: ignore[arg-type]
        full_budget=_flat(d.full_budget, c),
        last_year=_last_year(d.last_year, d.money_unit, to),
        words=_words(d.words, c),
        money_unit=to, printed=True,
    )


def _flat(values: dict[str, Any], c: Conv) -> dict[str, Any]:
    return {k: c(v) for k, v in values.items()}


def _nested(values: dict[str, dict[str, Any]], c: Conv) -> dict[str, dict[str, Any]]:
    return {k: _flat(v, c) for k, v in values.items()}


def _table(t: SubjectTable, c: Conv) -> SubjectTable:
    return SubjectTable(t.name, t.columns, [replace(r, values=_flat(r.values, c), total=c(r.total)) for r in t.rows])


def _econ(line: EconLine, c: Conv) -> EconLine:
    return replace(line, basic=c(line.basic), project=c(line.project), amount=c(line.amount))


def _last_year(ly: LastYear | None, file_unit: str, to: str) -> LastYear | None:
    """What last year's report printed, in this year's report unit. Figures in 元 (exact) are
    rounded once; figures already in the report's unit are last year's printed ones."""
    if ly is None:
        return None
    c = converter(ly.money_unit or file_unit, to)
    return replace(ly, income_total=c(ly.income_total), expense_total=c(ly.expense_total),
                   fiscal_income_total=c(ly.fiscal_income_total), fiscal_expense_total=c(ly.fiscal_expense_total),
                   gp_expense=c(ly.gp_expense), gp_by_class=_flat(ly.gp_by_class, c),
                   sangong=_flat(ly.sangong, c), admin_cost=c(ly.admin_cost), money_unit=to)


def _words(value: Any, c: Conv) -> Any:
    """情况说明 with its amounts converted: every Decimal the loader leaves in it except the
    numbers that are not money (WORD_NUMBER_KEYS: 平均得分)."""
    if isinstance(value, Decimal):
        return c(value)
    if isinstance(value, dict):
        return {k: v if k in WORD_NUMBER_KEYS else _words(v, c) for k, v in value.items()}
    if isinstance(value, list):
        return [_words(v, c) for v in value]
    return value

