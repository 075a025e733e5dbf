"""DOCX writer: structure read back with python-docx, rendering by headless LibreOffice,
the reference document (styles kept, missing ones added, committed file up to date), speed."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx.enum.section import WD_ORIENT

from generator.compose.document import (STYLES, Cell, Cover, Document, Heading, PageBreak,
                                        Paragraph, Table, Toc)
from generator.write import reference as ref
from generator.write.docx_writer import USED_STYLES, write_docx
from tests.conftest import open_docx

ROOT = Path(__file__).resolve().parents[1]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def xml_text(el) -> str:
    """Text and field instructions under ``el``, in document order."""
    return "".join(el.xpath(".//w:t/text() | .//w:instrText/text()"))


# --------------------------------------------------------------------------- input
def h(text: str, **kw) -> Cell:
    return Cell(text, align="center", bold=True, **kw)


def money(x: float) -> Cell:
    return Cell(f"{x:.2f}", align="right")


def table_01() -> Table:
    """Portrait; header with column spans; body with a row span in column 0."""
    header = [[h("收入", colspan=3), h("支出", colspan=3)],
              [h("项目"), h("行次"), h("决算数"), h("项目"), h("行次"), h("决算数")]]
    body = [
        [Cell("财政拨款收入", rowspan=2), Cell("1", align="center"), money(163522.43),
         Cell("一、一般公共服务支出"), Cell("32", align="center"), money(163522.43)],
        [Cell("2", align="center"), Cell(""), Cell("二、外交支出"),
         Cell("33", align="center"), Cell("")],
        [Cell("总计", colspan=2, align="center"), money(163522.43), Cell("总计", colspan=2,
                                                                          align="center"),
         money(163522.43)],
    ]
    return Table("01", "公开01表", "收入支出决算总表",
                 "部门名称：潇河产业园事业服务中心", "2022年度", "金额单位：元",
                 header, body, [3, 1, 2, 3, 1, 2],
                 notes=["注：本表反映部门本年度的总收支和年末结转结余情况。"])


def wide_table(key: str = "06", rows: int = 40, cols: int = 16) -> Table:
    """Landscape, ``cols`` columns, two header rows, ``rows`` body rows."""
    header = [[h("项目", colspan=2), h("合计", rowspan=2)] + [h(f"列{j}") for j in range(3, cols)],
              [h("科目编码"), h("科目名称")] + [h(f"{j}") for j in range(3, cols)]]
    body = [[Cell("合计", colspan=2, align="center", bold=True)]
            + [money(1000 * k + 0.43) for k in range(cols - 2)]]
    for r in range(rows - 1):
        body.append([Cell(f"301{r:02d}"), Cell("工资福利支出")]
                    + [money(r * 17 + k) if k % 3 else Cell("") for k in range(cols - 2)])
    return Table(key, f"公开{key}表", "一般公共预算财政拨款基本支出决算明细表",
                 "部门名称：潇河产业园事业服务中心", "2022年度", "金额单位：元",
                 header, body, [1.5, 4] + [1.2] * (cols - 2),
                 notes=["注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。"],
                 landscape=True, font_size=7.5)


def empty_table() -> Table:
    return Table("08", "公开08表", "国有资本经营预算财政拨款支出决算表",
                 "部门名称：潇河产业园事业服务中心", "2022年度", "金额单位：元",
                 [[h("科目编码"), h("科目名称"), h("合计")]], [], [1, 3, 2],
                 notes=["注：本表反映部门本年度国有资本经营预算财政拨款支出情况。"],
                 empty_note="说明：本表无数据")


def sample_document() -> Document:
    return Document("潇河产业园事业服务中心2022年度部门决算公开", [
        Cover("山西转型综合改革示范区晋中开发区潇河产业园事业服务中心", "2022年度部门决算公开",
              draft_line="（征求意见稿）"),
        Toc(),
        PageBreak(),
        Heading(1, "第一部分 概况"),
        Heading(2, "一、本部门（单位）职责"),
        Paragraph("负责潇河园区起步区建设综合管理服务工作。" * 5),
        Heading(3, "（一）主要职能", toc=False),
        Paragraph("承办党工委、管委会交办的其他事项。"),
        Paragraph("1.财政拨款收入：指本年度从本级财政部门取得的财政拨款。", style="plain"),
        PageBreak(),
        Heading(1, "第二部分 2022年部门决算表"),
        table_01(),
        PageBreak(landscape=True),
        wide_table(),
        PageBreak(),
        empty_table(),
        PageBreak(),
        Heading(1, "第三部分 情况说明"),
        Heading(2, "一、收入支出决算总体情况说明"),
        Paragraph("2022年度收入、支出总计163,522.43元。"),
    ])


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docx") / "report.docx"
    write_docx(sample_document(), path)
    return path


# --------------------------------------------------------------------------- structure
def test_headings_have_heading_styles_and_outline(written):
    d = open_docx(written)
    heads = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [("Heading 1", "第一部分 概况"), ("Heading 2", "一、本部门（单位）职责"),
                     ("Heading 3", "（一）主要职能"), ("Heading 1", "第二部分 2022年部门决算表"),
                     ("Heading 1", "第三部分 情况说明"),
                     ("Heading 2", "一、收入支出决算总体情况说明")]
    for level in (1, 2, 3):
        outline = d.styles[f"Heading {level}"].element.find(f"{W}pPr/{W}outlineLvl")
        assert outline.get(f"{W}val") == str(level - 1)


def test_paragraph_roles_use_their_styles(written):
    d = open_docx(written)
    by_text = {p.text: p.style.name for p in d.paragraphs}
    assert by_text["山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"] == "Title"
    assert by_text["2022年度部门决算公开"] == "Subtitle"
    assert by_text["（征求意见稿）"] == "Cover Note"
    assert by_text["目  录"] == "TOC Heading"
    assert by_text["承办党工委、管委会交办的其他事项。"] == "Body Text"
    assert by_text["1.财政拨款收入：指本年度从本级财政部门取得的财政拨款。"] == "Plain Text"
    assert by_text["公开01表"] == "Table Label"
    assert by_text["收入支出决算总表"] == "Table Caption"
    texts = [p.text for p in d.paragraphs]               # the title centred, then the label (as the seeds)
    assert texts[texts.index("收入支出决算总表") + 1] == "公开01表"
    assert by_text["说明：本表无数据"] == "Table Note"
    meta = next(p for p in d.paragraphs if p.text.startswith("部门名称："))
    assert meta.style.name == "Table Meta"
    assert "\t2022年度\t金额单位：元" in meta.text
    tabs = meta._p.findall(f"{W}pPr/{W}tabs/{W}tab")
    assert [t.get(f"{W}val") for t in tabs] == ["center", "right"]


def test_tables_merges_widths_and_header_rows(written):
    d = open_docx(written)
    assert len(d.tables) == 3
    t01, t06, t08 = d.tables
    # column span in the header, row span in the body, column span in the last row
    assert t01.cell(0, 0).text == "收入" and t01.cell(0, 2)._tc is t01.cell(0, 0)._tc
    assert t01.cell(2, 0).text == "财政拨款收入" and t01.cell(3, 0)._tc is t01.cell(2, 0)._tc
    assert t01.cell(4, 1)._tc is t01.cell(4, 0)._tc and t01.cell(4, 2).text == "163522.43"
    assert t01.cell(3, 3).text == "二、外交支出"
    assert t01.cell(2, 2).paragraphs[0].alignment == 2          # right
    assert t01.cell(0, 0).paragraphs[0].runs[0].bold is True
    assert t01.cell(3, 2).text == "" and not t01.cell(3, 2)._tc.xpath(".//w:r")
    # fixed layout, grid scaled to the text width of the page
    for t in (t01, t06):
        tbl = t._tbl
        assert tbl.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        assert tbl.find(f"{W}tblPr/{W}tblStyle").get(f"{W}val") == "JuesuanTable"
        grid = [int(g.get(f"{W}w")) for g in tbl.findall(f"{W}tblGrid/{W}gridCol")]
        assert sum(grid) == int(tbl.find(f"{W}tblPr/{W}tblW").get(f"{W}w"))
    assert sum(int(g.get(f"{W}w")) for g in t06._tbl.findall(f"{W}tblGrid/{W}gridCol")) > 14000
    # header rows repeat, no row splits across pages
    for t, nh in ((t01, 2), (t06, 2), (t08, 1)):
        rows = t._tbl.findall(f"{W}tr")
        flags = [r.find(f"{W}trPr/{W}tblHeader") is not None for r in rows]
        assert flags == [True] * nh + [False] * (len(rows) - nh)
        assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
    assert len(t06.rows) == 42 and len(t06.columns) == 16
    assert t06.cell(0, 2)._tc is t06.cell(1, 2)._tc                # 合计 spans two header rows
    size = t06._tbl.find(f".//{W}r/{W}rPr/{W}sz")
    assert size.get(f"{W}val") == "15"                              # Table.font_size 7.5 pt
    assert len(t08.rows) == 1


def test_chinese_fonts_are_east_asian_fonts_of_the_styles(written):
    d = open_docx(written)
    styles = d.styles.element

    def east_asia(name):
        fonts = d.styles[name].element.find(f"{W}rPr/{W}rFonts")
        return None if fonts is None else fonts.get(f"{W}eastAsia")
    assert east_asia("Normal") == "仿宋_GB2312"
    assert east_asia("Body Text") is None          # inherits 仿宋_GB2312 from Normal
    assert d.styles["Body Text"].base_style.name == "Normal"
    assert east_asia("Heading 1") == "黑体"
    assert east_asia("Heading 2") == "楷体_GB2312"
    assert east_asia("Heading 3") == "仿宋_GB2312"
    assert east_asia("Title") == "方正小标宋简体"
    assert east_asia("Table Text") == "仿宋_GB2312"
    latin = d.styles["Normal"].element.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii")
    assert latin == "Times New Roman"
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert default.get(f"{W}eastAsia") == "仿宋_GB2312"
    assert not any(k.endswith("Theme") for k in default.keys())


def test_sections_orientation_and_page_numbers(written):
    d = open_docx(written)
    secs = d.sections
    orient = [s.orientation for s in secs]
    assert orient == [WD_ORIENT.PORTRAIT, WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE,
                      WD_ORIENT.PORTRAIT]
    land = secs[2]
    assert land.page_width > land.page_height
    assert round(secs[1].page_width.cm, 1) == 21.0 and round(secs[1].top_margin.cm, 1) == 3.7
    # front matter: footer without a page number
    assert "PAGE" not in xml_text(secs[0].footer._element)
    # numbering starts at 1 on the first page after the 目录, later sections continue
    start = [s._sectPr.find(f"{W}pgNumType") for s in secs]
    assert start[0] is None and start[1].get(f"{W}start") == "1"
    assert start[2] is None and start[3] is None
    footer = secs[1].footer
    assert not footer.is_linked_to_previous
    assert xml_text(footer._element).replace(" ", "") == "—PAGE1—"
    assert footer.paragraphs[0].style.name == "Footer"
    assert secs[2].footer.is_linked_to_previous and secs[3].footer.is_linked_to_previous
    # the second section starts at the first heading of level 1
    body = d.element.body
    first_sect_p = next(p for p in body.iter(f"{W}p") if p.find(f"{W}pPr/{W}sectPr") is not None)
    nxt = first_sect_p.getnext()
    assert xml_text(nxt) == "第一部分 概况"


def test_toc_prefilled_entries_with_page_fields(written):
    """The 目录 is written entries (no TOC field, whose rebuild would replace the entries' words by
    the headings' and captions'), each linking to its heading, the page number a PAGEREF field."""
    d = open_docx(written)
    body = d.element.body
    instr = [t.text for t in body.iter(f"{W}instrText")]
    assert not [i for i in instr if i.strip().startswith("TOC")]
    entries = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("toc")]
    assert entries == [("toc 1", "第一部分 概况\t"), ("toc 2", "一、本部门（单位）职责\t"),
                       ("toc 1", "第二部分 2022年部门决算表\t"), ("toc 1", "第三部分 情况说明\t"),
                       ("toc 2", "一、收入支出决算总体情况说明\t")]
    # entries link to bookmarks on the headings, page numbers are PAGEREF fields
    anchors = [a.get(f"{W}anchor") for a in body.iter(f"{W}hyperlink")]
    marks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    assert len(anchors) == 5 and set(anchors) <= marks
    assert sum(i.strip().startswith("PAGEREF") for i in instr) == 5
    # one field per page number, each closed in its own entry
    kinds = [f.get(f"{W}fldCharType") for f in body.iter(f"{W}fldChar")]
    assert kinds.count("begin") == kinds.count("end") == 5
    settings = d.settings.element
    assert settings.find(f"{W}updateFields").get(f"{W}val") == "true"


def test_core_properties(written):
    d = open_docx(written)
    assert d.core_properties.title == "潇河产业园事业服务中心2022年度部门决算公开"
    assert d.core_properties.language == "zh-CN"


def test_no_text_boxes_or_pictures(written):
    with zipfile.ZipFile(written) as z:
        names = z.namelist()
        xml = z.read("word/document.xml").decode()
    assert not any(n.startswith("word/media") for n in names)
    assert "<w:drawing" not in xml and "<w:pict" not in xml and "txbx" not in xml


# --------------------------------------------------------------------------- LibreOffice
def test_libreoffice_converts_to_pdf(written, tmp_path):
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(written)],
                   check=True, timeout=120, capture_output=True)
    pdf = tmp_path / "report.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], check=True,
                          capture_output=True, text=True).stdout
    sizes = [tuple(map(float, m)) for m in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]
    assert any(w > hgt for w, hgt in sizes) and sizes[0][0] < sizes[0][1]

    def page(n):
        return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout
    assert "2022年度部门决算公开" in page(1).replace(" ", "") and "—" not in page(1)
    numbered = [n for n in range(1, len(sizes) + 1) if re.search(r"—\s*1\s*—", page(n))]
    assert numbered and "第一部分概况" in page(numbered[0]).replace(" ", "")
    assert "目录" in page(2).replace(" ", "")
    text = "".join(page(n) for n in range(1, len(sizes) + 1)).replace(" ", "")
    assert "说明：本表无数据" in text and "163522.43" in text


# --------------------------------------------------------------------------- reference
def test_committed_reference_is_built_from_styles_yaml():
    """If this fails: python -m generator.write.reference --build, review, commit."""
    with zipfile.ZipFile(ref.REFERENCE_PATH) as z:
        committed = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(io.BytesIO(ref.build_reference())) as z:
        fresh = {n: z.read(n) for n in z.namelist()}
    assert committed.keys() == fresh.keys()
    for name in fresh:
        assert committed[name] == fresh[name], name


def test_reference_specimen_has_every_style(tmp_path):
    out = tmp_path / "custom-reference.docx"
    ref.export_reference(out)
    d = open_docx(out)
    names = {s.name.lower() for s in d.styles}
    for name in set(USED_STYLES) | set(STYLES.values()):
        assert name.lower() in names, name
    cells = [p for t in d.tables for c in t._cells for p in c.paragraphs]
    labelled = {p.text.split("：")[0] for p in d.paragraphs + cells}
    spec = ref.load_spec()
    for s in spec.styles:
        if s.type == "paragraph":
            assert s.name in labelled, s.name
    assert d.tables and d.tables[0].style.name == "Juesuan Table"
    assert [s.orientation for s in d.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]


def test_user_reference_styles_are_kept_and_missing_ones_added(tmp_path):
    """A reference saved by a Chinese Word: localized styleIds, its own Heading 1 font,
    no Table Text style. Its styles win; only Table Text is added."""
    with zipfile.ZipFile(io.BytesIO(ref.build_reference())) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    styles = parts["word/styles.xml"].decode()
    styles = styles.replace('w:styleId="Heading1"', 'w:styleId="1"')
    styles = styles.replace('w:styleId="Normal"', 'w:styleId="a"').replace(
        '<w:basedOn w:val="Normal"/>', '<w:basedOn w:val="a"/>')
    styles = re.sub(r'(w:styleId="1">.*?)w:eastAsia="黑体"', r'\1w:eastAsia="微软雅黑"', styles,
                    count=1)
    styles = re.sub(r'<w:style [^>]*w:styleId="TableText">.*?</w:style>', "", styles)
    parts["word/styles.xml"] = styles.encode()
    parts["word/document.xml"] = parts["word/document.xml"].decode().replace(
        '"Heading1"', '"1"').replace('"Normal"', '"a"').encode()
    custom = tmp_path / "mine.docx"
    with zipfile.ZipFile(custom, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)

    out = tmp_path / "report.docx"
    write_docx(sample_document(), out, reference=custom)
    d = open_docx(out)
    h1 = d.styles["Heading 1"]
    assert h1.style_id == "1"
    assert h1.element.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "微软雅黑"
    assert [p.text for p in d.paragraphs if p.style.style_id == "1"][0] == "第一部分 概况"
    tt = d.styles["Table Text"]
    assert tt.base_style.style_id == "a"
    assert tt.element.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "仿宋_GB2312"
    assert sum(1 for s in d.styles if s.name == "Table Text") == 1
    assert len(d.tables) == 3


def test_headers_and_footers_of_the_reference_are_replaced(tmp_path):
    d = open_docx(ref.REFERENCE_PATH)
    d.sections[0].header.paragraphs[0].text = "内部资料"
    d.sections[0].footer.paragraphs[0].text = "第 页"
    custom = tmp_path / "with-header.docx"
    d.save(custom)
    out = tmp_path / "report.docx"
    write_docx(sample_document(), out, reference=custom)
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        footers = [z.read(n).decode() for n in names if n.startswith("word/footer")]
    assert not any(n.startswith("word/header") for n in names)
    assert len(footers) == 2 and not any("第 页" in f for f in footers)
    assert sum("PAGE" in f for f in footers) == 1


def test_text_with_line_breaks_tabs_and_markup_characters(tmp_path):
    out = tmp_path / "x.docx"
    write_docx(Document("x", [Paragraph("第一行\r\n第二行\t<&> \x0b"),
                              Heading(1, "A&B <C>")]), out)
    d = open_docx(out)
    assert d.paragraphs[0].text == "第一行\n第二行\t<&> "
    assert d.paragraphs[1].text == "A&B <C>"


def test_docs_list_every_style():
    text = (ROOT / "docs" / "styles.md").read_text(encoding="utf-8")
    for s in ref.load_spec().styles:
        assert f"`{s.name}`" in text, s.name


# --------------------------------------------------------------------------- failure, speed
def test_failed_write_leaves_old_file(tmp_path):
    out = tmp_path / "report.docx"
    out.write_bytes(b"old")
    bad = table_01()
    bad.body[0].append(Cell("多出的一格"))
    with pytest.raises(ValueError, match="超出"):
        write_docx(Document("x", [Heading(1, "第一部分"), bad]), out)
    assert out.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [out]


def test_unknown_paragraph_role_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="样式"):
        write_docx(Document("x", [Paragraph("正文", style="no-such-role")]), tmp_path / "x.docx")


def test_document_without_front_matter_is_numbered_from_page_one(tmp_path):
    out = tmp_path / "plain.docx"
    write_docx(Document("x", [Heading(1, "第一部分"), Paragraph("正文"),
                              PageBreak(landscape=True), wide_table(rows=3, cols=5)]), out)
    d = open_docx(out)
    assert [s.orientation for s in d.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE]
    assert d.sections[0]._sectPr.find(f"{W}pgNumType").get(f"{W}start") == "1"
    assert "PAGE" in xml_text(d.sections[0].footer._element)
