"""The 部门整体支出绩效自评表 of 第五部分 (ids P-OVERALL-…, P-RATIO-…): what the unit writes that the
form's own arithmetic decides — the ratios of its 计算分析情况, the numbers a formula or the
narrative names, the weights, 综合得分 and 等次, the 年末结余 of its header. The figures are
computed in derive/performance.py and derive/ratios.py; these rules compare. docs/checks.md
lists them."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Iterator

from ..derive.performance import OverallEvaluation
from ..layout import load_layout
from ..numbers import ZERO, round_places
from ..ratios import FUND_FIGURES, catalogue
from .registry import ERROR, WARNING, Context, Finding, Rule, rule

TABLE = "附件"
_QUOTES = re.compile(r"[“”\"‘’']")
_CLAUSE_END = re.compile(r"[。；;，,\n]")
_PERCENT = re.compile(r"(-?\d+(?:\.\d+)?)\s*%")


def _overall(ctx: Context) -> Iterator[tuple[int, OverallEvaluation, str, str]]:
    for i, result in sorted(ctx.derived.overall_evals.items()):
        yield i, result, f"附件{i + 1}（{result.ev.title}）", result.ev.path


def _reports(ctx: Context):
    for i, result in sorted(ctx.derived.eval_reports.items()):
        yield i, result, f"附件{i + 1}（{result.ev.title}）", result.ev.path


def _texts(result: OverallEvaluation, path: str) -> Iterator[tuple[str, str]]:
    """(text, key path) of the unit's own words on the form: the narrative, each 计算分析 and the
    typed 计算 (a formula as the unit wrote it)."""
    for k, (_, content) in enumerate(result.ev.narrative):
        yield content, f"{path}.情况[{k}].内容"
    for j, x in enumerate(result.ev.indicators):
        if x.analysis:
            yield x.analysis, f"{path}.指标[{j}].计算分析"
        if x.typed.get("计算"):
            yield x.typed["计算"], f"{path}.指标[{j}].填写.计算"


def all_ratio_names() -> list[str]:
    return [n for d in catalogue().values() for n in (d.name, *d.aliases)]


def stated_percent(text: str, names: list[str]) -> Iterator[Decimal]:
    """Each percentage the text states for a ratio called one of ``names``: the last “X%” of the
    clause after the name (“预算调整率为19.10/32.75×100%=58.32%” → 58.32). A name inside a longer
    ratio name (预算执行率 in 政府采购预算执行率) is not that ratio."""
    flat = _QUOTES.sub("", text)
    longer = [n for n in all_ratio_names() if any(x in n and x != n for x in names)]
    covered = [(m.start(), m.end()) for n in longer for m in re.finditer(re.escape(n), flat)]
    for name in names:
        for m in re.finditer(re.escape(_QUOTES.sub("", name)), flat):
            if any(a <= m.start() and m.end() <= b for a, b in covered):
                continue
            rest = flat[m.end():]
            end = _CLAUSE_END.search(rest)
            found = _PERCENT.findall(rest[:end.start() if end else len(rest)])
            if found:
                yield Decimal(found[-1])


def same_percent(stated: Decimal, computed: Decimal) -> bool:
    """A stated percentage agrees when it is the computed one at the places it is written with
    (50% for 50.00, 41.9% for 41.88); more places than two must round to it (36.687% ≠ 36.68%)."""
    places = -stated.as_tuple().exponent    # type: ignore[operator]
    if places > 2:
        return round_places(stated, 2) == computed
    return round_places(computed, places) == stated


def labelled(text: str, labels: list[str]) -> Iterator[tuple[str, Decimal]]:
    """(label, number) for each “<label>[为|是|：]<number>” in the text, longest label first, so that
    在用固定资产总额9.2 is not read as 固定资产总额9.2."""
    if not labels:
        return
    names = "|".join(re.escape(x) for x in sorted(set(labels), key=len, reverse=True))
    for m in re.finditer(rf"({names})(?:为|是|：|:)?\s*(-?\d+(?:\.\d+)?)", _QUOTES.sub("", text)):
        yield m.group(1), Decimal(m.group(2))


@rule("P-OVERALL-LAYOUT", "整体自评表、评价报告：须有版式（版式的整体自评表版式、评价报告版式，或附件的“版式”）", ERROR, (TABLE,))
def p_overall_layout(r: Rule, ctx: Context):
    p = ctx.profile
    for forms, profile_layout, what, key in ((_overall(ctx), p.overall_layout, "部门整体支出绩效自评表", "整体自评表版式"),
                                            (_reports(ctx), p.report_layout, "绩效评价报告", "评价报告版式")):
        for _i, result, name, path in forms:
            if not (result.ev.layout or profile_layout):
                yield Finding(r.id, r.severity, TABLE, f"{name}：版式“{p.name}”没有{what}的版式（{key}），"
                              "附件也没有写“版式”，无法印出", ctx.unit.src(path))


@rule("P-OVERALL-SCORE", "整体自评表：每个三级指标的评价得分在 0 与其分值之间", ERROR, (TABLE,))
def p_overall_score(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        for j, x in enumerate(result.ev.indicators):
            if x.score is not None and x.weight is not None and not ZERO <= x.score <= x.weight:
                yield Finding(r.id, r.severity, TABLE, f"{name}：指标“{x.level3}”得分 {x.score} 超出 0–{x.weight} 分",
                              ctx.unit.src(f"{path}.指标[{j}].得分"), x.level3, "得分", x.weight, x.score)


@rule("P-OVERALL-WEIGHTS", "整体自评表：设定分值（及参考分值）之和为 100", WARNING, (TABLE,))
def p_overall_weights(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        for what, value in (("分值", result.total.weight), ("参考分值", result.total.reference)):
            if value is not None and value != 100:
                yield Finding(r.id, r.severity, TABLE, f"{name}：各三级指标的{what}合计 {value} 分，应为 100 分",
                              ctx.unit.src(f"{path}.指标"), what, "", Decimal(100), value)


@rule("P-OVERALL-TYPED", "整体自评表：写出的综合得分、等次须与由各指标得分算得的相同", ERROR, (TABLE,))
def p_overall_typed(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        typed = result.ev.typed
        score = typed.get("综合得分")
        if score is not None and score != result.total.score:
            yield Finding(r.id, r.severity, TABLE, f"{name}：综合得分写作 {score}，各指标评价得分之和为 {result.total.score}",
                          ctx.unit.src(f"{path}.填写.综合得分"), "综合得分", "", result.total.score, score)
        grade = typed.get("等级")
        names = dict(load_layout(result.ev.layout or ctx.profile.overall_layout).form.get("等级印作") or {}) \
            if (result.ev.layout or ctx.profile.overall_layout) else {}
        if grade and grade not in (result.grade, names.get(result.grade)):
            yield Finding(r.id, r.severity, TABLE, f"{name}：等次写作“{grade}”，综合得分 {result.total.score} 分应为"
                          f"“{names.get(result.grade, result.grade)}”", ctx.unit.src(f"{path}.填写.等级"), "等次")


@rule("P-OVERALL-BALANCE", "整体自评表：写出的年末结余 = 上年结转 + 年初预算 + 预算调整 + 其他调整 − 预算执行", ERROR, (TABLE,))
def p_overall_balance(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        stated, computed = result.ev.stated_balance, result.computed_balance
        if stated is not None and computed is not None and stated != computed:
            yield Finding(r.id, r.severity, TABLE, f"{name}：年末结余写作 {stated} 万元，按上年结转 + 年初预算 + 预算调整 + "
                          f"其他调整 − 预算执行应为 {computed} 万元", ctx.unit.src(f"{path}.资金.年末结余"),
                          "年末结余", "", computed, stated)


@rule("P-RATIO-INPUT", "整体自评表：比率的两项都要有数，取自表头的项不另写或与表头相同", ERROR, (TABLE,))
def p_ratio_input(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        for j, row in enumerate(result.rows):
            x = row.indicator
            if not x.ratio:
                continue
            for part, value in zip(catalogue()[x.ratio].parts, row.ratio.values if row.ratio else (None, None)):
                given = x.inputs.get(part.name)
                if part.fund and given is not None and given != value:
                    yield Finding(r.id, r.severity, TABLE, f"{name}：{x.ratio}的{part.name}写作 {given}，表头的{part.fund}为 {value}",
                                  ctx.unit.src(f"{path}.指标[{j}].数据.{part.name}"), x.level3, part.name, value, given)
                elif value is None:
                    where = f"表头的{part.fund}" if part.fund else f"数据中的“{part.name}”"
                    yield Finding(r.id, r.severity, TABLE, f"{name}：{x.ratio}缺少{where}，比率无法计算",
                                  ctx.unit.src(f"{path}.指标[{j}]"), x.level3, part.name)


@rule("P-RATIO-PARTS", "整体自评表：算式与文字中写在比率各项名称后的数须是数据中的数", ERROR, (TABLE,))
def p_ratio_parts(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        values: dict[str, Decimal] = {}
        for row in result.rows:
            if row.ratio:
                for part, value in zip(row.ratio.definition.parts, row.ratio.values):
                    if value is not None and not part.fund:
                        values[part.name] = value
        header = {k: v for k, v in result.funds.items() if k in FUND_FIGURES and v is not None}
        for text, where in _texts(result, path):
            known = {**values, **(header if where.endswith(".填写.计算") else {})}
            for label, number in labelled(text, list(known)):
                if number != known[label]:
                    yield Finding(r.id, r.severity, TABLE, f"{name}：写的“{label}{number}”与数据不符，数据中{label}为 "
                                  f"{known[label]}", ctx.unit.src(where), label, "", known[label], number)


@rule("P-RATIO-TEXT", "整体自评表：算式与文字中写出的比率须与由数据算得的相同", ERROR, (TABLE,))
def p_ratio_text(r: Rule, ctx: Context):
    for _i, result, name, path in _overall(ctx):
        for j, row in enumerate(result.rows):
            if row.ratio is None or row.ratio.result is None:
                continue
            x, computed = row.indicator, row.ratio.result
            stated: list[tuple[Decimal, str]] = []
            if x.typed.get("结果") is not None:
                stated.append((x.typed["结果"], f"{path}.指标[{j}].填写.结果"))
            if x.typed.get("计算"):
                stated += [(Decimal(p), f"{path}.指标[{j}].填写.计算") for p in _PERCENT.findall(x.typed["计算"])[-1:]]
            names = [x.ratio, *row.ratio.definition.aliases, *([x.level3] if x.level3 else [])]
            for text, where in _texts(result, path):
                if not where.endswith(".填写.计算"):
                    stated += [(p, where) for p in stated_percent(text, names)]
            for value, where in stated:
                if not same_percent(value, computed):
                    a, b = row.ratio.values
                    yield Finding(r.id, r.severity, TABLE, f"{name}：{x.ratio}写作 {value}%，由{row.ratio.definition.parts[0].name} "
                                  f"{a} 与{row.ratio.definition.parts[1].name} {b} 算得 {computed}%",
                                  ctx.unit.src(where), x.level3, x.ratio, computed, value)


# -- 部门整体支出绩效评价报告 -------------------------------------------------------------------

def _report_texts(ev, path: str) -> Iterator[tuple[str, str]]:
    yield ev.intro, f"{path}.引言"
    yield ev.overview, f"{path}.部门概况"
    for key, items in (("经验做法", ev.experience), ("建议", ev.suggestions)):
        for k, (_, text) in enumerate(items):
            yield text, f"{path}.{key}[{k}].内容"
    for k, (_, _, text) in enumerate(ev.problems):
        yield text, f"{path}.问题[{k}].内容"


@rule("P-REPORT-MONEY", "评价报告：支出决算 = 基本支出 + 项目支出", ERROR, (TABLE,))
def p_report_money(r: Rule, ctx: Context):
    for _i, result, name, path in _reports(ctx):
        spent = result.ev.funds.get("支出决算")
        if spent is not None and result.spent_parts is not None and spent != result.spent_parts:
            yield Finding(r.id, r.severity, TABLE, f"{name}：支出决算 {spent} 万元，基本支出与项目支出合计 {result.spent_parts} 万元",
                          ctx.unit.src(f"{path}.资金.支出决算"), "支出决算", "", result.spent_parts, spent)


@rule("P-REPORT-TYPED", "评价报告：写出的等级和比率（填写，或文字中“…率X%”）须与由数据算得的相同", ERROR, (TABLE,))
def p_report_typed(r: Rule, ctx: Context):
    for _i, result, name, path in _reports(ctx):
        grade = result.ev.typed.get("等级")
        if grade and result.grade and grade != result.grade:
            yield Finding(r.id, r.severity, TABLE, f"{name}：等级写作“{grade}”，得分 {result.ev.score} 分应为“{result.grade}”",
                          ctx.unit.src(f"{path}.填写.等级"), "等级")
        for ratio_name, computed in ((k, v.result) for k, v in result.ratios.items()):
            if computed is None:
                continue
            stated = [(result.ev.typed[ratio_name], f"{path}.填写.{ratio_name}")] if result.ev.typed.get(ratio_name) is not None else []
            for text, where in _report_texts(result.ev, path):
                aliases = list(result.ratios[ratio_name].definition.aliases)
                stated += [(p, where) for p in stated_percent(text, [ratio_name, *aliases])]
            for value, where in stated:
                if not same_percent(value, computed):
                    yield Finding(r.id, r.severity, TABLE, f"{name}：{ratio_name}写作 {value}%，由报告的数据算得 {computed}%",
                                  ctx.unit.src(where), ratio_name, "", computed, value)


# -- 第三部分 预算绩效 written as text, against the attachments ---------------------------------------

_SECOND_LEVEL = (re.compile(r"二级项目(\d+)个"), re.compile(r"(\d+)个二级项目"))
_SCORE = re.compile(r"(?:整体支出|整体)[^。]*?自评得分(\d+(?:\.\d+)?)分")


@rule("P-SUMMARY-TEXT", "预算绩效写成文字时：写出的二级项目个数、整体支出自评得分须与附件中的自评表一致", WARNING,
      ("情况说明", TABLE))
def p_summary_text(r: Rule, ctx: Context):
    text = (ctx.unit.words or {}).get("预算绩效")
    if not isinstance(text, str) or not text:
        return
    src = ctx.unit.src("情况说明.预算绩效")
    projects = len(ctx.derived.self_evals)
    if projects:
        for pattern in _SECOND_LEVEL:
            for m in pattern.finditer(text):
                if int(m.group(1)) != projects:
                    yield Finding(r.id, r.severity, "情况说明", f"预算绩效写“{m.group(0)}”，附件中有 {projects} 张项目支出绩效自评表",
                                  src, "自评项目数", "", Decimal(projects), Decimal(int(m.group(1))))
    overall = list(ctx.derived.overall_evals.values())
    if len(overall) == 1:
        score = overall[0].total.score
        for m in _SCORE.finditer(text):
            if Decimal(m.group(1)) != score:
                yield Finding(r.id, r.severity, "情况说明", f"预算绩效写整体支出“自评得分{m.group(1)}分”，附件中的部门整体支出"
                              f"绩效自评表综合得分为 {score} 分", src, "自评得分", "", score, Decimal(m.group(1)))
