"""项目支出绩效自评表: the figures the form computes, never typed (issue 10).

执行率 = 全年执行数 ÷ 全年预算数 × 100 (two places, half up; none when the budget is 0 or blank);
资金结（转）余 = 全年预算数 − 全年执行数; the fund score = 执行率 × 资金分值, at most the 分值, rounded
to the layout's precision (2022: the nearest 0.5, 2023: 0.01); 总分 = fund score + Σ indicator
得分; 等级 from 总分 by the profile's thresholds (绩效等级线). The indicator 得分 are the unit's
judgements and are taken as written.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..model import FundRow, SelfEval
from ..numbers import ZERO, convert, percent

HUNDRED = Decimal(100)


@dataclass
class FundFigures:
    row: FundRow
    balance: Decimal | None             # 资金结（转）余
    rate: Decimal | None                # 执行率 %
    score: Decimal | None               # this row's fund score (the layout prints it on every row or the first)


@dataclass
class Evaluation:
    ev: SelfEval
    funds: list[FundFigures]
    fund_score: Decimal | None          # of the 年度资金总额 row
    indicator_total: Decimal            # Σ indicator 得分
    weights: Decimal                    # Σ 分值, 资金 included (should be 100)
    total: Decimal                      # 总分
    grade: str


def round_to(value: Decimal, step: Decimal) -> Decimal:
    """``value`` to the nearest multiple of ``step`` (0.5, 0.01 …), half up."""
    return ((value / step).quantize(Decimal(1), ROUND_HALF_UP) * step).quantize(step if step < 1 else Decimal(1))


def grade_of(total: Decimal, thresholds: list[tuple[str, Decimal]]) -> str:
    """The first grade whose lower bound the total reaches (thresholds high to low)."""
    return next((g for g, low in thresholds if total >= low), thresholds[-1][0] if thresholds else "")


def fund_figures(row: FundRow, weight: Decimal | None, step: Decimal) -> FundFigures:
    balance = None if row.budget is None else row.budget - (row.spent or ZERO)
    rate = percent(row.spent, row.budget) if row.budget else None
    score = None
    if weight is not None and rate is not None:
        score = round_to(min(rate / HUNDRED * weight, weight), step)
    elif weight is not None and row.budget is not None:
        score = ZERO
    return FundFigures(row, balance, rate, score)


def evaluate(ev: SelfEval, step: Decimal, thresholds: list[tuple[str, Decimal]]) -> Evaluation:
    funds = [fund_figures(r, ev.fund_weight, step) for r in ev.funds]
    fund_score = funds[0].score if funds else None
    indicator_total = sum((x.score or ZERO for x in ev.indicators), ZERO)
    weights = sum((x.weight or ZERO for x in ev.indicators), ev.fund_weight or ZERO)
    total = (fund_score or ZERO) + indicator_total
    return Evaluation(ev, funds, fund_score, indicator_total, weights, total, grade_of(total, thresholds))


@dataclass
class Summary:
    """What the forms of a unit add up to, for 第三部分's 预算绩效 sentence and its check."""
    projects: int
    spent: Decimal              # Σ 全年执行数 of the 年度资金总额 rows, in the report's money unit
    grades: dict[str, int]      # 等级 -> number of forms, in the profile's order of thresholds


def summarize(results: list[Evaluation], form_unit: str, report_unit: str,
              grade_order: list[str]) -> Summary | None:
    """None when the unit has no forms."""
    if not results:
        return None
    spent = sum((r.ev.funds[0].spent or ZERO for r in results if r.ev.funds), ZERO)
    counts = {g: sum(1 for r in results if r.grade == g) for g in grade_order}
    return Summary(len(results), convert(spent, form_unit, report_unit) or ZERO,
                   {g: n for g, n in counts.items() if n})
