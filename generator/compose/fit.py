"""Column widths from the content: an amount (or a code) never breaks inside its cell.

The layouts give each column a width; a wide figure at the table's font size may not fit
(06 of a unit in 元: “134402.43” in a 45 pt column broke as “134402.4/3”). ``fit_amounts`` widens
every column that holds such a cell to the width of its widest one, taking the room from the
columns of words (names), which wrap; when those cannot give enough, the table's font gets
smaller. The writers scale the widths to their text width, so the same widths hold in the DOCX
and the PDF; the estimate uses the narrower writer (the DOCX: landscape text 717 pt against the
PDF's 740 pt) and the DOCX's wider cell margins.
"""
from __future__ import annotations

import math
import re

from .document import Table

AMOUNT = re.compile(r"^[-−]?[\d,]*\d(?:\.\d+)?%?$")
PLACEHOLDER = re.compile(r"^[-—–－]+$")       # “——” (not applicable): neither a figure nor words
# advance widths in em of the faces a table is set in (Noto Serif/Sans CJK digits 0.557 em,
# DejaVu 0.636), rounded up so the estimate errs on the wide side
EM = {**{d: 0.6 for d in "0123456789"}, ",": 0.34, ".": 0.34, "-": 0.36, "−": 0.6, "%": 0.9}
PADDING = 12.0                      # pt: the DOCX's cell margins (2 × 5.4) and the borders
NARROWEST = {True: 717.0, False: 442.0}   # the narrowest writer's text width: landscape, portrait
MIN_WORD_COLUMN = 3.0               # em: a column of words keeps room for three characters
SMALLEST_FONT = 6.0                 # pt: the font is reduced no further


def text_width(text: str, size: float) -> float:
    """Width in points of ``text`` set at ``size`` (CJK and other characters one em)."""
    return sum(EM.get(ch, 1.0) for ch in text) * size


def _needs(table: Table, size: float) -> tuple[list[float], list[bool]]:
    """Per grid column: the width its widest single-column figure needs (in the table's width
    units), and whether it holds words (cells that may wrap)."""
    n = table.ncols
    scale = sum(table.widths) / NARROWEST[table.landscape]
    need, words = [0.0] * n, [False] * n
    for _, c, cell in table.placements(table.body):
        text = cell.text.strip()
        if cell.colspan != 1 or not text or PLACEHOLDER.match(text):
            continue
        if AMOUNT.match(text):
            need[c] = max(need[c], (text_width(text, size) + PADDING) * scale)
        else:
            words[c] = True
    return need, words


def _fitted(widths: list[float], need: list[float], words: list[bool], floor: float) -> list[float] | None:
    """Widths with every figure column at least its need, the room taken from the word columns
    (down to ``floor``) in proportion to what each can give; None when they cannot give enough."""
    short = [max(0.0, need[c] - w) for c, w in enumerate(widths)]
    deficit = sum(short)
    if deficit <= 0:
        return widths
    donors = [c for c, w in enumerate(widths) if words[c] and need[c] == 0 and w > floor]
    room = sum(widths[c] - floor for c in donors)
    if room < deficit:
        return None
    out = [w + s for w, s in zip(widths, short)]
    for c in donors:
        out[c] -= (widths[c] - floor) / room * deficit
    return out


def fit_amounts(table: Table) -> Table:
    """``table`` with widths (and, if need be, font size) at which no figure breaks."""
    size = table.font_size
    while True:
        need, words = _needs(table, size)
        scale = sum(table.widths) / NARROWEST[table.landscape]
        fitted = _fitted(list(table.widths), need, words, (MIN_WORD_COLUMN * size + PADDING) * scale)
        if fitted is not None or size <= SMALLEST_FONT:
            break
        size -= 0.5
    if fitted is not None and (fitted != list(table.widths) or size != table.font_size):
        table.widths, table.font_size = [math.floor(w * 10 + 0.5) / 10 for w in fitted], size   # tenths of a pt
    return table
