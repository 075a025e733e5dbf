"""The cells of a ruled table as a reader sees them: each printed word belongs to the box its
page's ruled lines draw around it (issue 26: the 附件 forms read back from a published PDF).

A form such as a 项目支出绩效自评表 merges cells in both directions and wraps long texts inside a
cell, so its columns cannot be told from the words' positions alone; its borders can. Every word
is put in the smallest box of ruled lines around it (the nearest line on each side that spans
the word); the words of one box, line by line, are the cell's text. Cells without a word are not
listed: a blank cell reads as "".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .pdf_text import Page, Word

MAX_PAIRS = 30_000_000   # word × ruled-line pairs looked at in one document (a form page: about 50,000; ~80 ns each)
EPS = 1.5             # points: a word touching a rule is inside it; rules this close are one edge
INDENT = 8.0          # points: a line starting this far right of the cell's other lines opens a paragraph


@dataclass
class GridCell:
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    lines: list[tuple[float, float, str]] = field(default_factory=list)   # (left x, right x, text) of each line

    @property
    def text(self) -> str:
        """The cell's lines joined: no space between lines, except where a line break fell between
        two Latin letters or digits (the break was at a space)."""
        return join_lines([t for _, _, t in self.lines])

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


def paragraphs(lines: list[tuple[float, float, str]], left: float, right: float,
               em: float = 10.0) -> list[tuple[bool, str]]:
    """Lines of text between ``left`` and ``right`` as paragraphs, each (indented, text): a line
    indented against the left edge opens one (a paragraph's first line), and so does a line after
    one that stopped short of the right edge by more than a character (a paragraph's last line)."""
    out: list[tuple[bool, list[str]]] = []
    short = True
    for x0, x1, t in lines:
        indented = x0 > left + INDENT
        if not out or indented or short:
            out.append((indented, []))
        out[-1][1].append(t)
        short = x1 < right - 1.5 * em
    return [(indented, join_lines(p)) for indented, p in out]


def join_lines(lines: list[str]) -> str:
    out = ""
    for t in lines:
        if out and t and out[-1].isascii() and out[-1].isalnum() and t[0].isascii() and t[0].isalnum():
            out += " "
        out += t
    return out


def _enclosing(word: Word, verticals: list, horizontals: list) -> tuple[float, float, float, float] | None:
    """The box of ruled lines around ``word``; a side with no line (a cell the page break cut has no
    line below it on this page) is where the lines beside the word end."""
    cx, cy = word.cx, word.cy
    left = max(((x, y0, y1) for x, y0, y1 in verticals if x <= word.x0 + EPS and y0 - EPS <= cy <= y1 + EPS),
               default=None)
    right = min(((x, y0, y1) for x, y0, y1 in verticals if x >= word.x1 - EPS and y0 - EPS <= cy <= y1 + EPS),
                default=None)
    if left is None or right is None:
        return None
    top = max((y for y, x0, x1 in horizontals if y <= word.top + EPS and x0 - EPS <= cx <= x1 + EPS),
              default=max(left[1], right[1]))
    bottom = min((y for y, x0, x1 in horizontals if y >= word.bottom - EPS and x0 - EPS <= cx <= x1 + EPS),
                 default=min(left[2], right[2]))
    return left[0], top, right[0], bottom


def _snap(value: float, edges: list[float]) -> float:
    """``value`` as the first edge within EPS of it (edges drawn a fraction of a point apart are one)."""
    for e in edges:
        if abs(e - value) <= EPS:
            return e
    edges.append(value)
    return value


def cost(page: Page) -> int:
    """The word × ruled-line pairs ``cells`` looks at on ``page`` (what bounds its time)."""
    return len(page.words) * len(page.rules)


def cells(page: Page) -> tuple[list[GridCell], list[list[Word]]]:
    """The cells holding words on ``page`` (top to bottom, then left to right) and the lines of
    words outside any ruled box (a title, a note under the table). Its time is ``cost(page)``
    steps (once a page: the result is kept on the page); a reader bounds the sum (MAX_PAIRS)."""
    if page.grid is None:
        page.grid = _cells(page)
    return page.grid


def _cells(page: Page) -> tuple[list[GridCell], list[list[Word]]]:
    verticals = [((r.x0 + r.x1) / 2, r.top, r.bottom) for r in page.rules if not r.horizontal]
    horizontals = [((r.top + r.bottom) / 2, r.x0, r.x1) for r in page.rules if r.horizontal]
    xs: list[float] = []
    ys: list[float] = []
    found: dict[tuple, GridCell] = {}
    outside: list[list[Word]] = []
    for line in page.body():
        out_line = []
        placed: dict[tuple, list[Word]] = {}
        for w in line:
            box = _enclosing(w, verticals, horizontals) if verticals and horizontals else None
            if box is None:
                out_line.append(w)
                continue
            key = (_snap(box[0], xs), _snap(box[1], ys), _snap(box[2], xs), _snap(box[3], ys))
            placed.setdefault(key, []).append(w)
        for key, words in placed.items():
            cell = found.setdefault(key, GridCell(page.number, *key))
            cell.lines.append((words[0].x0, words[-1].x1, "".join((" " if w.spaced and k else "") + w.text
                                                               for k, w in enumerate(words))))
        if out_line:
            outside.append(out_line)
    return sorted(found.values(), key=lambda c: (c.top, c.x0)), outside
