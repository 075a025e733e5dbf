"""Figures the unit states in its 情况说明 data (not in a table) that must agree with each other:
the 中小企业 and 小微企业 amounts of 政府采购, and the 预算绩效 counts and score. Each rule reads
only what the unit wrote; a rule whose figures are absent says nothing. docs/checks.md lists them."""
from __future__ import annotations

from decimal import Decimal

from ..numbers import ZERO
from .registry import ERROR, WARNING, Context, Finding, Rule, rule

PURCHASE = "情况说明.政府采购"
PERFORMANCE = "情况说明.预算绩效"


def _words(ctx: Context, key: str) -> dict:
    value = (ctx.unit.words or {}).get(key)
    return value if isinstance(value, dict) else {}


def _over(r: Rule, ctx: Context, part: Decimal | None, whole: Decimal | None, part_name: str, whole_name: str,
          path: str) -> Finding | None:
    """A finding when ``part`` exceeds ``whole`` (both written)."""
    if part is None or whole is None or part <= whole:
        return None
    return Finding(r.id, r.severity, "情况说明", f"{part_name} {ctx.amount(part)} 超过{whole_name} {ctx.amount(whole)}",
                   ctx.unit.src(path), part_name, "", whole, part)


@rule("X-SME-RESERVE", "政府采购：面向小微企业预留的项目预算金额不超过面向中小企业预留的金额（小微企业是中小企业的一部分）",
      ERROR, ("情况说明",))
def x_sme_reserve(r: Rule, ctx: Context):
    p = _words(ctx, "政府采购")
    yield _over(r, ctx, p.get("小微企业预留金额"), p.get("中小企业预留金额"), "面向小微企业预留金额",
                "面向中小企业预留金额", f"{PURCHASE}.小微企业预留金额")


@rule("X-SME-AWARD", "政府采购：预留项目中由中小（小微）企业中标或成交的金额不超过预留的项目预算金额", WARNING, ("情况说明",))
def x_sme_award(r: Rule, ctx: Context):
    p = _words(ctx, "政府采购")
    yield _over(r, ctx, p.get("预留中小企业合同金额"), p.get("中小企业预留金额"), "预留项目中中小企业中标或成交金额",
                "面向中小企业预留金额", f"{PURCHASE}.预留中小企业合同金额")
    yield _over(r, ctx, p.get("预留小微企业合同金额"), p.get("小微企业预留金额"), "预留项目中小微企业中标或成交金额",
                "面向小微企业预留金额", f"{PURCHASE}.预留小微企业合同金额")


@rule("X-SME-TOTAL", "政府采购：中小企业中标或成交的金额（预留项目与其他项目之和）不超过政府采购金额", ERROR,
      ("情况说明", "10"))
def x_sme_total(r: Rule, ctx: Context):
    p = _words(ctx, "政府采购")
    reserved, other = p.get("预留中小企业合同金额"), p.get("其他项目中小企业合同金额")
    if reserved is None and other is None:
        return
    total = ctx.derived.purchase.get("合计")
    won = (reserved or ZERO) + (other or ZERO)
    if total is not None and won > total:
        yield Finding(r.id, r.severity, "情况说明",
                      f"中小企业中标或成交金额：预留项目 {ctx.amount(reserved or ZERO)} + 其他项目 {ctx.amount(other or ZERO)}"
                      f" = {ctx.amount(won)}，超过政府采购金额 {ctx.amount(total)}（同一笔合同不能既在预留项目中又在其他项目中）",
                      ctx.unit.src(f"{PURCHASE}.其他项目中小企业合同金额" if other else f"{PURCHASE}.预留中小企业合同金额"),
                      "中小企业中标或成交金额", "", total, won)


@rule("X-PERF-GRADES", "预算绩效：各等级的项目数之和 = 绩效自评的项目数", ERROR, ("情况说明",))
def x_perf_grades(r: Rule, ctx: Context):
    p = _words(ctx, "预算绩效")
    grades, projects = p.get("自评等级"), p.get("自评项目数")
    if not isinstance(grades, dict) or projects is None:
        return
    counted = sum(int(n or 0) for n in grades.values())
    if counted != int(projects):
        listed = "、".join(f"{g}{int(n or 0)}个" for g, n in grades.items())
        yield Finding(r.id, r.severity, "情况说明", f"绩效自评项目 {int(projects)} 个，各等级（{listed}）合计 {counted} 个",
                      ctx.unit.src(f"{PERFORMANCE}.自评等级"), "自评等级", "", Decimal(int(projects)), Decimal(counted))


@rule("X-PERF-SCORE", "预算绩效：平均得分在 0 到 100 分之间", ERROR, ("情况说明",))
def x_perf_score(r: Rule, ctx: Context):
    score = _words(ctx, "预算绩效").get("平均得分")
    if score is not None and not ZERO <= score <= 100:
        yield Finding(r.id, r.severity, "情况说明", f"平均得分 {score} 分不在 0–100 分之间",
                      ctx.unit.src(f"{PERFORMANCE}.平均得分"), "平均得分", "", None, score)


@rule("X-PERF-ISSUES", "预算绩效：已经完成整改的问题数 + 正在整改的问题数 = 发现的问题数", ERROR, ("情况说明",))
def x_perf_issues(r: Rule, ctx: Context):
    p = _words(ctx, "预算绩效")
    found, fixed, fixing = p.get("发现问题数"), p.get("已整改问题数"), p.get("正在整改问题数")
    if found is None or (fixed is None and fixing is None):
        return
    if (fixed or 0) + (fixing or 0) != found:
        yield Finding(r.id, r.severity, "情况说明", f"发现问题 {found} 个，已整改 {fixed or 0} 个、正在整改 {fixing or 0} 个，"
                      f"合计 {(fixed or 0) + (fixing or 0)} 个", ctx.unit.src(f"{PERFORMANCE}.发现问题数"),
                      "发现问题数", "", Decimal(found), Decimal((fixed or 0) + (fixing or 0)))
