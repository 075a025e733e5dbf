"""Every number the 第三部分 情况说明 speaks of, computed from the printed tables.

``build_facts`` takes the printed figures (``derive.printed.publish``): every 占比, 增减 and rate is
computed from amounts as the tables print them, so a reader can recompute it (docs/money.md).
Templates only format and phrase these values; they never add, subtract or divide. Amounts
are Decimal, rates are Decimal percentages (two places, half up) or None when the base is 0,
comparisons are numbers.Change or None when last year's figure is not known.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..model import EXPENSE_COLUMNS, INCOME_COLUMNS, SANGONG_ITEMS
from ..numbers import ZERO, Change, change, percent, shares, total
from .performance import summarize
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
class ItemDetail:
    """A 项 of a subject table explained one by one (上海 五（三）、八、九): its 类/款/项 names,
    the amount, the budget it is compared with and the unit's words."""
    code: str
    path: str                           # “一般公共服务支出（类）社会工作事务（款）行政运行（项）”
    amount: Decimal
    budget: Decimal | None              # 全年预算 when given, else 年初预算
    budget_word: str                    # 全年预算 | 年初预算
    completion: Decimal | None          # amount / budget %
    compare: str                        # 大于 | 小于 | 持平 | "" (no budget)
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
    grade_counts: dict[str, int] | None = None   # every 等级 given, zeros included
    system: str = ""                     # 制度: the unit's 预算绩效管理制度 and 机制
    target_projects: int | None = None   # 编报绩效目标的项目数 / 金额
    target_amount: Decimal | None = None
    tracking_projects: int | None = None  # 绩效跟踪评价的项目数 / 金额
    tracking_amount: Decimal | None = None
    average: Decimal | None = None       # 平均得分
    annexes: dict[str, list[int]] = field(default_factory=dict)   # 项目自评 | 整体自评 | 评价报告 -> 附件 numbers
    problems: int | None = None          # 发现问题数, 已整改, 正在整改
    fixed: int | None = None
    fixing: int | None = None

    @property
    def empty(self) -> bool:
        return self.projects is None and self.amount is None and not self.grades and not self.text


def form_summary(d: Derived):
    """What the unit's 项目支出绩效自评表 add up to (None without forms), in the report's unit."""
    layout = d.profile.self_eval_layout
    if layout is None or not d.self_evals:
        return None
    return summarize([d.self_evals[i] for i in sorted(d.self_evals)], str(layout.form.get("金额单位", d.money_unit)),
                     d.money_unit, [g for g, _ in d.profile.grade_thresholds])


def annexes(d: Derived) -> dict[str, list[int]]:
    """Which 附件 carries which kind of form (附件 numbers from 1), for “详见附件N”."""
    kinds = {"项目自评": d.self_evals, "整体自评": d.overall_evals, "评价报告": d.eval_reports}
    return {k: [i + 1 for i in sorted(v)] for k, v in kinds.items() if v}


def _performance(value: Any, forms=None, numbers: dict[str, list[int]] | None = None) -> Performance:
    """The 预算绩效 data; figures the unit left out come from its 自评表 (when it wrote the figures as
    data at all: a unit's own text is left as it is, and rule P-SUMMARY compares what it states)."""
    if not isinstance(value, dict):
        return Performance(None, "", None, None, [], value or "")
    if forms is not None:
        value = {**value}
        value.setdefault("自评项目数", forms.projects)
        value.setdefault("自评金额", forms.spent)
        value.setdefault("自评等级", forms.grades)
    counts = {str(g): int(n or 0) for g, n in (value.get("自评等级") or {}).items()}
    return Performance(projects=value.get("自评项目数"), level=value.get("项目层级") or "",
                       amount=value.get("自评金额"), gp_amount=value.get("其中一般公共预算"),
                       grades=[(g, n) for g, n in counts.items() if n], text=value.get("说明") or "",
                       grade_counts=counts, system=value.get("制度") or "",
                       target_projects=value.get("绩效目标项目数"), target_amount=value.get("绩效目标金额"),
                       tracking_projects=value.get("绩效跟踪项目数"), tracking_amount=value.get("绩效跟踪金额"),
                       average=value.get("平均得分"), problems=value.get("发现问题数"),
                       fixed=value.get("已整改问题数"), fixing=value.get("正在整改问题数"),
                       annexes=dict(numbers or {}))


def budget_total(budget: dict[str, Decimal], classes: list[str]) -> Decimal | None:
    """The budget of the listed 类: a 类's own figure where given, else its 款' figures, else its
    项' (a budget may be given at any level; no level is counted twice). None when none is given."""
    parts: list[Decimal] = []
    for c in classes:
        if c in budget:
            parts.append(budget[c])
            continue
        kuan = [k for k in budget if len(k) == 5 and k.startswith(c)]
        parts += [budget[k] for k in kuan]
        parts += [budget[x] for x in budget if len(x) == 7 and x.startswith(c) and x[:5] not in kuan]
    return total(parts) if parts else None


def _compare(amount: Decimal | None, budget: Decimal | None) -> str:
    if budget is None:
        return ""
    a = amount or ZERO
    return "大于" if a > budget else "小于" if a < budget else "持平"


def item_details(d: Derived, table, notes: dict) -> list[ItemDetail]:
    """Every 项 of ``table`` with its 类/款/项 names, its budget (全年 if given, else 年初; only
    for 一般公共预算) and the unit's 用途 and 原因 (类说明 by code)."""
    gp = table is d.t05
    out = []
    for r in table.rows:
        if r.level != 3:
            continue
        names = [(x.name, word) for x, word in ((table.row(r.code[:3]), "类"), (table.row(r.code[:5]), "款"))
                 if x is not None]
        path = "".join(f"{n}（{w}）" for n, w in names) + f"{r.name}（项）"
        full, start = (d.full_budget.get(r.code), d.budget.get(r.code)) if gp else (None, None)
        budget, word = (full, "全年预算") if full is not None else (start, "年初预算")
        note = notes.get(r.code) or {}
        out.append(ItemDetail(code=r.code, path=path, amount=r.total or ZERO, budget=budget, budget_word=word,
                              completion=percent(r.total, budget) if budget is not None else None,
                              compare=_compare(r.total, budget), use=note.get("用途") or "",
                              reason=note.get("变动原因") or ""))
    return out


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
                         "profile": d.profile, "words": w, "list_zero_items": d.profile.list_zero_items,
                         "grouping": d.profile.narrative_grouping}

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
    f["gp_budget_total"] = budget_total(d.budget, [r.code for r in classes])
    f["gp_completion"] = percent(gp_total, f["gp_budget_total"]) if f["gp_budget_total"] is not None else None
    # 全年预算 (adjusted), where the profile's wording explains down to the 项
    f["gp_full_budget_total"] = budget_total(d.full_budget, [r.code for r in classes])
    full = f["gp_full_budget_total"]
    f["gp_full_completion"] = percent(gp_total, full) if full is not None else None
    f["gp_compare"] = _compare(gp_total, full if full is not None else f["gp_budget_total"])
    f["reason_gp_budget"] = w.get("预决算差异原因") or ""
    f["gp_items"] = item_details(d, d.t05, notes)

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
    f["fund_items"] = item_details(d, d.t07, notes)
    s08 = d.t08.sum_row
    f["soe"] = {"spent": s08.total, "basic": s08.values.get("基本支出"), "project": s08.values.get("项目支出"),
                "opening": s08.values.get("年初结转和结余"), "income": s08.values.get("本年收入"),
                "closing": s08.values.get("年末结转和结余"),
                "classes": _share_list([(r.name, r.total) for r in d.t08.classes], s08.total)}
    f["soe_empty"] = not any(v for k, v in f["soe"].items() if k != "classes")
    f["soe_items"] = item_details(d, d.t08, notes)

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
    car = "公务用车购置及运行维护费"
    f["sg_car"] = SangongItem(name=car, budget=budget.get(car) or ZERO, actual=actual.get(car) or ZERO,
                              completion=percent(actual.get(car), budget.get(car)),
                              change=_ch(actual.get(car), (last_sg.get(car) or ZERO)) if last_sg else None,
                              reason="", use="")
    f["sg_shares"] = _share_list([(k, actual.get(k)) for k in ("因公出国（境）费", car, "公务接待费")], actual["合计"])
    f["sg_by_name"] = {i.name: i for i in items}
    f["sg"] = sg_words
    dom, abroad = sg_words.get("国内接待") or {}, sg_words.get("国境外接待") or {}
    f["reception"] = {"batches": (dom.get("批次") or 0) + (abroad.get("批次") or 0),
                      "people": (dom.get("人次") or 0) + (abroad.get("人次") or 0)}

    # 十 其他重要事项
    f["admin_applicable"] = u.reports_admin_cost
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
    f["performance"] = _performance(w.get("预算绩效"), form_summary(d), annexes(d))
    f["other"] = w.get("其他事项") or ""
    return f
