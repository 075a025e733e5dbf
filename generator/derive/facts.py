"""Every number the 第三部分 情况说明 speaks of, computed from the printed tables.

``section_facts`` takes the printed figures (``derive.printed.publish``): every 占比, 增减 and rate is
computed from amounts as the tables print them, so a reader can recompute it (docs/money.md).
Templates only format and phrase these values; they never add, subtract or divide. Amounts
are Decimal, rates are Decimal percentages (two places, half up) or None when the base is 0,
comparisons are numbers.Change or None when last year's figure is not known.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Callable

from ..model import EXPENSE_COLUMNS, INCOME_COLUMNS
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
    gp = table is d.gp_expense_table
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


def _share_list(d: Derived, items: list[tuple[str, Decimal | None]], whole: Decimal | None = None) -> list[Share]:
    """Each item with its 占比 in ``whole`` (the printed total named beside them; default their sum),
    the 尾差 placed as the profile's 占比尾差 says."""
    rates = shares([v for _, v in items], whole, d.profile.share_tail)
    return [Share(label, v or ZERO, r) for (label, v), r in zip(items, rates)]


# ---------------------------------------------------------------- one dataclass and one function per section
# The profile's 情况说明提纲 names the facts of each section (事实: 收支总体 …); its wording template
# gets the Common fields and that section's fields, nothing else, so a name a template uses that
# its section lacks is an error when it is rendered (the environment's StrictUndefined), not an
# empty sentence.

@dataclass(frozen=True)
class Common:
    """What every section's wording may name."""
    unit: Any
    year: int
    mu: str                              # 金额单位 of the printed figures
    kind: str                            # 部门 | 单位
    profile: Any
    words: dict                          # the unit's own 情况说明 texts
    list_zero_items: bool
    grouping: bool                       # 说明千分位


@dataclass(frozen=True)
class Overall:                           # 一 收入支出决算总体情况
    income_total: Decimal
    expense_total: Decimal
    ch_income_total: Change | None
    ch_expense_total: Change | None
    reason_total: str


@dataclass(frozen=True)
class Income:                            # 二 收入决算情况
    income_sum: Decimal
    income_items: list[Share]


@dataclass(frozen=True)
class Expense:                           # 三 支出决算情况
    expense_sum: Decimal
    expense_items: list[Share]


@dataclass(frozen=True)
class Fiscal:                            # 四 财政拨款收支总体情况
    fiscal_income_total: Decimal
    fiscal_expense_total: Decimal
    ch_fiscal_income: Change | None
    ch_fiscal_expense: Change | None
    reason_fiscal: str


@dataclass(frozen=True)
class General:                           # 五 一般公共预算财政拨款支出
    gp_total: Decimal
    gp_share_of_expense: Decimal | None  # of 本年支出合计 (03)
    ch_gp: Change | None
    reason_gp: str
    gp_classes: list[Share]
    gp_class_details: list[ClassDetail]
    gp_budget_total: Decimal | None      # 年初预算 of its 类
    gp_completion: Decimal | None
    gp_full_budget_total: Decimal | None  # 全年预算 (adjusted)
    gp_full_completion: Decimal | None
    gp_compare: str                      # 大于 | 小于 | 持平 | ""
    reason_gp_budget: str
    gp_items: list[ItemDetail]


@dataclass(frozen=True)
class Basic:                             # 六 一般公共预算财政拨款基本支出
    basic_total: Decimal
    gp_personnel: Decimal
    gp_public: Decimal
    personnel_items: list[Share]
    public_items: list[Share]
    personnel_note: str
    public_note: str


@dataclass(frozen=True)
class Balances:
    """A 政府性基金 or 国有资本经营 table's 合计 row and its 类 with their shares."""
    opening: Decimal | None
    income: Decimal | None
    spent: Decimal | None
    basic: Decimal | None
    project: Decimal | None
    closing: Decimal | None
    classes: list[Share]

    @property
    def empty(self) -> bool:
        return not any((self.opening, self.income, self.spent, self.basic, self.project, self.closing))


@dataclass(frozen=True)
class Fund:                              # 七 政府性基金预算财政拨款
    fund: Balances
    fund_empty: bool
    fund_items: list[ItemDetail]


@dataclass(frozen=True)
class Soe:                               # 八 国有资本经营预算财政拨款
    soe: Balances
    soe_empty: bool
    soe_items: list[ItemDetail]


@dataclass(frozen=True)
class Reception:
    batches: int
    people: int


@dataclass(frozen=True)
class Sangong:                           # 九 “三公”经费
    sg_budget: Decimal
    sg_actual: Decimal
    sg_completion: Decimal | None
    ch_sg: Change | None
    reason_sg: str
    sg_items: list[SangongItem]          # the items 合计 adds, down to a 小计's items (三公经费目录)
    sg_car: SangongItem | None           # the 小计 that holds the 购车 item (公务用车购置及运行维护费)
    sg_shares: list[Share]               # the first-level items in the 合计 (出国、车辆、接待)
    sg_by_name: dict[str, SangongItem]   # every item and 小计 by name
    sg_by_role: dict[str, SangongItem]   # 出国、购车、用车、接待 -> its item (三公经费目录's 角色)
    sg_others: list[SangongItem]         # items printed beside the 三公 but not in its 合计 (会议费、培训费 …)
    sg: dict                             # the unit's words (团组、车辆、接待 details)
    reception: Reception                 # 国内 + 国境外 接待


@dataclass(frozen=True)
class Purchase:
    total: Decimal
    goods: Decimal
    works: Decimal
    services: Decimal
    sme: Decimal | None                  # 授予中小企业合同金额
    small: Decimal | None                # 其中小微企业
    sme_share: Decimal | None
    small_share: Decimal | None


@dataclass(frozen=True)
class PerformanceSection:                # 预算绩效管理情况 (上海 十)
    performance: Performance


@dataclass(frozen=True)
class Other:                             # 十 其他重要事项
    admin_applicable: bool
    admin_cost: Decimal
    ch_admin: Change | None
    reason_admin: str
    purchase: Purchase
    vehicles: list[tuple[str, int]]      # (printed label, count)
    vehicles_total: int
    big_equipment: int
    assets: dict
    performance: Performance
    other: str


def _reasons(d: Derived) -> Any:
    """The unit's reason for a change, else the first of the profile's stand-ins (变动原因替代) it
    wrote: one lookup for the wording and the N-REASON rules."""
    w, fallbacks = _words(d), d.profile.reason_fallbacks

    def reason(key: str) -> str:
        return next((w[k] for k in (key, *fallbacks.get(key, ())) if w.get(k)), "")
    return reason


def overall(d: Derived) -> Overall:
    ly = d.last_year
    return Overall(income_total=d.summary["收入总计"] or ZERO, expense_total=d.summary["支出总计"] or ZERO,
                   ch_income_total=_ch(d.summary["收入总计"], ly.income_total if ly else None),
                   ch_expense_total=_ch(d.summary["支出总计"], ly.expense_total if ly else None),
                   reason_total=_reasons(d)("收入支出变动原因"))


def income(d: Derived) -> Income:
    s02 = d.income_table.sum_row
    return Income(s02.total or ZERO, _share_list(d, [(c, s02.values.get(c)) for c in INCOME_COLUMNS], s02.total))


def expense(d: Derived) -> Expense:
    s03 = d.expense_table.sum_row
    return Expense(s03.total or ZERO, _share_list(d, [(c, s03.values.get(c)) for c in EXPENSE_COLUMNS], s03.total))


def fiscal(d: Derived) -> Fiscal:
    fc, ly = d.fiscal["合计"], d.last_year
    return Fiscal(fiscal_income_total=fc["收入总计"] or ZERO, fiscal_expense_total=fc["支出总计"] or ZERO,
                  ch_fiscal_income=_ch(fc["收入总计"], ly.fiscal_income_total if ly else None),
                  ch_fiscal_expense=_ch(fc["支出总计"], ly.fiscal_expense_total if ly else None),
                  reason_fiscal=_reasons(d)("财政拨款收支变动原因"))


def _class_details(d: Derived, notes: dict) -> list[ClassDetail]:
    ly, out = d.last_year, []
    for r in d.gp_expense_table.classes:
        budget = d.budget.get(r.code)
        last = ly.gp_by_class.get(r.code) if ly else None
        if ly and ly.gp_by_class and last is None:
            last = ZERO            # a 类 absent from last year's list was 0 last year
        note = notes.get(r.code) or {}
        out.append(ClassDetail(code=r.code, name=r.name, amount=r.total or ZERO, budget=budget,
                               completion=percent(r.total, budget) if budget is not None else None,
                               change=_ch(r.total, last), use=note.get("用途") or "",
                               reason=note.get("变动原因") or ""))
    return out


def general(d: Derived) -> General:
    w, ly = _words(d), d.last_year
    s05, notes = d.gp_expense_table.sum_row, w.get("类说明") or {}
    gp_total = s05.total or ZERO
    codes = [r.code for r in d.gp_expense_table.classes]
    start, full = budget_total(d.budget, codes), budget_total(d.full_budget, codes)
    return General(gp_total=gp_total, gp_share_of_expense=percent(gp_total, d.expense_table.sum_row.total),
                   ch_gp=_ch(gp_total, ly.gp_expense if ly else None), reason_gp=_reasons(d)("一般公共预算支出变动原因"),
                   gp_classes=_share_list(d, [(r.name, r.total) for r in d.gp_expense_table.classes], s05.total),
                   gp_class_details=_class_details(d, notes),
                   gp_budget_total=start, gp_completion=percent(gp_total, start) if start is not None else None,
                   gp_full_budget_total=full, gp_full_completion=percent(gp_total, full) if full is not None else None,
                   gp_compare=_compare(gp_total, full if full is not None else start),
                   reason_gp_budget=w.get("预决算差异原因") or "", gp_items=item_details(d, d.gp_expense_table, notes))


def basic(d: Derived) -> Basic:
    w, names = _words(d), d.profile.econ_names
    personnel_items, public_items = [], []
    for code, line in d.econ.items():
        if len(code) != 5 or not line.basic:
            continue
        (personnel_items if code[:3] in d.profile.personnel_classes else public_items).append((names[code], line.basic))
    return Basic(basic_total=d.gp_expense_table.sum_row.values.get("基本支出") or ZERO,
                 gp_personnel=d.personnel.basic or ZERO, gp_public=d.public.basic or ZERO,
                 personnel_items=_share_list(d, personnel_items, d.personnel.basic),
                 public_items=_share_list(d, public_items, d.public.basic),
                 personnel_note=w.get("人员经费说明") or "", public_note=w.get("公用经费说明") or "")


def _balances(d: Derived, table) -> Balances:
    s = table.sum_row
    return Balances(opening=s.values.get("年初结转和结余"), income=s.values.get("本年收入"), spent=s.total,
                    basic=s.values.get("基本支出"), project=s.values.get("项目支出"),
                    closing=s.values.get("年末结转和结余"),
                    classes=_share_list(d, [(r.name, r.total) for r in table.classes], s.total))


def fund(d: Derived) -> Fund:
    b = _balances(d, d.fund_table)
    return Fund(b, b.empty, item_details(d, d.fund_table, _words(d).get("类说明") or {}))


def soe(d: Derived) -> Soe:
    b = _balances(d, d.soe_table)
    return Soe(b, b.empty, item_details(d, d.soe_table, _words(d).get("类说明") or {}))


def _sangong_item(name: str, d: Derived, words: dict) -> SangongItem:
    budget, actual = d.sangong["预算数"], d.sangong["决算数"]
    last = d.last_year.sangong if d.last_year and d.last_year.sangong else None
    return SangongItem(name=name, budget=budget.get(name) or ZERO, actual=actual.get(name) or ZERO,
                       completion=percent(actual.get(name), budget.get(name)),
                       change=_ch(actual.get(name), last.get(name) or ZERO) if last else None,
                       reason=words.get("变动原因") or "", use=words.get("用途") or "")


def sangong(d: Derived) -> Sangong:
    sg_words = _words(d).get("三公经费") or {}
    of = d.profile.sangong
    whole = _sangong_item(of.total, d, sg_words)
    by_name = {k: _sangong_item(k, d, sg_words.get(k) if k in of.leaves and isinstance(sg_words.get(k), dict) else {})
               for k in of.keys[1:]}
    items = [by_name[k] for top in of.counted for k in of.leaves_of(top)]
    car = next((by_name[g] for g, parts in of.groups.items() if of.roles.get("购车") in parts), None)
    actual = d.sangong["决算数"]
    dom, abroad = sg_words.get("国内接待") or {}, sg_words.get("国境外接待") or {}
    return Sangong(sg_budget=whole.budget, sg_actual=whole.actual, sg_completion=whole.completion, ch_sg=whole.change,
                   reason_sg=whole.reason, sg_items=items, sg_car=car,
                   sg_shares=_share_list(d, [(k, actual.get(k)) for k in of.counted], actual[of.total]),
                   sg_by_name=by_name, sg_by_role={role: by_name[k] for role, k in of.roles.items()},
                   sg_others=[by_name[k] for top in of.others for k in of.leaves_of(top)], sg=sg_words,
                   reception=Reception(batches=(dom.get("批次") or 0) + (abroad.get("批次") or 0),
                                       people=(dom.get("人次") or 0) + (abroad.get("人次") or 0)))


def _purchase(d: Derived) -> Purchase:
    p, pw = d.purchase, _words(d).get("政府采购") or {}
    sme, small = pw.get("中小企业合同金额"), pw.get("小微企业合同金额")
    return Purchase(total=p["合计"] or ZERO, goods=p.get("货物") or ZERO, works=p.get("工程") or ZERO,
                    services=p.get("服务") or ZERO, sme=sme, small=small,
                    sme_share=percent(sme, p["合计"]) if sme is not None else None,
                    small_share=percent(small, p["合计"]) if small is not None else None)


def performance(d: Derived) -> PerformanceSection:
    return PerformanceSection(_performance(_words(d).get("预算绩效"), form_summary(d), annexes(d)))


def other(d: Derived) -> Other:
    u, w, ly = d.unit, _words(d), d.last_year
    return Other(admin_applicable=u.reports_admin_cost, admin_cost=d.admin_cost or ZERO,
                 ch_admin=_ch(d.admin_cost, ly.admin_cost if ly else None) if u.reports_admin_cost else None,
                 reason_admin=w.get("机关运行经费变动原因") or "", purchase=_purchase(d),
                 vehicles=[(d.profile.vehicle_labels.get(k, k), v or 0) for k, v in d.vehicles.items()],
                 vehicles_total=d.vehicles_total or 0, big_equipment=u.big_equipment or 0,
                 assets=w.get("国有资产") or {}, performance=performance(d).performance, other=w.get("其他事项") or "")


# 事实 names a profile's 情况说明提纲 may give → the function that computes them.
SECTIONS: dict[str, Callable[[Derived], Any]] = {
    "收支总体": overall, "收入": income, "支出": expense, "财政拨款总体": fiscal, "一般公共预算": general,
    "基本支出": basic, "政府性基金": fund, "国有资本经营": soe, "三公经费": sangong, "预算绩效": performance,
    "其他事项": other,
}


def common(d: Derived) -> Common:
    u = d.unit
    return Common(unit=u, year=u.year, mu=d.money_unit, kind=u.kind_word, profile=d.profile, words=_words(d),
                  list_zero_items=d.profile.list_zero_items, grouping=d.profile.narrative_grouping)


def _printed(d: Derived) -> Derived:
    if not d.printed:
        raise ValueError("情况说明须由公开的（换算、四舍五入后的）数字生成：先调用 derive.printed.publish")
    return d


def section_facts(d: Derived, name: str) -> dict[str, Any]:
    """The names a section's wording template gets: Common's and those of section ``name``."""
    facts = SECTIONS[name](_printed(d))
    return {**_fields(common(d)), **_fields(facts)}


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
