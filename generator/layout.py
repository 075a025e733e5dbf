"""Table layouts: what a published table looks like, as data under templates/layouts/.

A layout file describes one table shape — its columns as a header tree (merged header cells
follow from the tree), which figure each column or row shows, the fixed rows of the 对照 and
清单 tables with their labels and 行次, the 栏次 row, where the 合计 row goes, how blanks print.
A profile picks a layout per table by name and may override the layout's settings and the
label words (``{名字}`` placeholders, filled from the layout's ``文字`` and then the profile's).
compose/tables.py turns a layout and a unit's figures into a `Table`; no module spells a
table's rows or columns in Python.

Kinds (``种类``):
  科目      rows are the unit's 功能分类 科目 (合计, 类, 款, 项) of one data table (``数据``)
  对照      two sides (收入 | 支出) of fixed rows; blocks pair lists such as the 26 类
  经济分类  the 经济分类 catalogue in column groups (06)
  单行      one row of figures under a header tree (三公)
  清单      fixed rows with their own 行次, section lines and repeated column heads (相关信息)

Figures are named by address ("收支.本年收入合计", "财政拨款.类.{编码}.{列}", "三公.决算数.合计"
…); docs/layouts.md lists them. A layout file is checked by load/layout.schema.json (one branch
per 种类) before it is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from . import search_path
from .errors import InputError, Problem
from .load.schema import read_checked
from .load.yaml_reader import Located
from .model import ECON_TOTAL_CODES, Source
from .numbers import chinese_number

LAYOUTS = Path(__file__).resolve().parents[1] / "templates" / "layouts"   # built-in; search_path adds the user's
KINDS = ("科目", "对照", "经济分类", "单行", "清单")
FORM_KINDS = ("自评表", "整体自评表", "评价报告")   # forms of 第五部分 (compose/attachments.py), not published tables
LABEL_TAKES = ("编码", "名称", "标签")           # label columns: “栏次” above them
SETTINGS = ("栏次", "合计行", "空值印零", "字号", "行高")      # what a profile's table entry may override


@dataclass(frozen=True)
class Column:
    title: str                          # may hold {文字} placeholders
    take: str = ""                      # leaves: 编码 | 名称 | 合计 | 标签 | 行次 | 值 | a data column | an address
    key: str = ""                       # 对照 value columns: fills {列} in the row's address
    width: float | None = None
    children: tuple["Column", ...] = ()
    input: str = ""                     # 科目/单行: the data key or path a workbook cell fills ("" = computed)
    aliases: tuple[str, ...] = ()       # other header labels a pasted table may use

    def leaves(self) -> list["Column"]:
        return [self] if not self.children else [x for c in self.children for x in c.leaves()]

    def depth(self) -> int:
        return 1 + max((c.depth() for c in self.children), default=0)


@dataclass(frozen=True)
class Entry:
    """One side of one 对照 row, or one 清单 row."""
    label: str = ""
    value: Any = None                   # an address, a list of addresses (None = blank), or None
    total: bool = False                 # label centred and bold (合计/总计)
    number: int | None = None           # 清单: the printed 行次
    count: bool = False                 # 清单: an integer count, not money
    input: Any = None                   # the data path(s) a workbook cell fills; None: computed (grey)
    aliases: tuple[str, ...] = ()       # other labels a pasted table may use for this row
    nature: str = ""                    # 清单: the figure is in this row only for units of this 单位性质

    def spread(self, what: str, leaves: list["Column"], layout: str) -> list[Any]:
        """The row's addresses (what="value") or data paths (what="input"), one per value column:
        a list gives them one by one, "{列}" is filled with each column's 键, a single one
        belongs to a single value column."""
        v = self.value if what == "value" else self.input
        if v is None:
            return [None] * len(leaves)
        if isinstance(v, list):
            if len(v) != len(leaves):
                raise ValueError(f"表格版式“{layout}”：“{self.label}”给了{len(v)}个值，这一栏有{len(leaves)}列")
            return list(v)
        if "{列}" in v:
            return [v.replace("{列}", leaf.key) for leaf in leaves]
        if len(leaves) != 1:
            raise ValueError(f"表格版式“{layout}”：“{self.label}”的“{v}”要用 {{列}} 或写成列表")
        return [v]


@dataclass(frozen=True)
class Block:
    """对照: rows pairing lists side by side (the shorter padded with blank rows)."""
    sides: dict[str, tuple[Entry, ...] | str]   # side -> entries, or "每类"
    numbered: dict[str, bool]
    class_entry: dict[str, Entry]               # side -> the 每类 pattern ({编码} in value and input)


@dataclass(frozen=True)
class Line:
    """清单: a full-width section line (节) or a repeated row of column heads (表头)."""
    kind: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Repeat:
    """清单: one row per vehicle kind ({序号}, {名称}, {类别} filled)."""
    pattern: Entry
    start: int


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str
    source: str                         # the file, for messages
    description: str = ""
    columns: tuple[Column, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)
    serial: bool = False                # a 栏次 row under the header
    total_row: str = "首"               # 科目: 合计 row first (首) or last (尾)
    zero_blank: bool = False            # print a blank amount as 0.00 (空值印零)
    font_size: float = 9.0
    line_height: float | None = None    # 行高 (a profile's 版式设置): the cells' fixed line height in points
    default_width: float | None = None
    data: str = ""                      # 科目: the data table
    rows: tuple = ()                    # 对照: Block | dict[side, Entry] | None (blank row); 清单: dicts
    name_label: str = "{部门名称标签}"
    above_header: str = ""              # 清单: a full-width line above the column heads
    # 经济分类
    econ_heads: tuple[str, ...] = ()    # 款 in order
    econ_skip: frozenset[str] = frozenset()
    econ_breaks: tuple[str, ...] = ()   # codes that start a column group
    econ_group_titles: tuple[str, ...] = ()
    econ_totals: tuple[str, str] = ECON_TOTAL_CODES
    econ_detail_columns: tuple[Column, ...] = ()   # 经济分类: the group columns when the data has 项目支出
    guide: tuple[str, str] = ("", "")   # 填写说明: what the sheet holds, how to fill it
    form: dict[str, Any] = field(default_factory=dict)   # 自评表: the form's labels, columns, rounding

    def leaves(self) -> list[Column]:
        return [x for c in self.columns for x in c.leaves()]

    def with_settings(self, over: dict[str, Any]) -> "Layout":
        """This layout with a profile's overrides (栏次, 合计行, 空值印零, 字号, 行高)."""
        names = {"栏次": "serial", "合计行": "total_row", "空值印零": "zero_blank", "字号": "font_size",
                 "行高": "line_height"}
        return replace(self, **{names[k]: float(v) if k in ("字号", "行高") else v for k, v in over.items()})

    def header_rows(self, fill: Callable[[str], str], columns: list[Column] | None = None) -> list[list[tuple[str, int, int]]]:
        """Header rows as (text, colspan, rowspan) from the column tree: a group spans its
        leaves (and down, when its subtree is shallower than the tree), a leaf spans down to the
        last header row; with the 栏次 row when the layout
        has one. The composed table and the workbook sheet both use this."""
        columns = list(self.columns) if columns is None else columns
        depth = max(c.depth() for c in columns)
        rows: list[list[tuple[str, int, int]]] = [[] for _ in range(depth)]

        def walk(col: Column, level: int) -> None:
            if col.children:          # a shallower group spans down, so that every leaf is in the last row
                span = depth - level - col.depth() + 1
                rows[level].append((fill(col.title), len(col.leaves()), span))
                for child in col.children:
                    walk(child, level + span)
            else:
                rows[level].append((fill(col.title), 1, depth - level))

        for c in columns:
            walk(c, 0)
        if self.serial:
            rows.append(self.serial_row([x for c in columns for x in c.leaves()]))
        return rows

    @staticmethod
    def serial_row(leaves: list[Column]) -> list[tuple[str, int, int]]:
        """The 栏次 row: “栏次” over each run of label columns, blank over 行次, 1… over amounts."""
        out: list[tuple[str, int, int]] = []
        n = run = 0
        for leaf in leaves:
            if leaf.take in LABEL_TAKES:
                run += 1
                continue
            if run:
                out.append(("栏次", run, 1))
                run = 0
            if leaf.take == "行次":
                out.append(("", 1, 1))
            else:
                n += 1
                out.append((str(n), 1, 1))
        if run:
            out.append(("栏次", run, 1))
        return out

    def econ_tree(self, groups: int) -> list[Column]:
        """经济分类: the group columns repeated per group, under the group titles if any."""
        cols = list(self.columns)
        if not self.econ_group_titles:
            return cols * groups
        first, rest = self.econ_group_titles
        return [Column(first, children=tuple(cols)), Column(rest, children=tuple(cols) * (groups - 1))]

    def words(self, profile_texts: dict[str, str]) -> dict[str, str]:
        """The words of this layout's {placeholders}: its own 文字, then the profile's."""
        return {**self.texts, **profile_texts}

    def filler(self, profile_texts: dict[str, str]) -> Callable[[str], str]:
        """A function filling this layout's {placeholders} (compose, the workbook writer and its
        reader all fill them the same way); an undefined word is a clear error."""
        words = self.words(profile_texts)

        def fill(text: str) -> str:
            try:
                return text.format_map(words)
            except (KeyError, IndexError, ValueError) as e:
                raise ValueError(f"表格版式“{self.name}”的“{text}”用了未定义的文字 {e}"
                                 f"（在版式或模板的“文字”里给出）") from None
        return fill

    def sides(self) -> list[Column]:
        """对照: the top columns (收入, 支出), each with its label, 行次 and value columns."""
        return list(self.columns)

    def pair_rows(self, classes: list[tuple[str, str]], fill: Callable[[str], str]) -> list[dict[str, Entry]]:
        """对照: every printed row, side by side: blocks expanded (每类 over the 功能分类 类,
        numbered 一、二、… where asked, the shorter side padded), labels filled."""
        names = [c.title for c in self.columns]
        out: list[dict[str, Entry]] = []
        for row in self.rows:
            if row is None:
                out.append({s: Entry() for s in names})
                continue
            if isinstance(row, dict):
                out.append({s: replace(row[s], label=fill(row[s].label)) for s in names})
                continue
            lists: dict[str, list[Entry]] = {}
            for s in names:
                part = row.sides[s]
                if part == "每类":
                    e = row.class_entry[s]
                    items = [replace(e, label=name, value=_code(e.value, code), input=_code(e.input, code))
                             for code, name in classes]
                else:
                    items = [replace(e, label=fill(e.label)) for e in part]
                if row.numbered[s]:
                    items = [replace(e, label=f"{chinese_number(i)}、{e.label}") for i, e in enumerate(items, 1)]
                lists[s] = items
            for r in range(max(len(v) for v in lists.values())):
                out.append({s: lists[s][r] if r < len(lists[s]) else Entry() for s in names})
        return out

    def pair_grid(self, classes: list[tuple[str, str]], fill: Callable[[str], str],
                  what: str = "value") -> list[list[tuple["Column", Entry, Any]]]:
        """对照: every printed row as its cells, left to right: (leaf, the side's entry, what the
        cell holds) — the 行次 number (each side numbered on, the right after the left), the
        address (what="value") or data path (what="input") of a value column, None for a label."""
        rows = self.pair_rows(classes, fill)
        out = []
        for r, row in enumerate(rows):
            cells: list[tuple[Column, Entry, Any]] = []
            for k, side in enumerate(self.sides()):
                entry = row[side.title]
                leaves = side.leaves()
                held = iter(entry.spread(what, [x for x in leaves if x.take == "值"], self.name))
                for leaf in leaves:
                    cells.append((leaf, entry, k * len(rows) + r + 1 if leaf.take == "行次" else
                                  next(held) if leaf.take == "值" else None))
            out.append(cells)
        return out

    def list_rows(self, vehicle_labels: dict[str, str], fill: Callable[[str], str]) -> list[Entry | Line]:
        """清单: every printed row, the vehicle kinds expanded (the profile's 车辆类别名称: kind -> label,
        in its order), labels filled."""
        out: list[Entry | Line] = []
        for row in self.rows:
            if isinstance(row, Line):
                out.append(Line(row.kind, tuple(fill(t) for t in row.texts)))
            elif isinstance(row, Repeat):
                e = row.pattern
                for i, kind in enumerate(vehicle_labels, start=1):
                    out.append(replace(e, label=e.label.format(序号=i, 名称=vehicle_labels.get(kind, kind)),
                                       value=_kind(e.value, kind), input=_kind(e.input, kind),
                                       number=row.start + i - 1, aliases=(kind,)))
            else:
                out.append(replace(row, label=fill(row.label)))
        return out

    def econ_groups(self, catalogue: list[tuple[str, str]]) -> list[list[str]]:
        """The 06 column groups: the 款 in layout order, each followed by its 项 from the
        catalogue, without the skipped codes, split where a group starts."""
        codes = [c for c, _ in catalogue]
        known = set(codes)
        seq: list[str] = []
        for head in self.econ_heads or [c for c in codes if len(c) == 3]:
            if head not in known:
                raise ValueError(f"版式“{self.name}”列了经济分类“{head}”，目录中没有")
            seq += [head] + [c for c in codes if len(c) == 5 and c.startswith(head)]
        seq = [c for c in seq if c not in self.econ_skip]
        groups: list[list[str]] = []
        for c in seq:
            if not groups or c in self.econ_breaks:
                groups.append([])
            groups[-1].append(c)
        return groups


def _code(pattern: Any, code: str) -> Any:
    if isinstance(pattern, list):
        return [_code(p, code) for p in pattern]
    return None if pattern is None else str(pattern).replace("{编码}", code)


def _kind(pattern: Any, kind: str) -> Any:
    return None if pattern is None else str(pattern).replace("{类别}", kind)


def path(address: str) -> tuple[str, ...]:
    """A data path written in a layout (“收入支出决算总表.本年收入合计”) as a key path."""
    return tuple(address.split("."))


def available() -> list[str]:
    """Every table layout: the user's folders' (search_path) and the built-in ones."""
    return search_path.names("layouts", LAYOUTS)


def _column(raw: dict) -> Column:
    """One column of a checked layout (load/layout.schema.json): a leaf says what it prints
    (取), a group has 下级."""
    width = raw.get("宽")
    return Column(title=str(raw["标题"]), take=str(raw.get("取", "")), key=str(raw.get("键", "")),
                  width=None if width is None else float(width), children=tuple(_column(k) for k in raw.get("下级") or []),
                  input=str(raw.get("输入", "")), aliases=tuple(str(a) for a in raw.get("别名") or []))


def _entry(raw: Any) -> Entry:
    raw = raw or {}
    return Entry(label=str(raw.get("标签", "")), value=raw.get("值"), total=bool(raw.get("合计", False)),
                 number=raw.get("行次"), count=bool(raw.get("计数", False)), input=raw.get("输入"),
                 aliases=tuple(str(a) for a in raw.get("别名") or []), nature=str(raw.get("单位性质", "")))


def _list_rows(raw_rows: list) -> tuple:
    rows: list = []
    for raw in raw_rows:
        if "节" in raw:
            rows.append(Line("节", (str(raw["节"]),)))
        elif "表头" in raw:
            rows.append(Line("表头", tuple(str(x) for x in raw["表头"])))
        elif "每车辆类别" in raw:
            g = raw["每车辆类别"] or {}
            rows.append(Repeat(replace(_entry(g), count=True), int(g.get("行次起", 1))))
        else:
            rows.append(_entry(raw))
    return tuple(rows)


def _pair_rows(loc: Located, sides: list[str]) -> tuple:
    """对照: each row a Block (a side lists 项 or 每类), a dict side -> Entry, or None (空行).
    A side must be one of the columns' titles (the schema cannot know them)."""
    rows: list = []
    problems: list[Problem] = []
    for i, raw in enumerate(loc.data.get("行") or []):
        if raw.get("空行"):
            rows.append(None)
            continue
        unknown = [k for k in raw if k not in sides and k != "空行"]
        if unknown:
            problems.append(Problem(loc.source(("行", i, unknown[0])), f"“{'、'.join(unknown)}”不是本表的一栏"
                                                                      f"（应为 {'、'.join(sides)}，即“列”的标题）"))
        elif any(isinstance(raw.get(s), dict) and ("项" in raw[s] or "每类" in raw[s]) for s in sides):
            rows.append(_block(raw, sides))
        else:
            rows.append({s: _entry(raw.get(s)) for s in sides})
    if problems:
        raise InputError(problems)
    return tuple(rows)


def _block(raw: dict, sides: list[str]) -> Block:
    block_sides: dict = {}
    numbered: dict = {}
    class_entry: dict = {}
    for s in sides:
        part = raw.get(s) or {}
        numbered[s] = bool(part.get("编号", False))
        if "每类" in part:
            block_sides[s] = "每类"
            class_entry[s] = _entry(part["每类"])
        else:
            block_sides[s] = tuple(_entry(e) for e in part.get("项") or [])
    return Block(block_sides, numbered, class_entry)


def _form(name: str, kind: str, d: dict, src: Source) -> Layout:
    """A form of 第五部分 (自评表, 整体自评表, 评价报告): its keys as the compose code reads them."""
    form = {k: v for k, v in d.items() if k not in ("种类", "说明", "字号", "列")}
    columns = tuple(_column(raw) for raw in d.get("列") or [])
    if "宽" in d:
        form["宽"] = [float(w) for w in d["宽"]]     # column widths in points (geometry, not money)
    else:
        form["宽"] = [float(c.width or 40) for col in columns for c in col.leaves()]
    return Layout(name=name, kind=kind, source=str(src.file), description=str(d.get("说明", "")),
                  columns=columns, font_size=float(d.get("字号", 9)), form=form)


def load_layout(name: str) -> Layout:
    """The layout ``name``, found in the user's folders or templates/ (search_path), read once for
    the folders as they are (the cache is keyed on them)."""
    return _load_layout(name, search_path.key())


load_layout.cache_clear = lambda: _load_layout.cache_clear()     # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _load_layout(name: str, key: tuple) -> Layout:
    path = search_path.find("layouts", name, builtin=LAYOUTS)
    if path is None:
        raise InputError([Problem(Source("版式"), f"找不到表格版式“{name}”；可用的版式：{'、'.join(available())}")])
    loc = read_checked(path, "layout", "表格版式", "说明、种类、列")
    d = loc.data
    kind = d["种类"]
    if kind in FORM_KINDS:
        return _form(name, kind, d, Source(str(path)))
    columns = tuple(_column(raw) for raw in d["组列" if kind == "经济分类" else "列"])
    rows: tuple = ()
    if kind == "对照":
        rows = _pair_rows(loc, [c.title for c in columns])
    elif kind == "清单":
        rows = _list_rows(d.get("行") or [])
    totals = d.get("合计") or ECON_TOTAL_CODES
    return Layout(
        name=name, kind=kind, source=str(path), description=str(d.get("说明", "")),
        columns=columns, texts={str(k): str(v) for k, v in (d.get("文字") or {}).items()},
        serial=bool(d.get("栏次", False)), total_row=str(d.get("合计行", "首")),
        zero_blank=bool(d.get("空值印零", False)), font_size=float(d.get("字号", 9)),
        default_width=None if d.get("默认宽") is None else float(d["默认宽"]),
        data=str(d.get("数据", "")), rows=rows,
        name_label=str(d.get("名称标签", "{部门名称标签}")), above_header=str(d.get("表头上方", "")),
        econ_heads=tuple(str(c) for c in d.get("款") or []),
        econ_skip=frozenset(str(c) for c in d.get("不列") or []),
        econ_breaks=tuple(str(c) for c in d.get("分组起点") or []),
        econ_group_titles=tuple(str(t) for t in d.get("分组标题") or []),
        econ_totals=(str(totals[0]), str(totals[1])),
        econ_detail_columns=tuple(_column(raw) for raw in d.get("明细组列") or []),
        guide=(str((d.get("填写说明") or {}).get("内容", "")), str((d.get("填写说明") or {}).get("方法", ""))),
    )
