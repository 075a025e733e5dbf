"""Render the 第三部分 wording templates into headings and paragraphs.

Templates live in templates/wording/<profile wording dir>/, falling back to
templates/wording/default/ (a profile overrides only the sections it words differently).
The templates produce plain text, not HTML: each non-empty line is one paragraph (Jinja's
trim_blocks makes blank lines after block tags unreliable, so they carry no meaning) and
``h3()`` marks a （一） sub-heading. The unit's own words arrive as variables, never as template
source, and the loader has removed control characters from them, so they cannot forge a
heading mark.
"""
from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

import jinja2

from ..numbers import money, pct
from ..profile import TEMPLATES
from .document import Block, Heading, Paragraph

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


def h3(text: str) -> str:
    return f"\n{HEADING_MARK}3{text}\n"


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
    env.filters.update(money=_money, pct=pct, clause=clause)
    env.globals.update(h3=h3)
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
            blocks.append(Heading(int(line[1]), line[2:].strip(), toc=False))
        else:
            blocks.append(Paragraph(line))
    return blocks
