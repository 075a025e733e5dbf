"""The text of a published report's PDF as words with their places (issue 26: reading published
决算公开 back into data).

PDFium (pypdfium2) gives every character with its box; characters are grouped into lines by their
vertical middle and into words by the gaps between them, the way a reader sees a table's cells.
Reading is bounded: a file larger than a report can be, more pages than a report has, or a page
of more characters than a page holds is refused before it is read, with one Chinese message. A
PDF without a text layer (a scan) gets a plain message: it is not read (no OCR).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem
from ..model import Source

MAX_BYTES = 100 << 20          # a published report is a few MB (the Putuo PDFs: 0.2–0.7 MB)
MAX_TITLE = 500               # characters of the document's title kept (a unit's name and a form's title)
MAX_PAGES = 500                # a department's report with every unit's 附件: a few hundred at most
MAX_CHARS_PER_PAGE = 50_000    # a dense A4 table page holds about 3,000
MAX_OBJECTS_PER_PAGE = 10_000  # drawn objects looked at for a page's ruled lines (a form page draws about 800)
MAX_OBJECTS = 100_000          # … and for the whole document (潇河's 38 pages draw about 9,000): then no more lines
RULE_THICKNESS = 2.5           # a drawn path at most this thick (points) and longer than it is a ruled line
BOX_SEGMENTS = 12              # a thicker path of at most this many straight segments is a box (a rectangle, or the
                               # ring of two a border is drawn as): its outline's sides are ruled lines
INVISIBLE = {"\u2060", "\ufeff", "\u200b", "\u200c", "\u200d", "\ufffe", "\u00ad"}


@dataclass(frozen=True)
class Word:
    """A run of characters on one line with no gap between them (a table cell's text, or part of it)."""
    text: str
    x0: float                  # points from the page's left edge
    x1: float
    top: float                 # points from the page's top edge
    bottom: float
    spaced: bool = False       # a space character stands between this word and the one before it

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Rule:
    """A ruled line (a cell's border as drawn): horizontal when ``x1 - x0`` is the longer side."""
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def horizontal(self) -> bool:
        return self.x1 - self.x0 > self.bottom - self.top


@dataclass
class Page:
    number: int                # 1-based, as a reader counts them
    width: float
    height: float
    lines: list[list[Word]]    # top to bottom, each left to right
    rules: list[Rule] = field(default_factory=list)   # the ruled lines drawn (a table's cell borders)
    grid: tuple | None = field(default=None, repr=False, compare=False)   # pdf_grid.cells, once a page

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line]

    def text(self) -> str:
        return "\n".join("".join(w.text for w in line) for line in self.lines)

    def is_footer(self, line: list[Word]) -> bool:
        """Whether ``line`` is the page number at the page's foot (“— 4 —”)."""
        return bool(FOOTER.fullmatch(line_text(line))) and line[0].top > self.height * 0.85

    def body(self) -> list[list[Word]]:
        """The page's lines without its page number."""
        return [line for line in self.lines if not self.is_footer(line)]


FOOTER = re.compile(r"[—－-]*\d+[—－-]*")      # the page number at a page's foot: “— 4 —”


def line_text(line: list[Word]) -> str:
    """A line's words joined (the words hold no spaces)."""
    return "".join(w.text for w in line)


def read_pages(path: Path, info: dict | None = None) -> list[Page]:
    """Every page of the PDF at ``path`` as lines of words; InputError naming the file when it
    cannot be read, is too large, or has no text layer. ``info``: the document's title (its
    metadata, at most MAX_TITLE characters) is put there under "title"."""
    import pypdfium2 as pdfium

    src = Source(str(path))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(src, f"无法读取文件：{exc.strerror or exc}")]) from None
    if size > MAX_BYTES:
        raise InputError([Problem(src, f"PDF 文件过大（{size >> 20} MB，最多 {MAX_BYTES >> 20} MB）：一份决算公开通常只有几 MB")])
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError([Problem(src, f"不是可以读取的 PDF 文件（{exc}）")]) from None
    try:
        if len(doc) > MAX_PAGES:
            raise InputError([Problem(src, f"PDF 有 {len(doc)} 页，超过 {MAX_PAGES} 页：不像一份决算公开")])
        budget = [MAX_OBJECTS]                  # drawn objects left to look at, for the whole document
        pages = [_page(doc, i, src, budget) for i in range(len(doc))]
        if info is not None:
            info["title"] = str(doc.get_metadata_value("Title") or "")[:MAX_TITLE].strip()
    finally:
        doc.close()
    if not any(p.lines for p in pages):
        raise InputError([Problem(src, "PDF 没有文字层（可能是扫描件或图片）：无法读出其中的表和文字；"
                                       "请用决算软件或 Word 导出的 PDF（本程序不做文字识别）")])
    return pages


def _page(doc, index: int, src: Source, budget: list[int] | None = None) -> Page:
    page = doc[index]
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count > MAX_CHARS_PER_PAGE:
            raise InputError([Problem(src, f"第{index + 1}页有 {count} 个字符，超过一页能印的（{MAX_CHARS_PER_PAGE}）")])
        text = textpage.get_text_range(0, count) if count else ""
        chars: list = []
        if len(text) == count:                  # one character of text per character box
            for i, ch in enumerate(text):
                if ch.isspace() or ch in INVISIBLE or not ch.isprintable():
                    chars.append(_gap(textpage, i))  # a space or line end: a gap between words
                    continue
                left, bottom, right, top = textpage.get_charbox(i, loose=True)
                chars.append((ch, left, right, height - top, height - bottom))
        else:                                   # PDFium added or merged characters: box by box
            for i in range(count):
                ch = textpage.get_text_range(i, 1)
                if not ch or ch.isspace() or ch in INVISIBLE or not ch.isprintable():
                    chars.append(_gap(textpage, i))
                    continue
                left, bottom, right, top = textpage.get_charbox(i, loose=True)
                chars.append((ch, left, right, height - top, height - bottom))
        rules = _rules(page, height, budget if budget is not None else [MAX_OBJECTS])
    finally:
        textpage.close()
        page.close()
    return Page(index + 1, width, height, _lines(chars), rules)


GENERATED = ""            # a space PDFium put where characters stand apart (justified text), not one printed


def _gap(textpage, i: int):
    """A blank character: None for one the PDF prints (a space, a line end), GENERATED for a space
    PDFium added where it saw a gap (a gap, but no space in the text)."""
    import pypdfium2.raw as pdfium_c
    return GENERATED if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1 else None


def _rules(page, height: float, budget: list[int]) -> list[Rule]:
    """The ruled lines of ``page`` (top-level objects, at most MAX_OBJECTS_PER_PAGE looked at and
    what is left of the document's ``budget``), in points from the page's top-left corner: each
    thin drawn path, and the four sides of each drawn box (a cell's border may be drawn as a box)."""
    import pypdfium2.raw as pdfium_c

    rules: list[Rule] = []
    for k, obj in enumerate(page.get_objects(max_depth=1)):
        if k >= MAX_OBJECTS_PER_PAGE or budget[0] <= 0:
            break
        budget[0] -= 1
        if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        left, bottom, right, top = obj.get_bounds()
        thin, long = sorted((right - left, top - bottom))
        if thin <= RULE_THICKNESS:
            if long > thin * 2:
                rules.append(Rule(left, height - top, right, height - bottom))
        elif _boxy(obj.raw, pdfium_c):
            y0, y1 = height - top, height - bottom
            rules += [Rule(left, y0 - 0.5, right, y0 + 0.5), Rule(left, y1 - 0.5, right, y1 + 0.5),
                      Rule(left - 0.5, y0, left + 0.5, y1), Rule(right - 0.5, y0, right + 0.5, y1)]
    return rules


def _boxy(path, pdfium_c) -> bool:
    """Whether a drawn path is a box: a few straight segments, no curve."""
    count = pdfium_c.FPDFPath_CountSegments(path)
    return 0 < count <= BOX_SEGMENTS and all(
        pdfium_c.FPDFPathSegment_GetType(pdfium_c.FPDFPath_GetPathSegment(path, i)) != pdfium_c.FPDF_SEGMENT_BEZIERTO
        for i in range(count))


def _lines(chars: list) -> list[list[Word]]:
    """Characters → lines (by vertical middle, within a third of their height) → words (split
    where the gap to the next character is more than a quarter of the height, or at a space)."""
    placed = [(c, k) for k, c in enumerate(chars) if c]
    placed.sort(key=lambda item: ((item[0][3] + item[0][4]) / 2, item[0][1]))
    rows: list[list[tuple]] = []
    for c, k in placed:
        mid, h = (c[3] + c[4]) / 2, c[4] - c[3]
        if rows:
            last = rows[-1]
            last_mid = sum((x[0][3] + x[0][4]) / 2 for x in last) / len(last)
            if abs(mid - last_mid) <= max(h, 1.0) / 3:
                last.append((c, k))
                continue
        rows.append([(c, k)])
    lines = []
    for row in rows:
        row.sort(key=lambda item: item[0][1])
        words: list[Word] = []
        run: list[tuple] = []
        spaced_before = False
        for c, k in row:
            if run:
                prev, prev_k = run[-1]
                gap = c[1] - prev[2]
                between = range(min(prev_k, k) + 1, max(prev_k, k))
                spaced = any(chars[j] is None for j in between)
                if gap > (prev[4] - prev[3]) / 4 or (gap > 0.5 and (spaced or any(chars[j] == GENERATED
                                                                                  for j in between))):
                    words.append(_word(run, spaced_before))
                    run, spaced_before = [], spaced
            run.append((c, k))
        if run:
            words.append(_word(run, spaced_before))
        lines.append(words)
    return lines


def _word(run: list[tuple], spaced: bool = False) -> Word:
    cs = [c for c, _ in run]
    return Word("".join(c[0] for c in cs), min(c[1] for c in cs), max(c[2] for c in cs),
                min(c[3] for c in cs), max(c[4] for c in cs), spaced)
