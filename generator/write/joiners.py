"""Where a line may not break in body text: between an amount and its unit, inside 万元, after
the minus sign of a negative number. The page the PDF writer lays out puts U+2060 WORD JOINER there
(Unicode line breaking, UAX #14: no break on either side of it; zero width); the HTML a browser
shows (--format html, the preview) has none, so its text is the document's.

WeasyPrint (Pango) honours it and draws it as an empty glyph with no text of its own, so text
taken from the PDF (pdftotext, copy and paste) reads "12.34万元" as before. The Document keeps
the plain text.

The DOCX gets the same joiners (docx_writer.py), with two things LibreOffice needs to honour them
(measured with LibreOffice 7.4: without either, 2–13 breaks a report remained): the bound text
in a run of its own marked as English text (LibreOffice breaks Chinese text with rules of its own
that ignore U+2060), and no automatic space between Chinese and digits (styles.yaml ``autospace:
false``; with that space LibreOffice breaks beside it). The joiners are invisible, but they are in
the DOCX's text: text copied out of Word carries them, and a search for "12.34万元" typed without
them may not find it (a search for the number alone does).

Headings: ``keep`` joins the characters of a phrase the profile's 部分标题 end with (Document.
keep_together), so "…2024年度部门决算情况说明" breaks before the phrase, not inside a word; the
PDF outline takes the heading's plain text (data-label in report.html.j2).
"""
from __future__ import annotations

import re

WORD_JOINER = "\u2060"
# a digit and the unit after it; 万/亿/千 and the 元 after it; a minus sign and the digit after it
_BIND = re.compile(r"(?<=\d)(?=[亿万千]?元|[%％‰])|(?<=[亿万千])(?=元)|(?<=[-－−])(?=\d)")


def bind(text: str) -> str:
    """``text`` with a word joiner wherever a line must not break (see above)."""
    if not text:
        return text
    return _BIND.sub(WORD_JOINER, text)


# the last two characters of a table cell of three or more: "科目编 / 码" becomes "科目 / 编码"
_LAST_PAIR = re.compile(r"(?<=\S{2})(?<=[\u4e00-\u9fff）)])(?=[\u4e00-\u9fff][）)”」』]?$)")


def bind_cell(text: str) -> str:
    """``bind(text)`` for a table cell, whose last line also never holds a single character: a
    cell wraps "附属单位上缴 / 收入", not "附属单位上缴收 / 入" (the official tables never do)."""
    if not text:
        return text
    return _LAST_PAIR.sub(WORD_JOINER, bind(text), count=1)


KEEP_MAX = 12                         # a phrase kept whole must fit a line with room to spare


def keep(text: str, phrases) -> str:
    """``text`` with the last occurrence of each of ``phrases`` (up to KEEP_MAX characters) made
    unbreakable: a heading then breaks before "决算情况说明", not inside it."""
    for phrase in phrases:
        at = text.rfind(phrase)
        if at >= 0 and 1 < len(phrase) <= KEEP_MAX:
            text = text[:at] + WORD_JOINER.join(phrase) + text[at + len(phrase):]
    return text


def unbind(text: str) -> str:
    """``text`` without the joiners ``bind`` put in."""
    return text.replace(WORD_JOINER, "")
