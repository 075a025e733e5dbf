"""绩效比率 (templates/catalogs/ratios.yaml): each ratio computed from its inputs, and the
formula text of the 计算分析情况 column printed from the same numbers, so it cannot disagree
with itself (issue 10).

A ratio's inputs are either the unit's (an indicator's 数据) or a figure of the form's header
(资金: 年初预算, 预算执行 …). The result is × 100, two places, half up; none against a zero base.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ..numbers import HUNDRED, money, percent, q2
from ..ratios import RatioDef, catalogue


@dataclass(frozen=True)
class Ratio:
    """One computed ratio: its inputs, the result (None against a zero or blank base) and the text."""
    definition: RatioDef
    values: tuple[Decimal | None, Decimal | None]
    result: Decimal | None
    text: str                   # the 计算分析情况 formula, e.g. （在职人员8人/编制数16人）×100%=50.00%


@lru_cache(maxsize=1)
def _env():
    """The formulas' Jinja environment (jinja2 is imported only for a unit with such ratios)."""
    import jinja2
    return jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)


def figure(value: Decimal | None, unit: str) -> str:
    """An input as the formula prints it: 万元 with two places (3.19万元), people and counts whole."""
    if value is None:
        return ""
    if unit == "万元":
        return f"{money(value, grouping=False)}万元"
    return f"{format(value.normalize(), 'f')}{unit}"


def compute(kind: str, a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None or b == 0:
        return None
    if kind == "比":
        return percent(a, b)
    if kind == "变动":
        return q2((a - b) * HUNDRED / b)
    return q2(abs(a - b) * HUNDRED / b)


def ratio(name: str, a: Decimal | None, b: Decimal | None) -> Ratio:
    definition = catalogue()[name]
    result = compute(definition.kind, a, b)
    p1, p2 = definition.parts
    text = ""
    if result is not None:
        text = _env().from_string(definition.formula).render(
            名1=p1.name, 值1=figure(a, p1.unit), 名2=p2.name, 值2=figure(b, p2.unit),
            结果=f"{money(result, grouping=False)}%", **{p1.name: figure(a, p1.unit), p2.name: figure(b, p2.unit)})
    return Ratio(definition, (a, b), result, text)


SENTINELS = ("\x01", "\x02", "\x03")      # where a formula prints its two inputs and its result


@lru_cache(maxsize=None)
def formula_pattern(name: str):
    """The printed formula of ratio ``name`` as a pattern whose groups are its two inputs and its
    result (a published 计算分析情况 read back: ``read_formula``)."""
    import re
    definition = catalogue()[name]
    p1, p2 = definition.parts
    a, b, result = SENTINELS
    text = _env().from_string(definition.formula).render(名1=p1.name, 值1=a, 名2=p2.name, 值2=b, 结果=result,
                                                         **{p1.name: a, p2.name: b})
    units = {a: re.escape(p1.unit), b: re.escape(p2.unit), result: "%"}
    groups = {a: "a", b: "b", result: "r"}
    seen: set[str] = set()
    out = []
    for p in re.split("([\x01-\x03])", text):
        if p in units:           # an input printed twice (|a − b| / b) is the same figure both times
            out.append((f"(?P={groups[p]})" if p in seen else f"(?P<{groups[p]}>-?\\d+(?:\\.\\d+)?)") + units[p])
            seen.add(p)
        else:
            out.append(re.escape(p))
    return re.compile("".join(out))


def read_formula(text: str) -> tuple[str, Decimal, Decimal, Decimal, str] | None:
    """(ratio, input 1, input 2, result, the words after “；”) of a 计算分析情况 that opens with a
    catalogue ratio's formula; None when it opens with none."""
    for name in catalogue():
        m = formula_pattern(name).match(text)
        if m and (m.end() == len(text) or text[m.end()] == "；"):
            a, b, result = (Decimal(m.group(k)) for k in ("a", "b", "r"))
            return name, a, b, result, text[m.end() + 1:]
    return None
