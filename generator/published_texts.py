"""The unit's own paragraphs of a published report read back from its PDF (issue 26): 职责 and
机构设置 of 第一部分, wherever the profile's wording places them.

Nothing here knows a region's headings: the report the profile composes is the guide. The unit
read from the PDF's tables is composed once more with a marker in place of each text; the blocks
just before and after a marker are fixed wording (a heading, the next heading or sentence), and
the PDF's lines between those two are the unit's text, split into paragraphs where a line is
indented as a paragraph's first line. A text whose neighbours the PDF does not print is not read
and is said (``unplaced``)."""
from __future__ import annotations

import re
from pathlib import Path

from .compose.document import Heading, Paragraph
from .compose.report import compose
from .derive.printed import publish
from .derive.totals import derive
from .errors import InputError
from .load.builder import Builder
from .load.pdf_text import Page
from .load.yaml_reader import Located
from .profile import Profile

# the texts read, each as (key path in the unit's data, its marker)
TEXTS = ((("概况", "职责"), "JSQMARKDUTY"), (("概况", "机构设置"), "JSQMARKORG"))
FOOTER = re.compile(r"[—－-]*\s*\d+\s*[—－-]*")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _guides(data: dict, path: Path) -> dict[tuple, tuple[str, str]]:
    """Each text's neighbours in the report composed with markers: {key path: (before, after)}."""
    probe = {k: v for k, v in data.items()}
    probe["概况"] = dict(data.get("概况") or {})
    for (section, key), marker in TEXTS:
        probe[section][key] = marker
    unit = Builder(Located(str(path), probe)).build()
    derived = derive(unit, _profile(unit))
    blocks = [b for b in compose(publish(derived), tables=False).blocks if isinstance(b, (Heading, Paragraph))]
    out = {}
    for key, marker in TEXTS:
        i = next((k for k, b in enumerate(blocks) if marker in b.text), None)
        if i is None or i == 0:
            continue
        after = blocks[i + 1].text if i + 1 < len(blocks) else ""
        out[key] = (_flat(blocks[i - 1].text), _flat(after))
    return out


def _profile(unit) -> Profile:
    from .profile import load_profile
    return load_profile(unit.profile)


def _between(pages: list[Page], before: str, after: str) -> list[str] | None:
    """The paragraphs printed between the line ``before`` and the line that starts ``after``."""
    lines = [(page, line) for page in pages for line in page.lines]
    texts = [_flat("".join(w.text for w in line)) for _, line in lines]
    head = after[:12]
    body: list = []
    found = False
    for start in (k for k, t in enumerate(texts) if t == before):    # the 目录 prints the heading too: the
        end = next((k for k in range(start + 1, len(texts)) if head and texts[k].startswith(head)), None)
        if end is None:                                               # occurrence with text after it is the one
            continue
        found = True
        body = [(page, line) for page, line in lines[start + 1:end]
                if not (FOOTER.fullmatch(_flat("".join(w.text for w in line))) and line[0].top > page.height * 0.85)]
        if body:
            break
    if not found:
        return None
    if not body:
        return []
    left = min(line[0].x0 for _, line in body)
    paragraphs: list[str] = []
    for _, line in body:
        text = "".join(w.text for w in line)
        if not paragraphs or line[0].x0 > left + 8:          # a first line's indent opens a paragraph
            paragraphs.append(text)
        else:
            paragraphs[-1] += text
    return paragraphs


def read_texts(pages: list[Page], data: dict, path: Path) -> list[str]:
    """Set the unit's own paragraphs found in ``pages`` into ``data``; return what was not placed."""
    try:
        guides = _guides(data, path)
    except (InputError, ValueError) as exc:
        return [f"说明文字没有读入：按读出的表组不成报告（{exc}）"]
    unplaced = []
    for key, _ in TEXTS:
        where = "".join(key[1:])
        if key not in guides:
            continue                                  # the profile prints no such text
        found = _between(pages, *guides[key])
        if found is None:
            unplaced.append(f"{where}：报告中找不到它前后的文字（“{guides[key][0][:20]}”），没有读入")
        elif found:
            data.setdefault(key[0], {})[key[1]] = "\n".join(found)
    return unplaced
