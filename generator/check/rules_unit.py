# registered via generator/check/__init__.py
"""Plausibility of the unit as a whole: its name (cover, title, file name), its year and the scale
of its figures against the declared 金额单位. Warnings: each names something a finance officer
should look at once, none is an arithmetic error."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..numbers import MONEY_UNITS, money
from ..names import NAME_BYTES, PROPERTY_CHARS, fitted_stem, kept_chars, stem_parts
from ..profile import serving
from .registry import WARNING, Context, Finding, Rule, rule
from .rules_text import key_source

WHOLE = ""          # findings about the whole unit ("全文")

# a unit's name longer than this is not a real one (the longest example has 27 characters; the
# longest names of 机关、事业单位 are about 40): it is warned about (U-NAME-SIZE)
NAME_CHARS = 60

# the year of a 决算 is the year before the one it is published in; a file years away is a typo
YEARS_BACK, YEARS_AHEAD = 10, 0
# 收入/支出总计 in 元 beyond which a single unit's report is implausible (a province's whole budget
# is about 10^12 元), and below which a report in 元 most likely holds figures in 万元
LARGEST_YUAN = Decimal("1e12")
SMALLEST_YUAN = Decimal("10000")


@rule("U-NAME-LONG", "单位名称过长时文件名只取其前一部分（年度与报告名称保留）", WARNING)
def name_too_long(r: Rule, ctx: Context):
    head, tail = stem_parts(ctx.unit)
    if len(ctx.unit.name) > NAME_CHARS:       # U-NAME-SIZE says it, file name included
        return
    kept = kept_chars(head, tail)
    if head and kept < len(head):
        yield Finding(r.id, r.severity, WHOLE,
                      f"单位名称有 {len(head)} 个字，文件名最长 {NAME_BYTES} 字节，只取前 {kept} 个字："
                      f"“{fitted_stem(head, tail)}”；封面与标题仍用全称",
                      key_source(ctx.unit, "单位名称"), column="单位名称")


@rule("U-NAME-SIZE", f"单位名称不超过 {NAME_CHARS} 个字（实际的单位名称很少超过 30 个字）", WARNING)
def name_implausibly_long(r: Rule, ctx: Context):
    name = ctx.unit.name
    if len(name) > NAME_CHARS:
        head, tail = stem_parts(ctx.unit)
        yield Finding(r.id, r.severity, WHOLE,
                      f"单位名称有 {len(name)} 个字，实际的单位名称很少超过 30 个字：请确认没有把其他文字填进单位名称"
                      f"（开头是“{name[:20]}…”）。封面与各表仍用全称；文件名只取前 {kept_chars(head, tail)} 个字，"
                      f"文档属性中的标题最多 {PROPERTY_CHARS} 个字",
                      key_source(ctx.unit, "单位名称"), column="单位名称")


@rule("U-PROFILE-YEAR", "模板（版式）应适用于单位的决算年度（版式的 起始年度、截止年度）", WARNING)
def profile_for_another_year(r: Rule, ctx: Context):
    p, year = ctx.profile, ctx.unit.year
    if p.serves(year):
        return
    use = [n for n in serving(year, p.region) if n != p.name] if p.region else []
    advice = (f"{p.region}{year}年度的版式是 {'、'.join(use)}，请把“模板”改为它" if use else
              f"没有适用于{year}年度的{p.region}版式：请确认年度，或按 docs/profiles.md 加一个")
    yield Finding(r.id, r.severity, WHOLE,
                  f"本单位是{year}年度，“模板”{p.name}是{p.display_name}；{advice}",
                  key_source(ctx.unit, "模板"), column="模板")


@rule("U-YEAR", f"年度应在今年之前 {YEARS_BACK} 年以内（决算公开的是上一年度）", WARNING)
def implausible_year(r: Rule, ctx: Context):
    this_year = date.today().year
    year = ctx.unit.year
    if not this_year - 1 - YEARS_BACK < year <= this_year - 1 + YEARS_AHEAD:
        when = "还没有结束" if year >= this_year else f"是 {this_year - year} 年前"
        yield Finding(r.id, r.severity, WHOLE,
                      f"年度 {year} {when}；今年公开的是 {this_year - 1} 年度的决算，请确认年度",
                      key_source(ctx.unit, "年度"), column="年度")


@rule("U-SCALE", "收支总计的规模应与金额单位相称（万元报表写成元、元报表写成万元的数字）", WARNING, tables=("01",))
def implausible_scale(r: Rule, ctx: Context):
    total = ctx.derived.summary.get("收入总计")
    if total is None or total <= 0:
        return
    in_yuan = total * MONEY_UNITS[ctx.mu]
    if in_yuan > LARGEST_YUAN:
        hint = "大于一个省的全年预算" if ctx.mu == "元" else "是否把元的数字填在了万元报表里"
        yield Finding(r.id, r.severity, "01",
                      f"收入总计 {money(total)}{ctx.mu}（{money(in_yuan / MONEY_UNITS['万元'] / 10000)}亿元），{hint}；请确认金额单位",
                      key_source(ctx.unit, "金额单位"), column="金额单位")
    elif in_yuan < SMALLEST_YUAN and ctx.mu == "元":
        yield Finding(r.id, r.severity, "01",
                      f"收入总计只有 {money(total)}元；数字是否以万元填写？请确认金额单位",
                      key_source(ctx.unit, "金额单位"), column="金额单位")
