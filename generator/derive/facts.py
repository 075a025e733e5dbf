"""Every number the 第三部分 情况说明 speaks of, computed from the printed tables.

``build_facts`` takes the printed figures (``derive.printed.publish``): every 占比, 增减 and rate is
computed from amounts as the tables print them, so a reader can recompute it (docs/money.md).
Templates only format and phrase these values; they never add, subtract or divide. Amounts
are Decimal, rates are Decimal percentages (two places, half up) or None when the base is 0,
comparisons are numbers.Change or None when last year's figure is not known.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..model import EXPENSE_COLUMNS, INCOME_COLUMNS, SANGONG_ITEMS
from ..numbers import ZERO, Change, change, percent, shares, total
from .totals import Derived


@dataclass
class Share:
    label: str
    amount: Decimal
    share: Decimal | None


@dataclass
class ClassDetail:
    code: str
    name: str
    amount: Decimal
    budget: Decimal | None
    completion: Decimal | None          # 完成年初预算 %
    change: Change | None               # vs last year's 决算 of this 类
    use: str
    reason: str


@dataclass
class SangongItem:
    name: str
    budget: Decimal
    actual: Decimal
    completion: Decimal | None
    change: Change | None
    reason: str
    use: str


@dataclass
class Performance:
    """第三部分 十（四）预算绩效: the self-evaluation figures as data, and the unit's text."""

    projects: int | None                 # 自评项目数
    level: str                           # 项目层级 (“二级”), printed before 项目
    amount: Decimal | None               # 自评金额
    gp_amount: Decimal | None            # 其中一般公共预算
    grades: list[tuple[str, int]]        # (等级, 项目个数), in the order given, non-zero only
    text: str                            # free text (paragraphs) after the figures

    @property
    def empty(self) -> bool:
        return self.projects is None and self.amount is None and not self.grades and not self.text


def _performance(value: Any) -> Performance:
    if not isinstance(value, dict):
        return Performance(None, "", None, None, [], value or "")
    grades = [(str(g), int(n)) for g, n in (value.get("自评等级") or {}).items() if n]
    return Performance(projects=value.get("自评项目数"), level=value.get("项目层级") or "",
                       amount=value.get("自评金额"), gp_amount=value.get("其中一般公共预算"),
                       grades=grades, text=value.get("说明") or "")


def _words(d: Derived) -> dict[str, Any]:
    return d.words or {}


def _ch(this: Decimal | None, last: Decimal | None) -> Change | None:
    return None if last is None else change(this, last)


def _share_list(items: list[tuple[str, Decimal | None]], whole: Decimal | None = None) -> list[Share]:
    """Each item with its 占比 in ``whole`` (the printed total named beside them; default their sum)."""
    rates = shares([v for _, v in items], whole)
    return [Share(label, v or ZERO, r) for (label, v), r in zip(items, rates)]


def build_facts(d: Derived) -> dict[str, Any]:
    if not d.printed:
        raise ValueError("情况说明须由公开的（换算、四舍五入后的）数字生成：先调用 derive.printed.publish")
    u, w, ly = d.unit, _words(d), d.last_year
    f: dict[str, Any] = {"unit": u, "year": u.year, "mu": d.money_unit, "kind": u.kind_word,
                         "profile": d.profile, "words": w, "list_zero_items": d.profile.list_zero_items}

    # 一 收入支出决算总体情况
    f["income_total"] = d.summary["收入总计"] or ZERO
    f["expense_total"] = d.summary["支出总计"] or ZERO
    f["ch_income_total"] = _ch(d.summary["收入总计"], ly.income_total if ly else None)
    f["ch_expense_total"] = _ch(d.summary["支出总计"], ly.expense_total if ly else None)
    fallbacks = d.profile.reason_fallbacks

    def reason(key: str) -> str:
        """The unit's reason, else the first of the profile's stand-ins (变动原因替代) it wrote."""
        return next((w[k] for k in (key, *fallbacks.get(key, ())) if w.get(k)), "")

    f["reason_total"] = reason("收入支出变动原因")

    # 二 收入决算情况
    s02 = d.t02.sum_row
    f["income_sum"] = s02.total or ZERO
    f["income_items"] = _share_list([(c, s02.values.get(c)) for c in INCOME_COLUMNS], s02.total)

    # 三 支出决算情况
    s03 = d.t03.sum_row
    f["expense_sum"] = s03.total or ZERO
    f["expense_items"] = _share_list([(c, s03.values.get(c)) for c in EXPENSE_COLUMNS], s03.total)

    # 四 财政拨款收支总体情况
    fc = d.fiscal["合计"]
    f["fiscal_income_total"] = fc["收入总计"] or ZERO
    f["fiscal_expense_total"] = fc["支出总计"] or ZERO
    f["ch_fiscal_income"] = _ch(fc["收入总计"], ly.fiscal_income_total if ly else None)
    f["ch_fiscal_expense"] = _ch(fc["支出总计"], ly.fiscal_expense_total if ly else None)
    f["reason_fiscal"] = reason("财政拨款收支变动原因")

    # 五 一般公共预算财政拨款支出
    s05 = d.t05.sum_row
    gp_total = s05.total or ZERO
    f["gp_total"] = gp_total
    f["gp_share_of_expense"] = percent(gp_total, s03.total)
    f["ch_gp"] = _ch(gp_total, ly.gp_expense if ly else None)
    f["reason_gp"] = reason("一般公共预算支出变动原因")
    f["gp_personnel"] = d.personnel.basic or ZERO
    f["gp_public"] = d.public.basic or ZERO
    f["gp_personnel_share"] = percent(f["gp_personnel"], gp_total)
    f["gp_public_share"] = percent(f["gp_public"], gp_total)
    classes = d.t05.classes
    f["gp_classes"] = _share_list([(r.name, r.total) for r in classes], s05.total)
    notes = w.get("类说明") or {}
    details = []
    for r in classes:
        budget = d.budget.get(r.code)
        last = ly.gp_by_class.get(r.code) if ly else None
        if ly and ly.gp_by_class and last is None:
            last = ZERO            # a 类 absent from last year's list was 0 last year
        note = notes.get(r.code) or {}
        details.append(ClassDetail(code=r.code, name=r.name, amount=r.total or ZERO, budget=budget,
                                   completion=percent(r.total, budget) if budget is not None else None,
                                   change=_ch(r.total, last), use=note.get("用途") or "",
                                   reason=note.get("变动原因") or ""))
    f["gp_class_details"] = details
    budgets = [d.budget[r.code] for r in classes if r.code in d.budget]
    f["gp_budget_total"] = total(budgets)
    f["gp_completion"] = percent(gp_total, f["gp_budget_total"]) if budgets else None

    # 六 基本支出
    f["basic_total"] = s05.values.get("基本支出") or ZERO
    names = d.profile.econ_names
    personnel_items, public_items = [], []
    for code, line in d.econ.items():
        if len(code) != 5 or not line.basic:
            continue
        (personnel_items if code[:3] in d.profile.personnel_classes else public_items).append((names[code], line.basic))
    f["personnel_items"] = _share_list(personnel_items, d.personnel.basic)
    f["public_items"] = _share_list(public_items, d.public.basic)
    f["personnel_note"] = w.get("人员经费说明") or ""
    f["public_note"] = w.get("公用经费说明") or ""

    # 七 政府性基金 / 八 国有资本经营
    s07 = d.t07.sum_row
    f["fund"] = {"opening": s07.values.get("年初结转和结余"), "income": s07.values.get("本年收入"),
                 "spent": s07.total, "basic": s07.values.get("基本支出"), "project": s07.values.get("项目支出"),
                 "closing": s07.values.get("年末结转和结余"),
                 "classes": _share_list([(r.name, r.total) for r in d.t07.classes], s07.total)}
    f["fund_empty"] = not any(v for k, v in f["fund"].items() if k != "classes")
    s08 = d.t08.sum_row
    f["soe"] = {"spent": s08.total, "basic": s08.values.get("基本支出"), "project": s08.values.get("项目支出"),
                "classes": _share_list([(r.name, r.total) for r in d.t08.classes], s08.total)}
    f["soe_empty"] = not s08.total

    # 九 三公经费
    sg_words = w.get("三公经费") or {}
    budget, actual = d.sangong["预算数"], d.sangong["决算数"]
    last_sg = ly.sangong if ly and ly.sangong else None
    f["sg_budget"] = budget["合计"] or ZERO
    f["sg_actual"] = actual["合计"] or ZERO
    f["sg_completion"] = percent(actual["合计"], budget["合计"])
    f["ch_sg"] = _ch(actual["合计"], last_sg.get("合计") or ZERO) if last_sg else None
    f["reason_sg"] = sg_words.get("变动原因") or ""
    items = []
    for k in SANGONG_ITEMS:
        iw = sg_words.get(k) or {}
        items.append(SangongItem(name=k, budget=budget.get(k) or ZERO, actual=actual.get(k) or ZERO,
                                 completion=percent(actual.get(k), budget.get(k)),
                                 change=_ch(actual.get(k), (last_sg.get(k) or ZERO)) if last_sg else None,
                                 reason=iw.get("变动原因") or "", use=iw.get("用途") or ""))
    f["sg_items"] = items
    f["sg_by_name"] = {i.name: i for i in items}
    f["sg"] = sg_words
    dom, abroad = sg_words.get("国内接待") or {}, sg_words.get("国境外接待") or {}
    f["reception"] = {"batches": (dom.get("批次") or 0) + (abroad.get("批次") or 0),
                      "people": (dom.get("人次") or 0) + (abroad.get("人次") or 0)}

    # 十 其他重要事项
    f["admin_applicable"] = u.nature in ("行政单位", "参公事业单位")
    f["admin_cost"] = d.admin_cost or ZERO
    f["ch_admin"] = _ch(d.admin_cost, ly.admin_cost if ly else None) if f["admin_applicable"] else None
    f["reason_admin"] = w.get("机关运行经费变动原因") or ""
    p = d.purchase
    pw = w.get("政府采购") or {}
    f["purchase"] = {"total": p["合计"] or ZERO, "goods": p.get("货物") or ZERO, "works": p.get("工程") or ZERO,
                     "services": p.get("服务") or ZERO}
    sme, small = pw.get("中小企业合同金额"), pw.get("小微企业合同金额")
    f["purchase"]["sme"] = sme
    f["purchase"]["small"] = small
    f["purchase"]["sme_share"] = percent(sme, p["合计"]) if sme is not None else None
    f["purchase"]["small_share"] = percent(small, p["合计"]) if small is not None else None
    f["vehicles"] = [(d.profile.vehicle_labels.get(k, k), v or 0) for k, v in d.vehicles.items()]
    f["vehicles_total"] = d.vehicles_total or 0
    f["big_equipment"] = u.big_equipment or 0
    f["assets"] = w.get("国有资产") or {}
    f["performance"] = _performance(w.get("预算绩效"))
    f["other"] = w.get("其他事项") or ""
    return f
