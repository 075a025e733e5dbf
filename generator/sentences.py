"""The sentences of a report's narrative and the figures in them (issue 26): a published report's
printed sentences set against the sentences the profile composes from the report's own tables.

A sentence's *skeleton* is its text with every figure replaced by ``#`` (years, dates and list
numbers such as “2024年”, “12月31日”, “5、” are wording, not figures). A printed sentence and a
composed one with the same skeleton say the same thing about the same subject, and their figures
correspond one by one. Several composed sentences may share a skeleton (“年初预算为#万元，支出决
算为#万元。” follows each 项's name): the one after the same sentence (the same context) is taken,
else the one whose figures agree most — and then only when at least half of them agree, so that a
sentence is never set against a different subject's.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from decimal import Decimal
from typing import Callable, Iterable, Iterator

# a figure: digits with thousands separators and decimals, not part of a longer run of digits, and
# not a year, month, day or list number (“2024年”, “12月31日”, “5、”)
MAX_SENTENCES = 2000   # sentences with figures compared (a report has a few hundred; a damaged or hostile
#                        file cannot make the comparison cost more than this many)
NUMBER = re.compile(r"(?<![\d,.])\d[\d,]*(?:\.\d+)?(?![\d,.]|[年月日、])")
TERMINATORS = "。；！？"
ENDS = re.compile(f"(?<=[{TERMINATORS}])")
# the few characters a hand-made report may print in their ASCII form
SAME = str.maketrans({"％": "%", "(": "（", ")": "）", ":": "：", ";": "；"})


@dataclass(frozen=True)
class Sentence:
    text: str
    skeleton: str
    numbers: tuple[str, ...]
    context: str = ""          # the skeleton of the sentence before it in its paragraph
    page: int | None = None    # where a printed sentence starts
    place: str = ""            # the section a composed sentence is in


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text).translate(SAME)


def value(number: str) -> Decimal:
    return Decimal(number.replace(",", ""))


def split(paragraph: str, page: int | None = None, place: str = "") -> list[Sentence]:
    """The sentences of one paragraph, each with its skeleton, figures and context."""
    out: list[Sentence] = []
    context = ""
    for text in ENDS.split(flat(paragraph)):
        if not text:
            continue
        skeleton = NUMBER.sub("#", text)
        out.append(Sentence(text, skeleton, tuple(NUMBER.findall(text)), context, page, place))
        context = skeleton
    return out


def composed_sentences(paragraphs: Iterable[tuple[str, str]]) -> list[Sentence]:
    """The sentences of a composed report's (section heading, text) pairs (Document.section_texts)."""
    return [s for place, text in paragraphs for s in split(text, place=place)]


def index(sentences: Iterable[Sentence]) -> dict[str, list[Sentence]]:
    """Composed sentences with figures by skeleton (the key ``FUZZY`` holds them all, in order)."""
    out: dict[str, list[Sentence]] = {FUZZY: []}
    for s in sentences:
        if s.numbers:
            out.setdefault(s.skeleton, []).append(s)
            out[FUZZY].append(s)
    return out


FUZZY = "\0all"
LIKE = 0.8          # how alike two skeletons must be (difflib ratio) to be the same sentence worded apart
LEFT, RIGHT = 4, 2  # characters before and after a figure that must be alike for it to be compared


@lru_cache(maxsize=4096)
def pairs(printed: str, composed: str) -> tuple[tuple[int, int], ...]:
    """The figures of two skeletons that correspond: (index in ``printed``, index in ``composed``).
    The same skeleton: all of them. Skeletons worded a little apart (“完成年初预算的#%” against
    “完成年初预算数的#%”, at least ``LIKE`` alike): each figure whose ``LEFT`` characters before and
    ``RIGHT`` after (or the sentence's edge) are the same in both — a figure whose neighbouring
    words differ may be another subject's (“收入总计#”, “支出总计#”; “年初预算为#”, “全年预算为#”)
    and is left out."""
    if printed == composed:
        return tuple((k, k) for k in range(printed.count("#")))
    if abs(len(printed) - len(composed)) > len(composed) * (1 - LIKE) * 2:
        return ()
    sm = SequenceMatcher(None, printed, composed, autojunk=False)
    if sm.real_quick_ratio() < LIKE or sm.quick_ratio() < LIKE or sm.ratio() < LIKE:
        return ()
    out = []
    for i, j, n in sm.get_matching_blocks():
        for p in range(i, i + n):
            if printed[p] != "#":
                continue
            left = p - i >= LEFT or (i == 0 and j == 0)
            right = i + n - p - 1 >= RIGHT or (i + n == len(printed) and j + n == len(composed))
            if left and right:
                out.append((printed.count("#", 0, p), composed.count("#", 0, j + p - i)))
    return tuple(out)


def agreement(a: Sentence, b: Sentence, paired: Iterable[tuple[int, int]]) -> int:
    """How many of the ``paired`` figures the two sentences print alike."""
    return sum(1 for x, y in paired if value(a.numbers[x]) == value(b.numbers[y]))


def counterpart(printed: Sentence, by_skeleton: dict[str, list[Sentence]], printed_times: int = 1,
                decisive: Callable[[Sentence], set[int]] | None = None
                ) -> tuple[Sentence, tuple[tuple[int, int], ...]] | None:
    """The composed sentence that says what ``printed`` says and their corresponding figures, or
    None (see the module's text). ``printed_times``: how many printed sentences have this skeleton;
    ``decisive``: the figures of a candidate that may decide between candidates (all by default)."""
    candidates = [(c, pairs(printed.skeleton, c.skeleton)) for c in by_skeleton.get(printed.skeleton, ())]
    exact = bool(candidates)
    if not exact:
        candidates = [(c, p) for c in by_skeleton.get(FUZZY, ()) if (p := pairs(printed.skeleton, c.skeleton))]
    if not candidates:
        return None
    same = [cp for cp in candidates if cp[0].context == printed.context]
    if len(same) == 1 or (exact and len(candidates) == 1 and printed_times == 1):
        return (same or candidates)[0]          # the one sentence of the report that says this

    def agrees(cp) -> tuple[int, int]:
        c, paired = cp
        ks = [(x, y) for x, y in paired if decisive is None or y in decisive(c)]
        return agreement(printed, c, ks), len(ks)

    pool = same or candidates
    best = max(pool, key=lambda cp: agrees(cp)[0])
    agreed, of = agrees(best)
    if not of or 2 * agreed <= of:
        return None                    # no candidate clearly the same statement
    return best


def printed_sentences(printed: Iterable) -> list[Sentence]:
    """A published report's sentences (model.PrintedSentence: page, paragraph, text), each with the
    skeleton of the one before it in its paragraph as context; at most MAX_SENTENCES with figures."""
    out, before = [], {}
    counted = 0
    for s in printed:
        if counted >= MAX_SENTENCES:
            break
        text = flat(s.text)
        skeleton = NUMBER.sub("#", text)
        out.append(Sentence(text, skeleton, tuple(NUMBER.findall(text)), before.get(s.paragraph, ""), s.page))
        before[s.paragraph] = skeleton
        counted += bool(out[-1].numbers)
    return out


def counterparts(printed: list, paragraphs: Iterable[tuple[str, str]]) -> Iterator[tuple[Sentence, tuple[int, ...], tuple | None]]:
    """Each printed sentence with figures (model.PrintedSentence list), its figures not to compare
    (``unsure``), and its composed counterpart with the paired figures (or None), against the
    composed report's (section heading, text) pairs (rule P-TEXT, the audit's count of them)."""
    composed = index(composed_sentences(paragraphs))
    said = [(s, p.unsure) for s, p in zip(printed_sentences(printed), printed) if s.numbers]
    times = Counter(s.skeleton for s, _ in said)
    for s, unsure in said:
        yield s, unsure, counterpart(s, composed, times[s.skeleton])


def printed_paragraphs(lines: Iterable[tuple[int, str, bool]]) -> list[list[tuple[int, str]]]:
    """A printed narrative's paragraphs from its lines (page, text, indented): a line indented as a
    paragraph's first line opens one; each paragraph as (page, sentence) in order."""
    paragraphs: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []           # (page, line text) of the paragraph being read
    for page, text, indented in list(lines) + [(0, "", True)]:
        if indented and current:
            paragraphs.append(_sentences_of(current))
            current = []
        if text:
            current.append((page, text))
    return paragraphs


def _sentences_of(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    text, page = "", None
    for line_page, line in lines:
        for part in ENDS.split(flat(line)):
            if not part:
                continue
            if page is None:
                page = line_page
            text += part
            if part[-1] in TERMINATORS:
                out.append((page, text))
                text, page = "", None
    if text:
        out.append((page, text))
    return out
