"""项目支出绩效自评表: the figures the form computes, never typed (issue 10).

执行率 = 全年执行数 ÷ 全年预算数 × 100 (two places, half up; none when the budget is 0 or blank);
资金结（转）余 = 全年预算数 − 全年执行数; the fund score = 执行率 × 资金分值, at most the 分值, rounded
to the layout's precision (2022: the nearest 0.5, 2023: 0.01); 总分 = fund score + Σ indicator
得分; 等级 from 总分 by the profile's thresholds (绩效等级线). The indicator 得分 are the unit's
judgements and are taken as written.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..model import EvalReport, FundRow, OverallEval, OverallIndicator, SelfEval
from ..numbers import ZERO, convert, percent, round_step
from ..ratios import REPORT_RATIOS, catalogue
from .ratios import Ratio, ratio

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
    return round_step(value, step)


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


# -- 部门整体支出绩效自评表 ---------------------------------------------------------------------

@dataclass
class OverallRow:
    indicator: OverallIndicator
    ratio: Ratio | None                 # the computed ratio of a row that names one
    text: str                           # 计算分析情况 as printed: the formula, then the unit's words


@dataclass
class Subtotal:
    weight: Decimal                     # Σ 设定分值
    reference: Decimal | None           # Σ 参考分值 (None when no row gives one)
    score: Decimal                      # Σ 评价得分


@dataclass
class OverallEvaluation:
    ev: OverallEval
    funds: dict[str, Decimal | None]    # the header figures as printed: 调整后预算 and 年末结余 included
    computed_balance: Decimal | None    # 上年结转 + 年初预算 + 预算调整 + 其他调整 − 预算执行
    rows: list[OverallRow]
    level1: dict[str, Subtotal]         # 一级指标 -> its subtotal
    level2: dict[tuple[str, str], Subtotal]
    total: Subtotal                     # 综合得分 = total.score
    grade: str


def _subtotal(rows: list[OverallRow]) -> Subtotal:
    refs = [r.indicator.reference for r in rows if r.indicator.reference is not None]
    return Subtotal(sum((r.indicator.weight or ZERO for r in rows), ZERO), sum(refs, ZERO) if refs else None,
                    sum((r.indicator.score or ZERO for r in rows), ZERO))


def overall_funds(ev: OverallEval) -> tuple[dict[str, Decimal | None], Decimal | None]:
    """The header with 调整后预算 (上年结转 + 年初预算 + 预算调整) and 年末结余 (as stated, else computed)."""
    f = dict(ev.funds)
    z = {k: v or ZERO for k, v in f.items()}
    known = f.get("年初预算") is not None
    f["调整后预算"] = z["上年结转"] + z["年初预算"] + z["预算调整"] if known else None
    computed = (f["调整后预算"] or ZERO) + z["其他调整"] - z["预算执行"] if known else None
    f["年末结余"] = ev.stated_balance if ev.stated_balance is not None else computed
    return f, computed


def ratio_inputs(x: OverallIndicator, funds: dict[str, Decimal | None]) -> tuple[Decimal | None, Decimal | None]:
    """A ratio's two inputs: a header figure where the catalogue binds the part to one, else the row's 数据."""
    parts = catalogue()[x.ratio].parts
    a, b = ((funds.get(p.fund) if p.fund else x.inputs.get(p.name)) for p in parts)
    return a, b


def evaluate_overall(ev: OverallEval, thresholds: list[tuple[str, Decimal]]) -> OverallEvaluation:
    funds, computed = overall_funds(ev)
    rows = []
    for x in ev.indicators:
        r = ratio(x.ratio, *ratio_inputs(x, funds)) if x.ratio else None
        rows.append(OverallRow(x, r, "；".join(t for t in ((r.text if r else ""), x.analysis) if t)))
    level1 = {k: _subtotal([r for r in rows if r.indicator.level1 == k]) for k in dict.fromkeys(x.level1 for x in ev.indicators)}
    level2 = {k: _subtotal([r for r in rows if (r.indicator.level1, r.indicator.level2) == k])
              for k in dict.fromkeys((x.level1, x.level2) for x in ev.indicators)}
    total = _subtotal(rows)
    return OverallEvaluation(ev, funds, computed, rows, level1, level2, total, grade_of(total.score, thresholds))


# -- 部门整体支出绩效评价报告 -------------------------------------------------------------------

@dataclass
class ReportEvaluation:
    ev: EvalReport
    ratios: dict[str, Ratio]            # 预算调整率, 预算执行率, 政府采购执行率 (REPORT_RATIOS)
    purchase_budget: Decimal | None     # Σ 政府采购预算 by kind
    spent_parts: Decimal | None         # 基本支出 + 项目支出 (to compare with 支出决算)
    grade: str                          # from the evaluator's 得分


def evaluate_report(ev: EvalReport, thresholds: list[tuple[str, Decimal]]) -> ReportEvaluation:
    """The rates a 绩效评价报告 quotes, from its own figures: 预算调整率 = |调整后预算 − 年初预算| ÷ 年初预算,
    预算执行率 = 支出决算 ÷ 调整后预算, 政府采购执行率 = 实际执行 ÷ Σ 政府采购预算; 等级 from 得分."""
    f = ev.funds
    budget = sum((v for _, v in ev.purchase_budget), ZERO) if ev.purchase_budget else None
    inputs = {"预算调整率": (f.get("调整后预算"), f.get("年初预算")),
              "预算执行率": (f.get("支出决算"), f.get("调整后预算")),
              "政府采购执行率": (ev.purchase_spent, budget)}
    ratios = {name: ratio(name, *inputs[name]) for name in REPORT_RATIOS}
    parts = [f.get("基本支出"), f.get("项目支出")]
    spent_parts = sum((p for p in parts if p is not None), ZERO) if any(p is not None for p in parts) else None
    grade = grade_of(ev.score, thresholds) if ev.score is not None else ""
    return ReportEvaluation(ev, ratios, budget, spent_parts, grade)
