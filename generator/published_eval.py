"""A 部门整体支出绩效评价报告 read back from a published PDF (issue 26): the last kind of 附件.

The report is the profile's wording (templates/wording/…/a_report_*.j2) around the evaluator's
texts, with 表1 年度绩效目标表 between. Nothing of that wording is written here: a probe report is
composed (this module composes, so it is not in load) with a marker in each text, twelve items
in each list (经验做法, 问题, 建议), distinct values in each figure and the first problems citing
each ratio; its paragraphs then say what the PDF's paragraphs are:

- a paragraph of wording alone (a heading: 摘要, 一、概述要素 …) is found in the PDF as it is; a
  section the report leaves out is skipped;
- a paragraph that is one marker (引言, 部门概况 …) is every PDF paragraph up to the next heading;
- a list runs to the next heading: a paragraph not indented opens an item (its title, less the
  numbering the wording prints for that item), the indented ones after it are its content; a
  problem's content that opens with a ratio's sentence cites that ratio (the sentence is the
  wording's, its figures the report's);
- a paragraph of wording with figures (资金收支, 评分结论, a ratio's sentence) is a pattern whose
  groups are its figures, the evaluator's words and the year.

表1 is read cell by cell (``load/pdf_grid``) by the layout's labels; the cover by its labels
(实施单位：…). What does not fit is said, not guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .compose.document import Paragraph, Heading, TitlePage
from .errors import InputError
from .layout import Layout, load_layout
from .load.pdf_forms import Annex, FormCells, OtherForm, squeezed
from .load.pdf_grid import cells, join_lines, paragraphs
from .load.pdf_text import line_text
from .profile import Profile
from .ratios import REPORT_RATIOS

ITEMS = 12                     # items of each list in the probe: a report with more is read up to these
YEAR = 1999                    # the probe's year: found where the wording prints the year
FUNDS = {"年初预算": "1101.01", "调整后预算": "2202.02", "支出决算": "3303.03", "基本支出": "1404.04",
         "项目支出": "1899.99"}
PURCHASE = ("5505.05", "6606.06", "7707.07", "8808.08")   # 政府采购 预算 by kind (up to four kinds)
SPENT = "9909.09"
SCORE = "87.5"
NUMBER = r"-?\d[\d,]{0,20}(?:\.\d{1,6})?"
WORDS = r"[^、，。；：“”]{1,200}?"     # the evaluator's words inside a sentence of wording (a unit, a 方面, a kind):
#                                    no sentence mark, so several of them in a pattern cannot backtrack far
MIN_HEADINGS = 3                     # of the wording's own headings (摘要, 一、概述要素 …) a report prints at least
MAX_PARAGRAPH = 5000                 # characters: a longer paragraph is no sentence of wording


def _m(name: str) -> str:
    return f"JSQE{name}Q"


def _probe_data(profile: Profile, aspects: int = 2, kinds: int = 2, parts: bool = True) -> dict:
    """A unit of the 评价报告 alone, every text a marker, every figure a distinct value."""
    lists = {key: [{"标题": _m(f"{key}{k}T"), "内容": _m(f"{key}{k}X")} for k in range(ITEMS)]
             for key in ("经验做法", "问题", "建议")}
    for ratio, problem in zip(REPORT_RATIOS, lists["问题"]):
        problem["比率"] = ratio
    funds = {k: Decimal(v) for k, v in FUNDS.items() if parts or k not in ("基本支出", "项目支出")}
    return {"单位名称": _m("UNIT"), "年度": YEAR, "模板": profile.name, "附件": [{"名称": _m("TITLE"), "评价报告": {
        "版式": profile.report_layout, "实施单位": _m("IMPL"), "委托单位": _m("CLIENT"), "评价机构": _m("EVAL"),
        "日期": _m("DATE"), "引言": _m("INTRO"), "部门概况": _m("OVER"),
        "绩效目标": {"引言": _m("GOALS")},
        "资金": funds,
        "政府采购": {"预算": {_m(f"KIND{k}"): Decimal(PURCHASE[k]) for k in range(kinds)}, "执行": Decimal(SPENT)},
        "评分": {"得分": Decimal(SCORE), "方面": [_m(f"ASPECT{k}") for k in range(aspects)]},
        **lists}}]}


class Probe:
    """The profile's probe reports, each variant composed once while one report is read (not
    longer: the wording templates may be edited while a server runs)."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.composed: dict[tuple, list[tuple[str, str]]] = {}

    def blocks(self, **variant) -> list[tuple[str, str]]:
        key = tuple(sorted(variant.items()))
        if key not in self.composed:
            self.composed[key] = _blocks(self.profile, **variant)
        return self.composed[key]


def _blocks(profile: Profile, **variant) -> list[tuple[str, str]]:
    """The probe report's paragraphs after its title page: (style, text); a table as ("table", "")."""
    from .compose.document import Table
    from .compose.report import compose
    from .published_texts import printed_of
    doc = compose(printed_of(_probe_data(profile, **variant), Path("probe.yaml")), tables=False)
    out: list[tuple[str, str]] = []
    started = False
    for b in doc.blocks:
        if isinstance(b, TitlePage):
            started, out = True, []
        elif started and isinstance(b, (Paragraph, Heading)):
            out.append((getattr(b, "style", "") or "heading", b.text))
        elif started and isinstance(b, Table):
            out.append(("table", ""))
    return out


MARK = re.compile(r"JSQE(\w+?)Q")


def _pattern(text: str, grades: tuple[str, ...] = ()) -> re.Pattern:
    """A composed paragraph as a pattern: each marker a group of words (m_NAME), each probe figure
    a group named by its place, the year a group, any other figure (a rate) any figure, a grade
    (“良”: ``grades``) a group."""
    named = {**{v: f"f_{k}" for k, v in FUNDS.items()}, **{v: f"p{k}" for k, v in enumerate(PURCHASE)},
             SPENT: "spent", SCORE: "score", str(YEAR): "year"}
    graded = {f"“{g}”" for g in grades}
    out, seen = [], set()
    alternatives = "|".join([r"JSQE\w+?Q", NUMBER, *map(re.escape, sorted(graded, key=len, reverse=True))])
    for part in re.split(f"({alternatives})", squeezed(text)):
        if not part:
            continue
        if part in graded and "grade" not in seen:
            out.append("“(?P<grade>[^”]+)”")
            seen.add("grade")
        elif m := MARK.fullmatch(part):
            out.append(f"(?P<m_{m.group(1)}>{WORDS})")
        elif re.fullmatch(NUMBER, part):
            name = named.get(part)
            if name and name not in seen:
                out.append(f"(?P<{name}>{NUMBER})")
                seen.add(name)
            else:
                out.append(NUMBER)
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def _number(text: str) -> Decimal:
    """A figure the pattern's group took (a digit first, commas, at most six places: always one)."""
    return Decimal(text.replace(",", ""))


class _Reader:
    """The PDF's paragraphs, read in order."""

    def __init__(self, body: list[tuple[bool, str]]):
        self.p = body
        self.i = 0

    def find(self, text: str) -> int | None:
        want = squeezed(text)
        return next((k for k in range(self.i, len(self.p)) if squeezed(self.p[k][1]) == want), None)

    def until_heading(self, fixed: list[str]) -> int:
        """Where the next of the probe's own paragraphs (``fixed``) is printed (or the end)."""
        keys = {squeezed(t) for t in fixed}
        return next((k for k in range(self.i, len(self.p)) if squeezed(self.p[k][1]) in keys), len(self.p))


def _items(paras: list[tuple[bool, str]], prefixes: list[str]) -> list[tuple[str, list[str]]]:
    """A list's paragraphs as items: a paragraph not indented is an item's title (less the item's
    numbering), the indented ones after it its content."""
    items: list[tuple[str, list[str]]] = []
    split: list[tuple[bool, str]] = []
    for indented, text in paras:           # a title after a last line that filled its line: by its numbering
        parts = [text]
        for prefix in prefixes:
            if prefix and (at := parts[-1].find(prefix, 1)) > 0 and parts[-1][at - 1] in "。；！？":
                parts[-1:] = [parts[-1][:at], parts[-1][at:]]
        split += [(indented if k == 0 else False, t) for k, t in enumerate(parts)]
    for indented, text in split:
        if not indented or not items:
            k = len(items)
            prefix = prefixes[k] if k < len(prefixes) else ""
            title = text[len(prefix):] if prefix and text.startswith(prefix) else ("" if indented else text)
            items.append((title, [] if not indented else [text]))
        else:
            items[-1][1].append(text)
    return items


@dataclass
class ReadReport:
    form: dict                  # the 评价报告 mapping
    title: str                  # the title its cover prints
    year: int | None            # the year its wording prints
    notes: list[str]


def other_forms(profile: Profile):
    """For ``load/pdf_forms.read_forms``: a reader of the 附件 that are this profile's 评价报告."""
    def read(annex: Annex) -> OtherForm | None:
        got = read_eval_report(annex, profile)
        return None if got is None else OtherForm("评价报告", got.form, got.notes, got.year, got.title)
    return read


def read_eval_report(annex: Annex, profile: Profile) -> ReadReport | None:
    """The 附件 ``annex`` (its first page the title page) read as the profile's 评价报告; None when its
    pages are not one (the cover's labels)."""
    if not profile.report_layout:
        return None
    layout = load_layout(profile.report_layout)
    lab: dict[str, str] = layout.form["标签"]
    cover = [line_text(line) for line in annex.pages[0].body()]
    labelled = {key: next((t[len(squeezed(lab[key])) + 1:] for t in cover if squeezed(t).startswith(squeezed(lab[key]) + "：")), None)
                for key in ("实施单位", "委托单位", "评价机构")}
    if labelled["实施单位"] is None:
        return None
    try:
        probe = Probe(profile)
        blocks = probe.blocks()
    except (InputError, ValueError):
        return None
    first_label = next(k for k, t in enumerate(cover) if squeezed(t).startswith(squeezed(lab["实施单位"])))
    last_label = max(k for k, t in enumerate(cover) if any(squeezed(t).startswith(squeezed(lab[key]) + "：") for key in labelled))
    heading = 1 if cover and re.match(r"附件\s*\d+\s*[：:]", cover[0]) else 0
    out: dict = {key: v for key, v in labelled.items() if v}
    if last_label + 1 < len(cover):
        out["日期"] = "".join(cover[last_label + 1:])
    title = "".join(cover[heading:first_label])
    lines = []
    for page in annex.pages[1:]:
        lines += [(line[0].x0, line[-1].x1, line_text(line)) for line in cells(page)[1]]
    if not lines:
        return None
    left, right = min(x for x, _, _ in lines), max(x for _, x, _ in lines)
    body = paragraphs(lines, left + 2, right - 2)
    notes, headings = _read_body(blocks, body, out, probe)
    if headings < MIN_HEADINGS:            # a page of “实施单位：…” that is no report of this wording
        return None
    year = out.pop("年度", None)
    goals = _table(FormCells(annex.pages[1:]), layout)
    if goals:
        out.setdefault("绩效目标", {}).update(goals)
    return ReadReport(out, title, year, notes)


def _read_body(blocks: list[tuple[str, str]], body: list[tuple[bool, str]], out: dict,
               probe: Probe) -> tuple[list[str], int]:
    """The report's paragraphs into ``out`` as the probe's say; (notes, how many of the probe's
    headings the PDF prints)."""
    notes: list[str] = []
    headings = 0
    figures = [*FUNDS.values(), *PURCHASE, SPENT, SCORE, str(YEAR)]
    fixed = [t for s, t in blocks if s != "table" and not MARK.search(t) and not any(f in t for f in figures)]
    r = _Reader(body)
    k = 0
    while k < len(blocks):
        style, text = blocks[k]
        markers = MARK.findall(text)
        if style == "table":
            k += 1
            continue
        if not markers and text in fixed:
            at = r.find(text)
            if at is None:                       # a part this report leaves out: skip its paragraphs
                k += 1
                while k < len(blocks) and (blocks[k][1] not in fixed or blocks[k][0] == "table"):
                    k += 1
                continue
            r.i = at + 1
            headings += 1
            k += 1
            continue
        whole = MARK.fullmatch(squeezed(text))
        if whole and whole.group(1) in ("INTRO", "OVER", "GOALS"):
            end = r.until_heading(fixed)
            words = "\n".join(t for _, t in body[r.i:end])
            if words:
                key = {"INTRO": ("引言",), "OVER": ("部门概况",), "GOALS": ("绩效目标", "引言")}[whole.group(1)]
                node = out
                for part in key[:-1]:
                    node = node.setdefault(part, {})
                node[key[-1]] = words
            r.i = end
            k += 1
            continue
        item = next((name for name in ("经验做法", "问题", "建议") if any(m.startswith(f"{name}0") for m in markers)), None)
        if item:
            # the item titles as the wording numbers them, in the probe's order
            prefixes = [squeezed(t).split(_m(f"{item}{n}T"))[0] for n in range(ITEMS)
                        for s, t in blocks if _m(f"{item}{n}T") in squeezed(t)]
            end = r.until_heading(fixed)
            read = _items(body[r.i:end], prefixes)
            entries = []
            for title, content in read:
                entry: dict = {"标题": title} if title else {}
                words = "\n".join(content)
                if item == "问题":
                    words = _ratio(words, blocks, entry, out, probe)
                entry["内容"] = words
                entries.append(entry)
            if len(read) > ITEMS:
                notes.append(f"评价报告的“{item}”有 {len(read)} 项，只按前 {ITEMS} 项的措辞读")
            if entries:
                out[item] = entries
            r.i = end
            while k < len(blocks) and (blocks[k][1] not in fixed or blocks[k][0] == "table"):
                k += 1
            continue
        # a paragraph of wording with figures: 资金收支, 评分结论
        if r.i < len(body) and _figures(text, body[r.i][1], out, probe):
            r.i += 1
        k += 1
    return notes, headings


def _figures(composed: str, printed: str, out: dict, probe: Probe) -> bool:
    """The figures of a paragraph of wording (资金收支 with or without 基本/项目支出; 评分结论 with
    any number of 方面) into ``out``; False when ``printed`` is not it."""
    variants = [composed]
    if FUNDS["基本支出"] in composed:         # worded without 基本/项目支出 when the report has none
        variants += [t for _, t in probe.blocks(parts=False)
                     if FUNDS["年初预算"] in t and not MARK.search(t.split(FUNDS["年初预算"])[1])]
    if _m("ASPECT0") in composed:            # worded by the number of 方面
        variants = [t for n in range(1, 9) for _, t in probe.blocks(aspects=n) if _m("ASPECT0") in t]
    grades = tuple(g for g, _ in probe.profile.grade_thresholds)
    if len(printed) > MAX_PARAGRAPH:
        return False
    for text in variants:
        m = _pattern(text, grades).fullmatch(squeezed(printed))
        if not m:
            continue
        groups = m.groupdict()
        funds = {k: _number(groups[f"f_{k}"]) for k in FUNDS if groups.get(f"f_{k}")}
        if funds:
            out.setdefault("资金", {}).update(funds)
        if groups.get("score"):
            out.setdefault("评分", {})["得分"] = _number(groups["score"])
            aspects = [groups[g] for g in sorted(g for g in groups if g.startswith("m_ASPECT"))]
            if aspects:
                out["评分"]["方面"] = aspects
            if groups.get("grade"):
                out.setdefault("填写", {})["等级"] = groups["grade"]
        if groups.get("year") and groups["year"].isdigit():
            out["年度"] = int(groups["year"])
        return True
    return False


def _ratio(words: str, blocks: list[tuple[str, str]], entry: dict, out: dict, probe: Probe) -> str:
    """A problem's content less the ratio sentence it opens with (its 比率; the 政府采购 figures that
    sentence alone prints into ``out``)."""
    for k, name in enumerate(REPORT_RATIOS):
        composed = next((t for _, t in blocks if _m(f"问题{k}X") in t), "")
        sentence = composed.split(_m(f"问题{k}X"))[0]
        if not sentence:
            continue
        candidates = [sentence]
        if name == "政府采购执行率":            # worded by the number of kinds: each tried
            candidates = [next((t for _, t in probe.blocks(kinds=j) if _m(f"问题{k}X") in t), "").split(
                _m(f"问题{k}X"))[0] for j in range(1, len(PURCHASE) + 1)]
        for candidate in candidates:
            if not candidate:
                continue
            m = _pattern(candidate).match(squeezed(words[:MAX_PARAGRAPH]))
            if m is None:
                continue
            entry["比率"] = name
            groups = m.groupdict()
            if name == "政府采购执行率":
                kinds_read = {groups[f"m_KIND{j}"]: _number(groups[f"p{j}"]) for j in range(len(PURCHASE))
                              if groups.get(f"m_KIND{j}") and groups.get(f"p{j}")}
                if not kinds_read and groups.get("p0"):
                    kinds_read = {"": _number(groups["p0"])}
                out["政府采购"] = {"预算": kinds_read, **({"执行": _number(groups["spent"])} if groups.get("spent") else {})}
            rest = squeezed(words)[m.end():]
            return _unkey(words, rest)
    return words


def _unkey(original: str, rest_key: str) -> str:
    """The tail of ``original`` whose whitespace-free form is ``rest_key`` (spaces and line breaks kept)."""
    if not rest_key:
        return ""
    count = 0
    for k in range(len(original) - 1, -1, -1):
        if not original[k].isspace():
            count += 1
        if count == len(rest_key):
            return original[k:]
    return original


def _table(g: FormCells, layout: Layout) -> dict:
    """表1 年度绩效目标表 by the layout's labels: 年度总体目标, 履职目标 (工作目标 | 目标内容), 核心任务
    (重点工作), the indicators 一级 | 二级 | 三级 | 指标值."""
    lab: dict[str, str] = layout.form["标签"]
    out: dict = {}

    def text(c) -> str:
        return "\n".join(t for _, t in g.paragraphs(c))

    if (c := g.find(lab["总体目标"])) is not None:
        out["总体目标"] = join_lines([text(g.right_of(c))])
    head = g.find(lab["履职目标"])
    if head is not None:
        work, content = g.find(lab["工作目标"], after=head), g.find(lab["目标内容"], after=head)
        duties = []
        if work is not None and content is not None:
            for c in g.cells:
                if c.page == work.page and abs(c.x0 - work.x0) <= 1.5 and c.top >= work.bottom - 1.5 \
                        and c.bottom <= head.bottom + 1.5:
                    right = g.at(c.page, c.top, content)
                    duties.append({"工作目标": c.text, "目标内容": text(right)})
        if duties:
            out["履职目标"] = duties
    task = g.find(lab["重点工作"])
    if task is not None:
        tasks = []
        for c in g.cells:
            if c.page == task.page and abs(c.x0 - task.x1) <= 1.5 and task.top - 1.5 <= c.top < task.bottom - 1.5:
                tasks.append(text(c))
        if tasks:
            out["核心任务"] = tasks
    heads = [g.find(lab[k]) for k in ("一级", "二级", "三级", "指标值")]
    if all(h is not None for h in heads):
        rows, l1, l2 = [], "", ""
        starts = sorted({(c.page, round(c.top, 1)) for c in g.cells
                         if abs(c.x0 - heads[2].x0) <= 1.5 and (g.order[c.page], c.top) > (g.order[heads[2].page], heads[2].top)})
        for page, top in starts:
            a, b, c, v = (g.at(page, top, h) for h in heads)
            l1 = a.text if a is not None and a.text else l1
            l2 = b.text if b is not None and b.text else l2
            rows.append({"一级指标": l1, "二级指标": l2, "三级指标": c.text if c else "", "指标值": v.text if v else ""})
        if rows:
            out["指标"] = rows
    return out
