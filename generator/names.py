"""Output file names: the unit's name and the report's title, made safe for any file system.

A name too long for a file system keeps the year and the kind of report (the title) and gives up
the end of the unit's name, marked by "…" and a short digest of the whole name, so two long names
that begin alike still get different files; rules U-NAME-LONG and U-NAME-SIZE tell the user
before a render. A draft's files end in "-草稿", those of a unit forced past failed checks in
"-未通过检查": neither can overwrite, or pass for, the final report. Document properties (the DOCX
core properties, the PDF's title) are cut to ``PROPERTY_CHARS``.
"""
from __future__ import annotations

import hashlib
import re

from .profile import attachments_file_title
from .model import Unit
from .profile import load_profile

NAME_BYTES = 200    # file systems allow 255 bytes a name; room for ".docx" and the suffixes below
DRAFT_SUFFIX = "-草稿"             # render --draft, the workspace's draft downloads
FAILED_SUFFIX = "-未通过检查"       # render --force of a unit whose checks found errors
PROPERTY_CHARS = 255               # a DOCX core property holds at most 255 characters


def _clean_name(text: str) -> str:
    cleaned = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "", text).strip()
    return re.sub(r"\.{2,}", ".", cleaned).strip(". ")


def safe_filename(name: str, title: str = "", limit_bytes: int = NAME_BYTES) -> str:
    """A file name from a unit's name and the report's title: no path separators, no '..', no
    control characters, at most ``limit_bytes`` of UTF-8 (a CJK character takes 3). A name too long
    is shortened and the title kept whole, so the year and the kind of report stay in the name."""
    head, tail = _clean_name(name), _clean_name(title) if title else ""
    room = limit_bytes - len(tail.encode("utf-8"))
    out = _cut(head, room) + tail if room > 0 else _cut(tail, limit_bytes)   # a title alone too long: never in practice
    return out or "未命名单位"


def _cut(text: str, limit_bytes: int) -> str:
    """The longest beginning of ``text`` of at most ``limit_bytes`` of UTF-8 (whole characters)."""
    return text.encode("utf-8")[:max(limit_bytes, 0)].decode("utf-8", "ignore")


def fitted_stem(head: str, tail: str, limit_bytes: int = NAME_BYTES) -> str:
    """``safe_filename(head, tail)``; when ``head`` (a unit's name) has to be cut, the cut is marked
    "…（digest）", a digest of the whole name, so different names never share a file name."""
    if len((_clean_name(head) + (_clean_name(tail) if tail else "")).encode("utf-8")) <= limit_bytes:
        return safe_filename(head, tail, limit_bytes)
    digest = hashlib.sha256(head.encode("utf-8")).hexdigest()[:6]
    return safe_filename(head, f"…（{digest}）{tail}", limit_bytes)


def kept_chars(head: str, tail: str) -> int:
    """How many characters of the (cleaned) unit's name ``head`` its file name keeps."""
    stem, clean = fitted_stem(head, tail), _clean_name(head)
    return len(clean) if stem.startswith(clean) else len(stem.partition("…（")[0])


def property_text(text: str, limit: int = PROPERTY_CHARS) -> str:
    """``text`` for a document property: at most ``limit`` characters; a longer text keeps its
    beginning and its last 30 characters (the year and the kind of report), "…" between."""
    if len(text) <= limit:
        return text
    return text[: limit - 31] + "…" + text[-30:]


def stem_parts(unit: Unit, attachments_only: bool = False) -> tuple[str, str]:
    """(the unit's part, the title's part) of the output file name: "<单位名称>" and
    "2022年度部门决算公开"; for the 附件 on their own, their title (after the unit's name)."""
    profile = load_profile(unit.profile)
    if attachments_only or unit.only_attachments:
        title = attachments_file_title(unit, profile)
        return (unit.name, title[len(unit.name):]) if title.startswith(unit.name) else ("", title)
    return unit.name, profile.cover_title(unit.year, unit.kind_word)


def output_stem(unit: Unit, attachments_only: bool = False, draft: bool = False, failed: bool = False) -> str:
    """The file name (without extension): the unit's name and the report's title in its profile;
    for the 附件 on their own (a file of 附件 alone, or ``attachments_only``) their title. A draft
    ends in DRAFT_SUFFIX, a report forced past failed checks (``failed``) in FAILED_SUFFIX."""
    return (fitted_stem(*stem_parts(unit, attachments_only)) + (DRAFT_SUFFIX if draft else "")
            + (FAILED_SUFFIX if failed else ""))
