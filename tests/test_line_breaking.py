"""CJK line-breaking and kept-together headings in the PDF (issue 11), on every example report:
no line starts with a closing mark (，。、；：”）％) or ends with an opening one (“（), and no heading
or sub-heading is the last line of a page (it goes with the text after it)."""
from __future__ import annotations

import re
import subprocess

import pytest

from generator.compose.document import Heading, Paragraph
from generator.pipeline import prepare
from tests.conftest import EXAMPLES

NO_START = "，。、；：？！”’）》〉】％"
NO_END = "“‘（《〈【"
FOOTER = re.compile(r"— \d+ —")
REPORTS = [("xiaohe", "xiaohe-2022"), ("xincailiao", "xincailiao-2023"),
           ("shehuigongzuo", "putuo-shehuigongzuo-2024"), ("guihuaziyuan", "putuo-guihuaziyuan-2024")]


def _pages(pdf) -> list[list[str]]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[s for s in (line.strip() for line in page.split("\n")) if s and not FOOTER.fullmatch(s)]
            for page in text.split("\f")]


@pytest.mark.parametrize("key,stem", REPORTS)
def test_no_line_starts_or_ends_with_the_wrong_mark(rendered, key, stem):
    lines = [line for page in _pages(rendered[key]["pdf"]) for line in page]
    assert len(lines) > 300
    assert [line for line in lines if line[0] in NO_START] == []
    assert [line for line in lines if line[-1] in NO_END] == []


@pytest.mark.parametrize("key,stem", REPORTS)
def test_no_heading_is_left_alone_at_a_page_foot(rendered, key, stem):
    doc = prepare(EXAMPLES / f"{stem}.yaml").document
    paragraphs = {b.text for b in doc.blocks if isinstance(b, Paragraph) and b.style != "subhead"}
    heads = ({b.text for b in doc.blocks if isinstance(b, Heading)}
             | {b.text for b in doc.blocks if isinstance(b, Paragraph) and b.style == "subhead"}) - paragraphs
    assert len(heads) >= 10
    pages = _pages(rendered[key]["pdf"])
    # a 目录 page ends with an entry that is a heading's text (Shanghai's 目录 prints no page numbers)
    alone = [(n, page[-1]) for n, page in enumerate(pages, 1)
             if page and page[-1] in heads and page[0].replace(" ", "") != "目录"]
    assert alone == []
