"""The 科目 tables of a published report read from its PDF (issue 26, first step): 收入决算表,
支出决算表, 一般公共预算财政拨款支出决算表, 政府性基金 and 国有资本经营 tables — whichever the profile
prints with a 科目 layout — as the unit data's rows (科目编码, 科目名称, one amount per column).

The profile says what to look for: each table's title (its TableSpec), its columns (the layout's
leaf titles with the profile's words filled in), and the order of the tables. A table is found by
its title, continues on the next pages while no other table's title or a note (“注：”) ends it,
and its rows are the lines that start with a code (a split code such as “201 06 01” is joined)
or with 合计. A name that wraps belongs to the row whose line is nearest; an amount belongs to the
column whose header it lies under. What cannot be placed is listed by page, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..layout import Column
from ..model import ECON_TOTAL_CODES
from ..profile import Profile, TableSpec
from .pdf_text import Page, Word, line_text

AMOUNT = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")
CODE = re.compile(r"\d{3}(?:\d{2}){0,2}")
EMPTY = {"——", "—", "-", "－", "--"}
UNITS = (("万元", "万元"), ("元", "元"))


@dataclass
class ReadTable:
    key: str                                   # the profile's table key (02, 03 …)
    title: str
    pages: list[int]
    money_unit: str                            # 元 / 万元 as the table's head says ("" not said)
    rows: list[dict]                           # 科目编码, 科目名称, then each column's amount
    unplaced: list[str] = field(default_factory=list)   # “第N页：…” what could not be placed
    row_pages: list[int] = field(default_factory=list)  # the page of each row




def _starts(pages: list[Page], title: str) -> list[tuple[int, int]]:
    """(page index, line index) of each line that is ``title`` (spaces and joiners aside)."""
    return [(p, k) for p, page in enumerate(pages) for k, line in enumerate(page.lines) if line_text(line) == title]


def _unit_of(lines: list[list[Word]]) -> str:
    """元 or 万元 as a table's head states it (“金额单位：万元”, “单位：元”), "" when it does not."""
    return next((unit for line in lines for unit_word, unit in UNITS
                 if any(w.text.endswith(f"单位：{unit_word}") for w in line)), "")


def _found(pages: list[Page], profile: Profile, kind: str):
    """(spec, body) of each table of ``profile`` with a layout of ``kind`` that ``pages`` print."""
    titles = {t.title for t in profile.tables}
    for spec in profile.tables:
        if spec.layout.kind == kind and (starts := _starts(pages, spec.title)):
            yield spec, _body(pages, starts[0], titles - {spec.title})


def subject_tables(pages: list[Page], profile: Profile) -> list[ReadTable]:
    """Every 科目 table of ``profile`` found in ``pages``, in the profile's order."""
    return [_read(body, spec, profile) for spec, body in _found(pages, profile, "科目")]


def _body(pages: list[Page], start: tuple[int, int], others: set[str]) -> list[tuple[int, list[list[Word]]]]:
    """The table's lines page by page, from its title to the note, another table's title or a 部分."""
    p, k = start
    out = []
    while p < len(pages):
        lines = []
        for line in pages[p].lines[k + 1:]:
            if pages[p].is_footer(line):
                continue
            text = line_text(line)
            if text in others or text.startswith("注：") or text.startswith("第三部分"):
                out.append((pages[p].number, lines))
                return out
            lines.append(line)
        out.append((pages[p].number, lines))
        p, k = p + 1, -1
    return out


def _leaves(spec: TableSpec, profile: Profile) -> list[tuple[Column, str]]:
    fill = spec.layout.filler(profile.texts)
    return [(leaf, fill(leaf.title)) for leaf in spec.layout.leaves()]


def _header_place(lines: list[list[Word]], title: str) -> tuple[float, float] | None:
    """The x-range of ``title`` in the header: one word, or words stacked in one column whose
    texts (top to bottom) make it (“附属单位上缴” over “收入”)."""
    words = [w for line in lines for w in line]
    for w in words:
        if w.text == title:
            return w.x0, w.x1
        if not title.startswith(w.text):
            continue
        text, x0, x1, mid = w.text, w.x0, w.x1, w.cy
        while len(text) < len(title):
            nxt = min((v for v in words if v.cy > mid + 1 and v.x0 < x1 and v.x1 > x0
                       and title.startswith(text + v.text)), key=lambda v: v.top, default=None)
            if nxt is None:
                break
            text, x0, x1, mid = text + nxt.text, min(x0, nxt.x0), max(x1, nxt.x1), nxt.cy
        if text == title:
            return x0, x1
    return None


def _amount(text: str) -> Decimal | None:
    if text in EMPTY:
        return None
    return Decimal(text.replace(",", "")) if AMOUNT.fullmatch(text) else None


def _read(body: list[tuple[int, list[list[Word]]]], spec: TableSpec, profile: Profile) -> ReadTable:
    leaves = _leaves(spec, profile)
    money_unit = ""
    table = ReadTable(spec.key, spec.title, [n for n, _ in body], "", [])
    rows: list[dict] = []
    places: dict[str, tuple[float, float]] = {}
    for number, lines in body:
        first = next((k for k, line in enumerate(lines) if _row_start(line)), len(lines))
        words = _header_words(spec, profile)
        end = max((k for k in range(first) if any(_in_header(w.text, words) for w in lines[k])), default=-1) + 1
        head = lines[:end]
        money_unit = money_unit or _unit_of(head)
        found, missing = {}, []
        for leaf, title in leaves:
            if leaf.take in ("编码", "名称"):
                continue
            place = _header_place(head, title)
            if place is None:
                missing.append(title)
            else:
                found[_column_key(leaf)] = place
        if found or not places:            # a page without the header goes on in the last page's columns
            places = found
            table.unplaced += [f"第{number}页：表头中找不到“{title}”一栏" for title in missing]
        if first == len(lines):
            continue
        code_edge = min((x0 for x0, _ in places.values()), default=float("inf"))
        page_rows = _rows(lines[end:], places, code_edge, number, table.unplaced)
        rows += page_rows
        table.row_pages += [number] * len(page_rows)
    table.money_unit = money_unit
    table.rows = rows
    return table


LABELS = {"项目", "栏次", "功能分类", "科目编码", "科目名称", "科目代码", "编码", "名称"}


def _header_words(spec: TableSpec, profile: Profile) -> set[str]:
    """Every column title of the table's layout (leaves and groups), its words filled in."""
    fill = spec.layout.filler(profile.texts)
    out = set(LABELS)

    def walk(col: Column) -> None:
        out.add(fill(col.title))
        for c in col.children:
            walk(c)
    for col in spec.layout.columns:
        walk(col)
    return out


def _in_header(text: str, titles: set[str]) -> bool:
    """A header's word: a title, a piece of a wrapped one, or a 栏次 number."""
    return text.isdigit() and len(text) <= 2 or any(text in t for t in titles)


def _column_key(leaf: Column) -> str:
    """The unit data's key of a value column: its data column, or the stated total's key."""
    return leaf.input if leaf.take == "合计" and leaf.input else leaf.take


def _row_start(line: list[Word]) -> bool:
    """A line that opens a row: a code first, or 合计 followed by amounts only (a header line may
    begin with a column titled 合计)."""
    first = line[0].text if line else ""
    if CODE.fullmatch(first):
        return True
    return first in ("合计", "总计") and all(_amount(w.text) is not None or w.text in EMPTY for w in line[1:])


def _rows(lines: list[list[Word]], places: dict[str, tuple[float, float]], code_edge: float, page: int,
          unplaced: list[str]) -> list[dict]:
    """Rows from the table's lines below its header: a line starting with a code (or 合计) opens a
    row; words left of the first amount column are its name (a wrapped name: the nearest row's);
    each amount goes to the column it lies under."""
    starts = [line for line in lines if _row_start(line)]
    rows = [{"line": line, "cy": line[0].cy, "name": [], "values": {}} for line in starts]
    for line in lines:
        words = list(line)
        row = min(rows, key=lambda r: abs(r["cy"] - line[0].cy))
        if line is row["line"]:
            code = []
            while words and CODE.fullmatch(words[0].text) or (code and words and words[0].text.isdigit()
                                                                and len(words[0].text) == 2):
                code.append(words.pop(0).text)
            row["code"] = "".join(code) or None
            if not code:                               # 合计 / 总计
                row["code"] = "合计"
                words.pop(0)
        for w in words:
            if w.x1 <= code_edge + 1 and _amount(w.text) is None:
                row["name"].append(w)
                continue
            value = _amount(w.text)
            # the column whose header's middle is nearest (headers are centred, amounts right-aligned)
            column = min(places, key=lambda k: abs(w.cx - sum(places[k]) / 2), default=None)
            if column is None or w.x1 < code_edge - 2 or (value is None and w.text not in EMPTY):
                unplaced.append(f"第{page}页：“{w.text}”（在“{line_text(row['line'])[:20]}”一行）不在任何一栏之下")
                continue
            row["values"][column] = value
    out = []
    for r in rows:
        name = "".join(w.text for w in sorted(r["name"], key=lambda w: (w.top, w.x0)))
        item = {"科目编码": r["code"]}
        if r["code"] != "合计" and name:
            item["科目名称"] = name
        item.update({k: v for k, v in r["values"].items() if v is not None})
        out.append(item)
    return out



# ---------------------------------------------------------------- 单行: one row of figures (三公)

@dataclass
class ReadRow:
    key: str
    title: str
    pages: list[int]
    money_unit: str
    values: dict[str, Decimal | None]          # each input cell's data path (三公经费.决算数.合计) -> amount
    unplaced: list[str] = field(default_factory=list)


def single_row_tables(pages: list[Page], profile: Profile) -> list[ReadRow]:
    """Every 单行 table of ``profile`` (the 三公 table) found in ``pages``: its one row of figures,
    each under the header column it lies below. The leaves' titles repeat (预算数, 决算数 under each
    item), so they are found left to right in the layout's order."""
    return [_read_single(*body[0], spec, profile) for spec, body in _found(pages, profile, "单行")]


def _read_single(number: int, lines: list[list[Word]], spec: TableSpec, profile: Profile) -> ReadRow:
    leaves = _leaves(spec, profile)
    row = ReadRow(spec.key, spec.title, [number], "", {})
    data = next((k for k, line in enumerate(lines) if line and all(_amount(w.text) is not None or w.text in EMPTY
                                                                   for w in line) and not _serials(line)), None)
    if data is None:            # a table printed without figures (“本表无数据”): nothing to read
        return row
    head = lines[:data]
    row.money_unit = _unit_of(head)
    places, left = {}, -1.0
    for leaf, title in leaves:
        place = _header_place([[w for w in line if w.x0 > left] for line in head], title)
        if place is None:
            row.unplaced.append(f"第{number}页：表头中找不到“{title}”一栏")
            continue
        places[leaf.input] = place
        left = (place[0] + place[1]) / 2
    row.values = {path: None for path in places}
    for w in lines[data]:
        path = min(places, key=lambda k: abs(w.cx - sum(places[k]) / 2), default=None)
        if path is None:
            row.unplaced.append(f"第{number}页：“{w.text}”不在任何一栏之下")
            continue
        row.values[path] = _amount(w.text)
    return row


def _serials(line: list[Word]) -> bool:
    """The 栏次 line: 1, 2, 3 … in order."""
    return [w.text for w in line] == [str(k) for k in range(1, len(line) + 1)]


# ---------------------------------------------------------------- 对照: 收入 beside 支出 (01, 04)

NUMBERING = re.compile(r"^(?:[一二三四五六七八九十百]+、|（[一二三四五六七八九十]+）)")


def _label_key(text: str) -> str:
    """A row label as compared: without its numbering (“一、”, “（一）”) and spaces."""
    return NUMBERING.sub("", re.sub(r"\s+", "", text))


@dataclass
class ReadPairs:
    key: str
    title: str
    pages: list[int]
    money_unit: str
    values: dict[str, Decimal | None]          # each printed figure's address (收支.本年收入合计) -> amount
    unplaced: list[str] = field(default_factory=list)


def pair_tables(pages: list[Page], profile: Profile) -> list[ReadPairs]:
    """Every 对照 table of ``profile`` found in ``pages`` (收入支出决算总表, 财政拨款收入支出决算总表):
    each side's rows matched to the layout's rows by their labels (numbering aside, a wrapped label
    joined, a row the report leaves out skipped), each amount placed under its column."""
    return [_read_pairs(body, spec, profile) for spec, body in _found(pages, profile, "对照")]


def _read_pairs(body: list[tuple[int, list[list[Word]]]], spec: TableSpec, profile: Profile) -> ReadPairs:
    layout = spec.layout
    fill = layout.filler(profile.texts)
    table = ReadPairs(spec.key, spec.title, [n for n, _ in body], "", {})
    grid = layout.pair_grid(profile.classes, fill)
    sides = layout.sides()
    # per side: the expected rows in order, (label key, label aliases, {leaf index: address})
    expected: list[list[tuple[set[str], dict[int, str]]]] = [[] for _ in sides]
    leaves = layout.leaves()
    for row in grid:
        k = 0
        for s, side in enumerate(sides):
            n = len(side.leaves())
            cells = row[k:k + n]
            entry = cells[0][1]
            if entry.label:
                labels = {_label_key(entry.label), *(_label_key(fill(a)) for a in entry.aliases)}
                expected[s].append((labels, {k + i: held for i, (leaf, _, held) in enumerate(cells)
                                             if leaf.take == "值" and isinstance(held, str)}))
            k += n
    table.values = {address: None for rows in expected for _, cells in rows for address in cells.values()}
    places: dict[int, tuple[float, float]] = {}
    pointer = [0 for _ in sides]
    side_of = [s for s, side in enumerate(sides) for _ in side.leaves()]
    for number, lines in body:
        marks = [k for k, line in enumerate(lines[:15]) if any(w.text in ("项目", "栏次", "行次") for w in line)]
        first = marks[-1] + 1 if marks else 0
        words = _header_words(spec, profile)
        while first < len(lines) and all(_in_header(w.text, words) and _amount(w.text) is None for w in lines[first]) \
                and not any(_label_key(w.text) in labels for w in lines[first] for labels, _ in expected[0]):
            first += 1                     # the last pieces of a stacked column title (“拨款”)
        head = lines[:first]
        table.money_unit = table.money_unit or _unit_of(head)
        found, left = {}, -1.0
        for i, leaf in enumerate(leaves):
            if leaf.take == "标签":
                continue
            place = _header_place([[w for w in line if w.x0 > left] for line in head], fill(leaf.title))
            if place is not None:
                found[i] = place
                left = (place[0] + place[1]) / 2
        if found or not places:
            places = found
        if not places:
            table.unplaced.append(f"第{number}页：表头中找不到“{spec.title}”的栏")
            continue
        # a word's side: text right of a side's last column belongs to the next side
        last = [max((sum(p) / 2 for i, p in places.items() if side_of[i] == s), default=-1.0) for s in range(len(sides))]
        per_side: list[list[tuple[str, list[tuple[int, Word]]]]] = [[] for _ in sides]
        for line in lines[first:]:
            text: list[list[Word]] = [[] for _ in sides]
            amounts: list[list[tuple[int, Word]]] = [[] for _ in sides]
            for w in line:
                if _amount(w.text) is not None or w.text in EMPTY:
                    i = min(places, key=lambda c: abs(w.cx - sum(places[c]) / 2))
                    amounts[side_of[i]].append((i, w))
                else:
                    text[sum(1 for c in last[:-1] if 0 <= c < w.cx)].append(w)
            for s in range(len(sides)):
                if text[s] or amounts[s]:
                    per_side[s].append(("".join(w.text for w in text[s]), amounts[s]))
        for s in range(len(sides)):
            _pair_side(per_side[s], expected[s], pointer, s, leaves, table, number)
    return table


def _pair_side(lines, expected, pointer, s, leaves, table: ReadPairs, page: int) -> None:
    """One side of a 对照 table: labels (joined over wrapped lines) matched to the expected rows in
    order, the amounts of the label's lines placed under the side's value columns."""
    pending, pending_amounts = "", []
    for label, amounts in lines:
        if not label and not pending:
            shown = [w.text for i, w in amounts if leaves[i].take != "行次"]
            if shown:
                table.unplaced.append(f"第{page}页：{'、'.join(shown)} 没有所属的项目")
            continue
        pending += label
        pending_amounts += amounts
        key = _label_key(pending)
        match = next((j for j in range(pointer[s], len(expected)) if key in expected[j][0]), None)
        if match is None:
            if not any(any(lab.startswith(key) for lab in labels) for labels, _ in expected[pointer[s]:]):
                table.unplaced.append(f"第{page}页：“{pending}”不是本表的项目")
                pending, pending_amounts = "", []
            continue
        cells = expected[match][1]
        for i, w in pending_amounts:
            if leaves[i].take == "行次":
                continue
            if i not in cells:
                table.unplaced.append(f"第{page}页：“{w.text}”（在“{pending}”一行）不在任何一栏之下")
                continue
            table.values[cells[i]] = _amount(w.text)
        pointer[s] = match + 1
        pending, pending_amounts = "", []


# ---------------------------------------------------------------- 清单: labelled rows (相关信息统计表)

def list_tables(pages: list[Page], profile: Profile) -> list[ReadPairs]:
    """Every 清单 table of ``profile`` (相关信息统计表) found in ``pages``: each printed row known by its
    行次 (the layout numbers every row), its figure under the value column."""
    return [_read_list(body, spec, profile) for spec, body in _found(pages, profile, "清单")]


def _read_list(body: list[tuple[int, list[list[Word]]]], spec: TableSpec, profile: Profile) -> ReadPairs:
    from ..layout import Entry
    layout = spec.layout
    fill = layout.filler(profile.texts)
    table = ReadPairs(spec.key, spec.title, [n for n, _ in body], "", {})
    entries = {e.number: e for e in layout.list_rows(profile.vehicle_labels, fill)
               if isinstance(e, Entry) and e.number and isinstance(e.value, str)}
    table.values = {e.value: None for e in entries.values()}
    leaves = layout.leaves()
    for number, lines in body:
        places: dict[str, tuple[float, float]] = {}
        table.money_unit = table.money_unit or _unit_of(lines)
        for line in lines:
            for leaf in leaves:          # the header may be repeated with other words (统计数): the first found
                if leaf.take in ("行次", "值") and leaf.take not in places:
                    for title in (fill(leaf.title), *leaf.aliases):
                        place = _header_place([line], title)
                        if place:
                            places[leaf.take] = place
                            break
        if set(places) != {"行次", "值"}:
            table.unplaced.append(f"第{number}页：表头中找不到“行次”和数值栏")
            continue
        for line in lines:
            near = lambda w: min(places, key=lambda k: abs(w.cx - sum(places[k]) / 2))  # noqa: E731
            serial = [w for w in line if w.text.isdigit() and near(w) == "行次"]
            amounts = [w for w in line if (_amount(w.text) is not None or w.text in EMPTY) and near(w) == "值"]
            if not serial:
                if amounts:
                    table.unplaced.append(f"第{number}页：{'、'.join(w.text for w in amounts)} 没有行次")
                continue
            entry = entries.get(int(serial[0].text))
            if entry is None:
                table.unplaced.append(f"第{number}页：行次 {serial[0].text} 不是本表的行")
                continue
            for w in amounts:
                table.values[entry.value] = _amount(w.text)
    return table


# ---------------------------------------------------------------- 经济分类: column groups of code, name, amounts (06)

def econ_tables(pages: list[Page], profile: Profile) -> list[ReadPairs]:
    """The 经济分类 table of ``profile`` (06) found in ``pages``: every code's amounts, keyed
    “30101.基本支出” (“30101.金额” where the table prints 金额), whichever column group it stands in."""
    return [_read_econ(body, spec, profile) for spec, body in _found(pages, profile, "经济分类")]


def _places_all(head: list[list[Word]], title: str) -> list[tuple[float, float]]:
    """Every place of ``title`` in the header, left to right (one per column group)."""
    out, left = [], -1.0
    while (place := _header_place([[w for w in line if w.x0 > left] for line in head], title)) is not None:
        out.append(place)
        left = place[1]
    return out


def _read_econ(body: list[tuple[int, list[list[Word]]]], spec: TableSpec, profile: Profile) -> ReadPairs:
    layout = spec.layout
    fill = layout.filler(profile.texts)
    table = ReadPairs(spec.key, spec.title, [n for n, _ in body], "", {})
    known = set(profile.econ_names)
    totals = set(ECON_TOTAL_CODES)              # the rows 人员经费合计, 公用经费合计 (their label is their key)
    places: list[tuple[str, tuple[float, float]]] = []
    for number, lines in body:
        first = next((k for k, line in enumerate(lines) if line and line[0].text in known), len(lines))
        head = lines[:first]
        table.money_unit = table.money_unit or _unit_of(head)
        for columns in (layout.columns, layout.econ_detail_columns):
            found = [(c.take, p) for c in columns if c.take not in ("编码", "名称")
                     for title in (fill(c.title), *c.aliases) for p in _places_all(head, title)]
            if found:
                places = sorted(set(found), key=lambda item: item[1][0])
                break
        if not places:
            table.unplaced.append(f"第{number}页：表头中找不到“{spec.title}”的数值栏")
            continue
        for line in lines[first:]:
            code = None
            for w in line:
                if w.text in known and len(w.text) in (3, 5) or w.text in totals:
                    code = w.text
                    continue
                value = _amount(w.text)
                if value is None and w.text not in EMPTY:
                    continue                   # a name, or a piece of a wrapped one
                take, _ = min(places, key=lambda item: abs(w.cx - sum(item[1]) / 2))
                if code is None:
                    table.unplaced.append(f"第{number}页：“{w.text}”前面没有科目编码")
                    continue
                table.values[f"{code}.{take}"] = value
    return table
