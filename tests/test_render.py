"""End to end: the CLI renders both examples; DOCX and PDF are read back and compared.

DOCX: python-docx (table titles, headings with real styles, w:eastAsia fonts) and headless
LibreOffice conversion. PDF: pdftotext (headings, table labels, published figures) and pdffonts
(every font embedded). Both carry the same words and table cells.
"""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest

from generator.compose.document import Heading, Paragraph
from generator.pipeline import prepare

from .conftest import EXAMPLES
from .test_narrative import XIAOHE, XINCAILIAO
from tests.conftest import open_docx

UNITS = {"xiaohe": ("xiaohe-2022", XIAOHE), "xincailiao": ("xincailiao-2023", XINCAILIAO)}


def document(key):
    return prepare(EXAMPLES / f"{UNITS[key][0]}.yaml").document


def pdf_text(path, *extra) -> str:
    return subprocess.run(["pdftotext", *extra, str(path), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_output_names(rendered):
    assert rendered["xiaohe"]["docx"].name == "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心2022年度部门决算公开.docx"
    assert rendered["xincailiao"]["pdf"].name == "山西转型综合改革示范区新材料产业招商服务中心2023年度部门决算公开.pdf"
    assert rendered["shehuigongzuo"]["pdf"].name == "中共上海市普陀区委社会工作部2024年度部门决算.pdf"   # the profile's title
    assert set(rendered) == {"xiaohe", "xincailiao", "shehuigongzuo", "guihuaziyuan", "huitong", "xinnengyuan"}
    assert rendered["huitong"]["pdf"].name == "汇通产业园事业服务中心示范区晋中开发区部门整体支出绩效自评表.pdf"   # one form
    assert rendered["xinnengyuan"]["pdf"].name == "2022年新能源汽车园事业服务中心部门整体支出绩效评价报告.pdf"  # names the unit
    for files in rendered.values():
        assert set(files) == {"docx", "pdf", "html"}
        for f in files.values():
            assert f.stat().st_size > 10_000
    leftovers = [p for p in rendered["xiaohe"]["docx"].parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.parametrize("key", UNITS)
def test_docx_read_back(rendered, key):
    d = open_docx(str(rendered[key]["docx"]))
    doc = document(key)
    texts = [p.text for p in d.paragraphs]
    # the ten table titles, in profile order, each as its own caption paragraph
    titles = [t.title for t in doc.tables()]
    assert len(titles) == 10
    positions = [texts.index(t) for t in titles]
    assert positions == sorted(positions)
    assert len(d.tables) >= 10
    # headings: real Heading styles, the five parts at level 1
    h1 = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert h1[0] == "第一部分 概况" and h1[-1] == "第五部分 附件" and len(h1) == 5
    h2 = [p.text for p in d.paragraphs if p.style.name == "Heading 2"]
    assert "九、财政拨款“三公”经费支出决算情况说明" in h2
    # every narrative paragraph of the composed document is in the DOCX, word for word
    body = set(texts)
    for b in doc.blocks:
        if isinstance(b, (Heading, Paragraph)):
            assert b.text in body, b.text
    # the published figures
    all_text = squash("\n".join(texts))
    for phrase in UNITS[key][1]:
        assert squash(phrase) in all_text
    # official fonts are named for East Asian text
    with zipfile.ZipFile(rendered[key]["docx"]) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
    assert re.search(r'w:eastAsia="仿宋_GB2312"', styles)
    assert re.search(r'w:eastAsia="黑体"', styles)


@pytest.mark.parametrize("key", UNITS)
def test_docx_table_cells_equal_composed_cells(rendered, key):
    """Each composed table is a Word table whose cell at every grid position (row, column; a
    merged cell at its top-left) holds the composed text — positions, not just the set of texts."""
    d = open_docx(str(rendered[key]["docx"]))
    composed = document(key).tables()
    word_tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]

    def at(grid, r, c):
        return grid[r][c] if r < len(grid) and c < len(grid[r]) else None

    for table in composed:
        want = [(r, c, cell.text) for r, c, cell in table.placements()]
        found = [g for g in word_tables if len(g) == len(table.header) + len(table.body)
                 and all(at(g, r, c) == text for r, c, text in want)]
        assert len(found) == 1, f"{table.label} {table.title}: {len(found)} Word tables match cell by cell"


@pytest.mark.parametrize("key", UNITS)
def test_docx_converts_in_libreoffice(libreoffice_pdf, key):
    out = libreoffice_pdf(key)              # the run's one headless conversion of the example's DOCX
    assert out.exists() and out.stat().st_size > 10_000
    text = squash(pdf_text(out))
    assert squash(UNITS[key][1][0]) in text


@pytest.mark.parametrize("key", UNITS)
def test_pdf_read_back(rendered, key):
    pdf = rendered[key]["pdf"]
    text = squash(pdf_text(pdf))
    doc = document(key)
    for _level, title, _ in doc.toc_entries():
        assert squash(title) in text, title
    for table in doc.tables():
        assert table.label in text and squash(table.title) in text
    for phrase in UNITS[key][1]:
        assert squash(phrase) in text, phrase
    assert "—1—" in text


@pytest.mark.parametrize("key", UNITS)
def test_pdf_fonts_all_embedded(rendered, key):
    out = subprocess.run(["pdffonts", str(rendered[key]["pdf"])], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        cols = row.split()
        # columns: name type [encoding] emb sub uni object ID; 'emb' is the 5th from the end
        assert cols[-5] == "yes", row


@pytest.mark.parametrize("key", UNITS)
def test_pdf_toc_page_numbers_are_real(rendered, key):
    """Each 目录 entry's page number is the page (counted from 第一部分 = 1) where it is printed."""
    pdf = rendered[key]["pdf"]
    pages = pdf_text(pdf).split("\f")
    first = next(i for i, p in enumerate(pages) if "第一部分" in p and "目" not in squash(p)[:3])
    toc_start = next(i for i, p in enumerate(pages) if squash(p).startswith("目录"))
    toc_page = "".join(pages[toc_start:first])          # the 目录 may run over several pages
    doc = document(key)
    printed = {t.toc_title: t.title for t in doc.tables()}   # a table's page shows its caption
    checked = 0
    for _level, title, _ in doc.toc_entries():
        m = re.search(re.escape(squash(title)) + r"\.*(\d+)", squash(toc_page))
        assert m, title
        number = int(m.group(1))
        assert squash(printed.get(title, title)) in squash(pages[first + number - 1]), (title, number)
        checked += 1
    assert checked >= 20


def test_same_words_in_docx_and_pdf(rendered):
    d = open_docx(str(rendered["xincailiao"]["docx"]))
    pdf = re.sub(r"—\d+—", "", squash(pdf_text(rendered["xincailiao"]["pdf"])))   # page footers
    for p in d.paragraphs:
        if p.text.strip() and p.style.name in ("Body Text", "Heading 2", "Heading 3"):
            assert squash(p.text) in pdf, p.text


def test_admin_unit_with_funds_renders_every_part(tmp_path):
    """A 行政单位 with carry-over, 政府性基金 and 国有资本经营 money: 07 and 08 have data,
    机关运行经费 is explained, 04 shows the carry-over, and both formats come out."""
    from .checkfix import BASES
    proc = run_cli_render(BASES["admin"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    docx_path = next(tmp_path.glob("*.docx"))
    pdf = squash(pdf_text(next(tmp_path.glob("*.pdf"))))
    doc = prepare(BASES["admin"]).document
    t07 = next(t for t in doc.tables() if t.key == "07")
    t08 = next(t for t in doc.tables() if t.key == "08")
    assert t07.empty_note is None and t08.empty_note is None
    assert "80,000.00" in [c.text for _, _, c in t07.placements()]
    assert "本年度无此项" not in pdf
    assert squash("机关运行经费支出130,000.00元，比上年增加5,000.00元，增长4.00%") in pdf
    texts = "\n".join(p.text for p in open_docx(str(docx_path)).paragraphs)
    assert "本年支出80,000.00元" in texts and "国有资本经营预算财政拨款支出20,000.00元" in texts


def run_cli_render(path, out):
    from .conftest import run_cli
    return run_cli("render", str(path), "--format", "docx,pdf", "--out", str(out))
