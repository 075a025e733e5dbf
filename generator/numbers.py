"""Number rules of the 决算 documents (docs/domain.md "Numbers").

Money is Decimal end to end; rounding is 四舍五入 (ROUND_HALF_UP) to two places before
Babel formats it (zh_CN #,##0.00; Babel is imported on first use). Percentages are part / whole
× 100 to two places; a list of 占比 is rounded share by share and its 尾差 (100.00 minus their sum)
goes where the profile's 占比尾差 says (SHARE_TAILS: the largest share, the last one, or nowhere);
a rate against a zero base is None (not printed).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


ROUNDING = ROUND_HALF_UP     # 四舍五入: the one rounding of every printed and compared figure


def round_places(value: Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimal places (0: whole), 四舍五入. Every rounding of the program is
    this one or ``round_step`` (a rule comparing a figure at the places it is written, a score to its
    step), so the rounding is changed here alone."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)


def round_step(value: Decimal, step: Decimal) -> Decimal:
    """``value`` to the nearest multiple of ``step`` (0.5, 0.01 …), 四舍五入."""
    return (round_places(value / step, 0) * step).quantize(step if step < 1 else Decimal(1))


def q2(value: Decimal | None) -> Decimal:
    """Round to two places, half up. None (a blank cell) counts as 0."""
    if value is None:
        return ZERO.quantize(CENT)
    if not isinstance(value, Decimal):
        raise TypeError(f"金额必须是 Decimal，收到 {type(value).__name__}")
    return round_places(value, 2)


# Money units a file or a report may use, as multiples of 元.
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10000)}


def convert(value: Decimal | None, from_unit: str, to_unit: str) -> Decimal | None:
    """An amount in ``from_unit`` as printed in ``to_unit``: converted exactly, then rounded half up
    once to 0.01 (as the 决算软件 prints each 万元 cell from its own 元 value). Blank stays blank."""
    if value is None:
        return None
    if from_unit == to_unit:
        return q2(value)
    return q2(value * MONEY_UNITS[from_unit] / MONEY_UNITS[to_unit])


TAIL_PER_TERM = Decimal("0.005")     # a rounded figure is off its exact value by at most half a cent
TAIL_MIN = Decimal("0.01")


def tail_tolerance(terms: int) -> Decimal:
    """The largest 尾差 between a stated total and the sum of ``terms`` rounded figures it stands
    for: 0.005 per figure summed, at least 0.01 (in the unit of the figures)."""
    return max(TAIL_MIN, TAIL_PER_TERM * terms)


def is_tail(diff: Decimal, terms: int, rounded: bool) -> bool:
    """Whether a stated total off the sum of its parts by ``diff`` is a 尾差: only when the file's
    figures are rounded ones (``rounded``), and within ``tail_tolerance(terms)``. Derive (which
    figure to print) and check (提示 or 错误) both decide by this."""
    return rounded and diff != 0 and abs(diff) <= tail_tolerance(terms)


def money(value: Decimal | None, grouping: bool = True) -> str:
    """'163,522.43' (grouping) or '163522.43'. Always two decimals: rounded half up first (q2),
    then Babel's zh_CN number pattern. Babel is imported on the first call (its locale data take
    ~30 ms to load, which a ``juesuan check`` without findings to print never needs)."""
    return _money(str(q2(value)), grouping)


@lru_cache(maxsize=1 << 14)
def _money(value: str, grouping: bool) -> str:
    # keyed by the rounded figure's text: Decimal("-0.00") == Decimal("0.00") but prints apart
    return _format_decimal()(Decimal(value), format="#,##0.00" if grouping else "0.00", locale="zh_CN",
                             decimal_quantization=True)


@lru_cache(maxsize=1)
def _format_decimal():
    from babel.numbers import format_decimal
    return format_decimal


def cell(value: Decimal | None, *, grouping: bool) -> str:
    """A table cell: blank stays blank, a number gets two decimals."""
    return "" if value is None else money(value, grouping=grouping)


def percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole × 100, half up to 0.01; None when whole is 0 or blank."""
    if whole is None or whole == 0:
        return None
    return q2((part or ZERO) * HUNDRED / whole)


def pct(value: Decimal | None) -> str:
    """'43.75%'. Callers must not print a None rate; this raises to catch that."""
    if value is None:
        raise ValueError("比率的基数为0，不能打印比率")
    return f"{money(value, grouping=False)}%"


# Where a list of 占比 puts its 尾差 (the profile's 占比尾差 → the value ``shares`` takes).
SHARE_TAILS = {"最大项": "largest", "末项": "last", "不调整": "none"}


def shares(parts: Sequence[Decimal | None], whole: Decimal | None = None,
           tail: str = "largest") -> list[Decimal | None]:
    """占比 of each part in ``whole`` (default: the sum of the parts), each part / whole × 100 half up.

    ``whole`` is the printed total the narrative names beside the parts ("收入合计X万元，其中：…"),
    which in a 万元 report may differ from the sum of the printed parts by a 尾差; each share is
    then what a reader computes from the two printed figures. ``tail`` says where the remainder
    (100.00 minus the sum of the rounded shares) goes, as a region's published reports do:
    "largest" — to the largest part (the first one when several are equally large; Shanxi),
    "last" — to the last non-zero part in the list's order (Shanghai), "none" — nowhere (each
    share on its own; the list may add to 100.01). Returns Nones when the whole is 0.
    """
    if tail not in SHARE_TAILS.values():
        raise ValueError(f"占比尾差只能是 {'、'.join(SHARE_TAILS)}")
    values = [p or ZERO for p in parts]
    total = sum(values, ZERO) if whole is None else whole
    if total == 0 or not any(values):
        return [None for _ in values]
    rounded = [percent(v, total) for v in values]
    diff = HUNDRED.quantize(CENT) - sum(rounded, ZERO)  # type: ignore[arg-type]
    if diff and tail != "none":
        if tail == "last":
            target = max(i for i, v in enumerate(values) if v)
        else:
            target = max(range(len(values)), key=lambda i: (values[i], -i))
        rounded[target] = rounded[target] + diff  # type: ignore[operator]
    return rounded


@dataclass(frozen=True)
class Change:
    """This year against last year."""

    this: Decimal
    last: Decimal
    diff: Decimal           # this − last, rounded
    rate: Decimal | None    # |diff| / last × 100, None when last is 0

    @property
    def direction(self) -> str:
        """'up', 'down' or 'same'."""
        if self.diff > 0:
            return "up"
        if self.diff < 0:
            return "down"
        return "same"

    @property
    def amount(self) -> Decimal:
        return abs(self.diff)


def change(this: Decimal | None, last: Decimal | None) -> Change:
    t, l_ = q2(this), q2(last)
    diff = t - l_
    return Change(this=t, last=l_, diff=diff, rate=percent(abs(diff), l_) if l_ else None)


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    """Sum of the non-blank values; None when all are blank."""
    acc: Decimal | None = None
    for v in values:
        if v is not None:
            acc = v if acc is None else acc + v
    return acc


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 26 → 二十六, 101 → 一百零一, 110 → 一百一十, 1010 → 一千零一十
    (for 一、二、… numbering). From 10000 on the Arabic digits: no list of a report is that long,
    but a unit's data may be (a glossary of 10000 terms is refused by nobody else)."""
    if n <= 0:
        raise ValueError(n)
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
        return head + (_DIGITS[ones] if ones else "")
    if n >= 10000:
        return str(n)
    out, zero = "", False
    for digit, unit in zip(f"{n:04d}", "千百十 "):
        d = int(digit)
        if not d:
            zero = bool(out)
            continue
        out += ("零" if zero else "") + _DIGITS[d] + unit.strip()
        zero = False
    return out
