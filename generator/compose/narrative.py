"""Render the wording templates (第一部分, the 第三部分 sections, 第四部分, 第五部分) into
headings and paragraphs.

Templates live in templates/wording/<profile wording dir>/, falling back to the wording dirs of
the profiles it inherits (继承) and then templates/wording/default/ (a profile overrides only the
parts it words differently); the user's profile folders (search_path) are searched first for each
of these dirs. ``{% extends "!default/s09_sangong.j2" %}`` (or ``!shanghai/…``) names the built-in
template of that wording dir (falling back to built-in default/), so a user's template can extend it
and replace one ``{% block %}``. Templates render in a SandboxedEnvironment: a user's template
cannot reach Python's internals through the objects it is given.
The templates produce plain text, not HTML: each non-empty line is one paragraph (Jinja's
trim_blocks makes blank lines after block tags unreliable, so they carry no meaning);
``h2()`` marks a heading listed in the 目录 (“一、本部门（单位）职责”), ``h3()`` a （一）
sub-heading, ``styled(role, text)`` a paragraph of another role than body text (STYLES of
compose.document, e.g. ``plain``), ``row(cells, head)`` a row of a small table in the text (the
rows that follow each other make one table; the first is its head: 单位构成). The unit's own words arrive as variables, never as template
source, and the loader has removed control characters from them, so they cannot forge a mark.
"""
from __future__ import annotations

import re
from functools import lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .. import cache, search_path
from ..errors import InputError, Problem
from ..model import Source
from ..numbers import chinese_number, money, pct
from ..profile import TEMPLATES
from .document import STYLES, Block, Cell, Heading, Paragraph, Table

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


STYLE_MARK = "\x1f"
ROW_MARK = "\x1d"
CELL_SEP = "\x1c"


def h2(text: str) -> str:
    return f"\n{HEADING_MARK}2{text}\n"


def h3(text: str) -> str:
    return f"\n{HEADING_MARK}3{text}\n"


def styled(style: str, text: str) -> str:
    if style not in STYLES:
        raise ValueError(f"段落样式“{style}”未定义（可用：{'、'.join(STYLES)}）")
    return f"\n{STYLE_MARK}{style}{STYLE_MARK}{text}\n"


def row(cells: list, head: bool = False) -> str:
    """One row of a small table inside the text (单位构成: 序号 | 单位名称 | 备注)."""
    texts = [re.sub(r"\s+", " ", str(c if c is not None else "")).strip() for c in cells]
    return f"\n{ROW_MARK}{'h' if head else 'b'}{CELL_SEP.join(texts)}\n"


@lru_cache(maxsize=8)
def _defined(number_filter):
    """A number filter that names a fact the template's section lacks (StrictUndefined raises
    when printed) instead of failing on its type."""
    def checked(value, *args, **kwargs):
        if isinstance(value, jinja2.Undefined):
            str(value)
        return number_filter(value, *args, **kwargs)
    return checked


BUILTIN_PREFIX = "!"         # "!default/s09_sangong.j2": the built-in template of wording dir default


def wording_search(wording_dirs: tuple[str, ...]) -> list:
    """The folders a template name is looked up in, in order: for each wording dir (the profile's,
    those it inherits, default), each user folder's, then the built-in one. A user wording dir with
    a built-in dir's name is an error (the name would mean two things)."""
    base = TEMPLATES / "wording"
    out = []
    for name in dict.fromkeys((*wording_dirs, "default")):
        for folder in search_path.folders("wording", base):
            path = folder / name
            if path.is_dir():
                if folder != base and (base / name).is_dir():
                    raise InputError([Problem(Source(str(path)), search_path.clash_message("wording", name, path))])
                out.append(path)
    return out


def environment(wording_dirs: tuple[str, ...] | str = ("default",)) -> jinja2.Environment:
    """The Jinja environment of a profile's wording dirs (Profile.wording_dirs; one name: that dir,
    then default), for the roots as they are (search_path.key())."""
    dirs = (wording_dirs,) if isinstance(wording_dirs, str) else tuple(wording_dirs)
    return _environment(dirs, search_path.key())


@lru_cache(maxsize=8)
def _environment(wording_dirs: tuple[str, ...], key: tuple) -> jinja2.Environment:
    base = TEMPLATES / "wording"
    builtin = {f"{BUILTIN_PREFIX}{d.name}": jinja2.FileSystemLoader([str(d), str(base / "default")])
               for d in sorted(base.iterdir()) if d.is_dir()}
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader(builtin, delimiter="/"),
                                    jinja2.FileSystemLoader([str(d) for d in wording_search(wording_dirs)])]),
        autoescape=False,          # plain text; the HTML writer escapes it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        bytecode_cache=cache.jinja_bytecode_cache(),   # compiled templates kept between runs
    )
    env.filters.update(money=_defined(money), pct=_defined(pct), clause=clause, cn=chinese_number)
    env.globals.update(h2=h2, h3=h3, styled=styled, row=row)
    return env


def render_section(template: str, facts: dict, wording_dirs: tuple[str, ...] | str) -> list[Block]:
    text = environment(wording_dirs).get_template(template).render(**facts)
    return text_to_blocks(text)


def _cell_width(text: str) -> float:
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in text)


def _text_table(rows: list[tuple[bool, list[str]]]) -> Table:
    """A small table of the text: head rows centred and bold, widths from the longest cell."""
    ncols = max(len(cells) for _, cells in rows)
    grid = [cells + [""] * (ncols - len(cells)) for _, cells in rows]
    widths = [max(4.0, *(_cell_width(r[c]) for r in grid)) for c in range(ncols)]
    head = [[Cell(t, align="center", bold=True) for t in cells] for (h, _), cells in zip(rows, grid) if h]
    body = [[Cell(t, align="center" if c == 0 else "left") for c, t in enumerate(cells)]
            for (h, _), cells in zip(rows, grid) if not h]
    return Table(key="", label="", title="", meta_left="", meta_center="", meta_right="",
                 header=head, body=body, widths=widths, font_size=10.5)


# A line of its own such as “（1）预算绩效管理工作开展情况”: a numbered title, not a sentence (short,
# no sentence punctuation, no figures after its number) — printed as a sub-heading.
SUBHEADING = re.compile(r"^[（(]\d{1,2}[）)][^0-9。；;，,：:！？!?]{2,24}$")


def text_to_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    rows: list[tuple[bool, list[str]]] = []
    for line in text.split("\n"):
        line = line.strip(" \t\r\u3000")   # not str.strip(): it would eat the heading mark
        if line.startswith(ROW_MARK):
            rows.append((line[1] == "h", line[2:].split(CELL_SEP)))
            continue
        if not line:
            continue
        if rows:
            blocks.append(_text_table(rows))
            rows = []
        if line.startswith(HEADING_MARK):
            level = int(line[1])
            blocks.append(Heading(level, line[2:].strip(), toc=level <= 2))
        elif line.startswith(STYLE_MARK):
            style, _, rest = line[1:].partition(STYLE_MARK)
            blocks.append(Paragraph(rest.strip(), style))
        else:
            blocks.append(Paragraph(line, "subhead" if SUBHEADING.match(line) else "body"))
    if rows:
        blocks.append(_text_table(rows))
    return blocks
