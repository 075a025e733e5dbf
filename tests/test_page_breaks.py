"""Headings and table starts are not stranded at a page bottom (issue 24, item 5), in the PDF and
in LibreOffice's rendering of the DOCX.

A heading (a Heading block; a title line of the text — a role of KEEP_WITH_NEXT, or any paragraph
but body text worded like a title; a table's caption) is stranded when a page ends with it and the
next page begins with what follows it in the document.
"""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest

from generator.compose.document import (KEEP_WITH_NEXT, SPAN_KEPT_WHOLE, TABLE_START_ROWS, Heading, PageBreak,
                                        Paragraph, Table)
from generator.pipeline import prepare
from tests.conftest import EXAMPLES

FOOTER = re.compile(r"^[—\-－]*\s*\d+\s*[—\-－]*$")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _block_text(block) -> str:
    """What a block prints first (a table: its caption, else label, meta or first header cell)."""
    if isinstance(block, (Heading, Paragraph)):
        return block.text
    if isinstance(block, Table):
        first = next((c.text for row in block.header + block.body for c in row if c.text), "")
        return block.title or block.label or block.meta_left or first
    return ""


# a title line of the text whatever its role: “（二）部门年度绩效目标”, “2、单位人员情况…”, “三、…”
TITLE_LINE = re.compile(r"^(?:（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d{1,2}、)[^。]{2,60}。?$")


def _is_title(b) -> bool:
    return isinstance(b, Heading) or (isinstance(b, Paragraph) and (
        b.style in KEEP_WITH_NEXT or (b.style != "body" and TITLE_LINE.match(b.text) is not None)))


def _keeps(yaml_path):
    """(heading text, text of what follows it) for each block that must stay with the next one."""
    blocks = prepare(yaml_path).document.blocks
    out = []
    for b, nxt in zip(blocks, [*blocks[1:], None]):
        if _is_title(b) and nxt is not None and not isinstance(nxt, PageBreak):
            out.append((_squeeze(b.text), _squeeze(_block_text(nxt))))
        if isinstance(b, Table) and b.title:         # a table's caption stays with its first line
            follow = b.label or b.meta_left or (next((c.text for c in b.header[0] if c.text), "") if b.header else "")
            out.append((_squeeze(b.title), _squeeze(follow)))
    return [(h, n) for h, n in out if h and n]


def _pages(pdf) -> list[list[str]]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=120).stdout
    pages = []
    for page in text.split("\f"):
        lines = [_squeeze(line) for line in page.splitlines()]
        pages.append([line for line in lines if line and not FOOTER.match(line)])
    return pages


def stranded(pdf, keeps) -> list[str]:
    pages = _pages(pdf)
    found = []
    for n, (page, following) in enumerate(zip(pages, pages[1:]), start=1):
        if not page or not following:
            continue
        tail, head = "".join(page[-3:]), "".join(following[:3])
        for heading, nxt in keeps:
            if tail.endswith(heading) and head.startswith(nxt[:6]):
                found.append(f"第 {n} 页末：{heading}")
    return found


EXAMPLE_KEYS = ["xinnengyuan", "huitong", "xiaohe", "xincailiao", "shehuigongzuo", "guihuaziyuan"]


def _yaml(key):
    return next(p for p in EXAMPLES.glob("*.yaml") if key in p.stem)


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_no_heading_ends_a_page(rendered, libreoffice_pdf, key):
    keeps = _keeps(_yaml(key))
    assert keeps
    assert stranded(rendered[key]["pdf"], keeps) == []
    assert stranded(libreoffice_pdf(key), keeps) == []


def test_table_rows_keep_together_in_docx(rendered):
    """Word keeps a row whose paragraphs carry keepNext with the next row: the header and the first
    body rows, and the last rows, so a table never starts at a page bottom or ends at a page top
    with fewer than TABLE_START_ROWS rows (huitong: the indicator table began at the bottom of
    LibreOffice's p7 with its header and two rows), and the rows of a cell spanning a few rows.
    Rows outside those are free to end a page."""
    with zipfile.ZipFile(rendered["huitong"]["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", xml, re.S)
    longest = max(tables, key=lambda t: t.count("<w:tr>"))
    rows = re.findall(r"<w:tr>.*?</w:tr>", longest, re.S)
    nh = sum("<w:tblHeader/>" in r for r in rows)
    kept = ["<w:keepNext/>" in r for r in rows]
    assert len(rows) > 2 * (nh + TABLE_START_ROWS)
    assert all(kept[:nh + TABLE_START_ROWS - 1])
    assert all(kept[len(rows) - TABLE_START_ROWS:-1])
    table = max((b for b in prepare(_yaml("huitong")).document.blocks if isinstance(b, Table)),
                key=lambda t: len(t.header) + len(t.body))
    assert [i for i, k in enumerate(kept[:-1]) if k] == sorted(table.kept_rows())   # the last: with its note
    assert not all(kept[:-1])


def test_rows_of_a_spanning_cell_are_kept():
    """Table.kept_rows: a cell spanning up to SPAN_KEPT_WHOLE rows keeps them all on one page (the
    2-row 二级指标 of a 项目支出绩效自评表, 评价人员 with its names); a taller one its first
    TABLE_START_ROWS rows; empty spanning cells nothing."""
    blocks = prepare(_yaml("xiaohe")).document.blocks
    form = next(b for b in blocks if isinstance(b, Table) and b.title.endswith("项目支出绩效自评表"))
    rows = form.header + form.body
    kept = form.kept_rows()
    for r, _, cell in form.placements(rows):
        if cell.rowspan > 1 and cell.text.strip():
            span = min(cell.rowspan, len(rows) - r)
            whole = span <= SPAN_KEPT_WHOLE
            assert set(range(r, r + (span if whole else TABLE_START_ROWS) - 1)) <= kept, cell.text
    pair = next(r for r, _, c in form.placements(rows) if c.text == "可持续影响指标")
    assert pair in kept
    free = set(range(len(rows) - 1)) - kept
    assert free, "a long form can still break between its groups"


# ---- drawn rules of a PDF page (pdftocairo -svg) and its text lines (pdftotext -bbox-layout) ----

_NUM = r"(-?[\d.]+)"
_SEGMENT = re.compile(r'<path style="fill:none;[^"]*" d="M ' + " ".join([_NUM] * 2) + " L " + " ".join([_NUM] * 2)
                      + r' "(?: transform="matrix\(' + ",".join([_NUM] * 6) + r'\)")?/>')
_LINE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', re.S)


def _svg_pages(pdf) -> list[str]:
    """Each page of a PDF as SVG (pdftocairo), converted in runs of pages of one size: a
    multi-page SVG has its first page's size and drops what lies beyond it on a wider page."""
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "100000", str(pdf)], capture_output=True, text=True,
                          timeout=120).stdout
    sizes = re.findall(r"^Page\s+\d+ size:\s+(\S+ x \S+)", info, re.M)
    pages: list[str] = []
    start = 1
    for n in range(1, len(sizes) + 1):
        if n == len(sizes) or sizes[n] != sizes[start - 1]:
            svg = subprocess.run(["pdftocairo", "-svg", "-f", str(start), "-l", str(n), str(pdf), "-"],
                                 capture_output=True, text=True, timeout=300).stdout
            pages += svg.split("<page>")[1:] if n > start else [svg]   # one page: no <pageSet>
            start = n + 1
    assert len(pages) == len(sizes), pdf
    return pages


def _rules(pdf) -> list[tuple[list, list]]:
    """Each page's straight rules in points from the top left: (horizontal [(y, x0, x1)],
    vertical [(x, y0, y1)]). WeasyPrint and LibreOffice draw table borders as single strokes."""
    pages = []
    for page in _svg_pages(pdf):
        hs, vs = [], []
        for m in _SEGMENT.finditer(page.split("</defs>", 1)[-1]):
            x1, y1, x2, y2 = map(float, m.group(1, 2, 3, 4))
            a, b, c, d, e, f = map(float, m.group(*range(5, 11))) if m.group(5) else (1, 0, 0, 1, 0, 0)
            (X1, Y1), (X2, Y2) = [(a * x + c * y + e, b * x + d * y + f) for x, y in ((x1, y1), (x2, y2))]
            if abs(Y1 - Y2) < 0.1 and abs(X1 - X2) > 0.5:
                hs.append(((Y1 + Y2) / 2, min(X1, X2), max(X1, X2)))
            elif abs(X1 - X2) < 0.1 and abs(Y1 - Y2) > 0.5:
                vs.append(((X1 + X2) / 2, min(Y1, Y2), max(Y1, Y2)))
        pages.append((hs, vs))
    return pages


def _lines(pdf) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's text lines but its page number: (x0, y0, x1, y1, text)."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                         timeout=300).stdout
    pages = []
    for page in xml.split("<page ")[1:]:
        lines = [(float(a), float(b), float(c), float(d), "".join(re.findall(r">([^<]*)</word>", t)))
                 for a, b, c, d, t in _LINE.findall(page)]
        pages.append([line for line in lines if not FOOTER.match(line[4])])
    return pages


def _frames(vs) -> list[tuple[float, float, float, float]]:
    """The tables of a page, top to bottom: (x0, x1, y0, y1) of vertical rules that touch."""
    frames: list[list[float]] = []
    for x, y0, y1 in sorted(vs, key=lambda v: v[1]):
        hit = [f for f in frames if y0 <= f[3] + 1 and y1 >= f[2] - 1]
        for f in hit[1:]:
            frames.remove(f)
        merged = [min([x] + [f[0] for f in hit]), max([x] + [f[1] for f in hit]),
                  min([y0] + [f[2] for f in hit]), max([y1] + [f[3] for f in hit])]
        if hit:
            hit[0][:] = merged
        else:
            frames.append(merged)
    return sorted((tuple(f) for f in frames if f[1] - f[0] > 20), key=lambda f: f[2])


def _ruled(hs, y, x0, x1) -> bool:
    """Whether rules at height y (±1 pt) run from x0 to x1 without a gap."""
    reach = x0
    for a, b in sorted((a, b) for yy, a, b in hs if abs(yy - y) <= 1):
        if a > reach + 1.5:
            return False
        reach = max(reach, b)
    return reach >= x1 - 1.5


def open_table_edges(pdf) -> list[str]:
    """A table's part on a page whose top or bottom rule does not run its whole width."""
    found = []
    for n, (hs, vs) in enumerate(_rules(pdf), start=1):
        for x0, x1, y0, y1 in _frames(vs):
            for side, y in (("上", y0), ("下", y1)):
                if not _ruled(hs, y, x0, x1):
                    found.append(f"第 {n} 页表格{side}边未封闭（y={y:.0f}）")
    return found


def cell_text_outside_rules(pdf) -> list[str]:
    """A text line of a table crossed by one of its rules, or under the last rule of a table's
    part (a cell's text run past the bottom of the page's part of the table). A line starting at
    the table's left edge under it is a note (注：…), not a cell."""
    found = []
    for n, ((hs, vs), lines) in enumerate(zip(_rules(pdf), _lines(pdf)), start=1):
        for x0, x1, _y0, y1 in _frames(vs):
            for lx0, ly0, lx1, ly1, text in lines:
                if lx0 < x0 - 1 or lx1 > x1 + 1:
                    continue
                inset = (ly1 - ly0) * 0.2
                if any(ly0 + inset < y < ly1 - inset and a < lx1 - 1 and b > lx0 + 1 for y, a, b in hs):
                    found.append(f"第 {n} 页“{text}”压线")
                elif y1 - 1 <= ly0 < y1 + (ly1 - ly0) and lx0 > x0 + 2:
                    found.append(f"第 {n} 页“{text}”在表格底线之下")
    return found


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_split_tables_are_closed(rendered, libreoffice_pdf, key):
    """A table split over pages has its bottom rule on the first page and its top rule on the next
    in the PDF too: WeasyPrint's collapsed borders left both open where a cell spans the break
    (the 项目支出绩效自评表 of xiaohe and xincailiao; the tfoot/thead rows of no height in
    report.html.j2 close them). LibreOffice draws them."""
    assert open_table_edges(rendered[key]["pdf"]) == []
    assert open_table_edges(libreoffice_pdf(key)) == []


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_no_cell_text_outside_its_rules(rendered, libreoffice_pdf, key):
    """No row is cut through its text and no cell's text runs below the last rule of its page
    (xiaohe: the “员” of 评价人员, a cell spanning the names under it, hung under p37's table)."""
    assert cell_text_outside_rules(rendered[key]["pdf"]) == []
    assert cell_text_outside_rules(libreoffice_pdf(key)) == []


def table_starts(yaml_path, pdf) -> list[tuple[int, str, int]]:
    """(page, table, body rows) of each table that starts on a page and goes on to the next. The
    rows are counted from the rules; a part is a table's first when text comes before it on the
    page or it is not the page's first table."""
    tables = [b for b in prepare(yaml_path).document.blocks if isinstance(b, Table) and (b.header or b.body)]
    parts = []
    for n, ((hs, vs), lines) in enumerate(zip(_rules(pdf), _lines(pdf)), start=1):
        frames = _frames(vs)
        for i, (x0, x1, y0, y1) in enumerate(frames):
            heights = {round(y) for y, a, b in hs if y0 - 1 <= y <= y1 + 1 and b > x0 and a < x1}
            first = i > 0 or any(line[3] < y0 - 0.5 for line in lines)
            last = i == len(frames) - 1 and not any(line[1] > y1 + 0.5 for line in lines)
            parts.append([n, len(heights) - 1, first, last])
    starts = []
    for k, (n, rows, first, last) in enumerate(parts):
        if first:
            goes_on = last and k + 1 < len(parts) and parts[k + 1][0] == n + 1 and not parts[k + 1][2]
            starts.append((n, rows, goes_on))
    assert len(starts) == len(tables), (len(starts), len(tables))
    return [(n, t.title or t.key, rows - len(t.header)) for t, (n, rows, goes_on) in zip(tables, starts) if goes_on]


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_libreoffice_starts_a_table_with_three_rows(libreoffice_pdf, key):
    """In LibreOffice's layout of the DOCX no page ends with a table's header and fewer than
    TABLE_START_ROWS body rows (the keepNext of Table.kept_rows on the rows' paragraphs; LibreOffice
    7.4 honours it: without it huitong's indicator table began with two rows when it came 3–4 lines
    lower)."""
    starts = table_starts(_yaml(key), libreoffice_pdf(key))
    assert [s for s in starts if s[2] < TABLE_START_ROWS] == []


def test_year_line_alone_is_centred(rendered, libreoffice_pdf):
    """A table whose meta line is only its 年度 (项目支出绩效自评表: “（2022年度）”) prints it centred
    under the title, within 2 pt of the centre of the table (as wide as the text block) under it, in
    the PDF and in LibreOffice's layout of the DOCX; it sat at three quarters of the line (the empty
    left part took half of it)."""
    blocks = prepare(_yaml("xiaohe")).document.blocks
    years = {_squeeze(b.meta_center) for b in blocks if isinstance(b, Table) and b.meta_center
             and not b.meta_left and not b.meta_right}
    assert years
    for pdf in (rendered["xiaohe"]["pdf"], libreoffice_pdf("xiaohe")):
        seen = 0
        for (_hs, vs), lines in zip(_rules(pdf), _lines(pdf)):
            for x0, _y0, x1, y1, text in lines:
                if _squeeze(text) in years:
                    if not vs:        # a form drawn cell by cell (.flowing: separate borders), no rules to read
                        continue
                    table = next(f for f in _frames(vs) if f[2] > y1)
                    assert abs((x0 + x1) / 2 - (table[0] + table[1]) / 2) < 2, (pdf.name, text, x0, x1, table)
                    seen += 1
        assert seen >= len(years), pdf.name
