"""The unit's own words in a published report read back from its PDF (issue 26): the paragraphs of
第一部分 (职责, 机构设置) and the clauses of 第三部分 the unit writes into the profile's sentences (the
原因 of each change, 人员经费、公用经费说明, 其他事项), wherever the profile's wording places them.

Nothing here knows a region's headings or sentences: the report the profile composes is the guide.
The unit read from the PDF's tables is composed once more with a marker in place of each text (and,
when the data has none, any 上年 figures, so that the sentences comparing with last year and their
原因 are printed). A marker alone in its paragraph: the blocks before and after it are fixed wording
(a heading, the next heading), and the PDF's lines between them are the unit's text, split where a
line is indented as a paragraph's first line. A marker inside a sentence: the words just before and
after it (figures left out: they differ) are found in the PDF under the same heading, and what is
printed between them is the unit's clause — unless it is what the profile prints there when a unit
writes nothing (the report composed without the texts says so). A text whose neighbours the PDF
does not print is not read (a paragraph is said in ``unplaced``)."""
from __future__ import annotations

import copy
import re
from pathlib import Path

from .compose.document import Heading, Paragraph
from .compose.report import compose
from .derive.printed import publish
from .derive.totals import Derived, derive
from .errors import InputError
from .load.builder import Builder
from .load.pdf_text import Page, line_text
from .load.yaml_reader import Located
from .numbers import ZERO
from .profile import Profile

# the texts read, each a key path in the unit's data: whole paragraphs (第一部分), and the unit's clauses
# inside the profile's sentences (第三部分: 原因、说明); those of each 科目 (类说明) and each 三公 item are
# added per report (``_texts``)
TEXTS = (("概况", "职责"), ("概况", "机构设置"),
         *(("情况说明", key) for key in (
             "收入支出变动原因", "财政拨款收支变动原因", "一般公共预算支出变动原因", "预决算差异原因", "人员经费说明",
             "公用经费说明", "机关运行经费变动原因", "其他事项")),
         ("情况说明", "三公经费", "变动原因"), ("情况说明", "国有资产", "其他用车说明"),
         *(("情况说明", "三公经费", kind, "说明") for kind in ("国内接待", "外事接待", "国境外接待")),
         *(("情况说明", "预算绩效", key) for key in ("制度", "项目层级", "说明")))
LAST_YEAR_KEYS = ("收入总计", "支出总计", "财政拨款收入总计", "财政拨款支出总计", "一般公共预算财政拨款支出", "机关运行经费")
CONTEXT = 10            # characters of fixed wording taken on each side of a clause's marker
MAX_PARAGRAPH = 5000    # characters: a printed paragraph longer than this is not searched for a clause
PERF_TEXT = ("情况说明", "预算绩效", "说明")
MARKER = re.compile(r"JSQMARK\w+?Q|JSQMARK[A-Z]+")
NOT_WORDING = re.compile(r"[\d,.%％]+")        # figures differ between the probe and the report: not context


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def printed_of(data: dict, path: Path) -> Derived:
    """The report's figures as printed for the unit data ``data`` (read from ``path``)."""
    unit = Builder(Located(str(path), data)).build()
    return publish(derive(unit, _profile(unit)))


def _blocks(data: dict, path: Path) -> list:
    return [b for b in compose(printed_of(data, path), tables=False).blocks if isinstance(b, (Heading, Paragraph))]


def _texts(data: dict, path: Path) -> tuple[list[tuple[tuple, str]], dict[str, object]]:
    """Every text read from this report, each with its marker: TEXTS, and the 用途 and 原因 of
    each 科目 of the 一般公共预算财政拨款支出决算表 and of each 三公 item of the profile; and each
    三公 item's 决算数 (what a 持平 上年 equals)."""
    unit = Builder(Located(str(path), data)).build()
    d = derive(unit, _profile(unit))
    codes = [r.code for r in d.gp_expense_table.rows if r.code.isdigit()]
    keys = [*TEXTS, *(("情况说明", "类说明", c, k) for c in codes for k in ("用途", "变动原因")),
            *(("情况说明", "三公经费", item, k) for item in d.profile.sangong.leaves for k in ("用途", "变动原因"))]
    actual = {("三公经费", item): d.sangong["决算数"].get(item) or ZERO for item in d.profile.sangong.leaves}
    actual.update({("一般公共预算财政拨款支出按类", r.code): r.total or ZERO for r in d.gp_expense_table.classes})
    return [(key, f"JSQMARK{k}Q") for k, key in enumerate(keys)], actual


def set_path(data: dict, key: tuple, value) -> None:
    """``value`` at the key path ``key`` of ``data`` (mappings made on the way)."""
    node = data
    for part in key[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[key[-1]] = value


def _guides(data: dict, path: Path, texts: list[tuple[tuple, str]],
            last_year: dict[tuple, object] | None = None, counted: bool = False,
            perf_text: bool = False) -> tuple[dict[tuple, tuple], list]:
    """Each text's place in the report composed with markers: {key path: ("paragraph", before,
    after)} for a whole paragraph (the blocks around it), {key path: ("clause", heading, next
    heading, words before, words after)} for a clause inside a sentence; and the blocks of the
    report composed without any of the texts (what the profile prints when a unit writes none).
    The figures the data lacks are given any value, so that the sentences holding the texts are
    printed: 上年 (the comparisons with last year and their 原因; ``last_year``: the value of each
    三公 item's and 类's 上年 the data lacks, else 1) and, when the data has no budget, each 类's 年初预算;
    ``counted``: the self-evaluations a 项目数 (the profile's sentence of them, with its 项目层级, printed);
    ``perf_text``: 预算绩效 one text, its 说明 (the profile prints no sentence of its own there, though
    the unit has 自评表)."""
    probe = copy.deepcopy(data)
    for key, marker in texts:
        set_path(probe, key, marker)
    if not probe.get("上年数据文件"):
        # any 上年 figure the data lacks: the sentences comparing with last year (and the 原因 they give)
        # are printed; their figures are not used as context
        last = probe["上年"] = dict(probe.get("上年") or {})
        for k in LAST_YEAR_KEYS:
            last.setdefault(k, 1)
        items = [k[2] for k, _ in texts if k[:2] == ("情况说明", "三公经费") and len(k) == 4 and k[3] == "变动原因"]
        for group, names in (("三公经费", items),
                             ("一般公共预算财政拨款支出按类", [k[2] for k, _ in texts if k[1] == "类说明" and len(k[2]) == 3])):
            last[group] = {**{name: 1 for name in names}, **(last.get(group) or {})}
        given = data.get("上年") or {}
        for (group, name), v in (last_year or {}).items():
            if name not in (given.get(group) or {}):
                last.setdefault(group, {})[name] = v
    perf = probe.get("情况说明", {}).get("预算绩效")
    if perf_text and isinstance(perf, dict) and perf.get("说明"):
        probe["情况说明"]["预算绩效"] = perf = perf["说明"]
    if counted and isinstance(perf, dict) and perf.get("自评项目数") is None:
        perf["自评项目数"] = 1                # the sentence of the self-evaluations (and its 项目层级) is printed
    if not probe.get("年初预算") and not probe.get("全年预算"):
        classes = {k[2] for k, _ in texts if k[1] == "类说明" and len(k[2]) == 3}
        probe["年初预算"] = {"一般公共预算财政拨款支出": {c: 1 for c in sorted(classes)}}
    blocks = _blocks(probe, path)
    out: dict[tuple, tuple] = {}
    for key, marker in texts:
        i = next((k for k, b in enumerate(blocks) if marker in b.text), None)
        if i is None or i == 0:
            continue
        text = blocks[i].text
        if text.strip() == marker:
            after = blocks[i + 1].text if i + 1 < len(blocks) else ""
            out[key] = ("paragraph", _flat(blocks[i - 1].text), _flat(after))
            continue
        head = next((_flat(b.text) for b in reversed(blocks[:i]) if isinstance(b, Heading)), "")
        nxt = next((_flat(b.text) for b in blocks[i + 1:] if isinstance(b, Heading)), "")
        whole, _, after = _flat(text).partition(marker)
        before = re.split(MARKER.pattern + "|" + NOT_WORDING.pattern, whole)[-1][-CONTEXT:]
        after = (re.split(MARKER.pattern + "|" + NOT_WORDING.pattern, after + "\n")[0])[:CONTEXT]
        if head and before and after:
            first = max((k for k in range(i) if isinstance(blocks[k], Heading)), default=0)
            last = next((k for k in range(i + 1, len(blocks)) if isinstance(blocks[k], Heading)), len(blocks))
            section = "".join(_flat(b.text) for b in blocks[first:last])     # under the same heading
            # the words just before the clause say which it is unless they recur (“决算数小于预算数的主要原因：”
            # after each 项): then as many sentences before it as make it one of a kind, their figures and
            # the other clauses left open
            prefix = _unique_prefix(whole, section) if section.count(before) > 1 else None
            if prefix == "":
                continue                    # not even its whole paragraph says which it is: not read
            out[key] = ("clause", head, nxt, before, after, prefix)
    bare = copy.deepcopy(data)          # without any of the texts (an earlier reading may have set some)
    for key, _ in texts:
        node = bare
        for part in key[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(key[-1], None)
    return out, _blocks(bare, path), blocks


FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _first_sentence(text: str) -> str:
    """A paragraph's words up to its first 。 (the words a generated paragraph surely starts with)."""
    return text.split("。", 1)[0]


def _unique_prefix(whole: str, section: str) -> str:
    """The fewest sentences of ``whole`` (a paragraph up to a clause) that occur once in ``section``,
    as a pattern (``_prefix``); "" when even the whole paragraph recurs."""
    parts = [p for p in re.split("(?<=[。；])", whole) if p]
    for n in range(1, len(parts) + 1):
        pattern = _prefix("".join(parts[-n:]))
        if len(re.findall(pattern, section)) == 1:
            return pattern
    return ""


def _prefix(text: str) -> str:
    """A paragraph's words up to a clause as a pattern: figures and other clauses may be anything.
    Another clause is anything up to the words that follow it, taken at once (no backtracking:
    a printed paragraph never makes the match slower than its length times the pattern's)."""
    parts = [p for p in re.split(f"({MARKER.pattern}|{FIGURE.pattern})", text) if p]
    out = []
    for k, p in enumerate(parts):
        if MARKER.fullmatch(p):
            nxt = parts[k + 1] if k + 1 < len(parts) else ""
            stop = r"\d" if not nxt or FIGURE.fullmatch(nxt) else re.escape(nxt[:6])
            out.append(f"(?:(?!{stop})[^\n])*+")
        else:
            out.append(r"[\d,.]++" if FIGURE.fullmatch(p) else re.escape(p))
    return "".join(out)


def _profile(unit) -> Profile:
    from .profile import load_profile
    return load_profile(unit.profile)


def _between(pages: list[Page], before: str, after: str) -> list[str] | None:
    """The paragraphs printed between the lines ending ``before`` (a heading's line, or the lines of
    a whole paragraph; as ``_prefix`` matches it) and the line that starts ``after``; [] when the report does not print
    ``before`` at all (a section a unit without the text leaves out), None when it does but not
    ``after`` below it."""
    lines = [(page, line) for page in pages for line in page.lines if not page.is_footer(line)]
    texts = [line_text(line) for _, line in lines]
    ends: dict[int, int] = {}                    # offset in the joined text -> index of the line ending there
    offset = 0
    for k, t in enumerate(texts):
        offset += len(t)
        ends[offset] = k
    joined = "".join(texts)
    # the paragraph before as composed with markers: another text and the figures may be anything;
    # tried only where a line opens with its first words (one pass over the text each)
    starts = []
    if before:
        pattern = re.compile(_prefix(before))
        head = re.split(f"{MARKER.pattern}|{FIGURE.pattern}", before)[0][:12]
        for at in [0, *ends]:
            if at < len(joined) and joined.startswith(head, at):
                m = pattern.match(joined, at)
                if m and m.end() in ends:
                    starts.append(ends[m.end()])
    head = after[:12]
    body: list = []
    found = False
    for start in starts:                         # the 目录 prints the heading too: the occurrence with
        end = next((k for k in range(start + 1, len(texts)) if head and texts[k].startswith(head)), None)
        if end is None:                          # text after it is the one
            continue
        found = True
        body = lines[start + 1:end]
        if body:
            break
    if not found:
        return None if starts else []
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


def _lines(pages: list[Page]) -> list[str]:
    """Every line's text, without page numbers; a line indented as a paragraph's first line
    starts with "\n" (a clause at a paragraph's end is then followed by "。\n")."""
    out = []
    for page in pages:
        body = page.body()
        left = min((line[0].x0 for line in body), default=0)
        out += [("\n" if line[0].x0 > left + 8 else "") + line_text(line) for line in body]
    return out


def _clause(lines: list[str], head: str, nxt: str, before: str, after: str, prefix: str | None) -> str | None:
    """The words printed between ``before`` and ``after`` (the nearest ``before``; or, when
    ``prefix`` is given, after the paragraph's words it matches) in the section under ``head``,
    or None."""
    if prefix is not None:
        pattern = re.compile(prefix + "([^\n]+?)" + re.escape(after))
    else:
        pattern = re.compile(re.escape(before) + "((?:(?!" + re.escape(before) + ").)+?)" + re.escape(after))
    for start in (k for k, t in enumerate(lines) if t.lstrip("\n") == head):
        end = next((k for k in range(start + 1, len(lines)) if nxt and lines[k].lstrip("\n").startswith(nxt[:12])),
                   len(lines))
        # a clause does not run over a paragraph's end: each paragraph is searched on its own, and one
        # longer than a report's paragraph ever is (a damaged or hostile file) is not searched at all
        for paragraph in "".join(lines[start + 1:end]).split("\n"):
            if len(paragraph) > MAX_PARAGRAPH:
                continue
            m = pattern.search(paragraph + "\n")
            # found after a paragraph's words, a clause does not run over a sentence's end either
            if m and not (prefix and "。" in m.group(1) and not after.startswith("。\n")):
                return m.group(1)
    return None


def read_texts(pages: list[Page], data: dict, path: Path) -> list[str]:
    """Set the unit's own paragraphs found in ``pages`` into ``data``; return what was not placed."""
    try:
        texts, actual = _texts(data, path)
        guides, plain, _ = _guides(data, path, texts)
        counted, _, counted_blocks = _guides(data, path, texts, counted=True)
        # the 原因 of each 三公 item and 类 is worded by the direction of its change: 持平, then 减少 …
        perf_text = _guides(data, path, texts, perf_text=True)[0]
        # … and that of a 类 or item new this year (上年 0: 增加, no rate)
        others = [counted, _guides(data, path, texts, actual)[0],
                  _guides(data, path, texts, {k: 2 * v + 1 for k, v in actual.items()})[0], perf_text,
                  _guides(data, path, texts, {k: 0 for k in actual})[0]]
    except (InputError, ValueError) as exc:
        return [f"说明文字没有读入：按读出的表组不成报告（{exc}）"]
    plain_lines = ["\n" + _flat(b.text) for b in plain]
    # the paragraphs the profile itself prints (its sentences, figures and clauses left open): never
    # a unit's paragraph, though they stand between the same headings when the data lacks their figures
    generated = [re.compile(_prefix(_first_sentence(_flat(b.text)))) for b in counted_blocks
                 if isinstance(b, Paragraph) and len(MARKER.sub("", NOT_WORDING.sub("", _first_sentence(_flat(b.text))))) >= 12]
    lines = _lines(pages)
    unplaced = []
    for key, _ in texts:
        where = ".".join(key[1:])
        first = next((g[key] for g in (guides, *others) if key in g), None)
        if first is None:
            continue                                  # the profile prints no such text
        kind, *guide = first
        if kind == "clause":
            clause = _clause(lines, *guide)
            for other in others:
                if clause is None and other.get(key, (None,))[0] == "clause":
                    guide = other[key][1:]
                    clause = _clause(lines, *guide)
            # what the profile prints there when a unit writes nothing is not the unit's text
            if clause and _clause(plain_lines, *guide) != clause:
                set_path(data, key, clause)
            continue                                  # a clause the report does not print: nothing to read
        found = _between(pages, *guide)
        for other in others:
            if not found and other.get(key, (None,))[0] == "paragraph":
                found = _between(pages, *other[key][1:]) or found
                if found and other is perf_text and key == PERF_TEXT:     # 预算绩效 as one text
                    set_path(data, key[:-1], "\n".join(found))
                    found = []
        if found:
            found = [p for p in found if not any(g.match(_flat(p)) for g in generated)]
        if found is None:
            unplaced.append(f"{where}：报告中找不到它前后的文字（“{guide[0][:20]}”），没有读入")
        elif found:
            set_path(data, key, "\n".join(found))
    return unplaced
