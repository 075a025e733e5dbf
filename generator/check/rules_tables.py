"""Within-table rules (DOMAIN.md "Arithmetic that must hold"): every total the file states must
equal the sum of what it stands for. Totals the file does not state are computed (derive) and
cannot disagree; so these rules look at what the finance person actually wrote.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from ..model import (FISCAL_KINDS, INCOME_COLUMNS, PURCHASE_KINDS, SANGONG_ITEMS, SUBJECT_TABLES,
                     TOTAL_COLUMN, SubjectRow)
from ..numbers import ZERO, total
from .registry import ERROR, Context, Finding, Rule, rule

TABLE_KEYS = {
    "收入决算表": "02",
    "支出决算表": "03",
    "一般公共预算财政拨款支出决算表": "05",
    "政府性基金预算财政拨款收入支出决算表": "07",
    "国有资本经营预算财政拨款支出决算表": "08",
}


def states_amounts(row: SubjectRow) -> bool:
    """A row that writes any amount states them all (a blank cell is 0); a name-only row states none."""
    return row.stated_total is not None or any(v is not None for v in row.values.values())


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


def child_sums(ctx: Context, table: str, prefix: str) -> dict[str, Decimal]:
    """Per column, the sum of the rows one level down (stated where the file states them)."""
    given = given_rows(ctx, table)
    computed = next(t for t in (ctx.derived.t02, ctx.derived.t03, ctx.derived.t05, ctx.derived.t07,
                                ctx.derived.t08) if t.name == table)
    sums = {c: ZERO for c in SUBJECT_TABLES[table]}
    for child in computed.children.get(prefix, []):
        g = given.get(child.code)
        vals = g.values if g is not None and states_amounts(g) else child.values
        for col in sums:
            sums[col] += vals.get(col) or ZERO
    return sums


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
                                  stated=row.values.get(col) or ZERO, computed=sums[col], how=what,
                                  source=ctx.unit.src(f"{row.src.path}.{col}"))
    return check


def _row_rule(table: str, rule_id: str, description: str):
    """The row's own total column = the sum of its columns (07: 小计 = 基本支出 + 项目支出)."""
    key = TABLE_KEYS[table]
    total_col = TOTAL_COLUMN[table]
    parts = ["基本支出", "项目支出"] if table == "政府性基金预算财政拨款收入支出决算表" else SUBJECT_TABLES[table]

    @rule(rule_id, description, ERROR, (key,))
    def check(r: Rule, ctx: Context) -> Iterator[Finding | None]:
        for row in given_rows(ctx, table).values():
            if row.stated_total is None:
                continue
            computed = sum((row.values.get(c) or ZERO for c in parts), ZERO)
            yield ctx.compare(r, table=key, row=row_label(row), column=total_col or "",
                              stated=row.stated_total, computed=computed, how="本行各列之和",
                              source=ctx.unit.src(f"{row.src.path}.{total_col}"))
    return check


for _table, _key in TABLE_KEYS.items():
    _level_rule(_table, 0, f"T{_key}-SUM", f"{_key}表：合计行 = 各类之和")
    _level_rule(_table, 1, f"T{_key}-CLASS", f"{_key}表：类 = 其下各款之和")
    _level_rule(_table, 2, f"T{_key}-ITEM", f"{_key}表：款 = 其下各项之和")
    _row_rule(_table, f"T{_key}-ROW", f"{_key}表：每行的{TOTAL_COLUMN[_table]} = 本行各列之和")


# ---------------------------------------------------------------- 01 收入支出决算总表

def _stated01(ctx: Context, label: str):
    return ctx.unit.stated_value(f"收入支出决算总表 {label}")


def _value01(ctx: Context, label: str) -> Decimal:
    s = _stated01(ctx, label)
    return s.value if s else (ctx.derived.summary.get(label) or ZERO)


@rule("T01-INCOME", "01表：本年收入合计 = 八项收入之和", ERROR, ("01",))
def t01_income(r: Rule, ctx: Context):
    s = _stated01(ctx, "本年收入合计")
    if s:
        sources = ["一般公共预算财政拨款收入", "政府性基金预算财政拨款收入", "国有资本经营预算财政拨款收入"] + INCOME_COLUMNS[1:]
        yield ctx.compare(r, table="01", row="本年收入合计", column="", stated=s.value,
                          computed=sum((_value01(ctx, k) for k in sources), ZERO), how="八项收入之和", source=s.src)


@rule("T01-IN-TOTAL", "01表：收入总计 = 本年收入合计 + 使用非财政拨款结余 + 年初结转和结余", ERROR, ("01",))
def t01_in_total(r: Rule, ctx: Context):
    s = _stated01(ctx, "收入总计")
    if s:
        computed = _value01(ctx, "本年收入合计") + _value01(ctx, "使用非财政拨款结余") + _value01(ctx, "年初结转和结余")
        yield ctx.compare(r, table="01", row="收入总计", column="", stated=s.value, computed=computed,
                          how="本年收入合计 + 使用非财政拨款结余 + 年初结转和结余", source=s.src)


@rule("T01-OUT-TOTAL", "01表：支出总计 = 本年支出合计 + 结余分配 + 年末结转和结余", ERROR, ("01",))
def t01_out_total(r: Rule, ctx: Context):
    s = _stated01(ctx, "支出总计")
    if s:
        computed = _value01(ctx, "本年支出合计") + _value01(ctx, "结余分配") + _value01(ctx, "年末结转和结余")
        yield ctx.compare(r, table="01", row="支出总计", column="", stated=s.value, computed=computed,
                          how="本年支出合计 + 结余分配 + 年末结转和结余", source=s.src)


@rule("T01-BALANCE", "01表：收入总计 = 支出总计（由02、03表与结转结余算出）", ERROR, ("01",))
def t01_balance(r: Rule, ctx: Context):
    income = ctx.derived.summary["收入总计"] or ZERO
    expense = ctx.derived.summary["支出总计"] or ZERO
    if income != expense:
        diff = income - expense
        yield Finding(r.id, r.severity, "01", f"收入总计 {ctx.amount(income)}（02表本年收入合计 + 使用非财政拨款结余 + "
                      f"年初结转和结余）不等于支出总计 {ctx.amount(expense)}（03表本年支出合计 + 结余分配 + 年末结转和结余），"
                      f"{'多' if diff > 0 else '少'} {ctx.amount(abs(diff))}", ctx.unit.src("收入支出决算总表"),
                      "收入总计", "", expense, income)


# ---------------------------------------------------------------- 04 财政拨款收入支出决算总表

@rule("T04-BALANCE", "04表：每种财政拨款 年初结转和结余 + 本年收入 = 本年支出 + 年末结转和结余", ERROR, ("04",))
def t04_balance(r: Rule, ctx: Context):
    f = ctx.derived.fiscal
    for kind in FISCAL_KINDS:
        opening, income = f["年初财政拨款结转和结余"][kind] or ZERO, f["本年收入"][kind] or ZERO
        spent, closing = f["本年支出"][kind] or ZERO, f["年末财政拨款结转和结余"][kind] or ZERO
        yield ctx.compare(r, table="04", row=kind, column="年末财政拨款结转和结余", stated=closing,
                          computed=opening + income - spent, how="年初结转和结余 + 本年收入 − 本年支出",
                          source=ctx.unit.src(f"财政拨款收入支出决算总表.年末财政拨款结转和结余.{kind}"))


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
            yield ctx.compare(r, table="06", row=f"{code} {ctx.profile.econ_names.get(code, '')}".strip(),
                              column=label, stated=stated or ZERO,
                              computed=sum((getattr(x, attr) or ZERO for x in items), ZERO),
                              how="其下各项之和", source=g.src)


def _econ_total_rule(rule_id: str, label: str, personnel: bool):
    @rule(rule_id, f"06表：{label} = " + ("301 + 303 各款之和" if personnel else "301、303 以外各款之和"), ERROR, ("06",))
    def check(r: Rule, ctx: Context):
        g = _econ_given(ctx).get(label)
        if g is None:
            return
        line = ctx.derived.personnel if personnel else ctx.derived.public
        for col, stated, computed in (("基本支出", g.basic, line.basic), ("项目支出", g.project, line.project)):
            if stated is None and computed is None:
                continue
            yield ctx.compare(r, table="06", row=label, column=col, stated=stated or ZERO,
                              computed=computed or ZERO, how="各款之和", source=g.src)
    return check


_econ_total_rule("T06-PERSONNEL", "人员经费合计", True)
_econ_total_rule("T06-PUBLIC", "公用经费合计", False)


@rule("T06-AMOUNT", "06表：金额 = 基本支出 + 项目支出", ERROR, ("06",))
def t06_amount(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        s = ctx.unit.stated_value(f"经济分类支出明细 {g.code} 金额")
        if s:
            yield ctx.compare(r, table="06", row=g.code, column="金额", stated=s.value,
                              computed=(g.basic or ZERO) + (g.project or ZERO), how="基本支出 + 项目支出", source=s.src)


@rule("T06-NOT-BASIC", "06表：资本性支出（基本建设）等科目不能列基本支出（表中印“——”）", ERROR, ("06",))
def t06_not_basic(r: Rule, ctx: Context):
    for g in ctx.unit.econ_rows:
        if g.code in ctx.profile.econ_not_basic and g.basic:
            yield Finding(r.id, r.severity, "06", f"“{g.code} {ctx.profile.econ_names.get(g.code, '')}”不能列基本支出，"
                          f"填写了 {ctx.amount(g.basic)}；应列项目支出", g.src, g.code, "基本支出", ZERO, g.basic)


# ---------------------------------------------------------------- 09 三公, 10 相关信息

@rule("T09-TOTAL", "09表：合计 = 因公出国（境）费 + 公务用车购置及运行维护费 + 公务接待费（预算数、决算数）", ERROR, ("09",))
def t09_total(r: Rule, ctx: Context):
    for part in ("预算数", "决算数"):
        s = ctx.unit.stated_value(f"三公经费{part}合计")
        if s:
            items = ctx.unit.sangong.get(part, {})
            car = ctx.unit.stated_value(f"三公经费{part}公务用车购置及运行维护费")
            car_value = car.value if car else (items.get("公务用车购置费") or ZERO) + (items.get("公务用车运行维护费") or ZERO)
            computed = (items.get("因公出国（境）费") or ZERO) + car_value + (items.get("公务接待费") or ZERO)
            yield ctx.compare(r, table="09", row=part, column="合计", stated=s.value, computed=computed,
                              how="三项之和", source=s.src)


@rule("T09-CAR", "09表：公务用车购置及运行维护费小计 = 购置费 + 运行维护费（预算数、决算数）", ERROR, ("09",))
def t09_car(r: Rule, ctx: Context):
    for part in ("预算数", "决算数"):
        s = ctx.unit.stated_value(f"三公经费{part}公务用车购置及运行维护费")
        if s:
            items = ctx.unit.sangong.get(part, {})
            yield ctx.compare(r, table="09", row=part, column="公务用车购置及运行维护费", stated=s.value,
                              computed=(items.get("公务用车购置费") or ZERO) + (items.get("公务用车运行维护费") or ZERO),
                              how="购置费 + 运行维护费", source=s.src)


@rule("T10-PURCHASE", "10表：政府采购合计 = 货物 + 工程 + 服务", ERROR, ("10",))
def t10_purchase(r: Rule, ctx: Context):
    s = ctx.unit.stated_value("政府采购合计")
    if s:
        yield ctx.compare(r, table="10", row="政府采购", column="合计", stated=s.value,
                          computed=total(ctx.unit.purchase.get(k) for k in PURCHASE_KINDS) or ZERO,
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
        for k in SANGONG_ITEMS:
            v = items.get(k)
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
