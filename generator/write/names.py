"""Output file names: the unit's name and the report's title, made safe for any file system.

A name too long for a file system keeps the year and the kind of report (the title) and gives up
the end of the unit's name; rule U-NAME-LONG tells the user before a render.
"""
from __future__ import annotations

import re

from ..compose.report import attachments_file_title
from ..model import Unit
from ..profile import load_profile

NAME_BYTES = 200    # file systems allow 255 bytes a name; room for ".docx" and a temp suffix


def _clean_name(text: str) -> str:
    cleaned = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "", text).strip()
    return re.sub(r"\.{2,}", ".", cleaned).strip(". ")


def safe_filename(name: str, title: str = "", limit_bytes: int = NAME_BYTES) -> str:
    """A file name from a unit's name and the report's title: no path separators, no '..', no
    control characters, at most ``limit_bytes`` of UTF-8 (a CJK character takes 3). A name too long
    is shortened and the title kept whole, so the year and the kind of report stay in the name."""
    head, tail = _clean_name(name), _clean_name(title) if title else ""
    while head and len((head + tail).encode("utf-8")) > limit_bytes:
        head = head[:-1]
    out = head + tail
    while len(out.encode("utf-8")) > limit_bytes:      # a title alone too long (never in practice)
        out = out[:-1]
    return out or "未命名单位"


def stem_parts(unit: Unit, attachments_only: bool = False) -> tuple[str, str]:
    """(the unit's part, the title's part) of the output file name: "<单位名称>" and
    "2022年度部门决算公开"; for the 附件 on their own, their title (after the unit's name)."""
    profile = load_profile(unit.profile)
    if attachments_only or unit.only_attachments:
        title = attachments_file_title(unit, profile)
        return (unit.name, title[len(unit.name):]) if title.startswith(unit.name) else ("", title)
    return unit.name, profile.cover_title(unit.year, unit.kind_word)


def output_stem(unit: Unit, attachments_only: bool = False) -> str:
    """The file name (without extension): the unit's name and the report's title in its profile;
    for the 附件 on their own (a file of 附件 alone, or ``attachments_only``) their title."""
    return safe_filename(*stem_parts(unit, attachments_only))
