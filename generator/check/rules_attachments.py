"""The 项目支出绩效自评表 of 第五部分 (ids P-…): what the unit writes on a form that the form's own
arithmetic decides. Figures are computed in derive/performance.py; these rules compare.
docs/checks.md lists them."""
from __future__ import annotations

from decimal import Decimal

from ..numbers import ZERO
from .registry import ERROR, WARNING, Context, Finding, Rule, rule

TABLE = "附件"


def _forms(ctx: Context):
    for i, result in sorted(ctx.derived.self_evals.items()):
        yield i, result, f"附件{i + 1}（{result.ev.title}）"


@rule("P-LAYOUT", "单位写了项目支出绩效自评表时，版式须有自评表版式（自评表版式）", ERROR, (TABLE,))
def p_layout(r: Rule, ctx: Context):
    if ctx.unit.self_evals and ctx.profile.self_eval_layout is None:
        i = min(ctx.unit.self_evals)
        yield Finding(r.id, r.severity, TABLE, f"版式“{ctx.profile.name}”没有项目支出绩效自评表的版式（自评表版式），"
                      "附件中的自评表无法印出", ctx.unit.src(f"附件[{i}].项目自评"))


@rule("P-SCORE-OVER", "自评表：每个指标的得分在 0 与分值之间", ERROR, (TABLE,))
def p_score_over(r: Rule, ctx: Context):
    for i, result, name in _forms(ctx):
        for j, x in enumerate(result.ev.indicators):
            if x.score is None or x.weight is None:
                continue
            if not ZERO <= x.score <= x.weight:
                yield Finding(r.id, r.severity, TABLE, f"{name}：指标“{x.level3 or x.level2}”得分 {x.score} 超出 0–{x.weight} 分",
                              ctx.unit.src(f"附件[{i}].项目自评.指标[{j}].得分"), x.level3 or x.level2, "得分",
                              x.weight, x.score)


@rule("P-WEIGHTS", "自评表：资金分值与各指标分值之和为 100", WARNING, (TABLE,))
def p_weights(r: Rule, ctx: Context):
    for i, result, name in _forms(ctx):
        if result.weights != 100:
            yield Finding(r.id, r.severity, TABLE, f"{name}：资金分值与各指标分值合计 {result.weights} 分，应为 100 分",
                          ctx.unit.src(f"附件[{i}].项目自评.指标"), "分值", "", Decimal(100), result.weights)


@rule("P-TYPED", "自评表：表上写出的执行率、资金得分、总分、等级须与由数据算得的相同", ERROR, (TABLE,))
def p_typed(r: Rule, ctx: Context):
    for i, result, name in _forms(ctx):
        typed = result.ev.typed
        computed = {"执行率": result.funds[0].rate if result.funds else None, "资金得分": result.fund_score,
                    "总分": result.total, "等级": result.grade}
        for key, value in typed.items():
            right = computed.get(key)
            if value is None or right is None or value == right:
                continue
            how = {"执行率": "全年执行数 ÷ 全年预算数", "资金得分": "执行率 × 资金分值", "总分": "资金得分 + 各指标得分",
                   "等级": "总分所在的等级"}[key]
            yield Finding(r.id, r.severity, TABLE, f"{name}：{key}写作 {value}，按{how}应为 {right}",
                          ctx.unit.src(f"附件[{i}].项目自评.填写.{key}"), key, "",
                          right if isinstance(right, Decimal) else None, value if isinstance(value, Decimal) else None)


@rule("P-OVERSPENT", "自评表：全年执行数超过全年预算数时须写偏差原因", WARNING, (TABLE,))
def p_overspent(r: Rule, ctx: Context):
    for i, result, name in _forms(ctx):
        for j, f in enumerate(result.ev.funds):
            if f.budget is not None and f.spent is not None and f.spent > f.budget and not f.note:
                yield Finding(r.id, r.severity, TABLE, f"{name}：{f.name}全年执行数 {f.spent} 超过全年预算数 {f.budget}，"
                              "没有写偏差原因", ctx.unit.src(f"附件[{i}].项目自评.资金[{j}]"), f.name, "全年执行数",
                              f.budget, f.spent)


@rule("P-SUMMARY", "预算绩效：写出的自评项目数、自评金额、各等级项目数须与附件中的自评表一致", WARNING,
      ("情况说明", TABLE))
def p_summary(r: Rule, ctx: Context):
    from ..derive.facts import form_summary
    stated = (ctx.unit.words or {}).get("预算绩效")
    forms = form_summary(ctx.printed) if ctx.printed is not None else None
    if not isinstance(stated, dict) or forms is None:
        return
    src = ctx.unit.src("情况说明.预算绩效")
    if stated.get("自评项目数") is not None and int(stated["自评项目数"]) != forms.projects:
        yield Finding(r.id, r.severity, "情况说明", f"自评项目数写作 {stated['自评项目数']} 个，附件中有 {forms.projects} 张项目支出绩效自评表",
                      src, "自评项目数", "", Decimal(forms.projects), Decimal(int(stated["自评项目数"])))
    amount = ctx.printed.words.get("预算绩效", {}).get("自评金额") if isinstance(ctx.printed.words.get("预算绩效"), dict) else None
    if amount is not None and amount != forms.spent:
        yield Finding(r.id, r.severity, "情况说明", f"自评金额写作 {ctx.printed_amount(amount)}，附件中各自评表全年执行数合计 "
                      f"{ctx.printed_amount(forms.spent)}", src, "自评金额", "", forms.spent, amount)
    grades = {str(g): int(n) for g, n in (stated.get("自评等级") or {}).items() if n}
    if stated.get("自评等级") is not None and grades != forms.grades:
        said = "、".join(f"{g}{n}个" for g, n in grades.items()) or "无"
        computed = "、".join(f"{g}{n}个" for g, n in forms.grades.items()) or "无"
        yield Finding(r.id, r.severity, "情况说明", f"自评等级写作 {said}，附件中自评表的总分得出 {computed}", src, "自评等级")


@rule("P-PROJECT-MONEY", "自评表：各项目支出绩效自评表的全年执行数之和不超过05表项目支出合计", WARNING, (TABLE, "05"))
def p_project_money(r: Rule, ctx: Context):
    from ..derive.facts import form_summary
    forms = form_summary(ctx.printed) if ctx.printed is not None else None
    if forms is None:
        return
    project = ctx.printed.gp_expense_table.sum_row.values.get("项目支出") or ZERO
    if forms.spent > project:
        yield Finding(r.id, r.severity, TABLE, f"附件中 {forms.projects} 张项目支出绩效自评表的全年执行数合计 "
                      f"{ctx.printed_amount(forms.spent)}，超过05表一般公共预算财政拨款项目支出 {ctx.printed_amount(project)}",
                      ctx.unit.src("附件"), "全年执行数", "", project, forms.spent)
