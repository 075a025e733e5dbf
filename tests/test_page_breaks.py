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

from generator.compose.document import KEEP_WITH_NEXT, TABLE_START_ROWS, Heading, PageBreak, Paragraph, Table
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
    LibreOffice's p7 with its header and two rows)."""
    with zipfile.ZipFile(rendered["huitong"]["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", xml, re.S)
    longest = max(tables, key=lambda t: t.count("<w:tr>"))
    rows = re.findall(r"<w:tr>.*?</w:tr>", longest, re.S)
    nh = sum("<w:tblHeader/>" in r for r in rows)
    kept = ["<w:keepNext/>" in r for r in rows]
    assert len(rows) > 2 * (nh + TABLE_START_ROWS)
    assert all(kept[:nh + TABLE_START_ROWS - 1])
    # in between, only the column titles inside a form (the 部门整体支出绩效自评表's indicator part)
    table = next(b for b in prepare(_yaml("huitong")).document.blocks
                 if isinstance(b, Table) and len(b.header) + len(b.body) == len(rows))
    inside = {nh + k for k in table.keep_rows}
    assert inside and all(kept[i] for i in inside)
    assert not any(kept[i] for i in range(nh + TABLE_START_ROWS, len(rows) - TABLE_START_ROWS) if i not in inside)
    assert all(kept[len(rows) - TABLE_START_ROWS:-1])


def test_year_line_alone_is_centred(rendered):
    """A table whose meta line is only its 年度 (项目支出绩效自评表: “（2022年度）”) prints it centred
    under the title; it sat at three quarters of the line (the empty left part took half of it)."""
    blocks = prepare(_yaml("xiaohe")).document.blocks
    years = {b.meta_center for b in blocks if isinstance(b, Table) and b.meta_center
             and not b.meta_left and not b.meta_right}
    assert years
    xml = subprocess.run(["pdftotext", "-bbox", str(rendered["xiaohe"]["pdf"]), "-"], capture_output=True,
                         text=True, timeout=120).stdout
    seen = 0
    for page in re.findall(r"<page (.*?)</page>", xml, re.S):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)
        for x0, y0, x1, word in words:
            alone = sum(1 for w in words if abs(float(w[1]) - float(y0)) < 2) == 1   # the line's only word
            if word in years and alone:
                seen += 1
                assert abs((float(x0) + float(x1)) / 2 - width / 2) < 0.02 * width, (word, x0, x1, width)
    assert seen >= len(years)
