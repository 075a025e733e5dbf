"""Within-table rules (docs/domain.md "Arithmetic that must hold"): every total the file states must
equal the sum of what it stands for. Totals the file does not state are computed (derive) and
cannot disagree; so these rules look at what the finance person actually wrote.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from ..model import (FISCAL_KINDS, INCOME_COLUMNS, PURCHASE_KINDS, SUBJECT_TABLES,
                     SPENDING_TOTAL_TABLES, TOTAL_COLUMN, SubjectRow, row_sum_columns)
from ..derive.totals import Fig, fsum, given as given_fig, states_amounts
from ..numbers import ZERO
from .registry import ERROR, Context, Finding, Rule, pair_terms, rule

TABLE_KEYS = {
    "收入决算表": "02",
    "支出决算表": "03",
    "一般公共预算财政拨款支出决算表": "05",
    "政府性基金预算财政拨款收入支出决算表": "07",
    "国有资本经营预算财政拨款支出决算表": "08",
}


def given_rows(ctx: Context, table: str) -> dict[str, SubjectRow]:
    key = ("given", table)
    if key not in ctx.cache:
        ctx.cache[key] = {r.code: r for r in ctx.unit.subject_tables.get(table, [])}
    return ctx.cache[key]


def has_rows_under(ctx: Context, table: str, code: str) -> bool:
    key = ("parents", table)
    if key not in ctx.cache:
        ctx.cache[key] = {c[:n] for c in given_rows(ctx, table) if c != "合计" for n in (3, 5) if len(c) > n}
    return code in ctx.cache[key]


def child_sums(ctx: Context, table: str, prefix: str) -> dict[str, Fig]:
    """Per column, the sum of the rows one level down — as the file states them where it states
    them, else as derived — and the number of rounded figures it adds up. Comparing a stated
    total with what the file says one level down reports a wrong figure once, where it is."""
    given = given_rows(ctx, table)
    derived = next(t for t in (ctx.derived.income_table, ctx.derived.expense_table, ctx.derived.gp_expense_table, ctx.derived.fund_table,
                               ctx.derived.soe_table) if t.name == table)
    parts = []                  # per child: its given row (if it states amounts) or its derived row
    for child in derived.children.get(prefix, []):
        g = given.get(child.code)
        parts.append((g, None) if g is not None and states_amounts(g) else (None, child))
    return {col: fsum(given_fig(g.values.get(col)) if g is not None else child.fig(col)   # type: ignore[union-attr]
                      for g, child in parts) for col in SUBJECT_TABLES[table]}


def row_label(row: SubjectRow) -> str:
    return "合计" if row.code == "合计" else f"{row.code} {row.name}".strip()


def _level_rule(table: str, level: int, rule_id: str, description: str):
    """合计 (level 0) = Σ类, 类 (1) = Σ款, 款 (2) = Σ项, for one subject table."""
    key = TABLE_KEYS[table]
    parent_len = {0: None, 1: 3, 2: 5}[level]
    what = {0: "各类之和", 1: "其下各款之和", 2: "其下各项之和"}[level]

    @rule(rule_id, description, ERROR, (key,))
    def check(r: Rule, ctx: Context) -> Iterator[Finding | None]:
        for code, row in given_rows(ctx, table).items():
            is_level = code == "合计" if parent_len is None else len(code) == parent_len
            if not is_level or not states_amounts(row):
                continue
            if parent_len is not None and not has_rows_under(ctx, table, code):
                continue                # nothing under it: the row is itself the lowest level
            sums = child_sums(ctx, table, "" if code == "合计" else code)
            for col in SUBJECT_TABLES[table]:
                yield ctx.compare(r, table=key, row=row_label(row), column=col,
                                  stated=row.values.get(col), computed=sums[col], how=what,
                                  source=ctx.unit.src(f"{row.src.path}.{col}"))
    return check


def _row_rule(table: str, rule_id: str, description: str):
    """The row's own total column = the sum of its columns (07: 小计 = 基本支出 + 项目支出)."""
    key = TABLE_KEYS[table]
    total_col = TOTAL_COLUMN[table]
    parts = row_sum_columns(table)

    @rule(rule_id, description, ERROR, (key,))
    def check(r: Rule, ctx: Context) -> Iterator[Finding | None]:
        for row in given_rows(ctx, table).values():
            if row.stated_total is None:
                continue
            computed = fsum(given_fig(row.values.get(c)) for c in parts)
            yield ctx.compare(r, table=key, row=row_label(row), column=total_col or "",
                              stated=row.stated_total, computed=computed, how="本行各列之和",
                              source=ctx.unit.src(f"{row.src.path}.{total_col}"))
    return check


for _table, _key in TABLE_KEYS.items():
    _level_rule(_table, 0, f"T{_key}-SUM", f"{_key}表：合计行 = 各类之和")
    _level_rule(_table, 1, f"T{_key}-CLASS", f"{_key}表：类 = 其下各款之和")
    _level_rule(_table, 2, f"T{_key}-ITEM", f"{_key}表：款 = 其下各项之和")
    _row_rule(_table, f"T{_key}-ROW", f"{_key}表：每行的{TOTAL_COLUMN[_table]} = "
              + (" + ".join(row_sum_columns(_table)) if _table in SPENDING_TOTAL_TABLES else "本行各列之和"))


# ---------------------------------------------------------------- 01 收入支出决算总表

def _stated01(ctx: Context, label: str):
    return ctx.unit.stated_value(f"收入支出决算总表 {label}")


def _fig01(ctx: Context, *labels: str) -> Fig:
    """The sum of 01 figures — as the file states them, else as derived — with its rounded-figure count."""
    def one(k: str) -> Fig:
        s = _stated01(ctx, k)
        return Fig(s.value, 1) if s else ctx.derived.fig(f"01.{k}", ctx.derived.summary.get(k))
    return fsum(one(k) for k in labels)


def _compare01(r: Rule, ctx: Context, label: str, parts: list[str], how: str):
    s = _stated01(ctx, label)
    if s:
        computed = _fig01(ctx, *parts)
        yield ctx.compare(r, table="01", row=label, column="", stated=s.value, computed=computed,
                          how=how, source=s.src)


@rule("T01-INCOME", "01表：本年收入合计 = 八项收入之和", ERROR, ("01",))
def t01_income(r: Rule, ctx: Context):
    sources = ["一般公共预算财政拨款收入", "政府性基金预算财政拨款收入", "国有资本经营预算财政拨款收入"] + INCOME_COLUMNS[1:]
    yield from _compare01(r, ctx, "本年收入合计", sources, "八项收入之和")


@rule("T01-IN-TOTAL", "01表：收入总计 = 本年收入合计 + 使用非财政拨款结余 + 年初结转和结余", ERROR, ("01",))
def t01_in_total(r: Rule, ctx: Context):
    yield from _compare01(r, ctx, "收入总计", ["本年收入合计", "使用非财政拨款结余", "年初结转和结余"],
                          "本年收入合计 + 使用非财政拨款结余 + 年初结转和结余")


@rule("T01-OUT-TOTAL", "01表：支出总计 = 本年支出合计 + 结余分配 + 年末结转和结余", ERROR, ("01",))
def t01_out_total(r: Rule, ctx: Context):
    yield from _compare01(r, ctx, "支出总计", ["本年支出合计", "结余分配", "年末结转和结余"],
                          "本年支出合计 + 结余分配 + 年末结转和结余")


@rule("T01-BALANCE", "01表：收入总计 = 支出总计（由02、03表与结转结余算出）", ERROR, ("01",))
def t01_balance(r: Rule, ctx: Context):
    # from their parts as derived (a stated figure that disagrees with its own parts is reported by
    # its rule, T01-IN-TOTAL, T01-OUT-TOTAL, T01-INCOME, X-01-03, and is not used here)
    d = ctx.derived
    income = fsum(d.fig(f"01.{k}", d.summary[k]) for k in ("本年收入合计", "使用非财政拨款结余", "年初结转和结余"))
    expense = fsum(d.fig(f"01.{k}", d.summary[k]) for k in ("本年支出合计", "结余分配", "年末结转和结余"))
    yield ctx.compare(r, table="01", row="收入总计（本年收入合计 + 使用非财政拨款结余 + 年初结转和结余）", column="",
                      stated=income.value or ZERO, computed=expense.value or ZERO, terms=pair_terms(income, expense),
                      how="支出总计（本年支出合计 + 结余分配 + 年末结转和结余）", source=ctx.unit.src("收入支出决算总表"))


# ---------------------------------------------------------------- 04 财政拨款收入支出决算总表

@rule("T04-BALANCE", "04表：每种财政拨款 年初结转和结余 + 本年收入 = 本年支出 + 年末结转和结余", ERROR, ("04",))
def t04_balance(r: Rule, ctx: Context):
    d = ctx.derived
    for kind in FISCAL_KINDS:
        opening, income, spent, closing = (d.fig(f"04.{sec}.{kind}", d.fiscal[sec][kind]) for sec in
                                           ("年初财政拨款结转和结余", "本年收入", "本年支出", "年末财政拨款结转和结余"))
        stated = (ctx.unit.fiscal.get("年末财政拨款结转和结余") or {}).get(kind)
        if stated is not None:
            closing = Fig(stated, 1)          # as the file states it (derive keeps it only if it holds)
        computed = (opening.value or ZERO) + (income.value or ZERO) - (spent.value or ZERO)
        yield ctx.compare(r, table="04", row=kind, column="年末财政拨款结转和结余", stated=closing.value or ZERO,
                          computed=computed, how="年初结转和结余 + 本年收入 − 本年支出",
                          terms=pair_terms(opening + income + spent, closing),
                          source=ctx.unit.src(f"财政拨款收入支出决算总表.年末财政拨款结转和结余.{kind}"))


@rule("T04-TOTAL", "04表：合计与总计 = 三类财政拨款之和（本年收入、本年支出、年初和年末结转和结余、总计）", ERROR, ("04",))
def t04_total(r: Rule, ctx: Context):
    d, stated = ctx.derived, ctx.unit.fiscal.get("合计") or {}
    parts = {"本年收入合计": "本年收入", "本年支出合计": "本年支出", "年初财政拨款结转和结余": "年初财政拨款结转和结余",
             "年末财政拨款结转和结余": "年末财政拨款结转和结余"}
    for label, value in stated.items():
        if value is None:
            continue
        if label in parts:
            sec = parts[label]
            computed, how = fsum(d.fig(f"04.{sec}.{k}", d.fiscal[sec][k]) for k in FISCAL_KINDS), "三类财政拨款之和"
        else:
            pair = ("本年收入合计", "年初财政拨款结转和结余") if label == "收入总计" else ("本年支出合计", "年末财政拨款结转和结余")
            computed, how = fsum(d.fig(f"04.合计.{k}", d.fiscal["合计"][k]) for k in pair), " + ".join(pair)
        yield ctx.compare(r, table="04", row=label, column="", stated=value, computed=computed,
                          how=how, source=ctx.unit.src(f"财政拨款收入支出决算总表.合计.{label}"))


@rule("T04-NEGATIVE", "04表：本年收入与年末结转结余不能为负（支出超过了可用的财政拨款）", ERROR, ("04",))
def t04_negative(r: Rule, ctx: Context):
    f = ctx.derived.fiscal
    for section in ("本年收入", "年末财政拨款结转和结余"):
        for kind in FISCAL_KINDS:
            v = f[section][kind]
            if v is not None and v < 0:
                yield Finding(r.id, r.severity, "04", f"{kind}的{section}算得 {ctx.amount(v)}，为负数："
                              f"本年支出超过了年初结转结余与本年收入之和，或02表财政拨款收入少于其他两类财政拨款收入",
                              ctx.unit.src(f"财政拨款收入支出决算总表.{section}.{kind}"), kind, section, ZERO, v)


# ---------------------------------------------------------------- 06 经济分类

def _econ_given(ctx: Context) -> dict:
    return {r.code: r for r in ctx.unit.econ_rows}


@rule("T06-ITEM", "06表：经济分类款 = 其下各项之和（基本支出、项目支出分别计）", ERROR, ("06",))
def t06_item(r: Rule, ctx: Context):
    given = _econ_given(ctx)
    for code, g in given.items():
        if len(code) != 3:
            continue
        items = [x for c, x in given.items() if len(c) == 5 and c.startswith(code)]
        for label, attr in (("基本支出", "basic"), ("项目支出", "project")):
            stated = getattr(g, attr)
            if stated is None and not items:
                continue
            computed = fsum(given_fig(getattr(x, attr)) for x in items)
            yield ctx.compare(r, table="06", row=f"{code} {ctx.profile.econ_names.get(code, '')}".strip(),
                              column=label, stated=stated or ZERO, computed=computed,
                              how="其下各项之和", source=g.src)


def _econ_total_rule(rule_id: str, label: str, personnel: bool):
    @rule(rule_id, f"06表：{label} = " + ("301 + 303 各款之和" if personnel else "301、303 以外各款之和"), ERROR, ("06",))
    def check(r: Rule, ctx: Context):
        g = _econ_given(ctx).get(label)
        if g is None:
            return
        tops = [l for c, l in ctx.derived.econ.items() if len(c) == 3
                and (c in ctx.profile.personnel_classes) == personnel]
        for col, attr, stated in (("基本支出", "basic", g.basic), ("项目支出", "project", g.project)):
            computed = fsum(l.fig(attr) for l in tops)
            if stated is None and computed.value is None:
                continue
            yield ctx.compare(r, table="06", row=label, column=col, stated=stated or ZERO,
                              computed=computed, how="各款之和", source=g.src)
    return check


_econ_total_rule("T06-PERSONNEL", "人员经费合计", True)
_econ_total_rule("T06-PUBLIC", "公用经费合计", False)


@rule("T06-AMOUNT", "06表：金额 = 基本支出 + 项目支出", ERROR, ("06",))
def t06_amount(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        s = ctx.unit.stated_value(f"经济分类支出明细 {g.code} 金额")
        if s:
            computed = given_fig(g.basic) + given_fig(g.project)
            yield ctx.compare(r, table="06", row=g.code, column="金额", stated=s.value, computed=computed,
                              how="基本支出 + 项目支出", source=s.src)


@rule("T06-NOT-BASIC", "06表：资本性支出（基本建设）等科目不能列基本支出（表中印“——”）", ERROR, ("06",))
def t06_not_basic(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        if g.code in ctx.profile.econ_not_basic and g.basic:
            yield Finding(r.id, r.severity, "06", f"“{g.code} {ctx.profile.econ_names.get(g.code, '')}”不能列基本支出，"
                          f"填写了 {ctx.amount(g.basic)}；应列项目支出", g.src, g.code, "基本支出", ZERO, g.basic)


# ---------------------------------------------------------------- 09 三公, 10 相关信息

def _sangong_parts(ctx: Context) -> list[tuple[str, str, dict]]:
    """(label prefix, row label, items) of the 三公 figures a file can state totals for."""
    parts = [(f"三公经费{p}", p, ctx.unit.sangong.get(p, {})) for p in ("预算数", "决算数")]
    if ctx.unit.last_year is not None and ctx.unit.last_year.sangong:
        parts.append(("上年三公经费", "上年决算数", ctx.unit.last_year.sangong))
    return parts


def _sangong_sum(ctx: Context, prefix: str, items: dict, names: tuple[str, ...]) -> Fig:
    """The sum of ``names`` in one 三公 column, a 小计 as the file states it (else its items)."""
    of = ctx.profile.sangong
    figs = []
    for name in names:
        s = ctx.unit.stated_value(f"{prefix}{name}") if name in of.groups else None
        figs.append(Fig(s.value, 1) if s else fsum(given_fig(items.get(k)) for k in of.leaves_of(name)))
    return fsum(figs)


@rule("T09-TOTAL", "09表：合计 = 计入合计的各项之和（模板的三公经费目录；通常是因公出国（境）费 + 公务用车购置及运行维护费 + "
      "公务接待费），预算数、决算数、上年决算数", ERROR, ("09",))
def t09_total(r: Rule, ctx: Context):
    of = ctx.profile.sangong
    for prefix, label, items in _sangong_parts(ctx):
        s = ctx.unit.stated_value(f"{prefix}{of.total}")
        if s:
            yield ctx.compare(r, table="09", row=label, column=of.total, stated=s.value,
                              computed=_sangong_sum(ctx, prefix, items, of.counted),
                              how=" + ".join(of.counted), source=s.src)


@rule("T09-CAR", "09表：小计 = 其下各项之和（如公务用车购置及运行维护费 = 购置费 + 运行维护费），预算数、决算数、上年决算数",
      ERROR, ("09",))
def t09_car(r: Rule, ctx: Context):
    of = ctx.profile.sangong
    for prefix, label, items in _sangong_parts(ctx):
        for group, parts in of.groups.items():
            s = ctx.unit.stated_value(f"{prefix}{group}")
            if s:
                yield ctx.compare(r, table="09", row=label, column=group, stated=s.value,
                                  computed=fsum(given_fig(items.get(k)) for k in parts), how=" + ".join(parts),
                                  source=s.src)


@rule("T10-PURCHASE", "10表：政府采购合计 = 货物 + 工程 + 服务", ERROR, ("10",))
def t10_purchase(r: Rule, ctx: Context):
    s = ctx.unit.stated_value("政府采购合计")
    if s:
        computed = fsum(given_fig(ctx.unit.purchase.get(k)) for k in PURCHASE_KINDS)
        yield ctx.compare(r, table="10", row="政府采购", column="合计", stated=s.value, computed=computed,
                          how="货物 + 工程 + 服务", source=s.src)


@rule("T10-VEHICLES", "10表：车辆数合计 = 各类车辆之和", ERROR, ("10",))
def t10_vehicles(r: Rule, ctx: Context):
    s = ctx.unit.stated_value("车辆数合计")
    if s:
        n = sum(v or 0 for v in ctx.unit.vehicles.values())
        if Decimal(n) != s.value:
            yield Finding(r.id, r.severity, "10", f"车辆数合计填写为 {s.value} 辆，各类车辆之和为 {n} 辆", s.src,
                          "车辆数合计", "", Decimal(n), s.value)


# ---------------------------------------------------------------- no negative amounts

@rule("T-NEGATIVE", "各表：金额不能为负数", ERROR, ())
def t_negative(r: Rule, ctx: Context):
    u = ctx.unit
    for table, rows in u.subject_tables.items():
        for row in rows:
            for col, v in list(row.values.items()) + [("合计列", row.stated_total)]:
                if v is not None and v < 0:
                    yield Finding(r.id, r.severity, TABLE_KEYS[table], f"{row_label(row)}的{col}为负数 {ctx.amount(v)}",
                                  u.src(f"{row.src.path}.{col}"), row_label(row), col, None, v)
    for g in u.econ_rows:
        for col, v in (("基本支出", g.basic), ("项目支出", g.project)):
            if v is not None and v < 0:
                yield Finding(r.id, r.severity, "06", f"{g.code}的{col}为负数 {ctx.amount(v)}", g.src, g.code, col, None, v)
    for part, items in u.sangong.items():
        for k, v in items.items():
            if v is not None and v < 0:
                yield Finding(r.id, r.severity, "09", f"三公经费{part}的{k}为负数 {ctx.amount(v)}",
                              u.src(f"三公经费.{part}.{k}"), part, k, None, v)
    for k, v in list(u.purchase.items()) + [("机关运行经费", u.admin_cost)]:
        if v is not None and v < 0:
            yield Finding(r.id, r.severity, "10", f"{k}为负数 {ctx.amount(v)}", u.src("相关信息统计"), k, "", None, v)
    for label, value in u.summary.items():
        if value is not None and value < 0:
            yield Finding(r.id, r.severity, "01", f"{label}为负数 {ctx.amount(value)}",
                          u.src(f"收入支出决算总表.{label}"), label, "", None, value)
