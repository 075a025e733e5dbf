"""A department's own 部门决算: the consolidation (汇总) of its 本级 and every 所属单位 (issue 27).

The units' data files (YAML or workbooks, each read and checked as `juesuan check` reads it) are
added up table by table into one data file for the department: the 项 rows of every 科目 table by
code, the 经济分类 rows by code, the figures of 01 and 04 that the tables do not give (结转结余 …),
三公 budgets and actuals by item, 相关信息统计 and the counts and amounts of 情况说明, the budgets by
code, and 上年 — all as the units wrote them, in the department's 金额单位. Totals are not written:
derive computes them from the summed rows, as for any unit.

What flows between units of the department is not the department's income or spending and is
eliminated (docs/consolidation.md gives the rules and their sources): a 所属单位's 上级补助收入 and
上缴上级支出, and any unit's 对附属单位补助支出 and 附属单位上缴收入. The 本级's own 上级补助收入
and 上缴上级支出 (from and to outside the department) stay. Each pair is compared — what the
parents paid against what the subordinate units received — and a difference is a warning naming
the units and their amounts.

The department's texts (职责, 机构设置, reasons) are its own: taken from an optional text file,
never put together from the units'. 第一部分's 单位构成 lists the units and their kinds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import Problem
from .model import TOTAL_COLUMN, Source, Unit, name_key
from .numbers import round_places
from .profile import load_profile

TEN_THOUSAND = Decimal(10000)
SUBJECT_TABLES = ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表", "政府性基金预算财政拨款收入支出决算表",
                  "国有资本经营预算财政拨款支出决算表")
ECON = "经济分类支出明细"
LEAF_DIGITS = {**{t: 7 for t in SUBJECT_TABLES}, ECON: 5}
# the figures of 01 and 04 that no table gives; their totals (合计, 收入总计 …) are computed again
SUMMARY_INPUTS = ("使用非财政拨款结余", "年初结转和结余", "结余分配", "年末结转和结余")
FISCAL_INPUTS = ("年初财政拨款结转和结余", "本年收入", "年末财政拨款结转和结余")
# internal flows: (column, table, whose: "members" = the 所属单位 only, "all" = every unit), and the pair
# each is compared with
ELIMINATED = (("上级补助收入", "收入决算表", "members"), ("上缴上级支出", "支出决算表", "members"),
              ("对附属单位补助支出", "支出决算表", "all"), ("附属单位上缴收入", "收入决算表", "all"))
PAIRS = (("对附属单位补助支出", "上级补助收入"), ("附属单位上缴收入", "上缴上级支出"))
LAST_YEAR_FLAT = ("收入总计", "支出总计", "财政拨款收入总计", "财政拨款支出总计", "一般公共预算财政拨款支出", "机关运行经费")
LAST_YEAR_WITH_FLOWS = ("收入总计", "支出总计")        # last year's totals hold last year's internal flows
TEXT_KEYS = ("概况", "情况说明", "附件")               # what the department's text file may give


@dataclass
class Member:
    """One unit of the consolidation: its file, its data as read, the unit built from it."""
    path: Path
    data: dict
    unit: Unit
    own: bool = False            # the 本级 (the department's own accounts); the others are 所属单位


@dataclass
class Consolidated:
    data: dict
    warnings: list[str] = field(default_factory=list)
    eliminated: dict[str, Decimal] = field(default_factory=dict)    # column -> amount taken out


def number(value: Any) -> Decimal | None:
    """A figure as the unit files write it (blank, “——”, text with thousands separators …); None
    for words (a text beside the figures: 变动原因 …; each unit's own check has read its figures)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace(",", "")
    if text in ("", "——", "-", "—"):
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def code_of(value: Any) -> str:
    return str(getattr(value, "raw", None) or value).strip()


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return b if a is None else a if b is None else a + b


def _scale(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else value * factor


# ---------------------------------------------------------------- the checks before adding up

def check_members(members: list[Member]) -> list[Problem]:
    """Units that cannot be added up: different years or profiles, the same unit twice."""
    problems = []
    first = members[0]
    for m in members[1:]:
        if m.unit.year != first.unit.year:
            problems.append(Problem(Source(str(m.path)), f"年度是{m.unit.year}，本级“{first.path.name}”是{first.unit.year}："
                                                         "汇总的单位须是同一年度"))
        if m.unit.profile != first.unit.profile:
            problems.append(Problem(Source(str(m.path)), f"模板是“{m.unit.profile}”，本级“{first.path.name}”是"
                                                         f"“{first.unit.profile}”：汇总的单位须用同一版式"))
    seen: dict[str, Member] = {}
    for m in members:
        key = name_key(m.unit.name)
        if key in seen:
            problems.append(Problem(Source(str(m.path)), f"与“{seen[key].path}”是同一个单位（{m.unit.name}）：每个单位只能汇总一次"))
        else:
            seen[key] = m
    return problems


# ---------------------------------------------------------------- adding up

def _factor(unit: str, money_unit: str) -> Decimal:
    """What to multiply figures in ``unit`` by to have them in ``money_unit`` (元 → 万元 only for
    last year's figures in 元 under a department in 万元: rounded, as last year printed them)."""
    if unit == money_unit:
        return Decimal(1)
    return TEN_THOUSAND if unit == "万元" else 1 / TEN_THOUSAND


def _rows(members: list[Member], key: str, money_unit: str, dropped: dict[int, set[str]]) -> list[dict]:
    """The leaf rows of table ``key`` added up by code (names: the first unit's); the rows above
    them that give a name only, once. ``dropped``: per member index, the columns eliminated."""
    leaf = LEAF_DIGITS[key]
    total = TOTAL_COLUMN.get(key)
    out: dict[str, dict] = {}
    names: dict[str, dict] = {}
    for i, m in enumerate(members):
        factor = _factor(m.unit.money_unit, money_unit)
        for row in m.data.get(key) or []:
            if not isinstance(row, dict):
                continue
            code = code_of(row.get("科目编码", ""))
            if not code.isdigit():
                continue
            if len(code) != leaf:
                if key != ECON and row.get("科目名称") and code not in names:   # a 06 款 row states amounts
                    names[code] = {"科目编码": code, "科目名称": row["科目名称"]}
                continue
            target = out.setdefault(code, {"科目编码": code, **({"科目名称": row["科目名称"]} if row.get("科目名称") else {})})
            for column, value in row.items():
                if column in ("科目编码", "科目名称") or column == total or column in dropped.get(i, ()):
                    continue
                v = _scale(number(value), factor)
                if v is not None:
                    target[column] = _add(target.get(column), v)
    rows = [r for r in out.values() if set(r) - {"科目编码", "科目名称"}]     # a 项 row is one with amounts
    kept = {r["科目编码"] for r in rows}
    heads = [n for c, n in names.items() if any(k.startswith(c) for k in kept)]
    return sorted(heads + rows, key=lambda r: r["科目编码"])


def _sum_tree(nodes: list[tuple[Any, Decimal]], only: tuple[str, ...] | None = None) -> Any:
    """Nested mappings of figures added up key by key (``only``: the keys kept at the top)."""
    out: dict = {}
    for node, factor in nodes:
        if not isinstance(node, dict):
            continue
        for k, v in node.items():
            if only is not None and k not in only:
                continue
            if isinstance(v, dict):
                out[k] = _sum_tree([(out.get(k) or {}, Decimal(1)), (v, factor)])
            else:
                n = number(v)
                if n is not None:
                    out[k] = _add(out.get(k), n * factor)
    return out


def _counts(nodes: list[dict]) -> dict:
    """Counts (车辆, 批次 …) added up: integers, never scaled."""
    out: dict = {}
    for node in nodes:
        for k, v in (node or {}).items():
            if isinstance(v, dict):
                out[k] = _counts([out.get(k) or {}, v])
            else:
                n = number(v)
                if n is not None:
                    out[k] = int(_add(out.get(k), n))
    return out


def _flows(members: list[Member]) -> dict[str, list[tuple[str, Decimal]]]:
    """Each internal-flow column's amount per unit (its table's 项 rows added up), as written."""
    out: dict[str, list[tuple[str, Decimal]]] = {}
    for column, table, _ in ELIMINATED:
        for m in members:
            amount = sum((number(r.get(column)) or Decimal(0) for r in m.data.get(table) or []
                          if isinstance(r, dict) and len(code_of(r.get("科目编码", ""))) == 7), Decimal(0))
            if amount:
                out.setdefault(column, []).append((m.unit.name, amount))
    return out


def consolidate(members: list[Member], name: str, profile: str | None = None,
                texts: dict | None = None) -> Consolidated:
    """The department's data from ``members`` (the 本级 first); see the module's text."""
    own = members[0]
    money_unit = own.unit.money_unit
    if any(m.unit.money_unit != money_unit for m in members):
        money_unit = "元"               # 万元 × 10000 is exact; the report prints what the 本级 prints
    data: dict = {"单位名称": name, "年度": own.unit.year, "报告类型": "部门决算", "单位性质": own.unit.nature,
                  "金额单位": money_unit, "模板": profile or own.unit.profile}
    if own.unit.printed_unit != money_unit:
        data["公开金额单位"] = own.unit.printed_unit
    result = Consolidated(data)
    dropped: dict[int, set[str]] = {}
    for i, m in enumerate(members):
        for column, _, whose in ELIMINATED:
            if whose == "all" or not m.own:
                dropped.setdefault(i, set()).add(column)
    flows = _flows(members)
    for column, _, whose in ELIMINATED:
        amounts = [(n, a) for n, a in flows.get(column, []) if whose == "all" or n != own.unit.name]
        if amounts:
            result.eliminated[column] = sum((a for _, a in amounts), Decimal(0))
    for paid, received in PAIRS:
        a = [(n, v) for n, v in flows.get(paid, [])]
        b = [(n, v) for n, v in flows.get(received, []) if n != own.unit.name]
        sa, sb = sum((v for _, v in a), Decimal(0)), sum((v for _, v in b), Decimal(0))
        if sa != sb:
            def listed(pairs):
                return "、".join(f"{n} {v}" for n, v in pairs) or "无"
            result.warnings.append(f"单位间往来对不上：{paid}合计 {sa}（{listed(a)}），所属单位的{received}合计 {sb}"
                                   f"（{listed(b)}），相差 {sa - sb}{money_unit}；两边都已抵消，请核对")
    for key in SUBJECT_TABLES + (ECON,):
        if any(key in m.data for m in members):
            data[key] = _rows(members, key, money_unit, dropped)
    nodes = [(m, _factor(m.unit.money_unit, money_unit)) for m in members]
    summary = _sum_tree([(m.data.get("收入支出决算总表"), f) for m, f in nodes], SUMMARY_INPUTS)
    if summary:
        data["收入支出决算总表"] = summary
    fiscal = _sum_tree([(m.data.get("财政拨款收入支出决算总表"), f) for m, f in nodes], FISCAL_INPUTS)
    if fiscal:
        data["财政拨款收入支出决算总表"] = fiscal
    items = load_profile(data["模板"]).sangong.leaves          # 合计 and 小计 are computed again
    sangong = _sum_tree([(m.data.get("三公经费"), f) for m, f in nodes], ("预算数", "决算数"))
    sangong = {part: {k: v for k, v in column.items() if k in items} for part, column in sangong.items()}
    if sangong:
        data["三公经费"] = sangong
    info: dict = {}
    purchase = _sum_tree([((m.data.get("相关信息统计") or {}).get("政府采购"), f) for m, f in nodes])
    if purchase:
        info["政府采购"] = purchase
    admin = [_scale(m.unit.admin_cost, f) for m, f in nodes if m.unit.admin_cost is not None]
    if admin:
        info["机关运行经费"] = sum(admin, Decimal(0))
    vehicles = _counts([(m.data.get("相关信息统计") or {}).get("车辆") for m in members])
    vehicles.pop("车辆数合计", None)
    if vehicles:
        info["车辆"] = vehicles
    equipment = [m.unit.big_equipment for m in members if m.unit.big_equipment is not None]
    if equipment:
        info["单价100万元以上设备"] = sum(equipment)
    if info:
        data["相关信息统计"] = info
    words = _words(members, nodes)
    for key in ("年初预算", "全年预算"):
        budget = _sum_tree([(m.data.get(key), f) for m, f in nodes])
        if budget:
            data[key] = budget
    last = _last_year(members, money_unit, result, items)
    if last:
        data["上年"] = last
    data["概况"] = {"单位构成": [{"单位名称": m.unit.name, "备注": m.unit.nature} for m in members]}
    for key in TEXT_KEYS:
        given = (texts or {}).get(key)
        if isinstance(given, dict):
            data[key] = {**data.get(key, {}), **given}
        elif given is not None:
            data[key] = given
    if words:
        data["情况说明"] = {**words, **(data.get("情况说明") or {})}
    return result


def _words(members: list[Member], nodes: list[tuple[Member, Decimal]]) -> dict:
    """The figures of 情况说明 added up (三公 counts and amounts, 政府采购 中小企业 amounts, 预算绩效
    项目数 and amounts, 自评等级 counts); texts and 平均得分 are the department's own."""
    out: dict = {}
    sangong = [((m.data.get("情况说明") or {}).get("三公经费") or {}) for m in members]
    counts = _counts([{k: v for k, v in s.items() if not isinstance(v, dict)} for s in sangong])
    if counts:
        out["三公经费"] = counts
    for kind in ("国内接待", "外事接待", "国境外接待"):
        parts = [s.get(kind) for s in sangong if isinstance(s.get(kind), dict)]
        if parts:
            amount = _sum_tree([({"金额": p.get("金额")}, f) for p, (_, f) in zip(parts, nodes)])
            node = {**_counts([{k: v for k, v in p.items() if k in ("批次", "人次")} for p in parts]), **amount}
            out.setdefault("三公经费", {})[kind] = node
    purchase = _sum_tree([(((m.data.get("情况说明") or {}).get("政府采购")), f) for m, f in nodes])
    if purchase:
        out["政府采购"] = purchase
    perf_nodes = [((m.data.get("情况说明") or {}).get("预算绩效"), f) for m, f in nodes]
    perf_nodes = [(p, f) for p, f in perf_nodes if isinstance(p, dict)]
    if perf_nodes:
        amounts = _sum_tree([({k: v for k, v in p.items() if "金额" in k or k == "其中一般公共预算"}, f)
                             for p, f in perf_nodes])
        counts = _counts([{k: v for k, v in p.items() if k.endswith("数") or k == "自评等级"} for p, _ in perf_nodes])
        if amounts or counts:
            out["预算绩效"] = {**counts, **amounts}
    return out


def _last_year(members: list[Member], money_unit: str, result: Consolidated, items: tuple[str, ...]) -> dict:
    """上年 added up from every unit's 上年 (as given, or from its 上年数据文件); left out when a unit
    has none (the comparison would be with part of the department); 收入总计 and 支出总计 left
    out when this year's internal flows were eliminated (last year's totals hold last year's)."""
    missing = [m.unit.name for m in members if m.unit.last_year is None]
    if missing:
        if len(missing) < len(members):
            result.warnings.append(f"没有上年数的单位：{'、'.join(missing)}：部门的上年数不完整，没有写上年数"
                                   "（报告不作与上年的比较）")
        return {}
    out: dict = {}
    for m in members:
        ly = m.unit.last_year
        factor = _factor(ly.money_unit or m.unit.money_unit, money_unit)
        flat = {"收入总计": ly.income_total, "支出总计": ly.expense_total, "财政拨款收入总计": ly.fiscal_income_total,
                "财政拨款支出总计": ly.fiscal_expense_total, "一般公共预算财政拨款支出": ly.gp_expense,
                "机关运行经费": ly.admin_cost}
        for k, v in flat.items():
            if v is not None:
                out[k] = _add(out.get(k), round_places(v * factor, 2))
        for code, v in ly.gp_by_class.items():
            if v is not None:
                by = out.setdefault("一般公共预算财政拨款支出按类", {})
                by[code] = _add(by.get(code), round_places(v * factor, 2))
        for item, v in ly.sangong.items():
            if v is not None and item in items:
                sg = out.setdefault("三公经费", {})
                sg[item] = _add(sg.get(item), round_places(v * factor, 2))
    if result.eliminated:
        for k in LAST_YEAR_WITH_FLOWS:
            out.pop(k, None)
        result.warnings.append("本年有单位间往来已抵消，各单位上年的收入总计、支出总计含上年的往来、无法抵消：部门的上年数"
                               "不写这两项（报告不作这两项与上年的比较）")
    return out
