"""Derive every table total from the lowest level.

Input: a loaded Unit and its Profile. Output: a Derived object with the full tables (合计,
类, 款, 项 rows), tables 01 and 04 assembled, 06 totals, 09 and 10 totals. Totals the file
states itself are not used here: the check rules (generator/check) compare them with these.
Only problems that make a table impossible to build (a subject without a name, a 类 or 款 row
with nothing under it) are input errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

from ..errors import InputError, Problem
from ..model import FISCAL_KINDS, INCOME_COLUMNS, PURCHASE_KINDS, SANGONG_ITEMS, SUBJECT_TABLES, Unit
from ..numbers import ZERO, total
from ..profile import Profile


@dataclass
class Row:
    code: str                      # '' for 合计
    name: str
    level: int                     # 0 合计, 1 类, 2 款, 3 项
    values: dict[str, Decimal | None]
    total: Decimal | None          # the row's total column (本年收入合计 …), None if all blank

    def get(self, col: str) -> Decimal:
        return self.values.get(col) or ZERO


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

    @property
    def amount(self) -> Decimal | None:
        return total([self.basic, self.project])


@dataclass
class Derived:
    unit: Unit
    profile: Profile
    t02: SubjectTable
    t03: SubjectTable
    t05: SubjectTable
    t07: SubjectTable
    t08: SubjectTable
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
    extras: dict[str, object] = field(default_factory=dict)


def derive(unit: Unit, profile: Profile) -> Derived:
    problems: list[Problem] = []
    tables = {t: build_subject_table(unit, t, profile, problems) for t in SUBJECT_TABLES}
    t02 = tables["收入决算表"]
    t03 = tables["支出决算表"]
    t05 = tables["一般公共预算财政拨款支出决算表"]
    t07 = tables["政府性基金预算财政拨款收入支出决算表"]
    t08 = tables["国有资本经营预算财政拨款支出决算表"]

    econ, personnel, public = build_econ(unit, profile, problems)

    # ---- 04 财政拨款收入支出决算总表
    fund_sum, soe_sum, gp_sum = t07.sum_row, t08.sum_row, t05.sum_row
    fund_exp = total([fund_sum.values.get("基本支出"), fund_sum.values.get("项目支出")])
    spent = {"一般公共预算财政拨款": gp_sum.total, "政府性基金预算财政拨款": fund_exp,
             "国有资本经营预算财政拨款": soe_sum.total}
    given_income = unit.fiscal.get("本年收入", {})
    income: dict[str, Decimal | None] = {
        "政府性基金预算财政拨款": given_income.get("政府性基金预算财政拨款", fund_sum.values.get("本年收入")),
        "国有资本经营预算财政拨款": given_income.get("国有资本经营预算财政拨款", soe_sum.total),
    }
    fiscal_income_02 = t02.sum_row.values.get("财政拨款收入")
    if "一般公共预算财政拨款" in given_income:
        income["一般公共预算财政拨款"] = given_income["一般公共预算财政拨款"]
    else:
        rest = (fiscal_income_02 or ZERO) - (income["政府性基金预算财政拨款"] or ZERO) - (income["国有资本经营预算财政拨款"] or ZERO)
        income["一般公共预算财政拨款"] = rest if (fiscal_income_02 is not None or rest) else None
    opening_given = unit.fiscal.get("年初财政拨款结转和结余", {})
    opening = {k: opening_given.get(k) for k in FISCAL_KINDS}
    if opening["政府性基金预算财政拨款"] is None:
        opening["政府性基金预算财政拨款"] = fund_sum.values.get("年初结转和结余")
    closing_given = unit.fiscal.get("年末财政拨款结转和结余", {})
    closing: dict[str, Decimal | None] = {}
    for k in FISCAL_KINDS:
        computed = (opening[k] or ZERO) + (income[k] or ZERO) - (spent[k] or ZERO)
        if k == "政府性基金预算财政拨款" and fund_sum.values.get("年末结转和结余") is not None:
            computed = fund_sum.values["年末结转和结余"]  # type: ignore[assignment]
        if closing_given.get(k) is not None:
            closing[k] = closing_given[k]     # stated; rule T04-BALANCE checks the identity
        else:
            closing[k] = computed if computed != 0 else None   # a zero balance is a blank cell
    fiscal = {
        "本年收入": income,
        "年初财政拨款结转和结余": opening,
        "年末财政拨款结转和结余": closing,
        "本年支出": spent,
    }
    fiscal["合计"] = {
        "本年收入合计": total(income.values()),
        "本年支出合计": total(spent.values()),
        "年初财政拨款结转和结余": total(opening.values()),
        "年末财政拨款结转和结余": total(closing.values()),
    }
    fiscal["合计"]["收入总计"] = total([fiscal["合计"]["本年收入合计"], fiscal["合计"]["年初财政拨款结转和结余"]])
    fiscal["合计"]["支出总计"] = total([fiscal["合计"]["本年支出合计"], fiscal["合计"]["年末财政拨款结转和结余"]])

    fiscal_by_class: dict[str, dict[str, Decimal | None]] = {}
    for code, _name in profile.classes:
        gp = _row_total(t05, code)
        fund = _fund_spent(t07, code)
        soe = _row_total(t08, code)
        fiscal_by_class[code] = {"一般公共预算财政拨款": gp, "政府性基金预算财政拨款": fund,
                                 "国有资本经营预算财政拨款": soe, "合计": total([gp, fund, soe])}

    # ---- 01 收入支出决算总表
    s02 = t02.sum_row
    summary: dict[str, Decimal | None] = {
        "一般公共预算财政拨款收入": income["一般公共预算财政拨款"],
        "政府性基金预算财政拨款收入": income["政府性基金预算财政拨款"],
        "国有资本经营预算财政拨款收入": income["国有资本经营预算财政拨款"],
    }
    for col in INCOME_COLUMNS[1:]:
        summary[col] = s02.values.get(col)
    summary["本年收入合计"] = s02.total
    summary["本年支出合计"] = t03.sum_row.total
    for k in ("使用非财政拨款结余", "年初结转和结余", "结余分配", "年末结转和结余"):
        summary[k] = unit.summary.get(k)
    summary["收入总计"] = total([summary["本年收入合计"], summary["使用非财政拨款结余"], summary["年初结转和结余"]])
    summary["支出总计"] = total([summary["本年支出合计"], summary["结余分配"], summary["年末结转和结余"]])
    expense_by_class = {code: _row_total(t03, code) for code, _ in profile.classes}

    # ---- 09 三公经费
    sangong: dict[str, dict[str, Decimal | None]] = {}
    for part in ("预算数", "决算数"):
        items = dict(unit.sangong.get(part, {}))
        items["公务用车购置及运行维护费"] = total([items.get("公务用车购置费"), items.get("公务用车运行维护费")])
        items["合计"] = total([items.get(k) for k in SANGONG_ITEMS])
        sangong[part] = items

    purchase = dict(unit.purchase)
    purchase["合计"] = total(unit.purchase.get(k) for k in PURCHASE_KINDS)
    vehicles_known = [v for v in unit.vehicles.values() if v is not None]
    vehicles_total = sum(vehicles_known) if vehicles_known else None

    if problems:
        raise InputError(problems)
    return Derived(unit=unit, profile=profile, t02=t02, t03=t03, t05=t05, t07=t07, t08=t08,
                   econ=econ, personnel=personnel, public=public, summary=summary,
                   expense_by_class=expense_by_class, fiscal=fiscal, fiscal_by_class=fiscal_by_class,
                   sangong=sangong, purchase=purchase, vehicles=dict(unit.vehicles),
                   vehicles_total=vehicles_total)


def _row_total(table: SubjectTable, code: str) -> Decimal | None:
    row = table.row(code)
    return row.total if row else None


def _fund_spent(table: SubjectTable, code: str) -> Decimal | None:
    row = table.row(code)
    if not row:
        return None
    return total([row.values.get("基本支出"), row.values.get("项目支出")])


# ---------------------------------------------------------------- subject tables

def build_subject_table(unit: Unit, table: str, profile: Profile, problems: list[Problem]) -> SubjectTable:
    """Aggregate leaves (rows with no row under them) to 款, 类 and 合计."""
    columns = SUBJECT_TABLES[table]
    rows = unit.subject_tables.get(table, [])
    given = {r.code: r for r in rows if r.code != "合计"}
    codes = sorted(given)
    parents = {c[:n] for c in codes for n in (3, 5) if len(c) > n}
    leaves = [c for c in codes if c not in parents]
    for c in leaves:
        if len(c) != 7 and all(v is None for v in given[c].values.values()):
            problems.append(Problem(given[c].src, f"“{c} {given[c].name}”下面没有“项”行，也没有金额"))

    # one pass over the leaves: each adds its values to itself, its 款, its 类 and the 合计
    sums: dict[str, dict[str, Decimal | None]] = {}
    for c in leaves:
        for key in {"", c[:3], c[:5], c}:
            acc = sums.setdefault(key, {col: None for col in columns})
            for col in columns:
                v = given[c].values.get(col)
                if v is not None:
                    acc[col] = v if acc[col] is None else acc[col] + v  # type: ignore[operator]
    class_names = dict(profile.classes)
    out: list[Row] = [Row("", "合计", 0, sums.get("", {col: None for col in columns}),
                          _row_sum(table, sums.get("", {})))]
    for code in sorted(k for k in sums if k):
        values = sums[code]
        name = given[code].name if code in given else ""
        if not name and len(code) == 3:
            name = class_names.get(code, "")
        if not name:
            problems.append(Problem(unit.src(table), f"缺少科目“{code}”的名称：请在{table}中加一行 科目编码: \"{code}\" 与其科目名称"))
        out.append(Row(code, name, {3: 1, 5: 2, 7: 3}[len(code)], values, _row_sum(table, values)))
    return SubjectTable(table, columns, out)


def _row_sum(table: str, values: dict[str, Decimal | None]) -> Decimal | None:
    if table == "政府性基金预算财政拨款收入支出决算表":
        return total([values.get("基本支出"), values.get("项目支出")])
    return total(values.values())


# ---------------------------------------------------------------- table 06

def build_econ(unit: Unit, profile: Profile, problems: list[Problem]):
    names = profile.econ_names
    given = {r.code: r for r in unit.econ_rows}
    lines: dict[str, EconLine] = {}
    # codes outside the catalogue cannot be placed in table 06: rule C-ECON-CODE reports them
    given = {c: r for c, r in given.items() if c in names}   # 人员经费合计/公用经费合计 rows are stated totals
    items = [c for c in given if len(c) == 5]
    for cls in sorted({c[:3] for c in items} | {c for c in given if len(c) == 3 and c in names}):
        basic = total(given[c].basic for c in items if c.startswith(cls))
        project = total(given[c].project for c in items if c.startswith(cls))
        lines[cls] = EconLine(cls, names[cls], basic, project)
    for c in items:
        lines[c] = EconLine(c, names[c], given[c].basic, given[c].project)
    personnel_classes = profile.personnel_classes
    p_lines = [lines[c] for c in lines if len(c) == 3 and c in personnel_classes]
    o_lines = [lines[c] for c in lines if len(c) == 3 and c not in personnel_classes]
    personnel = EconLine("", "人员经费合计", total(l.basic for l in p_lines), total(l.project for l in p_lines))
    public = EconLine("", "公用经费合计", total(l.basic for l in o_lines), total(l.project for l in o_lines))
    return lines, personnel, public
