"""Relations between printed facts that no table rule covers (issue 23): the same money or count
seen in two places of the report — 01 and 04 结转结余, last year's figures among themselves, the
三公 counts beside their money, the 三公 cars beside the 10表 vehicles, a 三公 item beside its
经济分类 line. docs/checks.md has the whole relation map (relation → rule id)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..model import FISCAL_KINDS
from ..numbers import ZERO, is_tail, money, tail_tolerance
from .registry import ERROR, INFO, WARNING, Context, Finding, Rule, rule
from .rules_text import WORDS, key_source

SG = f"{WORDS}.三公经费"


def _count(value: Any) -> int | None:
    """A count the unit wrote (团组、人次、批次、辆), or None when not written."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return int(value)
    return None


def _sg_words(ctx: Context) -> dict[str, Any]:
    v = (ctx.unit.words or {}).get("三公经费")
    return v if isinstance(v, dict) else {}


def _sg_actual(ctx: Context, item: str) -> Decimal:
    return ctx.derived.sangong["决算数"].get(item) or ZERO


def _role(ctx: Context, role: str) -> str | None:
    """The 三公 item the profile's 三公经费目录 gives ``role`` (出国、购车、接待); None: the rule does not apply."""
    return ctx.profile.sangong.roles.get(role)


def _n(value: int | None) -> str:
    return "未填写（印作 0）" if value is None else str(value)


# ---------------------------------------------------------------- 01 ↔ 04 结转和结余

@rule("X-01-04-CARRY", "01表年初、年末结转和结余不少于04表年初、年末财政拨款结转和结余（财政拨款结转结余是全部结转结余的一部分）",
      ERROR, ("01", "04"))
def x_01_04_carry(r: Rule, ctx: Context):
    d = ctx.derived
    for label01, label04 in (("年初结转和结余", "年初财政拨款结转和结余"), ("年末结转和结余", "年末财政拨款结转和结余")):
        fiscal = d.fiscal["合计"].get(label04) or ZERO
        whole = d.summary.get(label01) or ZERO
        diff = fiscal - whole
        if diff <= 0:
            continue
        terms = max(1, d.terms.get(f"04.合计.{label04}", 1) + d.terms.get(f"01.{label01}", 1) - 1)
        sev, tail = r.severity, ""
        if is_tail(diff, terms, ctx.unit.rounded_input):
            sev = INFO
            tail = f"：是四舍五入的尾差（容许 {format(tail_tolerance(terms).normalize(), 'f')}{ctx.mu}）"
        kinds = "、".join(f"{k}{ctx.amount(v)}" for k in FISCAL_KINDS if (v := d.fiscal[label04].get(k)))
        stated01 = "空白" if not d.summary.get(label01) else f"为 {ctx.amount(whole)}"
        yield Finding(r.id, sev, "01",
                      f"01表{label01}{stated01}，少于04表{label04} {ctx.amount(fiscal)}（{kinds or '三类财政拨款之和'}，"
                      f"由年初结转和结余 + 本年收入 − 本年支出算得）{tail}；财政拨款的结转结余是全部结转结余的一部分，"
                      f"请核对01表的{label01}，或05、07、08表的支出与02表的财政拨款收入",
                      _carry_source(ctx, label01, label04), label01, label04, fiscal, whole)


def _carry_source(ctx: Context, label01: str, label04: str):
    """Where to look: 01's figure when the file states it, else 04's, else table 05 (whose spending,
    against 02's 财政拨款收入, left the balance)."""
    u = ctx.unit
    for path in (f"收入支出决算总表.{label01}", f"财政拨款收入支出决算总表.{label04}", "一般公共预算财政拨款支出决算表"):
        src = u.sources.get(path)
        if src is not None:
            return src
    return u.src(f"收入支出决算总表.{label01}")


# ---------------------------------------------------------------- 上年 among themselves

def _ly(ctx: Context):
    return ctx.derived.last_year


def _ly_amount(ly, value: Decimal | None) -> str:
    return f"{money(value or ZERO)}{ly.money_unit}"


def _ly_src(ctx: Context, key: str):
    return key_source(ctx.unit, f"上年.{key}")


@rule("X-LY-BALANCE", "上年数：收入总计 = 支出总计，财政拨款收入总计 = 财政拨款支出总计（本年成立的等式上年同样成立）",
      ERROR, ("情况说明",))
def x_ly_balance(r: Rule, ctx: Context):
    ly = _ly(ctx)
    if ly is None:
        return
    for a, b, va, vb in (("收入总计", "支出总计", ly.income_total, ly.expense_total),
                         ("财政拨款收入总计", "财政拨款支出总计", ly.fiscal_income_total, ly.fiscal_expense_total)):
        if va is None or vb is None or va == vb:
            continue
        yield Finding(r.id, r.severity, "情况说明",
                      f"上年{b}填写为 {_ly_amount(ly, vb)}，上年{a}为 {_ly_amount(ly, va)}：两者应相等（01、04表的总计"
                      f"左右相等），说明中的“{b}增加（减少）”将与“{a}”的变动不一致", _ly_src(ctx, b), f"上年{b}", "",
                      va, vb)


@rule("X-LY-PARTS", "上年数：一般公共预算财政拨款支出与“三公”经费合计不超过财政拨款支出总计，财政拨款收入（支出）总计不超过收入（支出）总计",
      ERROR, ("情况说明",))
def x_ly_parts(r: Rule, ctx: Context):
    ly = _ly(ctx)
    if ly is None:
        return
    pairs = (("一般公共预算财政拨款支出", ly.gp_expense, "财政拨款支出总计", ly.fiscal_expense_total),
             ("“三公”经费合计", (ly.sangong or {}).get("合计"), "财政拨款支出总计", ly.fiscal_expense_total),
             ("财政拨款支出总计", ly.fiscal_expense_total, "支出总计", ly.expense_total),
             ("财政拨款收入总计", ly.fiscal_income_total, "收入总计", ly.income_total))
    for part, vp, whole, vw in pairs:
        if vp is None or vw is None or vp <= vw:
            continue
        key = "三公经费" if part.endswith("合计") else part
        yield Finding(r.id, r.severity, "情况说明",
                      f"上年{part} {_ly_amount(ly, vp)} 超过上年{whole} {_ly_amount(ly, vw)}（多 {_ly_amount(ly, vp - vw)}）："
                      f"前者是后者的一部分", _ly_src(ctx, key), f"上年{part}", "", vw, vp)


@rule("X-LY-GP-CLASS", "上年数：一般公共预算财政拨款支出 = 按类列出的上年数之和（须列出上年的每一类，包括本年没有的类）",
      ERROR, ("情况说明", "05"))
def x_ly_gp_class(r: Rule, ctx: Context):
    ly = _ly(ctx)
    if ly is None or ly.gp_expense is None or not ly.gp_by_class:
        return
    summed = sum(ly.gp_by_class.values(), ZERO)
    diff = ly.gp_expense - summed
    if diff == 0:
        return
    terms = len(ly.gp_by_class)
    sev, tail = r.severity, ""
    if is_tail(diff, terms, (ly.money_unit or ctx.unit.money_unit) != "元"):
        sev, tail = INFO, f"：是四舍五入的尾差（容许 {format(tail_tolerance(terms).normalize(), 'f')}{ly.money_unit}）"
    listed = "、".join(f"{c} {_ly_amount(ly, v)}" for c, v in ly.gp_by_class.items())
    yield Finding(r.id, sev, "情况说明",
                  f"上年一般公共预算财政拨款支出填写为 {_ly_amount(ly, ly.gp_expense)}，按类之和（{listed}）为 "
                  f"{_ly_amount(ly, summed)}，{'多' if diff > 0 else '少'} {_ly_amount(ly, abs(diff))}{tail}；说明中合计的增减"
                  f"将与各类增减之和不一致（上年有本年没有的类时，也须写在“一般公共预算财政拨款支出按类”中）",
                  _ly_src(ctx, "一般公共预算财政拨款支出"), "上年一般公共预算财政拨款支出", "", summed, ly.gp_expense)


# ---------------------------------------------------------------- 09 三公 ↔ 04, 06

@rule("X-09-04", "09表“三公”经费决算合计不超过04表财政拨款本年支出合计（“三公”经费是财政拨款支出的一部分）", ERROR, ("09", "04"))
def x_09_04(r: Rule, ctx: Context):
    sg = _sg_actual(ctx, ctx.profile.sangong.total)
    spent = ctx.derived.fiscal["合计"].get("本年支出合计") or ZERO
    if sg > spent:
        yield Finding(r.id, r.severity, "09", f"“三公”经费决算合计 {ctx.amount(sg)} 超过财政拨款本年支出合计 {ctx.amount(spent)}"
                      f"（多 {ctx.amount(sg - spent)}）；“三公”经费是财政拨款支出的一部分",
                      ctx.unit.src("三公经费.决算数"), "决算数", "合计", spent, sg)


@rule("X-09-06-OVER", "06表列出项目支出（或没有项目支出）、且没有政府性基金和国有资本经营支出时：09表三公各项决算不超过06表对应经济分类"
                      "（30212、30217、30231、31013）的金额", WARNING, ("09", "06"))
def x_09_06_over(r: Rule, ctx: Context):
    d = ctx.derived
    covers_all = any(g.project is not None for g in ctx.unit.econ_rows) or not (d.gp_expense_table.sum_row.values.get("项目支出") or ZERO)
    if not ctx.unit.econ_rows or not covers_all or not d.fund_table.empty or not d.soe_table.empty:
        return
    for item, code in ctx.profile.sangong.econ.items():
        sg = _sg_actual(ctx, item)
        line = d.econ.get(code)
        econ = ((line.basic or ZERO) + (line.project or ZERO)) if line else ZERO
        if sg > econ:
            name = ctx.profile.econ_names.get(code, "")
            yield Finding(r.id, r.severity, "09",
                          f"09表{item}决算数 {ctx.amount(sg)} 超过06表{code} {name} {ctx.amount(econ)}；本单位的财政拨款支出"
                          f"都在06表中（有项目支出列，没有政府性基金、国有资本经营支出），{item}应计入该经济分类",
                          ctx.unit.src(f"三公经费.决算数.{item}"), "决算数", item, econ, sg)


# ---------------------------------------------------------------- 三公 counts ↔ money

@rule("X-SG-ABROAD", "因公出国（境）：团组数、人次与因公出国（境）费决算数相符（有费用须有团组，有团组须有费用；团组数不超过人次）",
      ERROR, ("09", "情况说明"))
def x_sg_abroad(r: Rule, ctx: Context):
    item = _role(ctx, "出国")
    if item is None:
        return
    w = _sg_words(ctx)
    groups, people = _count(w.get("出国团组数")), _count(w.get("出国人次"))
    spent = _sg_actual(ctx, item)
    src = key_source(ctx.unit, f"{SG}.出国团组数")
    g, p = groups or 0, people or 0
    if spent > 0 and g == 0:
        yield Finding(r.id, r.severity, "09", f"{item}决算数 {ctx.amount(spent)}，出国团组数{_n(groups)}：说明将印"
                      f"“出国团组共0个”，与费用矛盾；请填写“三公经费.出国团组数”和“出国人次”", src, item,
                      "出国团组数", None, spent)
    elif spent == 0 and (g or p):
        yield Finding(r.id, r.severity, "09", f"出国团组 {g} 个、{p} 人次，但{item}决算数为 {ctx.amount(spent)}："
                      f"出国的费用应在09表中（若确无财政拨款支出，团组数与人次填 0）", src, item, "出国团组数",
                      None, Decimal(g))
    if (g == 0) != (p == 0) or g > p:
        yield Finding(r.id, r.severity, "情况说明", f"出国团组 {g} 个、{p} 人次：每个团组至少一人，团组数不能多于人次，"
                      f"有团组就有人次", key_source(ctx.unit, f"{SG}.出国人次"), "出国人次", "", Decimal(g), Decimal(p))


def _receptions(ctx: Context) -> list[tuple[str, str, dict]]:
    w = _sg_words(ctx)
    return [(label, key, w.get(key) if isinstance(w.get(key), dict) else {})
            for label, key in (("国内接待", "国内接待"), ("国（境）外接待", "国境外接待"), ("外事接待", "外事接待"))]


@rule("X-SG-RECEPTION", "公务接待：有接待费须有批次、人次（说明不印“共接待0批次”），批次不多于人次", ERROR, ("09", "情况说明"))
def x_sg_reception(r: Rule, ctx: Context):
    item = _role(ctx, "接待")
    if item is None:
        return
    spent = _sg_actual(ctx, item)
    parts = _receptions(ctx)
    batches = sum(_count(p.get("批次")) or 0 for label, _, p in parts if label != "外事接待")
    if spent > 0 and batches == 0:
        yield Finding(r.id, r.severity, "09", f"{item}决算数 {ctx.amount(spent)}，接待批次为 0（未填写按 0 印出）：说明将印"
                      f"“共接待0批次，0人次”，与费用矛盾；请填写“三公经费.国内接待”（及国境外接待）的批次、人次",
                      key_source(ctx.unit, f"{SG}.国内接待.批次"), item, "批次", None, spent)
    for label, key, p in parts:
        amount, b, n = p.get("金额"), _count(p.get("批次")) or 0, _count(p.get("人次")) or 0
        if isinstance(amount, Decimal) and amount > 0 and b == 0 and not (spent > 0 and batches == 0):
            yield Finding(r.id, r.severity, "情况说明", f"{label}金额 {ctx.amount(amount)}，批次为 0：有接待费就有接待批次",
                          key_source(ctx.unit, f"{SG}.{key}.批次"), label, "批次", None, amount)
        if (b == 0) != (n == 0) or b > n:
            yield Finding(r.id, r.severity, "情况说明", f"{label} {b} 批次、{n} 人次：每批次至少一人，批次不能多于人次，"
                          f"有批次就有人次", key_source(ctx.unit, f"{SG}.{key}.人次"), label, "人次", Decimal(b), Decimal(n))


@rule("X-SG-RECEPTION-FREE", "公务接待：有接待批次而公务接待费为 0（不花钱的公务接待少见，请核对）", WARNING, ("09", "情况说明"))
def x_sg_reception_free(r: Rule, ctx: Context):
    item = _role(ctx, "接待")
    if item is None:
        return
    spent = _sg_actual(ctx, item)
    batches = sum(_count(p.get("批次")) or 0 for label, _, p in _receptions(ctx) if label != "外事接待")
    if spent == 0 and batches > 0:
        yield Finding(r.id, r.severity, "09", f"共接待 {batches} 批次，{item}决算数为 {ctx.amount(spent)}：请确认接待的"
                      f"费用没有漏填在09表中", key_source(ctx.unit, f"{SG}.国内接待.批次"), item, "批次",
                      None, Decimal(batches))


@rule("X-SG-CAR-BUY", "公务用车购置：购置车辆数与公务用车购置费决算数相符（有费用须有车辆，有车辆须有费用）", ERROR, ("09", "情况说明"))
def x_sg_car_buy(r: Rule, ctx: Context):
    item = _role(ctx, "购车")
    if item is None:
        return
    bought = _count(_sg_words(ctx).get("购置车辆数"))
    spent = _sg_actual(ctx, item)
    src = key_source(ctx.unit, f"{SG}.购置车辆数")
    if spent > 0 and not bought:
        yield Finding(r.id, r.severity, "09", f"{item}决算数 {ctx.amount(spent)}，购置车辆数{_n(bought)}：说明将印"
                      f"“购置公务用车0辆”，与费用矛盾", src, item, "购置车辆数", None, spent)
    elif spent == 0 and bought:
        yield Finding(r.id, r.severity, "09", f"购置公务用车 {bought} 辆，但{item}决算数为 {ctx.amount(spent)}",
                      src, item, "购置车辆数", None, Decimal(bought))


@rule("X-SG-CARS", "公务用车保有量不超过10表（国有资产占用）车辆数合计", ERROR, ("09", "10"))
def x_sg_cars(r: Rule, ctx: Context):
    held = _count(_sg_words(ctx).get("车辆保有量"))
    total = ctx.derived.vehicles_total
    if held is None or total is None or held <= total:
        return
    yield Finding(r.id, r.severity, "10", f"“三公”经费说明的公务用车保有量 {held} 辆，多于国有资产占用的车辆数合计 {total} 辆："
                  f"两处都会印出，财政拨款负担的公务用车是单位车辆的一部分", key_source(ctx.unit, f"{SG}.车辆保有量"),
                  "车辆保有量", "", Decimal(total), Decimal(held))


@rule("X-SG-CAR-HELD", "本年购置的公务用车数不超过年末公务用车保有量", WARNING, ("情况说明",))
def x_sg_car_held(r: Rule, ctx: Context):
    w = _sg_words(ctx)
    bought, held = _count(w.get("购置车辆数")), _count(w.get("车辆保有量"))
    if bought and held is not None and bought > held:
        yield Finding(r.id, r.severity, "情况说明", f"本年购置公务用车 {bought} 辆，年末保有量只有 {held} 辆：请核对（当年购置"
                      f"当年处置的少见）", key_source(ctx.unit, f"{SG}.车辆保有量"), "车辆保有量", "", Decimal(bought),
                      Decimal(held))


__all__: list[str] = []
