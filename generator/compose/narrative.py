"""Render the wording templates (第一部分, the 第三部分 sections, 第四部分, 第五部分) into
headings and paragraphs.

Templates live in templates/wording/<profile wording dir>/, falling back to
templates/wording/default/ (a profile overrides only the parts it words differently).
The templates produce plain text, not HTML: each non-empty line is one paragraph (Jinja's
trim_blocks makes blank lines after block tags unreliable, so they carry no meaning);
``h2()`` marks a heading listed in the 目录 (“一、本部门（单位）职责”), ``h3()`` a （一）
sub-heading, ``styled(role, text)`` a paragraph of another role than body text (STYLES of
compose.document, e.g. ``plain``). The unit's own words arrive as variables, never as template
source, and the loader has removed control characters from them, so they cannot forge a mark.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import jinja2

from ..numbers import chinese_number, money, pct
from ..profile import TEMPLATES
from .document import STYLES, Block, Heading, Paragraph

HEADING_MARK = "\x1e"
_TRAILING = "。；;，,、 \u3000"
_GAP = r"[：:，,\s]*"
# What a template writes before a unit's phrase, and the openings of the phrase that would
# repeat it: "主要原因是" + "主要是人员增加" must read "主要原因是人员增加".
_ECHOES = {
    "主要原因是": re.compile(rf"^(?:主要原因(?:是|为|在于)?|原因(?:是|为|在于)|主要是|主要由于|主要因为){_GAP}"),
    "用于": re.compile(rf"^(?:主要(?:是)?用于|用于|主要是){_GAP}"),
    "主要是": re.compile(rf"^(?:主要(?:是|为|有)){_GAP}"),      # not a bare 主要 (主要领导用车)
    "主要包括": re.compile(rf"^(?:主要包括|包括|主要有){_GAP}"),
}
_ECHOES["主要用于"] = _ECHOES["用于"]


def clause(text: str | None, lead: str = "") -> str:
    """A unit's phrase ready to sit inside our sentence after ``lead`` (the words the template
    writes before it): on one line, without an opening that repeats the lead, without a final 。"""
    t = re.sub(r"\s*\n\s*", "", (text or "").strip())    # a phrase never breaks a paragraph
    echo = _ECHOES.get(lead.rstrip("：:"))
    if lead and echo is None:
        raise ValueError(f"clause：未定义的引导词“{lead}”（可用：{'、'.join(_ECHOES)}）")
    while echo is not None and (m := echo.match(t)) and m.end():
        t = t[m.end():]
    return t.rstrip(_TRAILING)


def _money(value: Decimal | None) -> str:
    return money(value)


STYLE_MARK = "\x1f"


def h2(text: str) -> str:
    return f"\n{HEADING_MARK}2{text}\n"


def h3(text: str) -> str:
    return f"\n{HEADING_MARK}3{text}\n"


def styled(style: str, text: str) -> str:
    if style not in STYLES:
        raise ValueError(f"段落样式“{style}”未定义（可用：{'、'.join(STYLES)}）")
    return f"\n{STYLE_MARK}{style}{STYLE_MARK}{text}\n"


@lru_cache(maxsize=8)
def environment(wording_dir: str) -> jinja2.Environment:
    base = TEMPLATES / "wording"
    dirs = [base / wording_dir] if wording_dir != "default" else []
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(d) for d in dirs] + [str(base / "default")])]),
        autoescape=False,          # plain text; the HTML writer escapes it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(money=_money, pct=pct, clause=clause, cn=chinese_number)
    env.globals.update(h2=h2, h3=h3, styled=styled)
    return env


def render_section(template: str, facts: dict, wording_dir: str) -> list[Block]:
    text = environment(wording_dir).get_template(template).render(**facts)
    return text_to_blocks(text)


def text_to_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    for line in text.split("\n"):
        line = line.strip(" \t\r\u3000")   # not str.strip(): it would eat the heading mark
        if not line:
            continue
        if line.startswith(HEADING_MARK):
            level = int(line[1])
            blocks.append(Heading(level, line[2:].strip(), toc=level <= 2))
        elif line.startswith(STYLE_MARK):
            style, _, rest = line[1:].partition(STYLE_MARK)
            blocks.append(Paragraph(rest.strip(), style))
        else:
            blocks.append(Paragraph(line))
    return blocks
