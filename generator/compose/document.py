"""The format-neutral document: what compose produces and both writers consume.

A `Document` is a flat list of blocks. Writers walk it in order; they never look at the
unit's data, so the DOCX and the PDF carry the same words, numbers and table cells.

Block kinds:
  Cover        the cover page (unit name, report title, optional draft line)
  TitlePage    the title page of a report printed as a 附件 (a 绩效评价报告): title, units, date
  Toc          the 目录: entries are Document.toc_entries() — headings with ``toc=True`` and
               tables with a ``toc_title`` (writers fill page numbers)
  Heading      level 1 = 第一部分…, 2 = 一、…, 3 = （一）…
  Paragraph    body text; ``style`` names a paragraph role (see STYLES)
  Table        a published table (公开NN表) with its label, title, meta line, notes
  PageBreak    start a new page (``landscape`` sets the orientation of what follows)

Text is plain Unicode; writers escape it for their format.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Literal, Union

from ..typography import Typography

# Paragraph roles. Each maps to a Word paragraph style in the reference document and to a
# CSS class in the HTML; docs/styles.md lists both.
STYLES = {
    "body": "Body Text",          # 正文，仿宋，首行缩进两字
    "plain": "Plain Text",        # 正文无缩进（列表项、表外说明）
    "lead": "Plain Text",         # 无缩进的小标题行（评价报告“（一）部门概况”）：与下文同页
    "subhead": "Subheading",      # 单位文字中的“（1）……”小标题：加粗，与下文同页
    "note": "Table Note",         # 表下“注：本表反映……”
    "empty": "Table Note",        # “说明：本表无数据”
    "label": "Table Label",       # “公开01表”，右对齐
    "caption": "Table Caption",   # 表标题，居中
    "meta": "Table Meta",         # “部门名称：… 2022年度 金额单位：元”
    # the lines of a TitlePage (a 绩效评价报告's 封面), as its wording template prints them
    "report-title": "Report Title",   # 标题，居中
    "report-line": "Report Line",     # “实施单位：……”
    "report-date": "Report Date",     # 日期，居中
}
# The roles of a TitlePage's paragraphs.
TITLE_PAGE_ROLES = ("report-title", "report-line", "report-date")

# Roles whose paragraph stays on the page of the paragraph after it (a title line of the text):
# DOCX keepNext/keepLines, CSS break-after: avoid. A Word style of its own says so for `subhead`;
# `lead` shares Plain Text and the writer adds the keep.
KEEP_WITH_NEXT = frozenset({"subhead", "lead"})
# A table does not start with fewer than this many body rows at the bottom of a page.
TABLE_START_ROWS = 3
# A cell spanning at most this many rows stays on one page with all of them; a taller one keeps
# its first TABLE_START_ROWS rows together (its text, printed at the top of its part of the first
# page, fits there instead of running below the page's last rule).
SPAN_KEPT_WHOLE = 4

Align = Literal["left", "center", "right"]


@dataclass
class Cell:
    text: str = ""
    colspan: int = 1
    rowspan: int = 1
    align: Align = "left"
    bold: bool = False

    flows = False       # a TextCell: its row may break across pages


@dataclass
class TextCell(Cell):
    """A cell of running text (a form's 部门整体支出情况): its paragraphs, each in its role's indent
    ("lead" none, "body" two characters), justified; ``text`` is their lines joined. Its row may
    break across pages between two lines; every other row stays whole on one page."""
    paragraphs: tuple["Paragraph", ...] = ()

    flows = True


@dataclass
class Table:
    key: str                      # stable table id: "01" … "10"; "" for a small table of the text
    label: str                    # printed label, e.g. "公开01表"
    title: str                    # e.g. "收入支出决算总表"
    meta_left: str                # "部门名称：…"
    meta_center: str              # "2022年度"
    meta_right: str               # "金额单位：元"
    header: list[list[Cell]]      # header rows (repeated on every page); HTML-style spans:
    body: list[list[Cell]]        #   a cell covered by a span above/left is simply omitted
    widths: list[float]           # relative column widths, len == number of grid columns
    notes: list[str] = field(default_factory=list)   # "注：本表反映……"
    empty_note: str | None = None                     # "说明：本表无数据" when the table has no data
    landscape: bool = False
    font_size: float = 9.0        # points; wide tables use smaller text
    line_height: float | None = None   # points: the cells' fixed line height (None: the style's)
    toc_title: str = ""           # entry in the 目录 (level 2), e.g. "一、收入支出决算总表"
    anchor: str = ""              # stable id for links (set by compose)
    keep_rows: tuple[int, ...] = ()   # body rows kept on the page of the row after them (the column
                                      # titles inside a form)

    @property
    def ncols(self) -> int:
        return len(self.widths)

    def kept_rows(self) -> set[int]:
        """The rows (numbered over header + body) that stay on the page of the row after them:
        the header and the first body rows and the rows before the last, so that a table neither
        starts at a page bottom nor ends at a page top with fewer than TABLE_START_ROWS body rows,
        and the rows of a cell with text spanning several (SPAN_KEPT_WHOLE). CSS ``break-after:
        avoid`` on the row in the PDF, ``keepNext`` on its paragraphs in the DOCX."""
        rows = self.header + self.body
        n, nh = len(rows), len(self.header)
        kept = set(range(min(nh + TABLE_START_ROWS - 1, n - 1)))
        kept.update(range(max(n - TABLE_START_ROWS, 0), n - 1))
        for r, _, cell in self.placements(rows):
            if cell.rowspan > 1 and cell.text.strip() and r >= nh:
                span = min(cell.rowspan, n - r)
                kept.update(range(r, r + (span if span <= SPAN_KEPT_WHOLE else TABLE_START_ROWS) - 1))
        kept.update(nh + k for k in self.keep_rows)          # the rows the table itself keeps
        flowing = {r for r, row in enumerate(rows) if any(c.flows for c in row)}
        return kept - flowing                                # a row of running text may break

    @property
    def flows(self) -> bool:
        """A row of running text may break across pages (see Cell.paragraphs)."""
        return any(cell.flows for row in self.body for cell in row)

    def placements(self, rows: list[list[Cell]] | None = None) -> Iterator[tuple[int, int, Cell]]:
        """Yield (row, col, cell) with grid positions resolved from the spans.

        ``rows`` defaults to header + body. Raises ValueError when a row does not fill the
        grid exactly, so a mistake in a table builder is caught before any writer runs.
        """
        rows = self.header + self.body if rows is None else rows
        occupied: set[tuple[int, int]] = set()
        for r, row in enumerate(rows):
            c = 0
            for cell in row:
                while (r, c) in occupied:
                    c += 1
                if c + cell.colspan > self.ncols:
                    raise ValueError(f"表{self.key}第{r + 1}行超出{self.ncols}列")
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        occupied.add((r + dr, c + dc))
                yield r, c, cell
                c += cell.colspan
            while (r, c) in occupied:
                c += 1
            if c != self.ncols:
                raise ValueError(f"表{self.key}第{r + 1}行只有{c}列，应为{self.ncols}列")


@dataclass
class Cover:
    unit_name: str
    title: str                    # "2022年度部门决算公开"
    draft_line: str | None = None


@dataclass
class TitlePage:
    """The title page of a report printed as a 附件 (a 绩效评价报告, layout report-*.yaml), on a page
    of its own: its paragraphs (roles TITLE_PAGE_ROLES, the lines its wording template prints),
    ``space`` the room in points above the first paragraph of a role (the layout's 封面 上空: the
    title in the upper part of the page, the units and the date lower), ``keep`` the phrases the
    title does not break inside (joiners.keep). Opening the document, the page is front matter: no
    page number, and the next page is page 1."""
    paragraphs: list["Paragraph"]
    space: dict[str, float] = field(default_factory=dict)
    keep: tuple[str, ...] = ()

    def spaced(self) -> list[tuple["Paragraph", float]]:
        """Each paragraph with the room above it (points): its role's ``space`` above the first
        paragraph of the role, none above the others."""
        out, seen = [], set()
        for p in self.paragraphs:
            out.append((p, 0.0 if p.style in seen else float(self.space.get(p.style, 0))))
            seen.add(p.style)
        return out


@dataclass
class Toc:
    title: str = "目  录"
    numbers: bool = True          # each entry with its leader and page number (profile 目录页码)


@dataclass
class Heading:
    level: int                    # 1, 2 or 3
    text: str
    toc: bool = True              # listed in the 目录
    anchor: str = ""              # stable id for links (set by compose)
    toc_text: str = ""            # its words in the 目录 when they differ from ``text``


@dataclass
class Paragraph:
    text: str
    style: str = "body"


@dataclass
class PageBreak:
    landscape: bool = False


Block = Union[Cover, TitlePage, Toc, Heading, Paragraph, Table, PageBreak]


@dataclass(frozen=True)
class Marking:
    """A marking on every page of a report under internal review ("仅供内部审核"): a light
    diagonal watermark, a line in the page header, or both. Independent of the 草稿 cover line."""

    text: str
    watermark: bool = True
    header: bool = False
    header_text: str | None = None     # the header line when it says more than the watermark

    STYLES = ("watermark", "header", "both", "none")

    @property
    def header_line(self) -> str:
        return self.header_text or self.text

    @classmethod
    def of(cls, text: str | None, style: str = "watermark") -> "Marking | None":
        """``style``: watermark | header | both | none (no marking)."""
        if style not in cls.STYLES:
            raise ValueError(f"标记方式应为 {'、'.join(cls.STYLES)} 之一：{style}")
        if not text or style == "none":
            return None
        return cls(text, watermark=style in ("watermark", "both"), header=style in ("header", "both"))


@dataclass
class Document:
    title: str                    # used for file metadata: "<单位名称>2022年度部门决算公开"
    blocks: list[Block]
    lang: str = "zh-CN"
    marking: Marking | None = None   # on every page (watermark and/or header line)
    typography: Typography = field(default_factory=Typography)   # the profile's 正文排版
    page_numbers: bool = True        # "— n —" in the footer of the numbered pages (profile 页码)
    # phrases a heading line may not break inside (the last fixed phrase of each of the profile's
    # 部分标题, e.g. "决算情况说明"): a long heading breaks before such a phrase, not within it
    keep_together: tuple[str, ...] = ()

    def marked(self, draft_line: str | None, marking: Marking | None) -> "Document":
        """This document with the cover's 草稿 line and the marking of every page set (they change
        no other block: the checks read the text before the cover and the marking are known)."""
        blocks = [replace(b, draft_line=draft_line) if isinstance(b, Cover) else b for b in self.blocks]
        return replace(self, blocks=blocks, marking=marking)

    def section_texts(self) -> list[tuple[str, str]]:
        """(section heading, text) of every heading and paragraph, the section being the last
        heading of level 1 or 2: the text the composed-report rules read (check.run_composed_checks)."""
        out, section = [], ""
        for b in self.blocks:
            if isinstance(b, Heading):
                section = b.text if b.level <= 2 else section
                out.append((section, b.text))
            elif isinstance(b, Paragraph):
                out.append((section, b.text))
        return out

    def toc_entries(self) -> list[tuple[int, str, str]]:
        """(level, text, anchor) of every 目录 entry in order: headings with toc=True and
        tables with a toc_title (a table's caption is its own entry, at level 2)."""
        out = []
        for b in self.blocks:
            if isinstance(b, Heading) and b.toc:
                out.append((b.level, b.toc_text or b.text, b.anchor))
            elif isinstance(b, Table) and b.toc_title:
                out.append((2, b.toc_title, b.anchor))
        return out

    def headings(self, toc_only: bool = True) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading) and (b.toc or not toc_only)]

    def tables(self) -> list[Table]:
        """The published tables (第二部分), not the small tables of the text (key "")."""
        return [b for b in self.blocks if isinstance(b, Table) and b.key]
