"""Amounts never break inside a cell (issue 11): column widths from the content, the same in the
DOCX and the PDF. 06 of xiaohe (a unit in 元) broke “134402.43” as “134402.4/3” in the PDF and
four more amounts in LibreOffice's PDF of the DOCX before the widths were fitted."""
from __future__ import annotations

import html
import re
import subprocess

import pytest

from generator.compose.document import Cell, Table
from generator.compose.fit import AMOUNT, PADDING, fit_amounts, text_width
from generator.pipeline import prepare

from .conftest import EXAMPLES


def _table(widths, rows, landscape=False, size=9.0):
    return Table(key="", label="", title="", meta_left="", meta_center="", meta_right="", header=[],
                 body=[[Cell(t) for t in r] for r in rows], widths=widths, landscape=landscape, font_size=size)


def test_a_narrow_amount_column_takes_room_from_the_words():
    t = fit_amounts(_table([40.0, 200.0, 40.0, 162.0], [["201", "一般公共服务支出", "134402.43", "1.00"]]))
    assert sum(t.widths) == pytest.approx(442.0)
    assert t.widths[2] >= text_width("134402.43", 9.0) + PADDING        # portrait: no scaling
    assert t.widths[1] < 200.0 and t.widths[3] == 162.0 and t.font_size == 9.0


def test_without_room_the_font_gets_smaller():
    t = fit_amounts(_table([88.4] * 5, [["123456789012.34"] * 5]))      # figures only: no words to give room
    assert t.font_size == 8.5 and t.widths == [88.4] * 5
    assert text_width("123456789012.34", 8.5) + PADDING <= 88.4 < text_width("123456789012.34", 9.0) + PADDING


def _words(pdf) -> set[str]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return {html.unescape(w) for w in re.findall(r"<word[^>]*>([^<]*)</word>", out)}


@pytest.mark.parametrize("key,stem", [("xiaohe", "xiaohe-2022"), ("xincailiao", "xincailiao-2023")])
def test_no_amount_breaks_in_the_pdf_or_in_libreoffice(rendered, libreoffice_pdf, key, stem):
    doc = prepare(EXAMPLES / f"{stem}.yaml").document
    amounts = {c.text.strip() for t in doc.tables() for _, _, c in t.placements(t.body)
               if AMOUNT.match(c.text.strip()) and len(c.text.strip()) >= 4}
    assert len(amounts) > 100
    assert amounts <= _words(rendered[key]["pdf"]), sorted(amounts - _words(rendered[key]["pdf"]))
    lo = _words(libreoffice_pdf(key))
    assert amounts <= lo, sorted(amounts - lo)
