"""Cells of a unit's workbook: a read ``Sheet`` (values, merged ranges, addresses), the text
helpers (names, labels, column letters) and the parsers of amounts, counts, years, choices and
codes, each raising ``Bad`` with what it expected.
"""

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from .workbook_spec import (
    BOOL,
    CHOICE,
    COUNT,
    EMPTY_MARKS,
    ERROR_VALUES,
    LONGTEXT,
    MONEY,
    PAIRS,
    TEXT,
    YEAR,
)
from .xlsx_guard import MAX_MERGE_AREA, col_letter, merge_span

# ---------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_QUOTES = re.compile("[“”\"'‘’「」『』]")
_NUMBERING = re.compile(r"^(?:\(?[一二三四五六七八九十]+\)|[一二三四五六七八九十]+[、.]|\d+[.、](?!\d))")


def norm(value: Any) -> str:
    """A label for matching: NFKC (full-width → ASCII), no whitespace, no quotes."""
    if value is None:
        return ""
    s = unicodedata.normalize("NFKC", str(value))
    return _QUOTES.sub("", _WS.sub("", s))


def norm_label(value: Any) -> str:
    """A row label without its numbering: "一、…", "（一）…", "1. …"."""
    s = norm(value)
    return _NUMBERING.sub("", s, count=1)


def squash_name(value: Any) -> str:
    """A 科目名称 as data: every space removed (names never contain one; PDF text breaks them)."""
    return _WS.sub("", str(value)).replace("\u3000", "")


def clean_unit_name(value: Any) -> str:
    """A unit name: trimmed (also full-width spaces); breaks and spaces next to CJK removed."""
    s = str(value).replace("\u3000", " ").strip()
    return re.sub(r"\s*\n\s*|(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", s)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and (value.strip() == "" or norm(value) in EMPTY_MARKS))


# ---------------------------------------------------------------- values

class Bad(Exception):
    """A cell value that cannot be used; the message says what was expected."""


_NUM_PLAIN = re.compile(r"^[-+]?\d+(\.\d+)?$")
_NUM_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_money(value: Any) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Bad(f"应为金额，实际是“{value}”")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise Bad(f"应为金额，实际是“{value}”")
        # Excel keeps 15 significant digits; repr() of a float sum may show noise beyond them
        return Decimal("%.15g" % value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        raise Bad(f"应为金额，实际是日期“{value}”（单元格被 Excel 当成了日期：把单元格格式改成“数值”后重填）")
    text = str(value)
    if text.strip() in ERROR_VALUES:
        raise Bad(f"应为金额，实际是 Excel 错误值“{text.strip()}”（公式出错：请检查公式）")
    s = unicodedata.normalize("NFKC", text)
    s = _WS.sub("", s).replace("¥", "").replace("￥", "")
    if s.endswith("元") and not s.endswith("万元"):
        s = s[:-1]
    if _NUM_PLAIN.match(s):
        return Decimal(s)
    if _NUM_GROUPED.match(s):
        return Decimal(s.replace(",", ""))
    if "," in s and re.fullmatch(r"[-+]?[\d,]+(\.\d+)?", s):
        raise Bad(f"“{text.strip()}”的千分位逗号位置不对（应每三位一个，如 1,234,567.89）")
    raise Bad(f"应为金额（如 1234.56），实际是“{text.strip()}”")


def parse_count(value: Any) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise Bad(f"应为整数，实际是“{value}”")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value == int(value):
        n = int(value)
    else:
        s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
        s = re.sub(r"(辆|台|套|台\(套\)|个|次|人次|批次|人)$", "", s)
        if not re.fullmatch(r"[-+]?\d+(\.0+)?", s):
            raise Bad(f"应为整数（个数），实际是“{str(value).strip()}”")
        n = int(Decimal(s))
    if n < 0:
        raise Bad(f"个数不能为负数，实际是“{n}”")
    return n


def parse_year(value: Any) -> int | None:
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value):
        return int(value)
    s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    m = re.fullmatch(r"(\d{4})(年度?)?", s)
    if not m:
        raise Bad(f"应为四位数的年度（如 2024），实际是“{str(value).strip()}”")
    return int(m.group(1))


def parse_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value == int(value):
        value = int(value)
    s = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("_x000D_", "")
    s = s.strip(" \t\u3000")
    return s or None


def parse_choice(value: Any) -> str | None:
    if is_blank(value):
        return None
    return _WS.sub("", str(value)).replace("\u3000", "")


def parse_bool(value: Any) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    s = norm(value).lower()
    if s in ("是", "true", "1", "yes", "y", "√"):
        return True
    if s in ("否", "false", "0", "no", "n", "×"):
        return False
    raise Bad(f"应为“是”或“否”，实际是“{str(value).strip()}”")


def parse_pairs(value: Any) -> dict[str, Decimal] | None:
    """“在职人员=8；编制数=16” → {"在职人员": 8, "编制数": 16}; names as written, numbers as money."""
    text = parse_text(value)
    if text is None:
        return None
    out: dict[str, Decimal] = {}
    for part in re.split(r"[；;\n]+", unicodedata.normalize("NFKC", text)):
        if not part.strip():
            continue
        name, eq, number = part.partition("=")
        amount = parse_money(number) if eq else None
        if not eq or not name.strip() or amount is None:
            raise Bad(f"应写成“名称=数；名称=数”（如“在职人员=8；编制数=16”），实际是“{text}”")
        out[name.strip()] = amount
    return out


PARSERS: dict[str, Callable[[Any], Any]] = {
    MONEY: parse_money, COUNT: parse_count, TEXT: parse_text, LONGTEXT: parse_text,
    YEAR: parse_year, CHOICE: parse_choice, BOOL: parse_bool, PAIRS: parse_pairs,
}


def _is_code(value: Any, lengths: tuple[int, ...] = (3, 5, 7)) -> bool:
    """The cell holds a subject code (alone, or with its name: “2011301 行政运行”)."""
    if is_blank(value):
        return False
    m = re.match(r"\s*(\d{3,7})(?!\d)", unicodedata.normalize("NFKC", str(value)))
    return bool(m) and len(m.group(1)) in lengths


def parse_code(value: Any, lengths: tuple[int, ...] = (3, 5, 7)) -> str:
    """A subject code from a cell: 201, 201.0, "201 ", "２０１" → "201"."""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    if not s.isdigit() or len(s) not in lengths:
        want = "、".join(map(str, lengths))
        raise Bad(f"科目编码应为 {want} 位数字，实际是“{str(value).strip()}”")
    return s



# ---------------------------------------------------------------- reading

@dataclass
class Sheet:
    name: str
    rows: list[tuple]
    uncached: set[str] = field(default_factory=set)
    merged: list[str] = field(default_factory=list)     # “C8:D8”
    hidden: bool = False
    hidden_rows: set[int] = field(default_factory=set)  # 1-based, as SheetFacts
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)
    # row -> [(left column, right column, range, top row)] of the ranges over that row, in file order
    _merge_rows: dict | None = field(default=None, init=False, repr=False, compare=False)

    def merge_at(self, r: int, c: int) -> tuple[str, int, int] | None:
        """(range, top row, left column) of the merged range covering (r, c); None when the cell
        is not merged. Ranges are indexed by row, not expanded cell by cell (a range's rows are at
        most MAX_MERGE_AREA, the sheet's merged cells at most MAX_MERGED_CELLS, see _scan_xml);
        where ranges overlap (Excel never writes that), the last one in the file wins."""
        if not self.merged:
            return None
        if self._merge_rows is None:
            self._merge_rows = {}
            for ref in self.merged:
                span = merge_span(ref)
                if span is None:
                    continue
                r0, c0, r1, c1 = span
                if (r1 - r0 + 1) * (c1 - c0 + 1) > MAX_MERGE_AREA:
                    continue            # a whole-row banner, not a cell of a table
                entry = (c0, c1, f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}", r0)
                for rr in range(r0, r1 + 1):
                    self._merge_rows.setdefault(rr, []).append(entry)
        for c0, c1, rng, r0 in reversed(self._merge_rows.get(r, ())):
            if c0 <= c <= c1:
                return rng, r0, c0
        return None

    def get(self, r: int, c: int) -> Any:
        if r < 0 or c < 0 or r >= len(self.rows):
            return None
        row = self.rows[r]
        return row[c] if c < len(row) else None

    def addr(self, r: int, c: int) -> str:
        return f"{self.name}!{col_letter(c)}{r + 1}"

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def row_blank(self, r: int) -> bool:
        return all(is_blank(v) for v in (self.rows[r] if r < len(self.rows) else ()))



# ---------------------------------------------------------------- the workbook reader

def _label(path: tuple) -> str:
    """What a cell holds, as its column or item is headed: the last key of its path."""
    return next((str(p) for p in reversed(path) if not isinstance(p, int)), "")


def _shown_amount(value: Any) -> str:
    """A cell's value as a message quotes it: an amount with two decimals, other text as written."""
    try:
        amount = parse_money(value)
    except Bad:
        amount = None
    return f"{amount:,.2f}" if amount is not None else str(value).strip()


def _numeric(value: Any) -> bool:
    """A cell that holds a number (or a number written as text)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    try:
        return parse_money(value) is not None
    except Bad:
        return False


def _short(value: Any) -> str:
    """A cell's value as a notice quotes it: a number with two decimals, text as written (cut at 20)."""
    number = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    text = _shown_amount(value) if number else str(value).strip()
    return text if len(text) <= 20 else text[:20] + "…"


