"""Assemble the whole 决算公开 document from the derived data, the profile and the wording.

Order (as published): cover, 目录, 第一部分 概况, 第二部分 the tables, 第三部分 情况说明,
第四部分 名词解释, 第五部分 附件. The result is format-neutral (compose/document.py).
"""
from __future__ import annotations

from ..derive.facts import build_facts
from ..derive.totals import Derived
from ..numbers import chinese_number
from .document import Block, Cover, Document, Heading, Marking, PageBreak, Toc
from .narrative import render_section
from .attachments import self_eval_table
from .tables import build_tables


def report_title(d: Derived) -> str:
    """The cover's title, as the profile words it ("2022年度部门决算公开")."""
    return d.profile.cover_title(d.unit.year, d.unit.kind_word)


def attachments_title(d: Derived) -> str:
    """The cover of the 附件 printed on their own (profile 文字 附件封面标题)."""
    return d.profile.texts["附件封面标题"].format(年度=d.unit.year, 类别=d.unit.kind_word)


def _paragraphs(text: str) -> list[str]:
    """The unit's free text: each non-empty line is a paragraph."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def forms(d: Derived, heading) -> list[Block]:
    """Each 项目支出绩效自评表, on its own landscape page under its 附件N heading."""
    out: list[Block] = []
    for i, result in sorted(d.self_evals.items()):
        out.append(PageBreak(landscape=True))
        out.append(heading(2, d.profile.texts["附件标题"].format(序号=i + 1, 名称=d.unit.attachments[i])))
        out.append(self_eval_table(d.profile.self_eval_layout, result))   # type: ignore[arg-type]
    return out


def compose_attachments(d: Derived, *, draft_line: str | None = None, marking: Marking | None = None) -> Document:
    """The 附件 on their own (``juesuan render --attachments-only``): a cover, the 目录 and the forms."""
    counter = iter(range(1, 10_000))

    def heading(level: int, text: str, toc: bool = True) -> Heading:
        return Heading(level, text, toc=toc, anchor=f"h{next(counter)}")

    title = attachments_title(d)
    blocks: list[Block] = [Cover(d.unit.name, title, draft_line), Toc(), *forms(d, heading)]
    return Document(title=f"{d.unit.name}{title}", blocks=blocks, marking=marking)


def compose(d: Derived, *, draft_line: str | None = None, marking: Marking | None = None,
            tables: bool = True) -> Document:
    """The whole report. ``draft_line``: the 草稿 line of the cover; ``marking``: the review
    marking of every page (the two are independent). ``tables=False`` leaves out 第二部分's
    tables (for a rule that reads only the text)."""
    u, p = d.unit, d.profile
    parts = {k: p.part_title(k, u.year, u.kind_word, u.name) for k in p.part_titles}
    blocks: list[Block] = [Cover(u.name, report_title(d), draft_line), Toc(), PageBreak()]
    counter = iter(range(1, 10_000))

    def heading(level: int, text: str, toc: bool = True) -> Heading:
        return Heading(level, text, toc=toc, anchor=f"h{next(counter)}")

    def worded(template: str, facts: dict) -> None:
        """The blocks of a wording template, its headings anchored in document order."""
        for b in render_section(template, facts, p.wording_dir):
            if isinstance(b, Heading):
                b.anchor = f"h{next(counter)}"
            blocks.append(b)

    words = {"unit": u, "year": u.year, "kind": u.kind_word, "members": u.members}

    # 第一部分 概况
    blocks.append(heading(1, parts["一"]))
    worded(p.part_templates["一"], {**words, "duty": _paragraphs(u.duty), "organisation": _paragraphs(u.organisation)})

    # 第二部分 决算表
    for i, table in enumerate(build_tables(d) if tables else []):
        blocks.append(PageBreak(landscape=table.landscape))
        if i == 0:
            blocks.append(heading(1, parts["二"]))
        table.toc_title = f"{chinese_number(i + 1)}、{p.table(table.key).toc_title or table.title}"  # type: ignore[union-attr]
        table.anchor = f"t{table.key}"
        blocks.append(table)

    # 第三部分 情况说明
    blocks.append(PageBreak())
    blocks.append(heading(1, parts["三"]))
    facts = build_facts(d)
    for section in p.outline:
        blocks.append(heading(2, section.title))
        worded(section.template, facts)

    # 第四部分 名词解释
    if "四" in parts:
        blocks.append(heading(1, parts["四"]))
        glossary = list(p.glossary) + [(g["名词"], g["解释"]) for g in (u.words.get("名词解释补充") or [])]
        worded(p.part_templates["四"], {**words, "glossary": glossary})

    # 第五部分 附件: the list, then each 项目支出绩效自评表 on its own landscape page
    if "五" in parts:
        blocks.append(heading(1, parts["五"]))
        worded(p.part_templates["五"], {**words, "attachments": u.attachments})
        blocks += forms(d, heading)
    return Document(title=f"{u.name}{report_title(d)}", blocks=blocks, marking=marking)
