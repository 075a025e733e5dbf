"""Names people type or upload, compared and shown without what only hides a difference.

A unit's name is compared by ``unit_key``: NFKC (full-width Latin letters and digits, compatibility
forms and the like count as their plain forms) with the invisible characters below removed. A
unit name holding such characters is refused outright (``unit_name_problem``): one that differs from
an existing unit only by them would look the same on every page and in every report. An uploaded
file's name loses them (``strip_invisible``) before it is stored or shown: a right-to-left override
can make "报表‮xslx.exe" read as "报表exe.xlsx".

Only the standard library: worker processes use it (work.check_upload compares the 单位名称 of an
upload with its unit's name by ``unit_key``).
"""
from __future__ import annotations

import unicodedata

# zero-width (U+200B–U+200F: space, non-joiner, joiner, LRM, RLM; U+2060 word joiner; U+FEFF BOM)
# and bidirectional controls (U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates)
INVISIBLE = frozenset([*range(0x200B, 0x2010), 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_DROP = {c: None for c in INVISIBLE}


def strip_invisible(text: str) -> str:
    return text.translate(_DROP)


def invisible_in(text: str) -> list[str]:
    """The invisible characters in ``text`` as U+XXXX, each once, in order."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in text if ord(c) in INVISIBLE))


def unit_key(name: str) -> str:
    """What two unit names are compared by."""
    return unicodedata.normalize("NFKC", strip_invisible(name)).strip()


def unit_name_problem(name: str) -> str | None:
    """Why ``name`` (stripped) cannot be a unit's name, or None."""
    shown = strip_invisible(name)
    if not name or len(name) > 200 or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "/\\" for c in name):
        return f"单位名称“{shown}”不可用：应为 1–200 个字符，不含控制字符和斜杠"
    hidden = invisible_in(name)
    if hidden:
        return (f"单位名称“{shown}”含有看不见的字符（{'、'.join(hidden)}，零宽或文字方向控制字符），"
                "会让两个看起来相同的名称成为两个单位：请删去后重新输入（从网页或文档复制的名称常带有这类字符）")
    if not unit_key(name).strip(". "):
        return f"单位名称“{name}”不可用：不能只由句点组成（如“.”“..”）"
    return None
