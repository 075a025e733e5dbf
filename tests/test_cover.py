"""The unit's name on the cover breaks at the end of a part of the name, in even lines (issue 11),
in the PDF and in LibreOffice's rendering of the DOCX; the 绩效评价报告's title page is a page of its
own, spread like the official one, its title broken before a whole phrase (issue 24)."""
from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest

from generator.compose.cover import cover_lines
from tests.conftest import SEEDS


@pytest.mark.parametrize("name,lines", [
    ("山西转型综合改革示范区晋中开发区潇河产业园事业服务中心", ["山西转型综合改革示范区晋中开发区", "潇河产业园事业服务中心"]),
    ("山西转型综合改革示范区新材料产业招商服务中心", ["山西转型综合改革示范区", "新材料产业招商服务中心"]),
    ("中共上海市普陀区委社会工作部", ["中共上海市普陀区委社会工作部"]),             # fits one line
    ("甲" * 30, ["甲" * 30]),                                                      # no place to break: as it is
])
def test_cover_lines(name, lines):
    assert cover_lines(name).split("\n") == lines


def test_xiaohe_cover_in_pdf_and_docx(rendered, libreoffice_pdf):
    first = lambda pdf: [l.strip() for l in subprocess.run(  # noqa: E731
        ["pdftotext", "-layout", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.splitlines()
        if l.strip()]
    want = ["山西转型综合改革示范区晋中开发区", "潇河产业园事业服务中心"]
    assert first(rendered["xiaohe"]["pdf"])[:2] == want
    assert first(libreoffice_pdf("xiaohe"))[:2] == want             # the DOCX, as LibreOffice lays it out


# ---------------------------------------------------------------- the 绩效评价报告's title page (issue 24)

FOOTER = re.compile(r"—\s*\d+\s*—")
SEED = SEEDS / "xinnengyuan-2022-performance-evaluation-report.txt"


def _page_lines(pdf: Path, page: int) -> tuple[float, list[tuple[float, str]]]:
    """(page height, [(yMin, text without spaces) of each line]) of one page (pdftotext -bbox-layout)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    height = float(re.search(r'<page width="[^"]+" height="([^"]+)"', out).group(1))
    lines = [(float(y), re.sub(r"[\s\u2060]+", "", html.unescape(re.sub(r"<[^>]+>", "", body))))
             for y, body in re.findall(r'<line xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="[^"]+">(.*?)</line>',
                                       out, flags=re.S)]
    return height, [(y, t) for y, t in sorted(lines) if t]


def _seed_cover() -> list[str]:
    """The official title page's lines, as the seed has them (up to the date)."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").split("摘 要")[0].splitlines()]
    return [line for line in lines if line]


@pytest.fixture(params=["pdf", "libreoffice"])
def report_pdf(request, rendered, libreoffice_pdf) -> Path:
    return rendered["xinnengyuan"]["pdf"] if request.param == "pdf" else libreoffice_pdf("xinnengyuan")


def test_report_title_page_is_a_page_of_its_own_without_number(report_pdf):
    """The 绩效评价报告's title page holds the title, the units and the date and nothing else: no page
    number on it, and 摘要 starts the next page, which is page 1."""
    _, lines = _page_lines(report_pdf, 1)
    texts = [t for _, t in lines]
    seed = _seed_cover()
    assert "".join(texts) == "".join(seed), texts
    assert not any(FOOTER.search(t) for t in texts), texts
    _, second = _page_lines(report_pdf, 2)
    assert "".join(t for _, t in second).startswith("摘要"), second
    assert FOOTER.fullmatch(second[-1][1]) and re.sub(r"\D", "", second[-1][1]) == "1", second[-1]


def test_report_title_breaks_before_a_whole_phrase(report_pdf):
    """The title's lines end where the official's do (…部门整体 / 支出绩效评价报告), not inside a word
    (…绩效评 / 价报告)."""
    _, lines = _page_lines(report_pdf, 1)
    seed = _seed_cover()
    title = [t for _, t in lines][:2]
    assert title == seed[:2], title


def test_report_title_page_is_spread_over_the_page(report_pdf):
    """The title stands in the upper third of the page, the units and the date in the lower half
    (the official spaces its title page so; ours packed it at the top)."""
    height, lines = _page_lines(report_pdf, 1)
    seed = _seed_cover()
    at = lambda text: next(top for top, t in lines if t == text)  # noqa: E731
    assert lines[0][0] < height / 3, (lines, height)          # the title
    assert at(seed[2]) > height * 0.4, (lines, height)        # 实施单位：… well below the title
    assert at(seed[-1]) > height / 2, (lines, height)         # the date
