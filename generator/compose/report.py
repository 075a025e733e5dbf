"""Assemble the whole 决算公开 document from the derived data, the profile and the wording.

Order (as published): cover, 目录, 第一部分 概况, 第二部分 the tables, 第三部分 情况说明,
第四部分 名词解释, 第五部分 附件. The result is format-neutral (compose/document.py).
"""
from __future__ import annotations

import re

from ..derive.facts import section_facts

from ..profile import attachments_file_title, attachments_title
from ..derive.totals import Derived
from ..numbers import chinese_number
from .document import TITLE_PAGE_ROLES, Block, Cover, Document, Heading, Marking, PageBreak, Paragraph, TitlePage, Toc
from .narrative import render_section
from ..layout import load_layout
from .attachments import goals_table, overall_blocks, self_eval_table
from .cover import cover_lines
from .tables import build_tables


def report_title(d: Derived) -> str:
    """The cover's title, as the profile words it ("2022年度部门决算公开")."""
    return d.profile.cover_title(d.unit.year, d.unit.kind_word)


def _paragraphs(text: str) -> list[str]:
    """The unit's free text: each non-empty line is a paragraph."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def form_indices(d: Derived) -> list[int]:
    """The 附件 that carry a form or a report, in order."""
    return sorted({*d.self_evals, *d.overall_evals, *d.eval_reports})


def has_forms(d: Derived) -> bool:
    return bool(form_indices(d))


def attachment_blocks(d: Derived, i: int) -> tuple[bool, list[Block]]:
    """(landscape, blocks) of the form of 附件 ``i``: a 项目支出绩效自评表 is one landscape table, a
    部门整体支出绩效自评表 portrait tables and text."""
    if i in d.self_evals:
        return True, [self_eval_table(d.profile.self_eval_layout, d.self_evals[i])]   # type: ignore[arg-type]
    if i in d.eval_reports:
        return False, report_blocks(d, d.eval_reports[i])
    result = d.overall_evals[i]
    name = result.ev.layout or d.profile.overall_layout
    return False, overall_blocks(load_layout(name), result) if name else []


def report_blocks(d: Derived, result) -> list[Block]:
    """A 绩效评价报告: its title page, then 摘要 … 建议 with 表1 in between (layout report-*.yaml: the
    wording templates and the table's labels). Its headings stay out of the report's 目录."""
    name = result.ev.layout or d.profile.report_layout
    if not name:
        return []
    layout = load_layout(name)
    templates: dict[str, str] = layout.form["措辞"]
    facts = {"ev": result.ev, "r": result, "labels": layout.form["标签"], "year": result.ev.year,
             "unit": result.ev.implementer or d.unit.name}
    worded = lambda key: render_section(templates[key], facts, d.profile.wording_dirs)  # noqa: E731
    blocks = [title_page(layout.form.get("封面") or {}, worded("封面"), facts["unit"]), PageBreak(),
              *worded("表前"), goals_table(layout, result.ev), *worded("表后")]
    for b in blocks:
        if isinstance(b, Heading):
            b.toc = False
    return blocks


# the layout's 封面 上空 keys and the roles of the title page's lines they space
TITLE_PAGE_SPACE = dict(zip(("标题", "单位", "日期"), TITLE_PAGE_ROLES))


def title_page(cover: dict, blocks: list[Block], unit: str) -> TitlePage:
    """The title page of a 绩效评价报告: the lines its wording template prints (roles report-title,
    report-line, report-date), spaced over the page as the layout's 封面 says (上空: points above
    the title, the units, the date), the title broken before a whole phrase: neither inside one of
    the layout's 标题词组 nor inside the unit's name."""
    paragraphs = [b for b in blocks if isinstance(b, Paragraph) and b.style in TITLE_PAGE_ROLES]
    if len(paragraphs) != len(blocks):
        raise ValueError(f"封面措辞只能印段落样式 {'、'.join(TITLE_PAGE_ROLES)} 的行")
    space = {TITLE_PAGE_SPACE[k]: float(v) for k, v in (cover.get("上空") or {}).items()}
    keep = (*(str(w) for w in cover.get("标题词组") or []), unit)
    return TitlePage(paragraphs, space, keep)


def forms(d: Derived, heading, level: int = 2, toc: bool = True) -> list[Block]:
    """Each attachment that carries a form, in the order of 附件, on a new page under its 附件N heading
    (listed in the 目录 when ``toc``)."""
    out: list[Block] = []
    for i in form_indices(d):
        landscape, blocks = attachment_blocks(d, i)
        title = heading(level, d.profile.texts["附件标题"].format(序号=i + 1, 名称=d.unit.attachments[i]), toc)
        out += [PageBreak(landscape=landscape), title, *blocks]
    return out


def compose_attachments(d: Derived, *, draft_line: str | None = None, marking: Marking | None = None) -> Document:
    """The 附件 on their own (``juesuan render --attachments-only``, or a file of 附件 alone): one
    form as it is published on its own (no cover, no 目录); several behind a cover and a 目录."""
    counter = iter(range(1, 10_000))

    def heading(level: int, text: str, toc: bool = True) -> Heading:
        return Heading(level, text, toc=toc, anchor=f"h{next(counter)}")

    indices = form_indices(d)
    if len(indices) == 1 and draft_line is None:
        landscape, blocks = attachment_blocks(d, indices[0])
        return Document(title=attachments_file_title(d.unit, d.profile), blocks=[PageBreak(landscape=landscape), *blocks],
                        marking=marking, typography=d.profile.typography, page_numbers=d.profile.page_numbers)
    title = attachments_title(d.unit, d.profile)
    blocks: list[Block] = [Cover(cover_lines(d.unit.name), title, draft_line), Toc(numbers=d.profile.toc_numbers),
                           *forms(d, heading, level=1)]
    return Document(title=attachments_file_title(d.unit, d.profile), blocks=blocks, marking=marking,
                    typography=d.profile.typography, page_numbers=d.profile.page_numbers)


def compose(d: Derived, *, draft_line: str | None = None, marking: Marking | None = None,
            tables: bool = True) -> Document:
    """The whole report. ``draft_line``: the 草稿 line of the cover; ``marking``: the review
    marking of every page (the two are independent). ``tables=False`` leaves out 第二部分's
    tables, not its heading (``check`` reads the text of that report: the same as the printed one's)."""
    u, p = d.unit, d.profile
    parts = {k: p.part_title(k, u.year, u.kind_word, u.name) for k in p.part_titles}
    blocks: list[Block] = [Cover(cover_lines(u.name), report_title(d), draft_line), Toc(numbers=p.toc_numbers),
                           PageBreak()]
    counter = iter(range(1, 10_000))

    def heading(level: int, text: str, toc: bool = True) -> Heading:
        return Heading(level, text, toc=toc, anchor=f"h{next(counter)}")

    def part(key: str) -> Heading:
        """第N部分's heading: its 部分标题 in the 目录, its 部分页内标题 on the page."""
        h = heading(1, p.part_page_title(key, u.year, u.kind_word, u.name))
        h.toc_text = parts[key] if parts[key] != h.text else ""
        return h

    def worded(template: str, facts: dict) -> None:
        """The blocks of a wording template, its headings anchored in document order."""
        for b in render_section(template, facts, p.wording_dirs):
            if isinstance(b, Heading):
                b.anchor = f"h{next(counter)}"
            blocks.append(b)

    words = {"unit": u, "year": u.year, "kind": u.kind_word, "members": u.members}

    # 第一部分 概况
    blocks.append(part("一"))
    worded(p.part_templates["一"], {**words, "duty": _paragraphs(u.duty), "organisation": _paragraphs(u.organisation)})

    # 第二部分 决算表 (without tables, its heading alone: the text the rules read is the same)
    if not tables:
        blocks.append(part("二"))
    for i, table in enumerate(build_tables(d) if tables else []):
        blocks.append(PageBreak(landscape=table.landscape))
        if i == 0:
            blocks.append(part("二"))
        table.toc_title = f"{chinese_number(i + 1)}、{p.table(table.key).toc_title or table.title}"  # type: ignore[union-attr]
        table.anchor = f"t{table.key}"
        blocks.append(table)

    # 第三部分 情况说明
    blocks.append(PageBreak())
    blocks.append(part("三"))
    for section in p.outline:
        blocks.append(heading(2, section.title))
        blocks[-1].toc_text = section.toc_title     # type: ignore[union-attr]
        worded(section.template, section_facts(d, section.facts))

    # 第四部分 名词解释
    if "四" in parts:
        blocks += [PageBreak()] if "四" in p.part_new_page else []
        blocks.append(part("四"))
        glossary = list(p.glossary) + [(g["名词"], g["解释"]) for g in (u.words.get("名词解释补充") or [])]
        worded(p.part_templates["四"], {**words, "glossary": glossary})

    # 第五部分 附件: the list, then each 项目支出绩效自评表 on its own landscape page
    if "五" in parts:
        blocks += [PageBreak()] if "五" in p.part_new_page else []
        blocks.append(part("五"))
        worded(p.part_templates["五"], {**words, "attachments": u.attachments})
        blocks += forms(d, heading, toc=p.toc_attachments)
    return Document(title=f"{u.name}{report_title(d)}", blocks=blocks, marking=marking,
                    typography=d.profile.typography, page_numbers=p.page_numbers,
                    keep_together=title_tails(p.part_titles.values()))


def title_tails(templates) -> tuple[str, ...]:
    """The last fixed phrase of each heading template (after its last {…} or space): "第三部分
    {单位名称}{年度}年度{类别}决算情况说明" → "决算情况说明"; a heading breaks before it, not inside."""
    tails = {re.split(r"\{[^{}]*\}|\s+", t)[-1] for t in templates}
    return tuple(sorted(t for t in tails if len(t) > 1))
