"""Text flow on the page (issue 24), in the PDF and in LibreOffice's rendering of the DOCX:
body paragraphs justified on both sides (第三部分: the lines a paragraph continues after reach
the right margin), and no line break between an amount and its unit, inside 万元, or after the
minus sign of a negative number."""
from __future__ import annotations

import html
import re
import statistics
import subprocess
from pathlib import Path

import pytest

from generator.compose.document import Heading, Paragraph, Table
from generator.pipeline import prepare
from generator.write import pdf_writer, weasy_justify  # noqa: F401  (pdf_writer applies the patch)
from generator.write.joiners import bind, bind_cell, unbind
from tests.conftest import EXAMPLES

REPORTS = [("xiaohe", "xiaohe-2022"), ("xincailiao", "xincailiao-2023"),
           ("shehuigongzuo", "putuo-shehuigongzuo-2024"), ("guihuaziyuan", "putuo-guihuaziyuan-2024")]
ALL = REPORTS + [("huitong", "huitong-2021-overall-self-eval"),
                 ("xinnengyuan", "xinnengyuan-2022-evaluation-report")]
FOOTER = re.compile(r"—\s*\d+\s*—")
SPACE = re.compile(r"[\s\u2060\u00a0]+")
TOLERANCE = 3.0          # points (about 1 mm; a character is 14 pt): a line "reaches" the margin within this


def _bbox_lines(pdf: Path) -> list[tuple[float, float, str]]:
    """(page width, xMax, text without spaces) of every line, in reading order (pdftotext -bbox-layout)."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    lines = []
    for page in out.split("<page ")[1:]:
        width = float(re.match(r'width="([^"]+)"', page).group(1))
        for x_max, body in re.findall(r'<line xMin="[^"]+" yMin="[^"]+" xMax="([^"]+)" yMax="[^"]+">(.*?)</line>',
                                      page, flags=re.S):
            text = SPACE.sub("", html.unescape(re.sub(r"<[^>]+>", "", body)))
            if text and not FOOTER.fullmatch(text):
                lines.append((width, float(x_max), text))
    return lines


def _part_three_segments(stem: str) -> list[str]:
    """The text of 第三部分's paragraphs (a forced line break ends a segment), spaces removed."""
    doc = prepare(EXAMPLES / f"{stem}.yaml").document
    segments, inside = [], False
    for block in doc.blocks:
        if isinstance(block, Heading) and block.level == 1:
            inside = block.text.startswith("第三部分")
        elif inside and isinstance(block, Paragraph):
            segments += [SPACE.sub("", s) for s in block.text.split("\n") if SPACE.sub("", s)]
    assert segments, f"{stem}：第三部分没有段落"
    return segments


def justified(pdf: Path, stem: str) -> tuple[int, int]:
    """(lines reaching the right margin, lines a paragraph continues after) in 第三部分. The right
    margin is the median right edge of these lines on pages of the same width (LibreOffice lets a
    closing mark hang past it)."""
    lines = _bbox_lines(pdf)
    continued: list[tuple[int, float]] = []
    ends: list[tuple[int, float]] = []
    at = 0
    for segment in _part_three_segments(stem):
        for start in range(at, len(lines)):
            if not segment.startswith(lines[start][2]):
                continue
            text, end = lines[start][2], start
            while text != segment and end + 1 < len(lines) and segment.startswith(text + lines[end + 1][2]):
                end += 1
                text += lines[end][2]
            if text == segment:
                continued += [lines[i][:2] for i in range(start, end)]
                ends.append(lines[end][:2])
                at = end + 1
                break
    assert len(continued) >= 10, f"{pdf.name}：第三部分找到的续行太少（{len(continued)}）"
    by_width: dict[float, list[float]] = {}
    for width, x in continued:
        by_width.setdefault(width, []).append(x)
    margin = {width: statistics.median(xs) for width, xs in by_width.items()}
    return sum(1 for width, x in continued if x >= margin[width] - TOLERANCE), len(continued)


def unit_breaks(pdf: Path) -> list[tuple[str, str]]:
    """Line ends that split an amount from its unit, 万 from 元, or a minus sign from its number
    (each page's footer left out; a page break counts as a line break)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [s for s in (line.strip() for line in text.replace("\f", "\n").split("\n"))
             if s and not FOOTER.fullmatch(s)]
    return [(a[-12:], b[:8]) for a, b in zip(lines, lines[1:])
            if (re.search(r"\d$", a) and re.match(r"[亿万千]?元|[%％‰]", b))
            or (re.search(r"[亿万千]$", a) and b.startswith("元")) or a.endswith(("-", "－", "−"))]


@pytest.mark.parametrize("key,stem", REPORTS)
def test_part_three_is_justified_in_the_pdf(rendered, key, stem):
    reaching, lines = justified(rendered[key]["pdf"], stem)
    assert reaching / lines >= 0.97, f"{key}：{reaching}/{lines} 行到右边"


@pytest.mark.parametrize("key,stem", REPORTS)
def test_part_three_is_justified_in_libreoffice(libreoffice_pdf, key, stem):
    reaching, lines = justified(libreoffice_pdf(key), stem)
    assert reaching / lines >= 0.97, f"{key}：{reaching}/{lines} 行到右边"


@pytest.mark.parametrize("key,stem", ALL)
def test_no_break_between_an_amount_and_its_unit_in_the_pdf(rendered, key, stem):
    assert unit_breaks(rendered[key]["pdf"]) == []


@pytest.mark.parametrize("key,stem", ALL)
def test_no_break_between_an_amount_and_its_unit_in_libreoffice(libreoffice_pdf, key, stem):
    """Also in LibreOffice's layout of the DOCX (joiners in runs marked as English text, and no
    automatic space between Chinese and digits: with either missing LibreOffice broke there 2–13
    times a report), and no minus sign left at a line end ("变动率- / 10.10%")."""
    assert unit_breaks(libreoffice_pdf(key)) == []


_CELL_END = re.compile(r"[\u4e00-\u9fff）)][\u4e00-\u9fff]$")


def orphaned_cells(pdf: Path, stem: str) -> list[str]:
    """Table cells whose last line holds one character ("科目编 / 码", "附属单位上缴收 / 入"): a
    cell's text of three or more characters ending in a character, one line of the PDF its end
    except that character, the next line that character alone."""
    doc = prepare(EXAMPLES / f"{stem}.yaml").document
    cells = {c.text.strip() for b in doc.blocks if isinstance(b, Table) for row in b.header + b.body
             for c in row if c.text and len(c.text.strip()) >= 3 and _CELL_END.search(c.text.strip())}
    lines = [text for _, _, text in _bbox_lines(pdf)]
    return sorted({t for t in cells for a, b in zip(lines, lines[1:])
                   if b == t[-1] and a and t[:-1].endswith(a[-2:]) and t.startswith(a[0])})


@pytest.mark.parametrize("key,stem", ALL)
def test_no_table_cell_ends_with_a_single_character_on_a_line(rendered, key, stem):
    """37 cells of xiaohe and 15 of xincailiao wrapped their last character alone before
    (joiners.bind_cell)."""
    assert orphaned_cells(rendered[key]["pdf"], stem) == []


@pytest.mark.parametrize("key,stem", ALL)
def test_no_table_cell_ends_with_a_single_character_in_libreoffice(libreoffice_pdf, key, stem):
    assert orphaned_cells(libreoffice_pdf(key), stem) == []


def test_bind_cell_keeps_the_last_two_characters_together():
    assert bind_cell("科目编码") == "科目编\u2060码"
    assert bind_cell("资金结（转）余") == "资金结（转）\u2060余"
    assert bind_cell("增加12.34万元") == "增加12.34\u2060万\u2060元"
    assert bind_cell("合计") == "合计" and bind_cell("12.34") == "12.34" and bind_cell("") == ""


@pytest.mark.parametrize("key,stem", ALL)
def test_pdf_text_has_no_joiners(rendered, key, stem):
    """The word joiners are not in the text taken from the PDF: "12.34万元" reads as before."""
    text = subprocess.run(["pdftotext", str(rendered[key]["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "\u2060" not in text
    assert re.search(r"\d万元|\d元|\d%", text)


def test_joiners_where_a_line_must_not_break():
    text = "增加1,193.20万元，增长13.95%，变动率-10.10%，合计0.00元。2022年度"
    bound = bind(text)
    assert unbind(bound) == text
    assert bound == ("增加1,193.20\u2060万\u2060元，增长13.95\u2060%，变动率-\u206010.10\u2060%，"
                     "合计0.00\u2060元。2022年度")


def test_justify_guard_matches_the_installed_weasyprint():
    """Fails when WeasyPrint's justify_line, text_align or Layout changed: re-read
    weasyprint/layout/inline.py and text/line_break.py, check weasy_justify still holds, update
    SOURCES_SHA256."""
    assert weasy_justify.guard_matches(), "WeasyPrint 已变：请复查 generator/write/weasy_justify.py"
    assert weasy_justify.applied()


def test_justify_guard_refuses_another_function(monkeypatch):
    monkeypatch.setitem(weasy_justify.SOURCES_SHA256, "justify_line", "0" * 64)
    assert not weasy_justify.guard_matches()


def _kept_headings(stem: str) -> list[tuple[str, str]]:
    """(heading text, the kept phrase it ends with) of every heading carrying one."""
    doc = prepare(EXAMPLES / f"{stem}.yaml").document
    return [(b.text, phrase) for b in doc.blocks if isinstance(b, Heading)
            for phrase in doc.keep_together if phrase in b.text]


@pytest.mark.parametrize("key,stem", REPORTS)
def test_a_heading_breaks_before_the_profiles_phrase_not_inside_it(rendered, key, stem):
    """"第三部分 …2024年度部门决算情况说明" wrapped "…部门决算情 / 况说明"; it breaks before the
    last fixed phrase of the profile's 部分标题 ("决算情况说明") now."""
    kept = _kept_headings(stem)
    assert kept
    lines = [text for _, _, text in _bbox_lines(rendered[key]["pdf"])]
    for heading, phrase in kept:
        flat = SPACE.sub("", heading)
        for a, b in zip(lines, lines[1:]):
            if flat.startswith(a) and a + b == flat:          # the heading on two lines
                assert phrase in a or phrase in b, (a, b)


@pytest.mark.parametrize("key,stem", REPORTS)
def test_a_heading_breaks_before_the_profiles_phrase_in_libreoffice(libreoffice_pdf, key, stem):
    kept = _kept_headings(stem)
    lines = [text for _, _, text in _bbox_lines(libreoffice_pdf(key))]
    for heading, phrase in kept:
        flat = SPACE.sub("", heading)
        for a, b in zip(lines, lines[1:]):
            if flat.startswith(a) and a + b == flat:
                assert phrase in a or phrase in b, (a, b)


def test_the_guihua_part_three_heading_wraps_before_its_phrase_in_libreoffice(libreoffice_pdf):
    lines = [text for _, _, text in _bbox_lines(libreoffice_pdf("guihuaziyuan"))]
    assert "决算情况说明" in lines                           # "…部门决算情 / 况说明" before


def test_the_guihua_part_three_heading_wraps_before_its_phrase(rendered):
    lines = [text for _, _, text in _bbox_lines(rendered["guihuaziyuan"]["pdf"])]
    assert "决算情况说明" in lines                           # the second line of the heading


def test_the_pdf_outline_has_no_joiners():
    from generator.write.pdf_writer import lay_out
    doc = prepare(EXAMPLES / "putuo-guihuaziyuan-2024.yaml").document
    assert doc.keep_together
    labels = []

    def walk(nodes):
        for label, _, children, _ in nodes:
            labels.append(label)
            walk(children)
    walk(lay_out(doc).make_bookmark_tree())
    assert any(label.endswith("决算情况说明") for label in labels)
    assert not [label for label in labels if "\u2060" in label]


@pytest.mark.parametrize("key", ["xiaohe", "guihuaziyuan"])
def test_the_html_a_browser_shows_has_no_joiners(rendered, key):
    text = rendered[key]["html"].read_text(encoding="utf-8")
    assert "\u2060" not in text and "万元" in text
