"""Across-table rules (docs/domain.md): the same money seen from two tables must agree."""
from __future__ import annotations

from decimal import Decimal

from ..derive.totals import fsum
from ..numbers import ZERO
from .registry import ERROR, WARNING, Context, Finding, Rule, pair_terms, rule


def _fiscal_stated(ctx: Context, section: str, kind: str) -> Decimal | None:
    return (ctx.unit.fiscal.get(section) or {}).get(kind)


@rule("X-01-04", "01表三类财政拨款收入 = 04表本年收入（由02、07、08表推出）", ERROR, ("01", "04"))
def x_01_04(r: Rule, ctx: Context):
    for label, kind in (("一般公共预算财政拨款收入", "一般公共预算财政拨款"),
                        ("政府性基金预算财政拨款收入", "政府性基金预算财政拨款"),
                        ("国有资本经营预算财政拨款收入", "国有资本经营预算财政拨款")):
        s = ctx.unit.stated_value(f"收入支出决算总表 {label}")
        if s:
            d = ctx.derived
            f04 = d.fig(f"04.本年收入.{kind}", d.fiscal["本年收入"][kind])
            yield ctx.compare(r, table="01", row=label, column="", stated=s.value, computed=f04,
                              how="04表本年收入", source=s.src)


@rule("X-01-03", "01表本年支出合计 = 03表合计", ERROR, ("01", "03"))
def x_01_03(r: Rule, ctx: Context):
    s = ctx.unit.stated_value("收入支出决算总表 本年支出合计")
    if s:
        t03 = ctx.derived.expense_table.sum_row.fig()
        yield ctx.compare(r, table="01", row="本年支出合计", column="", stated=s.value, computed=t03,
                          how="03表本年支出合计", source=s.src)


@rule("X-04-02", "04表三类财政拨款本年收入之和 = 02表财政拨款收入合计", ERROR, ("04", "02"))
def x_04_02(r: Rule, ctx: Context):
    d = ctx.derived
    income = d.fiscal["本年收入"]
    if not any(_fiscal_stated(ctx, "本年收入", k) is not None for k in income):
        return       # nothing stated: 一般公共预算 income is computed as the remainder (see T04-NEGATIVE)
    kinds = fsum(d.fig(f"04.本年收入.{k}", v) for k, v in income.items())
    f02 = d.income_table.sum_row.fig("财政拨款收入")
    yield ctx.compare(r, table="04", row="本年收入合计", column="", stated=kinds.value or ZERO,
                      computed=f02.value or ZERO, how="02表财政拨款收入合计", terms=pair_terms(kinds, f02),
                      source=ctx.unit.src("财政拨款收入支出决算总表.本年收入"))


@rule("X-04-07", "04表政府性基金预算财政拨款的年初、本年收入、年末 = 07表合计行", ERROR, ("04", "07"))
def x_04_07(r: Rule, ctx: Context):
    s07 = ctx.derived.fund_table.sum_row
    for section, col in (("年初财政拨款结转和结余", "年初结转和结余"), ("本年收入", "本年收入"),
                         ("年末财政拨款结转和结余", "年末结转和结余")):
        stated = _fiscal_stated(ctx, section, "政府性基金预算财政拨款")
        if stated is not None:
            yield ctx.compare(r, table="04", row="政府性基金预算财政拨款", column=section, stated=stated,
                              computed=s07.values.get(col) or ZERO, how=f"07表{col}合计", terms=s07.terms.get(col, 1),
                              source=ctx.unit.src(f"财政拨款收入支出决算总表.{section}.政府性基金预算财政拨款"))


@rule("X-03-05", "05表（一般公共预算财政拨款）每个科目不超过03表（全部资金）同一科目", ERROR, ("03", "05"))
def x_03_05(r: Rule, ctx: Context):
    d = ctx.derived
    for row05 in d.gp_expense_table.rows:
        row03 = d.expense_table.sum_row if row05.level == 0 else d.expense_table.row(row05.code)
        label = row05.code and f"{row05.code} {row05.name}" or "合计"
        pairs = (("本年支出合计", row05.total, row03.total if row03 else None),
                 ("基本支出", row05.values.get("基本支出"), row03.values.get("基本支出") if row03 else None),
                 ("项目支出", row05.values.get("项目支出"), row03.values.get("项目支出") if row03 else None))
        for col, v05, v03 in pairs:
            if (v05 or ZERO) > (v03 or ZERO):
                yield Finding(r.id, r.severity, "05", f"{label}的{col}：05表 {ctx.amount(v05)} 超过03表 "
                              f"{ctx.amount(v03)}（多 {ctx.amount((v05 or ZERO) - (v03 or ZERO))}）；一般公共预算财政拨款是全部支出的一部分",
                              ctx.unit.src("一般公共预算财政拨款支出决算表"), label, col, v03 or ZERO, v05)


@rule("X-03-FISCAL", "05、07、08表同一科目的财政拨款支出之和不超过03表", ERROR, ("03", "05", "07", "08"))
def x_03_fiscal(r: Rule, ctx: Context):
    d = ctx.derived
    codes = {row.code for t in (d.gp_expense_table, d.fund_table, d.soe_table) for row in t.rows if row.level}
    for code in sorted(codes):
        parts = [d.gp_expense_table.row(code), d.fund_table.row(code), d.soe_table.row(code)]
        fiscal = sum(((p.total or ZERO) for p in parts if p), ZERO)
        row03 = d.expense_table.row(code)
        spent = row03.total if row03 else None
        if fiscal > (spent or ZERO):
            name = next(p.name for p in parts if p)
            yield Finding(r.id, r.severity, "03", f"{code} {name}：财政拨款支出合计 {ctx.amount(fiscal)} 超过03表本年支出合计 "
                          f"{ctx.amount(spent)}", ctx.unit.src("支出决算表"), f"{code} {name}", "本年支出合计",
                          spent or ZERO, fiscal)


@rule("X-05-06", "05表基本支出合计 = 06表人员经费合计 + 公用经费合计", ERROR, ("05", "06"))
def x_05_06(r: Rule, ctx: Context):
    d = ctx.derived
    econ, t05 = d.personnel.fig("basic") + d.public.fig("basic"), d.gp_expense_table.sum_row.fig("基本支出")
    yield ctx.compare(r, table="06", row="人员经费合计 + 公用经费合计", column="基本支出", stated=econ.value or ZERO,
                      computed=t05.value or ZERO, how="05表基本支出合计", terms=pair_terms(econ, t05),
                      source=ctx.unit.src("经济分类支出明细"))


@rule("X-05-06-PROJECT", "06表列出项目支出时：06表项目支出合计 = 05表项目支出合计", ERROR, ("05", "06"))
def x_05_06_project(r: Rule, ctx: Context):
    d = ctx.derived
    if not any(g.project is not None for g in ctx.unit.econ_rows):
        return
    econ, t05 = d.personnel.fig("project") + d.public.fig("project"), d.gp_expense_table.sum_row.fig("项目支出")
    yield ctx.compare(r, table="06", row="各款项目支出之和", column="项目支出", stated=econ.value or ZERO,
                      computed=t05.value or ZERO, how="05表项目支出合计", terms=pair_terms(econ, t05),
                      source=ctx.unit.src("经济分类支出明细"))


def _no_carryover(ctx: Context) -> bool:
    s = ctx.derived.summary
    f = ctx.derived.fiscal["合计"]
    return not any((s.get("年初结转和结余"), s.get("年末结转和结余"), s.get("使用非财政拨款结余"), s.get("结余分配"),
                    f.get("年初财政拨款结转和结余"), f.get("年末财政拨款结转和结余")))


@rule("X-02-03", "无结转结余时，02表与03表科目相同、每个科目收入 = 支出", WARNING, ("02", "03"))
def x_02_03(r: Rule, ctx: Context):
    if not _no_carryover(ctx):
        return
    d = ctx.derived
    rows02 = {row.code: row for row in d.income_table.rows if row.level == 3}
    rows03 = {row.code: row for row in d.expense_table.rows if row.level == 3}
    for code in sorted(set(rows02) | set(rows03)):
        a, b = rows02.get(code), rows03.get(code)
        name = (a or b).name  # type: ignore[union-attr]
        if (a.total if a else ZERO) != (b.total if b else ZERO):
            yield Finding(r.id, r.severity, "02", f"{code} {name}：本年无结转结余，02表本年收入 {ctx.amount(a.total if a else ZERO)}"
                          f" 与03表本年支出 {ctx.amount(b.total if b else ZERO)} 不同", ctx.unit.src("收入决算表"),
                          f"{code} {name}", "本年收入合计", (b.total if b else ZERO) or ZERO, (a.total if a else ZERO) or ZERO)


@rule("X-ADMIN-06", "行政单位、参公事业单位：机关运行经费 = 06表公用经费合计（基本支出）；部门决算含下属单位"
                    "（单位构成多于一个）时，机关运行经费不超过公用经费合计", ERROR, ("10", "06"))
def x_admin_06(r: Rule, ctx: Context):
    u = ctx.unit
    if not u.reports_admin_cost:
        return
    public = ctx.derived.public.fig("basic")
    source = u.src("相关信息统计.机关运行经费")
    if len(u.members) > 1:       # the subordinate 事业单位's 公用经费 are not 机关运行经费
        if (u.admin_cost or ZERO) > (public.value or ZERO):
            yield Finding(r.id, r.severity, "10", f"机关运行经费 {ctx.amount(u.admin_cost)} 超过06表公用经费合计 "
                          f"{ctx.amount(public.value or ZERO)}：机关运行经费是公用经费的一部分", source,
                          "机关运行经费", "", public.value or ZERO, u.admin_cost or ZERO)
        return
    yield ctx.compare(r, table="10", row="机关运行经费", column="", stated=u.admin_cost or ZERO,
                      computed=public, how="06表公用经费合计", source=source)


@rule("X-ADMIN-NA", "事业单位（非参公）没有机关运行经费", ERROR, ("10",))
def x_admin_na(r: Rule, ctx: Context):
    u = ctx.unit
    if not u.reports_admin_cost and u.admin_cost:
        yield Finding(r.id, r.severity, "10", f"单位性质为事业单位，却填写了机关运行经费 {ctx.amount(u.admin_cost)}；"
                      "机关运行经费只属于行政单位和参照公务员法管理的事业单位", u.src("相关信息统计.机关运行经费"),
                      "机关运行经费", "", ZERO, u.admin_cost)


@rule("X-09-06", "09表三公各项决算不少于06表对应经济分类（模板的三公经费目录：30212、30217、30231 …）", WARNING, ("09", "06"))
def x_09_06(r: Rule, ctx: Context):
    actual = ctx.derived.sangong["决算数"]
    for item, code in ctx.profile.sangong.econ.items():
        line = ctx.derived.econ.get(code)
        econ = (line.amount if line else None) or ZERO
        sg = actual.get(item) or ZERO
        if econ > sg:
            yield Finding(r.id, r.severity, "09", f"06表{code} {line.name if line else ''} 为 {ctx.amount(econ)}，"
                          f"多于09表决算数{item} {ctx.amount(sg)}；三公经费决算包括全部财政拨款，不应少于06表",
                          ctx.unit.src(f"三公经费.决算数.{item}"), "决算数", item, econ, sg)
