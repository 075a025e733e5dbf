"""PDF writer: a synthetic report is written, then read back with pdftotext and pdffonts."""
from __future__ import annotations

import gc
import logging
import re
import subprocess
from pathlib import Path

import pytest
import weasyprint
from weasyprint.urls import URLFetcherResponse

from generator.compose.document import (Marking,
    Cell, Cover, Document, Heading, PageBreak, Paragraph, Table, Toc,
)
from generator.write.html_writer import HTML_TEMPLATES, environment, render_html, report_context
from generator.write.pdf_writer import (
    ProjectURLFetcher, RefusedURLError, render_document, write_pdf,
)

UNIT = "示例产业园事业服务中心"
WATERMARK = "草稿仅供审核"
LONG_HEADER = "年初结转和结余"       # header text of the long landscape table
INJECTIONS = ["{{ 1+1 }}", "<b>x</b>", "{% if true %}y{% endif %}"]


def _meta(key: str, label: str, title: str, **kw) -> dict:
    return dict(key=key, label=label, title=title, meta_left=f"部门名称：{UNIT}",
                meta_center="2023年度", meta_right="金额单位：万元", **kw)


def portrait_table() -> Table:
    """Table 02-like: a two-row header with spans, 类/款/项 rows, a 合计 row spanning two columns."""
    header = [
        [Cell("项目", colspan=2, align="center"), Cell("本年收入合计", rowspan=2, align="center"),
         Cell("财政拨款收入", rowspan=2, align="center"), Cell("其他收入", rowspan=2, align="center")],
        [Cell("科目编码", align="center"), Cell("科目名称", align="center")],
    ]
    body = [
        [Cell("合计", colspan=2, align="center", bold=True), Cell("5,987.71", align="right"),
         Cell("5,987.71", align="right"), Cell()],
        [Cell("201"), Cell("一般公共服务支出"), Cell("64.34", align="right"),
         Cell("64.34", align="right"), Cell()],
        [Cell("20113"), Cell("商贸事务"), Cell("64.34", align="right"),
         Cell("64.34", align="right"), Cell()],
    ]
    return Table(**_meta("02", "公开02表", "收入决算表"), header=header, body=body,
                 widths=[1.2, 3, 1.5, 1.5, 1.2], notes=["注：本表反映部门本年度取得的各项收入情况。"])


def long_landscape_table(rows: int = 60) -> Table:
    """16 columns × ``rows`` rows: runs over more than one landscape page."""
    header = [
        [Cell("项目", colspan=2, align="center"), Cell(LONG_HEADER, rowspan=2, align="center"),
         Cell("本年支出", colspan=13, align="center")],
        [Cell("科目编码", align="center"), Cell("科目名称", align="center")]
        + [Cell(f"栏{n}", align="center") for n in range(1, 14)],
    ]
    body = [[Cell(f"{2010000 + r}"), Cell(f"测试科目{r:02d}\n（续{r:02d}）")]   # two-line rows
            + [Cell(f"{r * 100 + c:,}.00", align="right") for c in range(14)]
            for r in range(1, rows + 1)]
    return Table(**_meta("07", "公开07表", "政府性基金预算财政拨款收入支出决算表"), header=header,
                 body=body, widths=[1.2, 2, 1.5] + [1] * 13, landscape=True, font_size=7.5,
                 notes=["注：本表反映部门本年度政府性基金预算财政拨款收入、支出及结转和结余情况。"])


def empty_table() -> Table:
    header = [[Cell("项目", align="center"), Cell("合计", align="center"),
               Cell("基本支出", align="center"), Cell("项目支出", align="center")]]
    body = [[Cell("合计", align="center"), Cell(), Cell(), Cell()]]
    return Table(**_meta("08", "公开08表", "国有资本经营预算财政拨款支出决算表"), header=header,
                 body=body, widths=[4, 2, 2, 2], empty_note="说明：本表无数据",
                 notes=["注：本表反映部门本年度国有资本经营预算财政拨款支出情况。"])


def synthetic_document(sections: int = 1, toc_level3: bool = True) -> Document:
    """Cover, 目录, 第一部分 to 第三部分 with three heading levels, three tables.

    ``sections`` > 1 repeats 第三部分's subsections to make a longer report (benchmarks);
    ``toc_level3`` lists the （一） headings in the 目录.
    """
    blocks = [Cover(UNIT, "2023年度部门决算公开", draft_line="（征求意见稿）"), PageBreak(), Toc(),
              PageBreak(),
              Heading(1, "第一部分 概况", anchor="part-1"),
              Heading(2, "一、本部门（单位）职责", anchor="p1-1"),
              Paragraph("负责示范区新材料产业的招商引资、政策对接、项目落地等工作。" * 6),
              Paragraph("模板注入检查：" + "；".join(INJECTIONS)),
              Heading(2, "二、机构设置情况", anchor="p1-2"),
              Paragraph("核定财政拨款事业编制11名，机构规格为正处级。" * 4),
              PageBreak(),
              Heading(1, "第二部分 2023年部门决算表", anchor="part-2"),
              *_in_toc(portrait_table(), "一、收入决算表"),
              PageBreak(landscape=True),
              *_in_toc(long_landscape_table(), "二、政府性基金预算财政拨款收入支出决算表"),
              PageBreak(),
              *_in_toc(empty_table(), "三、国有资本经营预算财政拨款支出决算表"),
              PageBreak(),
              Heading(1, "第三部分 情况说明", anchor="part-3")]
    for s in range(1, sections + 1):
        blocks += [Heading(2, f"{_cn(s)}、收入支出决算总体情况说明{s}", anchor=f"p3-{s}"),
                   Paragraph("2023年度收入总计5,987.71万元，支出总计5,987.71万元。"
                             "与上年相比，收入、支出总计各增加5,915.13万元，增长8149.80%。" * 3)]
        for k in range(1, 4):
            blocks += [Heading(3, f"（{_cn(k)}）财政拨款“三公”经费支出{s}-{k}", toc=toc_level3,
                               anchor=f"p3-{s}-{k}"),
                       Paragraph("“三公”经费支出决算1.44万元，完成全年预算的72.00%。" * 4),
                       Paragraph("其中：公务接待费1.44万元。", style="plain")]
    blocks.append(Heading(3, "不入目录的小标题", toc=False, anchor="no-toc"))
    return Document(title=f"{UNIT}2023年度部门决算公开", blocks=blocks)


def _in_toc(table: Table, toc_title: str) -> list[Table]:
    """A table listed in the 目录 under its own entry, as compose does."""
    table.toc_title, table.anchor = toc_title, f"t{table.key}"
    return [table]


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("十" if tens == 1 else digits[tens] + "十") + (digits[ones] if ones else "")


# ---- reading the PDF back ----------------------------------------------------------------

def pdf_pages(path: Path) -> list[str]:
    """Text of each page (pdftotext -layout), in order."""
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def page_text(path: Path, number: int, mode: str = "-layout") -> str:
    """Text of one page (1-based) via pdftotext -f/-l.

    ``-layout`` keeps the lines of the page; ``-raw`` keeps content-stream order, which is
    what finds the diagonal watermark (whose glyphs -layout scatters over several lines) and
    the spaces of "— 1 —" (which -layout squeezes out beside the wide dashes).
    """
    return subprocess.run(["pdftotext", mode, "-enc", "UTF-8", "-f", str(number),
                           "-l", str(number), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def squeeze(text: str) -> str:
    """Drop all whitespace (pdftotext spaces out justified CJK lines)."""
    return re.sub(r"\s+", "", text)


def footer_number(text: str) -> int | None:
    found = re.findall(r"—\s*(\d+)\s*—", text)
    return int(found[-1]) if found else None


def toc_numbers(text: str) -> dict[str, int]:
    """目录 lines "一、收入决算表 ........ 2" → {"一、收入决算表": 2}."""
    entries = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(\S.*?)\s*(?:[.．·…]\s*){3,}\s*(\d+)\s*$", line)
        if m:
            entries[squeeze(m.group(1))] = int(m.group(2))
    return entries


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Document, Path, int]:
    doc = synthetic_document()
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pages = write_pdf(doc, path)
    return doc, path, pages


# ---- tests -------------------------------------------------------------------------------

def test_page_count_and_landscape_table_runs_over(report):
    doc, path, pages = report
    assert pages == len(pdf_pages(path))
    holding = [n for n in range(1, pages + 1) if "测试科目" in page_text(path, n)]
    assert len(holding) >= 2, "the 60-row table should need more than one page"
    for n in holding:
        assert LONG_HEADER in page_text(path, n), f"表头未在第{n}页重复"
        assert "栏13" in page_text(path, n)
    # rows are not split: the code and both lines of the name of every row are on one page
    texts = {n: page_text(path, n) for n in holding}
    for r in range(1, 61):
        on = {n for n, t in texts.items()
              for part in (f"{2010000 + r}", f"测试科目{r:02d}", f"（续{r:02d}）") if part in t}
        assert len(on) == 1, f"第{r}行跨页：{sorted(on)}"


def test_landscape_pages_are_landscape(report):
    _, path, pages = report
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(path)], check=True,
                           capture_output=True, text=True).stdout
    orient = {}
    for m in re.finditer(r"Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)", sizes):
        orient[int(m.group(1))] = float(m.group(2)) > float(m.group(3))
    table_pages = [n for n in range(1, pages + 1) if "测试科目" in page_text(path, n)]
    assert table_pages and all(orient[n] for n in table_pages)
    assert not orient[1] and not orient[pages]


def test_toc_numbers_match_the_pages_of_the_entries(report):
    doc, path, pages = report
    texts = [page_text(path, n) for n in range(1, pages + 1)]
    toc_page = next(i for i, t in enumerate(texts) if squeeze(t).startswith("目录"))
    entries = toc_numbers(texts[toc_page])
    listed = doc.toc_entries()
    assert set(entries) == {squeeze(text) for _, text, _ in listed}
    assert "不入目录的小标题" not in squeeze(texts[toc_page])
    tables = {t.toc_title: t for t in doc.tables() if t.toc_title}
    assert len(tables) == 3
    for _, text, _ in listed:
        if text in tables:      # a table's entry points at the page of its caption and label
            t = tables[text]
            where = [i for i, page in enumerate(texts) if t.title in page and t.label in page]
        else:
            where = [i for i, page in enumerate(texts) if i > toc_page and squeeze(text) in squeeze(page)]
        assert where, f"目录条目在正文中找不到：{text}"
        printed = footer_number(texts[where[0]])
        assert printed == entries[squeeze(text)], (text, printed, entries[squeeze(text)])
    # entries are indented by level
    indent = {squeeze(line.split("..")[0]): len(line) - len(line.lstrip())
              for line in texts[toc_page].splitlines() if ".." in line}
    assert indent["第一部分概况"] < indent["一、本部门（单位）职责"] == indent["一、收入决算表"]
    assert indent["一、收入决算表"] < indent[squeeze("（一）财政拨款“三公”经费支出1-1")]


def test_pdf_outline_lists_the_toc_entries():
    doc = synthetic_document()
    laid_out = render_document(render_html(doc, inline_css=False))

    def flat(tree):
        for label, (page, *_), children, *_ in tree:
            yield label, page
            yield from flat(children)

    outline = list(flat(laid_out.make_bookmark_tree()))
    assert [label for label, _ in outline] == [text for _, text, _ in doc.toc_entries()]


def test_numbering_starts_at_first_part(report):
    _, path, pages = report
    texts = [page_text(path, n) for n in range(1, pages + 1)]
    first = next(i for i, t in enumerate(texts) if "第一部分 概况" in t and "..." not in t)
    assert first == 2, "cover and 目录 come first"
    for t in texts[:first]:
        assert footer_number(t) is None, "封面和目录不编页码"
    assert "— 1 —" in page_text(path, first + 1, "-raw")
    assert [footer_number(t) for t in texts[first:]] == list(range(1, pages - first + 1))


def test_page_breaks_start_new_pages(report):
    doc, path, pages = report
    firsts = [next((line.strip() for line in page_text(path, n).splitlines() if line.strip()), "")
              for n in range(1, pages + 1)]
    after_break = [b for prev, b in zip(doc.blocks, doc.blocks[1:]) if isinstance(prev, PageBreak)]
    assert len(after_break) == 6
    for block in after_break:
        first = block.title if isinstance(block, Table) else getattr(block, "text", None)
        if first:
            assert first in firsts, f"分页后的“{first}”不在页首"


def test_headings_labels_and_literal_text(report):
    doc, path, pages = report
    texts = [page_text(path, n) for n in range(1, pages + 1)]
    whole = squeeze("".join(texts))
    for h in doc.headings(toc_only=False):
        assert squeeze(h.text) in whole
    for table in doc.tables():
        on = [i for i, t in enumerate(texts) if table.title in t and table.label in t]
        assert on, f"{table.label} 与表题不在同一页"
        assert squeeze(table.meta_left) in squeeze(texts[on[0]])
        for note in table.notes:
            assert squeeze(note) in whole
    assert "说明：本表无数据" in whole
    for literal in INJECTIONS:
        assert squeeze(literal) in whole, literal
    assert "2—" not in whole.replace("—2—", "")  # "{{ 1+1 }}" was not evaluated to 2 anywhere


def test_fonts_are_embedded(report):
    _, path, _ = report
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    rows = out[2:]
    assert rows, "no fonts listed"
    for row in rows:
        # name type encoding emb sub uni object ID; the name has no spaces, the type may
        fields = row.split()
        emb = fields[-5]
        assert emb == "yes", row
    names = " ".join(r.split()[0] for r in rows).replace("-", "")
    assert "NotoSerifCJKSC" in names and "NotoSansCJKSC" in names


def test_draft_watermark_on_every_page(tmp_path):
    doc = synthetic_document()
    doc.marking = Marking(WATERMARK)
    path = tmp_path / "draft.pdf"
    pages = write_pdf(doc, path)
    for n in range(1, pages + 1):
        assert WATERMARK in squeeze(page_text(path, n, "-raw")), f"第{n}页没有水印"


def test_header_marking_on_every_page(tmp_path):
    doc = synthetic_document()
    doc.marking = Marking.of("仅供内部审核", "header")
    path = tmp_path / "marked.pdf"
    pages = write_pdf(doc, path)
    for n in range(1, pages + 1):
        first = next(line for line in page_text(path, n, "-layout").splitlines() if line.strip())
        assert "仅供内部审核" in first, f"第{n}页页眉没有标记：{first!r}"


def test_no_watermark_without_draft(report):
    _, path, pages = report
    for n in range(1, pages + 1):
        assert WATERMARK not in squeeze(page_text(path, n, "-raw"))


def test_html_escapes_text_and_never_evaluates_it():
    doc = synthetic_document()
    doc.marking = Marking.of("<i>稿</i>", "both")
    html = render_html(doc)
    assert "{{ 1+1 }}" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert html.count("&lt;i&gt;稿&lt;/i&gt;") == 2
    assert "<style>" in html and "@page landscape" in html and ".meta > span" in html
    assert 'href="report.css"' not in html
    linked = render_html(doc, inline_css=False)
    assert 'href="report.css"' in linked and "@page landscape" not in linked


def test_a_profile_template_extends_the_report_by_blocks():
    child = environment().from_string(
        '{% extends "report.html.j2" %}'
        '{% block paragraph %}<p class="{{ block.style }} shanxi">{{ block.text }}</p>{% endblock %}'
        '{% block table_foot %}{{ super() }}<p class="plain">表{{ block.key }}完</p>{% endblock %}')
    html = child.render(report_context(synthetic_document()))
    assert '<p class="body shanxi">' in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "表07完" in html and html.index("说明：本表无数据") < html.index("表08完")
    assert html.count("<section") == render_html(synthetic_document()).count("<section")


def test_html_regions_follow_page_breaks():
    html = render_html(synthetic_document())
    regions = re.findall(r'<section class="region (\w+)">', html)
    assert regions == ["cover", "front", "portrait", "portrait", "landscape", "portrait",
                       "portrait"]
    # without a cover or 目录 nothing is front matter; a Toc always has pages of its own
    bare = Document(title="t", blocks=[Paragraph("前言"), Heading(1, "第一部分", anchor="a")])
    assert re.findall(r'<section class="region (\w+)">', render_html(bare)) == ["portrait"]
    toc_first = Document(title="t", blocks=[Toc(), Paragraph("说明"), Heading(1, "第一部分", anchor="a")])
    assert re.findall(r'<section class="region (\w+)">', render_html(toc_first)) == [
        "front", "front", "portrait"]
    assert 'colspan="2"' in html and 'rowspan="2"' in html and "<thead>" in html


def test_landscape_table_in_portrait_region_gets_landscape_wrapper():
    table = long_landscape_table(rows=3)
    doc = Document(title="t", blocks=[Heading(1, "第一部分", anchor="a"), table])
    html = render_html(doc)
    assert re.findall(r'<section class="region (\w+)">', html) == ["portrait"]
    assert '<div class="table-block landscape">' in html


def test_bad_input_is_refused_before_layout():
    with pytest.raises(ValueError, match="样式"):
        render_html(Document(title="t", blocks=[Paragraph("x", style="nonesuch")]))
    bad = portrait_table()
    bad.body[0].append(Cell("多余"))
    with pytest.raises(ValueError, match="超出"):
        render_html(Document(title="t", blocks=[bad]))
    twice = [Heading(1, "甲", anchor="same"), *_in_toc(empty_table(), "一、表")]
    twice[1].anchor = "same"
    with pytest.raises(ValueError, match="锚点重复"):
        render_html(Document(title="t", blocks=[Toc(), *twice]))
    with pytest.raises(ValueError, match="缺少锚点"):
        render_html(Document(title="t", blocks=[Toc(), Heading(1, "甲")]))


def test_fetcher_serves_only_project_templates():
    """WeasyPrint ≥ 70: a fetcher is a URLFetcher returning URLFetcherResponse objects."""
    fetch = ProjectURLFetcher()
    css = fetch((HTML_TEMPLATES / "report.css").as_uri())
    assert isinstance(css, URLFetcherResponse)
    assert b"@page" in css.read() and css.content_type == "text/css"
    for url in ["file:///etc/passwd", "http://example.com/", "https://example.com/a.css",
                (HTML_TEMPLATES / ".." / ".." / "pyproject.toml").as_uri(),
                "file://otherhost" + (HTML_TEMPLATES / "report.css").as_uri()[7:],
                "ftp://example.com/x", "data-x:foo", "FILE:///etc/passwd"]:
        with pytest.raises(RefusedURLError, match="拒绝加载"):
            fetch(url)
    assert "file:///etc/passwd" in fetch.refused and "FILE:///etc/passwd" in fetch.refused
    assert fetch("data:text/plain,ok").read() == b"ok"
    assert fetch.fetch("data:text/plain,ok").read() == b"ok"          # the method WeasyPrint calls


def test_render_fails_on_refused_resources(caplog):
    html = ('<html><head><link rel="stylesheet" href="report.css"></head><body>'
            '<img src="file:///etc/passwd"><img src="http://example.com/x.png"></body></html>')
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        with pytest.raises(RefusedURLError) as refused:
            render_document(html)
    assert "file:///etc/passwd" in str(refused.value) and "http://example.com/x.png" in str(refused.value)
    assert "report.css" not in str(refused.value)


def test_layout_logs_no_css_warnings(caplog):
    doc = Document(title="t", blocks=[Cover(UNIT, "2023年度部门决算公开"), Toc(),
                                      Heading(1, "第一部分", anchor="a"), portrait_table()])
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_document(render_html(doc, inline_css=False))
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")], caplog.text


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")

    def half_written(self, target, **options):
        Path(target).write_bytes(b"%PDF-1.7 half")
        raise OSError("disk full")

    monkeypatch.setattr(weasyprint.Document, "write_pdf", half_written)
    with pytest.raises(OSError, match="disk full"):
        write_pdf(Document(title="t", blocks=[portrait_table()]), target)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]
    assert gc.isenabled()


# ---- a seed-sized report (about 25 pages) for timing ---------------------------------------

def grid_table(key: str, title: str, ncols: int, nrows: int, *, landscape: bool = False) -> Table:
    """A table shaped like the published ones: a spanning two-row header, code/name/amounts."""
    header = [[Cell("项目", colspan=2, align="center"), Cell("金额", colspan=ncols - 2, align="center")],
              [Cell("科目编码", align="center"), Cell("科目名称", align="center")]
              + [Cell(f"栏次{c}", align="center") for c in range(1, ncols - 1)]]
    body = [[Cell("合计", colspan=2, align="center")]
            + [Cell(f"{c * 1234.5:,.2f}", align="right") for c in range(1, ncols - 1)]]
    body += [[Cell(f"{2010100 + r}"), Cell(f"一般公共服务支出科目{r}")]
             + [Cell(f"{r * 97.31 + c:,.2f}" if (r + c) % 3 else "", align="right")
                for c in range(1, ncols - 1)]
             for r in range(1, nrows)]
    return Table(**_meta(key, f"公开{key}表", title), header=header, body=body,
                 widths=[1.3, 3] + [1.2] * (ncols - 2), landscape=landscape,
                 font_size=8 if landscape else 9, notes=[f"注：本表反映部门本年度{title}情况。"])


SEED_TABLES = [  # key, title, columns, rows, landscape — the sizes of the seeds' ten tables
    ("01", "收入支出决算总表", 6, 36, False), ("02", "收入决算表", 9, 8, True),
    ("03", "支出决算表", 8, 8, True), ("04", "财政拨款收入支出决算总表", 9, 36, True),
    ("05", "一般公共预算财政拨款支出决算表", 5, 8, False),
    ("06", "一般公共预算财政拨款基本支出决算明细表", 12, 32, True),
    ("07", "政府性基金预算财政拨款收入支出决算表", 8, 3, True),
    ("08", "国有资本经营预算财政拨款支出决算表", 5, 3, False),
    ("09", "财政拨款“三公”经费支出决算表", 12, 3, True),
    ("10", "部门决算公开相关信息统计表", 15, 4, True),
]


def seed_sized_document() -> Document:
    """Cover, 目录, 概况, ten tables each on its own page(s), ten 情况说明 sections, 名词解释."""
    doc = synthetic_document(sections=10, toc_level3=False)
    blocks = [b for b in doc.blocks[:doc.blocks.index(next(
        b for b in doc.blocks if isinstance(b, Heading) and b.text.startswith("第二部分")))]]
    blocks.append(Heading(1, "第二部分 2023年部门决算表", anchor="part-2"))
    for n, (key, title, ncols, nrows, landscape) in enumerate(SEED_TABLES, start=1):
        blocks += [*_in_toc(grid_table(key, title, ncols, nrows, landscape=landscape),
                            f"{_cn(n)}、{title}"),
                   PageBreak(landscape=SEED_TABLES[n][4] if n < len(SEED_TABLES) else False)]
    start3 = next(i for i, b in enumerate(doc.blocks) if isinstance(b, Heading) and b.text.startswith("第三部分"))
    blocks += doc.blocks[start3:]
    blocks += [Heading(1, "第四部分 名词解释", anchor="part-4")]
    blocks += [Paragraph(f"{n}. 财政拨款收入：指单位从同级政府财政部门取得的财政预算资金。" * 2)
               for n in range(1, 13)]
    return Document(title=doc.title, blocks=blocks)
