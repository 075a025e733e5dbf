"""Derive every table total from the figures the file gives, in the file's own money unit.

Input: a loaded Unit and its Profile. Output: a Derived object with the full tables (合计,
类, 款, 项 rows), tables 01 and 04 assembled, 06 totals, 09 and 10 totals.

A total is the figure the file states for it, if it states one, else the sum of its parts (each
of them stated or summed in turn). For a file in 元, exported from the 决算软件, a stated total
that is not the exact sum is an error the check rules report; for a file of published 万元
tables, whose figures are already rounded, a stated total may differ from the sum of its
rounded parts by a 尾差, and the stated one is what the report prints (see docs/money.md). To
judge a 尾差, every figure carries ``terms``: how many rounded figures of the file it adds up
(1 for a figure the file gives, the sum of its parts' terms for a computed one).

``derive`` keeps exact values; ``derive.printed.publish`` turns them into the printed ones.
Only problems that make a table impossible to build (a subject without a name, a 类 or 款 row
with nothing under it) are input errors.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any, Iterable

from ..errors import InputError, Problem
from ..model import (FISCAL_KINDS, INCOME_COLUMNS, PURCHASE_KINDS, SUBJECT_TABLES, LastYear,
                     SubjectRow, Unit, row_sum_columns)
from ..numbers import ZERO, is_tail, total
from ..profile import Profile, SangongItems
from .performance import evaluate, evaluate_overall, evaluate_report

FUND_TABLE = "政府性基金预算财政拨款收入支出决算表"
ECON_TOTALS = ("人员经费合计", "公用经费合计")     # rows of 经济分类支出明细 that state 06 totals


@dataclass(frozen=True, slots=True)
class Fig:
    """A figure and the number of rounded figures of the file it adds up."""

    value: Decimal | None
    terms: int

    def __add__(self, other: "Fig") -> "Fig":
        return Fig(total([self.value, other.value]), self.terms + other.terms)


NOTHING = Fig(None, 0)


def given(value: Decimal | None) -> Fig:
    return Fig(value, 0 if value is None else 1)


def fsum(figs: Iterable[Fig]) -> Fig:
    value: Decimal | None = None
    terms = 0
    for f in figs:
        if f.value is not None:
            value = f.value if value is None else value + f.value
        terms += f.terms
    return Fig(value, terms)


def accept(stated: Decimal | None, against: Fig, rounded: bool, otherwise: Fig | None = None) -> Fig:
    """The figure a stated total stands for: the stated one when it equals ``against`` (the sum it
    must equal) or, for a file of rounded figures, differs from it by a 尾差; else the computed
    figure (``otherwise``, default ``against``), so that a wrong total is reported once by its
    check rule and does not spread into the other tables. Mirrors ``check.Context.compare``."""
    computed = against if otherwise is None else otherwise
    if stated is None:
        return computed
    diff = stated - (against.value or ZERO)
    if diff == 0 or is_tail(diff, against.terms, rounded):
        return Fig(stated, 1)
    return computed


@dataclass
class Row:
    code: str                      # '' for 合计
    name: str
    level: int                     # 0 合计, 1 类, 2 款, 3 项
    values: dict[str, Decimal | None]
    total: Decimal | None          # the row's total column (本年收入合计 …), None if all blank
    terms: dict[str, int] = field(default_factory=dict)    # per column: rounded figures summed
    total_terms: int = 0

    def get(self, col: str) -> Decimal:
        return self.values.get(col) or ZERO

    def fig(self, col: str | None = None) -> Fig:
        """A column's figure (None: the total column) with its terms."""
        if col is None:
            return Fig(self.total, self.total_terms)
        return Fig(self.values.get(col), self.terms.get(col, 0))


@dataclass
class SubjectTable:
    name: str
    columns: list[str]
    rows: list[Row]                # 合计 first, then depth-first by code

    @property
    def sum_row(self) -> Row:
        return self.rows[0]

    @property
    def classes(self) -> list[Row]:
        return [r for r in self.rows if r.level == 1]

    @cached_property
    def by_code(self) -> dict[str, Row]:
        return {r.code: r for r in self.rows if r.code}

    @cached_property
    def children(self) -> dict[str, list[Row]]:
        """Rows one level down, by parent code ('' for the 合计: the 类)."""
        out: dict[str, list[Row]] = {}
        for r in self.rows:
            if r.level:
                out.setdefault({1: "", 2: r.code[:3], 3: r.code[:5]}[r.level], []).append(r)
        return out

    def row(self, code: str) -> Row | None:
        return self.by_code.get(code)

    @property
    def empty(self) -> bool:
        return len(self.rows) <= 1 and all(v is None for v in self.rows[0].values.values())


@dataclass
class EconLine:
    code: str
    name: str
    basic: Decimal | None
    project: Decimal | None
    amount: Decimal | None = None          # 金额 = 基本支出 + 项目支出 (or as the file states it)
    terms: dict[str, int] = field(default_factory=dict)   # basic / project / amount

    def fig(self, col: str) -> Fig:
        return Fig(getattr(self, col), self.terms.get(col, 0))


def econ_line(code: str, name: str, basic: Fig, project: Fig, amount: Decimal | None = None,
              rounded: bool = False) -> EconLine:
    amt = accept(amount, basic + project, rounded)                  # T06-AMOUNT
    return EconLine(code, name, basic.value, project.value, amt.value,
                    {"basic": basic.terms, "project": project.terms, "amount": amt.terms})


@dataclass
class Derived:
    unit: Unit
    profile: Profile
    income_table: SubjectTable                 # 02 收入决算表 by 类/款/项
    expense_table: SubjectTable                # 03 支出决算表
    gp_expense_table: SubjectTable             # 05 一般公共预算财政拨款支出决算表
    fund_table: SubjectTable                   # 07 政府性基金预算财政拨款收入支出决算表
    soe_table: SubjectTable                    # 08 国有资本经营预算财政拨款支出决算表
    econ: dict[str, EconLine]                  # 06 by code, 款 and 项
    personnel: EconLine                        # 人员经费合计 (301 + 303)
    public: EconLine                           # 公用经费合计 (the rest)
    summary: dict[str, Decimal | None]         # 01 rows by label
    expense_by_class: dict[str, Decimal | None]  # 01 right side: 类 code -> 03 total
    fiscal: dict[str, dict[str, Decimal | None]]  # 04: section -> kind -> value
    fiscal_by_class: dict[str, dict[str, Decimal | None]]  # 04 right: 类 code -> kind/合计 -> value
    sangong: dict[str, dict[str, Decimal | None]]  # 预算数/决算数 -> item/合计/车辆小计 -> value
    purchase: dict[str, Decimal | None]
    vehicles: dict[str, int | None]
    vehicles_total: int | None
    admin_cost: Decimal | None                 # 10 机关运行经费
    budget: dict[str, Decimal]                 # 年初预算 by subject code
    last_year: LastYear | None                 # with 三公经费 合计
    words: dict[str, Any]                      # 情况说明 (its amounts in money_unit)
    money_unit: str                            # the unit of every amount above
    printed: bool = False                      # True: amounts as the report prints them
    terms: dict[str, int] = field(default_factory=dict)   # 01/04/09/10 figure key -> terms
    full_budget: dict[str, Decimal] = field(default_factory=dict)   # 全年预算 by subject code
    self_evals: dict[int, Any] = field(default_factory=dict)   # 附件 index -> performance.Evaluation
    overall_evals: dict[int, Any] = field(default_factory=dict)   # 附件 index -> performance.OverallEvaluation
    eval_reports: dict[int, Any] = field(default_factory=dict)    # 附件 index -> performance.ReportEvaluation

    def fig(self, key: str, value: Decimal | None) -> Fig:
        """A 01/04/09/10 figure with its terms; ``key`` as in ``terms`` ("01.收入总计" …)."""
        return Fig(value, self.terms.get(key, 0 if value is None else 1))


def derive(unit: Unit, profile: Profile) -> Derived:
    problems: list[Problem] = []
    unnamed: dict[str, list[Problem]] = {}
    tables = {t: build_subject_table(unit, t, profile, problems, unnamed) for t in SUBJECT_TABLES}
    problems.extend(merge_unnamed(unnamed))
    t02 = tables["收入决算表"]
    t03 = tables["支出决算表"]
    t05 = tables["一般公共预算财政拨款支出决算表"]
    t07 = tables[FUND_TABLE]
    t08 = tables["国有资本经营预算财政拨款支出决算表"]
    econ, personnel, public = build_econ(unit, profile, problems)
    terms: dict[str, int] = {}

    def keep(key: str, f: Fig) -> Decimal | None:
        terms[key] = f.terms
        return f.value

    rounded = unit.rounded_input

    def stated(label: str) -> Decimal | None:
        s = unit.stated_value(label)
        return s.value if s else None

    # ---- 04 财政拨款收入支出决算总表 (by kind; 01 uses its income)
    s02, s05, s07, s08 = t02.sum_row, t05.sum_row, t07.sum_row, t08.sum_row
    spent = {"一般公共预算财政拨款": s05.fig(), "政府性基金预算财政拨款": s07.fig(),
             "国有资本经营预算财政拨款": s08.fig()}
    given_04 = {sec: unit.fiscal.get(sec, {}) for sec in ("年初财政拨款结转和结余", "本年收入", "年末财政拨款结转和结余")}
    fund, soe, gp = FISCAL_KINDS[1], FISCAL_KINDS[2], FISCAL_KINDS[0]
    income = {fund: accept(given_04["本年收入"].get(fund), s07.fig("本年收入"), rounded),    # X-04-07
              soe: stated_or_given(given_04["本年收入"].get(soe), s08.fig())}
    fiscal_income_02 = s02.fig("财政拨款收入")
    others = income[fund] + income[soe]
    rest = (fiscal_income_02.value or ZERO) - (others.value or ZERO)       # 一般公共预算 = the remainder
    income[gp] = stated_or_given(given_04["本年收入"].get(gp),
                                 Fig(rest if (fiscal_income_02.value is not None or rest) else None,
                                     fiscal_income_02.terms + others.terms))
    income = {k: income[k] for k in FISCAL_KINDS}
    opening = {k: given(given_04["年初财政拨款结转和结余"].get(k)) for k in FISCAL_KINDS}
    opening[fund] = accept(given_04["年初财政拨款结转和结余"].get(fund), s07.fig("年初结转和结余"), rounded)
    closing: dict[str, Fig] = {}
    for k in FISCAL_KINDS:
        identity = Fig((opening[k].value or ZERO) + (income[k].value or ZERO) - (spent[k].value or ZERO),
                       opening[k].terms + income[k].terms + spent[k].terms)
        if k == fund and s07.values.get("年末结转和结余") is not None:
            computed = s07.fig("年末结转和结余")
        else:
            computed = identity if identity.value != 0 else Fig(None, identity.terms)   # a zero balance is blank
        closing[k] = accept(given_04["年末财政拨款结转和结余"].get(k), identity, rounded, computed)  # T04-BALANCE
    sections = {"本年收入": income, "年初财政拨款结转和结余": opening, "年末财政拨款结转和结余": closing,
                "本年支出": spent, "总计": {k: spent[k] + closing[k] for k in FISCAL_KINDS}}
    fiscal = {sec: {k: keep(f"04.{sec}.{k}", f) for k, f in figs.items()} for sec, figs in sections.items()}
    stated_04 = unit.fiscal.get("合计", {})
    by_kind = {"本年收入合计": income, "本年支出合计": spent, "年初财政拨款结转和结余": opening,
               "年末财政拨款结转和结余": closing}
    sums = {label: accept(stated_04.get(label), fsum(figs.values()), rounded) for label, figs in by_kind.items()}
    if stated_04.get("本年收入合计") is None and fiscal_income_02.value is not None:
        sums["本年收入合计"] = fiscal_income_02       # the same money as 02's 财政拨款收入 合计
    sums["收入总计"] = accept(stated_04.get("收入总计"), sums["本年收入合计"] + sums["年初财政拨款结转和结余"], rounded)
    sums["支出总计"] = accept(stated_04.get("支出总计"), sums["本年支出合计"] + sums["年末财政拨款结转和结余"], rounded)
    fiscal["合计"] = {k: keep(f"04.合计.{k}", f) for k, f in sums.items()}         # rule T04-TOTAL

    fiscal_by_class: dict[str, dict[str, Decimal | None]] = {}
    for code, _name in profile.classes:
        gp_c, fund_c, soe_c = _row_total(t05, code), _row_total(t07, code), _row_total(t08, code)
        fiscal_by_class[code] = {gp: gp_c, fund: fund_c, soe: soe_c, "合计": total([gp_c, fund_c, soe_c])}

    # ---- 01 收入支出决算总表 (a stated figure is accepted as its rule would: T01-*, X-01-*)
    s01 = {f"{k}收入": accept(stated(f"收入支出决算总表 {k}收入"), income[k], rounded) for k in FISCAL_KINDS}
    s01.update({col: s02.fig(col) for col in INCOME_COLUMNS[1:]})
    s01["本年收入合计"] = accept(stated("收入支出决算总表 本年收入合计"), fsum(s01.values()), rounded, s02.fig())
    s01["本年支出合计"] = accept(stated("收入支出决算总表 本年支出合计"), t03.sum_row.fig(), rounded)
    for k in ("使用非财政拨款结余", "年初结转和结余", "结余分配", "年末结转和结余"):
        s01[k] = given(unit.summary.get(k))
    s01["收入总计"] = accept(stated("收入支出决算总表 收入总计"),
                          s01["本年收入合计"] + s01["使用非财政拨款结余"] + s01["年初结转和结余"], rounded)
    s01["支出总计"] = accept(stated("收入支出决算总表 支出总计"),
                          s01["本年支出合计"] + s01["结余分配"] + s01["年末结转和结余"], rounded)
    summary = {k: keep(f"01.{k}", f) for k, f in s01.items()}
    expense_by_class = {code: _row_total(t03, code) for code, _ in profile.classes}

    # ---- 09 三公经费 (T09-CAR, T09-TOTAL): the items, 小计 and 合计 of the profile's 三公经费目录
    items_of = profile.sangong
    problems += unknown_sangong_keys(unit, items_of, profile.name)
    sangong: dict[str, dict[str, Decimal | None]] = {}
    for part in ("预算数", "决算数"):
        items = {k: given(unit.sangong.get(part, {}).get(k)) for k in items_of.leaves}
        items.update(sangong_totals(unit, f"三公经费{part}", items, items_of))
        sangong[part] = {k: keep(f"09.{part}.{k}", items[k]) for k in items_of.keys}

    # ---- 10 相关信息 (T10-PURCHASE)
    kinds = {k: given(unit.purchase.get(k)) for k in PURCHASE_KINDS}
    purchase = {k: keep(f"10.{k}", f) for k, f in kinds.items()}
    purchase["合计"] = keep("10.合计", accept(stated("政府采购合计"), fsum(kinds.values()), rounded))
    kinds = profile.vehicle_kinds              # 车辆类别名称: the kinds the profile's table counts
    problems += [not_the_profiles(unit, f"相关信息统计.车辆.{k}", k, (*kinds, "车辆数合计"), profile.name,
                                  "车辆类别", "车辆类别名称") for k in unit.vehicles if k not in kinds]
    vehicles = {k: unit.vehicles.get(k) for k in kinds}
    vehicles_known = [v for v in vehicles.values() if v is not None]
    vehicles_total = sum(vehicles_known) if vehicles_known else None

    if problems:
        raise InputError(problems)
    return Derived(unit=unit, profile=profile, income_table=t02, expense_table=t03, gp_expense_table=t05,
                   fund_table=t07, soe_table=t08,
                   econ=econ, personnel=personnel, public=public, summary=summary,
                   expense_by_class=expense_by_class, fiscal=fiscal, fiscal_by_class=fiscal_by_class,
                   sangong=sangong, purchase=purchase, vehicles=vehicles,
                   vehicles_total=vehicles_total, admin_cost=unit.admin_cost, budget=dict(unit.budget),
                   full_budget=dict(unit.full_budget), self_evals=evaluations(unit, profile),
                   overall_evals={i: evaluate_overall(ev, profile.grade_thresholds) for i, ev in unit.overall_evals.items()},
                   eval_reports={i: evaluate_report(ev, profile.grade_thresholds) for i, ev in unit.eval_reports.items()},
                   last_year=_last_year(unit, items_of), words=unit.words or {}, money_unit=unit.money_unit,
                   terms=terms)


def evaluations(unit: Unit, profile: Profile) -> dict[int, Any]:
    """Each 项目支出绩效自评表 of the unit, computed with the profile's form (its rounding) and grade
    thresholds; none when the profile has no 自评表版式 (rule A-SELF-EVAL-LAYOUT says so)."""
    layout = profile.self_eval_layout
    if layout is None:
        return {}
    step = Decimal(str(layout.form["得分精度"]))
    return {i: evaluate(ev, step, profile.grade_thresholds) for i, ev in unit.self_evals.items()}


def stated_or_given(value: Decimal | None, computed: Fig) -> Fig:
    """A figure the file may give itself (an input, not a total of other inputs), else computed."""
    return computed if value is None else Fig(value, 1)


def sangong_totals(unit: Unit, label: str, items: dict[str, Fig], of: SangongItems) -> dict[str, Fig]:
    """The 小计 and 合计 of one 三公 column (``items``: its items' figures): each stated
    (``{label}{key}``) or summed. 合计 adds the first-level items 计入合计, a 小计 as the file states it."""
    def stated(key: str) -> Decimal | None:
        s = unit.stated_value(f"{label}{key}")
        return s.value if s else None

    rounded = unit.rounded_input
    out: dict[str, Fig] = {}
    against, summed = [], []          # T09-TOTAL adds a 小计 as the file states it
    for top in of.top:
        if top in of.groups:
            parts = fsum(items[k] for k in of.groups[top])
            written = stated(top)
            out[top] = accept(written, parts, rounded)
            first, second = (Fig(written, 1) if written is not None else parts), out[top]
        else:
            first = second = items[top]
        if top in of.counted:
            against.append(first)
            summed.append(second)
    out[of.total] = accept(stated(of.total), fsum(against), rounded, fsum(summed))
    return out


def unknown_sangong_keys(unit: Unit, of: SangongItems, profile: str) -> list[Problem]:
    """Keys under 三公经费 (预算数、决算数, 上年) and the items of 情况说明.三公经费 that the profile's
    三公经费目录 does not have: refused with their place (a misspelt item would be blank otherwise)."""
    known = of.keys
    columns = [(f"三公经费.{part}", unit.sangong.get(part) or {}) for part in ("预算数", "决算数")]
    if unit.last_year is not None:
        columns.append(("上年.三公经费", unit.last_year.sangong or {}))
    words = (unit.words or {}).get("三公经费")
    problems = []
    unknown = lambda path, k: not_the_profiles(unit, path, k, known, profile, "“三公”经费项目", "三公经费目录")  # noqa: E731
    for where, column in columns:
        problems += [unknown(f"{where}.{k}", k) for k in column if k not in known]
    if isinstance(words, dict):        # 情况说明.三公经费: an item's 变动原因 and 用途 under its name
        problems += [unknown(f"情况说明.三公经费.{k}", k) for k, v in words.items()
                     if isinstance(v, dict) and set(v) <= {"变动原因", "用途"} and k not in known]
    return problems


def not_the_profiles(unit: Unit, path: str, key: str, known: tuple[str, ...], profile: str, what: str,
                     where: str) -> Problem:
    """A key of the unit's data that the profile's list (``where``: 三公经费目录, 车辆类别名称) does not
    hold: its place, the nearest name, and what may be written."""
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    return Problem(unit.src(path), f"“{key}”不是模板“{profile}”的{what}" + (f"，是不是“{near[0]}”？" if near else "；")
                   + f"可填：{'、'.join(known)}（模板的{where}）")


def _last_year(unit: Unit, of: SangongItems) -> LastYear | None:
    """Last year's figures with the 三公 小计 and 合计 (stated, or the sum of the items)."""
    ly = unit.last_year
    if ly is None:
        return None
    sangong = dict(ly.sangong)
    if sangong:
        items = {k: given(sangong.get(k)) for k in of.leaves}
        for k, fig in sangong_totals(unit, "上年三公经费", items, of).items():
            sangong.setdefault(k, fig.value)
    return LastYear(**{**ly.__dict__, "sangong": sangong, "money_unit": ly.money_unit or unit.money_unit})


def _row_total(table: SubjectTable, code: str) -> Decimal | None:
    row = table.row(code)
    return row.total if row else None


# ---------------------------------------------------------------- subject tables

def states_amounts(row: SubjectRow) -> bool:
    """A row that writes any amount states them all (a blank cell is 0); a name-only row states none."""
    return row.stated_total is not None or any(v is not None for v in row.values.values())


def _parent(code: str) -> str:
    return {7: code[:5], 5: code[:3]}.get(len(code), "")


def build_subject_table(unit: Unit, table: str, profile: Profile, problems: list[Problem],
                        unnamed: dict[str, list[Problem]] | None = None) -> SubjectTable:
    """The whole table, bottom up: a row the file states is taken as stated; any other row is the
    sum of the rows one level down (合计 = Σ类, 类 = Σ款, 款 = Σ项). A 类, 款 or 项 no row, no other
    table and no catalogue names is a problem; with ``unnamed`` it is kept there by code (for
    ``merge_unnamed``) instead of being added to ``problems``."""
    columns = SUBJECT_TABLES[table]
    given_rows = {r.code: r for r in unit.subject_tables.get(table, [])}
    codes = sorted(c for c in given_rows if c != "合计")
    parents = {c[:n] for c in codes for n in (3, 5) if len(c) > n}
    leaves = [c for c in codes if c not in parents]
    for c in leaves:
        if len(c) != 7 and all(v is None for v in given_rows[c].values.values()):
            problems.append(Problem(given_rows[c].src, f"“{c} {given_rows[c].name}”下面没有“项”行，也没有金额"))
    nodes = {p for c in leaves for p in {c[:3], c[:5], c}}
    kids: dict[str, list[str]] = {}
    for c in sorted(nodes):
        kids.setdefault(_parent(c), []).append(c)

    class_names = dict(profile.classes)
    rounded = unit.rounded_input
    sum_columns = row_sum_columns(table)
    built: dict[str, Row] = {}
    for code in sorted(nodes, key=len, reverse=True) + [""]:
        g = given_rows.get(code or "合计")
        children = [built[k] for k in kids.get(code, [])]
        if children:
            down = {col: fsum(ch.fig(col) for ch in children) for col in columns}
            down_total = fsum(ch.fig() for ch in children)
        else:
            down, down_total = dict.fromkeys(columns, NOTHING), NOTHING
        if g is not None and (states_amounts(g) or not children):
            # a stated row: each column as stated when it is the sum below (or a 尾差 off it: T0x-SUM,
            # -CLASS, -ITEM); its total column as stated when it is the sum across them (T0x-ROW)
            figs = {col: given(g.values.get(col)) if not children else
                    accept(g.values.get(col), down[col], rounded) for col in columns}   # blank: as below
            across = fsum(figs[c] for c in sum_columns)          # the columns as accepted above
            whole = accept(g.stated_total, across, rounded, down_total if children else across)
        else:
            figs, whole = down, down_total
        values = {col: figs[col].value for col in columns}
        terms = {col: figs[col].terms for col in columns}
        row_total, total_terms = whole.value, whole.terms
        name = "合计"
        if code:
            name = given_rows[code].name if code in given_rows else ""
            if not name and len(code) == 3:
                name = class_names.get(code, "")
            if not name:       # a 类 or 款 another of the unit's tables names (收入 and 支出 share them)
                name = _names_in_unit(unit).get(code, "")
            if not name:                        # a 款 or 项 of the year's catalogue (功能分类款目录)
                name = profile.subject_names.get(code, "")
            if not name:
                missing = _missing_name(unit, table, code, given_rows, profile.kuan_catalogue)
                if unnamed is None:
                    problems.append(missing)
                else:                           # one problem per code, said once for every table
                    unnamed.setdefault(code, []).append(missing)
        built[code] = Row(code, name, {3: 1, 5: 2, 7: 3}.get(len(code), 0), values, row_total, terms, total_terms)
    out = [built[""]] + [built[c] for c in sorted(nodes)]
    return SubjectTable(table, columns, out)


def _names_in_unit(unit: Unit) -> dict[str, str]:
    """Every 科目 name the unit's subject tables give, by code (the first table that names it)."""
    names: dict[str, str] = {}
    for rows in unit.subject_tables.values():
        for r in rows:
            if r.name and r.code != "合计":
                names.setdefault(r.code, r.name)
    return names


def merge_unnamed(unnamed: dict[str, list[Problem]]) -> list[Problem]:
    """One problem per code whose name is missing: said where it is missing first, with the other
    tables (or sheet!cell) where the same name is missing too — writing it once is enough."""
    out = []
    for _code, found in unnamed.items():
        first, others = found[0], found[1:]
        if others:
            places = "、".join(dict.fromkeys(" ".join(p.source.place()) or p.source.file for p in others))
            first = replace(first, message=first.message + f"。同一名称也缺于：{places}")
        out.append(first)
    return out


def _missing_name(unit: Unit, table: str, code: str, given_rows: dict[str, SubjectRow],
                  kuan_catalogue: str = "") -> Problem:
    """A 类 or 款 no row names, said in the file's own terms: a YAML file gets the mapping to add;
    a workbook gets the code cell of the first row below it and the columns of the row to add.
    A 款 can also be added to the profile's 款 catalogue (``kuan_catalogue``), which every unit shares."""
    shared = "（各表共用科目名称，在任一张表里写一次即可"
    if len(code) in (5, 7) and kuan_catalogue:
        shared += f"；本地区常用的{'款' if len(code) == 5 else '项'}，也可请管理员补进款目录“{kuan_catalogue}”"
    shared += "）"
    if code in given_rows:                      # the row is there, without a name
        row = given_rows[code]
        name_cell = unit.src(f"{row.src.path}.科目名称") if row.src.cell else row.src
        where = "在这一格填写" if name_cell.cell else "在本行填写"
        return Problem(name_cell if name_cell.cell else row.src,
                       f"科目“{code}”缺少科目名称：本年度科目目录中没有这一编码的名称，请{where}科目名称" + shared)
    below = next((given_rows[c] for c in sorted(given_rows) if c != code and c.startswith(code)), None)
    if below is None or not below.src.cell:
        return Problem(unit.src(table), f"缺少科目“{code}”的名称：请在{table}中加一行 科目编码: \"{code}\" 与其科目名称"
                                        + shared)
    name_cell = unit.src(f"{below.src.path}.科目名称")
    name_column = name_cell.column if name_cell.cell else ""
    name_part = f"{name_column} 列填其科目名称" if name_column else "科目名称一栏填其名称"
    sheet = below.src.sheet if below.src.sheet == table else f"工作表“{below.src.sheet}”"
    return Problem(below.src, f"缺少科目“{code}”的名称（本行“{below.code} {below.name}”属于它，表中没有“{code}”这一行）："
                              f"请在{sheet}中加一行：{below.src.column} 列填 {code}，{name_part}"
                              + shared)


# ---------------------------------------------------------------- table 06

def build_econ(unit: Unit, profile: Profile, problems: list[Problem]):
    """06 lines by code: a 款 the file states (with amounts) is taken as stated, else the sum of its
    项; 人员经费合计 / 公用经费合计 likewise (stated rows, else the sum of their 款)."""
    names = profile.econ_names
    rows = {r.code: r for r in unit.econ_rows}
    # codes outside the catalogue cannot be placed in table 06: rule C-ECON-CODE reports them
    known = {c: r for c, r in rows.items() if c in names}

    def amount(code: str) -> Decimal | None:
        s = unit.stated_value(f"经济分类支出明细 {code} 金额")
        return s.value if s else None

    def states(code: str) -> bool:
        r = rows.get(code)
        return r is not None and (r.basic is not None or r.project is not None or amount(code) is not None)

    items = {c: econ_line(c, names[c], given(r.basic), given(r.project), amount(c), unit.rounded_input)
             for c, r in known.items() if len(c) == 5}
    rounded = unit.rounded_input

    def summed(code: str, label: str, parts: list[EconLine]) -> EconLine:
        """A 款 or 合计 line: as the file states it (each column accepted against the sum of its
        parts, T06-ITEM / T06-PERSONNEL / T06-PUBLIC), else that sum."""
        basic, project = fsum(l.fig("basic") for l in parts), fsum(l.fig("project") for l in parts)
        if states(code):
            g = rows[code]
            if not parts:
                return econ_line(code if code in names else "", label, given(g.basic), given(g.project),
                                 amount(code), rounded)
            basic, project = accept(g.basic, basic, rounded), accept(g.project, project, rounded)
            return econ_line(code if code in names else "", label, basic, project, amount(code), rounded)
        return econ_line(code if code in names else "", label, basic, project)

    lines: dict[str, EconLine] = {}          # the 款 in code order, then the 项 in the file's order
    for cls in sorted({c[:3] for c in items} | {c for c in known if len(c) == 3}):
        lines[cls] = summed(cls, names[cls], [l for c, l in items.items() if c.startswith(cls)])
    lines.update(items)

    def sum_line(label: str, classes: list[EconLine]) -> EconLine:
        return summed(label, label, classes)

    personnel_classes = profile.personnel_classes
    tops = [l for c, l in lines.items() if len(c) == 3]
    personnel = sum_line(ECON_TOTALS[0], [l for l in tops if l.code in personnel_classes])
    public = sum_line(ECON_TOTALS[1], [l for l in tops if l.code not in personnel_classes])
    return lines, personnel, public
