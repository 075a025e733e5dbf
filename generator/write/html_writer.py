"""HTML writer: Document → one HTML page, the input of the PDF writer.

The page is rendered from ``templates/html/report.html.j2`` with autoescaping on; the text of
the document is passed as data and never becomes template source, so "{{ 1+1 }}" or "<b>"
in a unit's text comes out literally.

The blocks are grouped into page regions (``<section class="region PAGE">``), where PAGE is a
named page of ``report.css``:

  cover      the Cover block, alone on its page
  front      the Toc, and anything else before the first level-1 heading (no page number)
  portrait   A4 portrait (the default after a PageBreak)
  landscape  A4 landscape (after ``PageBreak(landscape=True)``)

Every region starts on a new page. A ``Table(landscape=True)`` inside a portrait region
gets its own landscape pages through its wrapper's ``page`` property.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from generator.compose.document import (
    STYLES, Block, Cover, Document, Heading, PageBreak, Paragraph, Table, Toc,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
HTML_TEMPLATES = TEMPLATES_DIR / "html"
REPORT_TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"


@dataclass(frozen=True)
class Item:
    """One block as the template sees it."""
    kind: str                     # "cover" | "toc" | "heading" | "paragraph" | "table"
    block: Block
    anchor: str = ""              # headings: the id the 目录 links to
    widths: tuple[float, ...] = ()  # tables: column widths in percent


@dataclass
class Region:
    """A run of blocks laid out on pages of one kind; starts on a new page."""
    page: str                     # "cover" | "front" | "portrait" | "landscape"
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class TocEntry:
    level: int
    text: str
    anchor: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment over ``templates/html/``, autoescaping every template."""
    return Environment(loader=FileSystemLoader(HTML_TEMPLATES), autoescape=True,
                       undefined=StrictUndefined)


def render_html(doc: Document, *, draft_watermark: str | None = None,
                inline_css: bool = False, template: str = REPORT_TEMPLATE) -> str:
    """Render ``doc`` as one HTML page.

    ``draft_watermark`` puts that text diagonally on every page. With ``inline_css`` the
    stylesheet is embedded, so the page stands alone; otherwise it links ``report.css``
    relative to ``templates/html/`` (the PDF writer's base URL). ``template`` names a
    template in ``templates/html/``: the default, or one that extends it.
    """
    anchors = _anchors(doc)
    regions = _regions(doc, anchors)
    toc_entries = [TocEntry(h.level, h.text, anchors[id(h)]) for h in doc.headings()]
    css = Markup((HTML_TEMPLATES / STYLESHEET).read_text(encoding="utf-8")) if inline_css else None
    page = environment().get_template(template)
    return page.render(doc=doc, regions=regions, toc_entries=toc_entries,
                       draft_watermark=draft_watermark or None, inline_css=css)


def _anchors(doc: Document) -> dict[int, str]:
    """Map each heading (by id) to its anchor; headings without one get ``h-N``."""
    anchors: dict[int, str] = {}
    seen: set[str] = set()
    for n, heading in enumerate(doc.headings(toc_only=False), start=1):
        anchor = heading.anchor or f"h-{n}"
        if anchor in seen:
            raise ValueError(f"标题锚点重复：{anchor!r}（{heading.text}）")
        seen.add(anchor)
        anchors[id(heading)] = anchor
    return anchors


def _regions(doc: Document, anchors: dict[int, str]) -> list[Region]:
    """Group the blocks into page regions (see the module docstring)."""
    regions: list[Region] = []
    in_front = True               # before the first level-1 heading
    page = "front"
    current = Region(page)

    def start(new_page: str) -> Region:
        if current.items:
            regions.append(current)
        return Region(new_page)

    for block in doc.blocks:
        if isinstance(block, PageBreak):
            page = "landscape" if block.landscape else ("front" if in_front else "portrait")
            current = start(page)
        elif isinstance(block, Cover):
            current = start("cover")
            current.items.append(Item("cover", block))
            current = start(page)
        elif isinstance(block, Toc):
            current = start("front")
            current.items.append(Item("toc", block))
            current = start(page)
        elif isinstance(block, Heading):
            if in_front and block.level == 1:
                in_front = False
                page = "portrait" if page == "front" else page
                current = start(page)
            current.items.append(Item("heading", block, anchor=anchors[id(block)]))
        elif isinstance(block, Paragraph):
            if block.style not in STYLES:
                raise ValueError(f"未定义的段落样式：{block.style!r}（{block.text[:20]}）")
            current.items.append(Item("paragraph", block))
        elif isinstance(block, Table):
            current.items.append(Item("table", block, widths=_percent_widths(block)))
        else:
            raise TypeError(f"未知的文档块：{type(block).__name__}")
    start(page)
    return regions


def _percent_widths(table: Table) -> tuple[float, ...]:
    """Column widths in percent; also checks that every row fills the grid."""
    for _ in table.placements():
        pass
    total = sum(table.widths)
    if total <= 0 or any(w < 0 for w in table.widths):
        raise ValueError(f"表{table.key}的列宽无效：{table.widths}")
    return tuple(w / total * 100 for w in table.widths)
