"""HTML writer: Document → one HTML page, the input of the PDF writer.

The page is rendered from ``templates/html/report.html.j2`` with autoescaping on; the text of
the document is passed as data and never becomes template source, so "{{ 1+1 }}" or "<b>"
in a unit's text comes out literally.

The blocks are grouped into page regions (``<section class="region PAGE">``), where PAGE is a
named page of ``report.css``:

  cover      the Cover block, alone on its page; a TitlePage that opens the document (the
             title page of a 绩效评价报告 printed on its own) too: no page number, the page
             count restarts so that the next page is page 1
  front      the Toc, alone on its page(s), and when there is a Cover or a Toc, whatever
             else comes before the first level-1 heading: no page number, and the page
             count restarts so that the first page of 第一部分 is page 1
  portrait   A4 portrait (the default, and after a PageBreak)
  landscape  A4 landscape (after ``PageBreak(landscape=True)``)

Every region starts on a new page: after a PageBreak, a Cover or a Toc, at the first
level-1 heading when there is front matter, and where the kind of page changes. A
``Table(landscape=True)`` inside a portrait region gets landscape pages of its own through
its wrapper's ``page`` property.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from generator import cache
from generator.compose.document import (
    STYLES, TITLE_PAGE_ROLES, Block, Cover, Document, Heading, PageBreak, Paragraph, Table, TitlePage, Toc,
)
from generator.write.joiners import bind, bind_cell, keep
from generator.names import property_text

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
HTML_TEMPLATES = TEMPLATES_DIR / "html"
REPORT_TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


@dataclass(frozen=True)
class Item:
    """One block as the template sees it."""
    kind: str                     # "cover" | "title_page" | "toc" | "heading" | "paragraph" | "table"
    block: Block
    widths: tuple[float, ...] = ()  # tables: column widths in percent
    centred_meta: bool = False      # tables: the 年度 at the middle of the meta line (_centred_meta)


@dataclass
class Region:
    """A run of blocks laid out on pages of one kind; starts on a new page."""
    page: str                     # "cover" | "front" | "portrait" | "landscape"
    items: list[Item] = field(default_factory=list)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment over ``templates/html/``, autoescaping every template."""
    env = Environment(loader=FileSystemLoader(HTML_TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, bytecode_cache=cache.jinja_bytecode_cache())
    return env


def render_html(doc: Document, *, inline_css: bool = True, template: str = REPORT_TEMPLATE,
                for_print: bool = False) -> str:
    """Render ``doc`` as one HTML page.

    ``doc.marking`` is shown on every page (diagonally and/or in the page header). With ``inline_css`` (the
    default) the stylesheet is embedded, so the page stands alone; otherwise it links
    ``report.css`` relative to ``templates/html/``, which is how the PDF writer loads it.
    ``template`` names a template in ``templates/html/``: the default, or one extending it.
    ``for_print`` (the PDF writer's page): word joiners where a line must not break (joiners.py);
    the HTML a browser shows has none, so its text is the document's.
    """
    context = report_context(doc, inline_css=inline_css, for_print=for_print)
    return environment().get_template(template).render(context)


def _same(text: str, *_) -> str:
    return text


def report_context(doc: Document, *, inline_css: bool = True, for_print: bool = False) -> dict:
    """The variables of ``report.html.j2`` (listed at its top), for it or a template extending it."""
    toc_entries = doc.toc_entries()
    _check_anchors(doc, toc_entries)
    css = Markup((HTML_TEMPLATES / STYLESHEET).read_text(encoding="utf-8")) if inline_css else None
    return dict(doc=doc, title=property_text(doc.title), regions=_regions(doc), toc_entries=toc_entries,
                marking=doc.marking, inline_css=css,
                bind=bind if for_print else _same, bind_cell=bind_cell if for_print else _same,
                keep=keep if for_print else _same)


def _check_anchors(doc: Document, toc_entries: list[tuple[int, str, str]]) -> None:
    """Every 目录 entry links to an anchor, and no anchor is used twice."""
    for _, text, anchor in toc_entries:
        if not anchor:
            raise ValueError(f"目录条目缺少锚点：{text}")
    seen: set[str] = set()
    for block in doc.blocks:
        anchor = getattr(block, "anchor", "")
        if anchor in seen:
            raise ValueError(f"锚点重复：{anchor!r}")
        if anchor:
            seen.add(anchor)


def _regions(doc: Document) -> list[Region]:
    """Group the blocks into page regions (see the module docstring)."""
    blocks = doc.blocks
    first_part = next((i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 1),
                      len(blocks))
    has_front = any(isinstance(b, (Cover, Toc)) for b in blocks[:first_part])
    regions: list[Region] = []
    orientation, fresh = "portrait", True
    for i, block in enumerate(blocks):
        if isinstance(block, PageBreak):
            orientation, fresh = ("landscape" if block.landscape else "portrait"), True
            continue
        if isinstance(block, Cover) or (isinstance(block, TitlePage) and not regions):
            page = "cover"
        elif isinstance(block, Toc) or (has_front and i < first_part and orientation == "portrait"):
            page = "front"
        else:
            page = orientation
        starts_part_one = has_front and i == first_part
        if fresh or starts_part_one or not regions or regions[-1].page != page:
            regions.append(Region(page))
        regions[-1].items.append(_item(block, landscape=page == "landscape"))
        fresh = isinstance(block, (Cover, TitlePage, Toc))      # what follows them starts a new page
    return regions


def _item(block: Block, landscape: bool = False) -> Item:
    if isinstance(block, Cover):
        return Item("cover", block)
    if isinstance(block, TitlePage):
        for p in block.paragraphs:
            if p.style not in TITLE_PAGE_ROLES:
                raise ValueError(f"封面的段落样式只能是 {'、'.join(TITLE_PAGE_ROLES)}：{p.style!r}（{p.text[:20]}）")
        return Item("title_page", block)
    if isinstance(block, Toc):
        return Item("toc", block)
    if isinstance(block, Heading):
        return Item("heading", block)
    if isinstance(block, Paragraph):
        if block.style not in STYLES:
            raise ValueError(f"未定义的段落样式：{block.style!r}（{block.text[:20]}）")
        return Item("paragraph", block)
    if isinstance(block, Table):
        return Item("table", block, widths=_percent_widths(block),
                    centred_meta=_centred_meta(block, landscape or block.landscape))
    raise TypeError(f"未知的文档块：{type(block).__name__}")


# the text width of report.css's pages in ems of the meta line (12pt): A4 portrait 210 − 28 − 26 mm,
# landscape 297 − 22 − 22 mm
_META_LINE_EM = {False: 156 / 25.4 * 72 / 12, True: 253 / 25.4 * 72 / 12}


def _em(text: str) -> float:
    """Rough width of ``text`` in ems: CJK and full-width characters 1, the rest ½ (as the DOCX
    writer's)."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.5 for ch in text)


def _centred_meta(table: Table, landscape: bool) -> bool:
    """Whether a table's 年度 goes to the middle of its meta line: its left and its right part
    each fit in their half beside it (1 em to spare), as the DOCX's centre tab (docx_writer._meta).
    Otherwise the 年度 is centred in the room the left part leaves (“单位名称：（盖章）” was
    short and “填报日期：” shorter, so “（2022年度）” sat 66 pt right of the middle)."""
    half = _META_LINE_EM[landscape] / 2 - _em(table.meta_center) / 2 - 1
    return bool(table.meta_center) and _em(table.meta_left) <= half and _em(table.meta_right) <= half


def _percent_widths(table: Table) -> tuple[float, ...]:
    """Column widths in percent; also checks that every row fills the grid."""
    for _ in table.placements():
        pass
    total = sum(table.widths)
    if total <= 0 or any(w < 0 for w in table.widths):
        raise ValueError(f"表{table.key}的列宽无效：{table.widths}")
    return tuple(w / total * 100 for w in table.widths)
