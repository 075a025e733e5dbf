"""Profiles: what differs by province and year, as data under templates/profiles/.

A profile names the tables to publish (set, order, label, title, note, orientation), the
outline of 第三部分 (section titles and their wording templates), the glossary, the table-cell
number style and the catalogues it uses (the year's 26 支出功能分类 类 and the 经济分类 list with
the 06 layout). Code never branches on a profile's name. A profile (after 继承) and the catalogues
it names are checked by their schemas (load/profile.schema.json, load/catalog-*.schema.json)
before anything is read from them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from . import search_path
from .layout import LAYOUTS, Layout, available as available_layouts, load_layout
from .load.schema import read_checked, validate
from .load.yaml_reader import Located, overlay, read_yaml
from .model import Source, Unit
from .numbers import SHARE_TAILS
from .typography import Typography

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PROFILES = TEMPLATES / "profiles"      # the built-in ones; search_path adds the user's folders before them
CATALOGS = TEMPLATES / "catalogs"

# Words every table's meta line uses, unless the profile's 文字 says otherwise ({名称标签} is
# the layout's 名称标签; {单位名称}, {年度}, {金额单位} come from the unit).
TEXT_DEFAULTS = {
    "部门名称标签": "部门名称",
    "表左上": "{名称标签}：{单位名称}",
    "表中上": "{年度}年度",
    "表右上": "金额单位：{金额单位}",
    "附件标题": "附件{序号}：{名称}",
    "附件封面标题": "{年度}年度{类别}决算公开附件",
}

@dataclass
class TableSpec:
    key: str                # semantic id 01…10 (docs/domain.md numbering)
    label: str              # printed label, e.g. 公开07表
    title: str
    note: str
    layout: Layout          # templates/layouts/<版式>.yaml with the profile's 版式设置
    landscape: bool = False
    toc_title: str = ""     # entry under 第二部分 in the 目录 (defaults to title)
    empty_note: str = "说明：本表无数据"
    meta_right: str = ""    # 表右上 of this table ("" = the profile's 文字 表右上), e.g. "单位：{金额单位}"


@dataclass
class Section:
    title: str              # "一、收入支出决算总体情况说明"
    template: str           # wording template under templates/wording/
    facts: str              # 事实: the section of derive.facts.SECTIONS its template gets (收支总体 …)
    toc_title: str = ""     # 目录标题: its entry in the 目录 when it differs from the heading


@dataclass(frozen=True)
class SangongItems:
    """The profile's “三公”经费 items (三公经费目录, templates/catalogs/sangong*.yaml): what a unit fills
    under 三公经费, the 小计 summed from their items, what 合计 adds, and the items rules know by role."""
    total: str                                  # 合计's key and name
    top: tuple[str, ...]                        # the items of the table's first level, in order (小计 included)
    groups: dict[str, tuple[str, ...]]          # 小计 -> its items
    leaves: tuple[str, ...]                     # what a unit fills, in order
    counted: tuple[str, ...]                    # the first-level items 合计 adds (计入合计)
    roles: dict[str, str]                       # 出国 / 购车 / 接待 -> item
    econ: dict[str, str]                        # item -> 经济分类 code (09 ↔ 06)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key of a 三公 column: 合计, then each item and 小计 in table order."""
        return (self.total, *(k for t in self.top for k in (t, *self.groups.get(t, ()))))

    @property
    def others(self) -> tuple[str, ...]:
        """First-level items printed beside the 三公 but not added into 合计 (会议费、培训费 …)."""
        return tuple(t for t in self.top if t not in self.counted)

    def leaves_of(self, item: str) -> tuple[str, ...]:
        return self.groups.get(item, (item,))

    @classmethod
    def from_catalogue(cls, data: dict) -> "SangongItems":
        top, groups, leaves, counted, roles, econ = [], {}, [], [], {}, {}
        for item in data["项目"]:
            name = str(item["名称"])
            top.append(name)
            if item.get("计入合计", True):
                counted.append(name)
            below = item.get("下级") or [item]
            if item.get("下级"):
                groups[name] = tuple(str(b["名称"]) for b in below)
            for b in below:
                leaves.append(str(b["名称"]))
                if b.get("角色"):
                    roles[str(b["角色"])] = str(b["名称"])
                if b.get("经济分类"):
                    econ[str(b["名称"])] = str(b["经济分类"])
        return cls(str(data["合计"]), tuple(top), groups, tuple(leaves), tuple(counted), roles, econ)


@dataclass
class Profile:
    name: str
    description: str
    year_label: str
    cell_grouping: bool
    tables: list[TableSpec]
    outline: list[Section]
    glossary: list[tuple[str, str]]
    classes: list[tuple[str, str]]              # 26 支出功能分类 类 (code, name)
    econ_names: dict[str, str]                  # 经济分类 code -> name
    econ_catalogue: list[tuple[str, str]]       # 经济分类 (code, name): 款 and their 项, catalogue order
    econ_columns: list[list[str]]               # 06: codes per column group (from the 06 layout)
    econ_not_basic: set[str]                    # codes printed "——" (cannot occur in 基本支出)
    personnel_classes: list[str]
    vehicle_labels: dict[str, str]              # data key -> printed label
    part_titles: dict[str, str]                 # 第一部分 … 第五部分 headings
    sangong: SangongItems                       # 三公经费目录: the “三公”经费 items
    texts: dict[str, str] = field(default_factory=dict)   # fixed phrases (meta labels …)
    wording_dir: str = "default"
    wording_dirs: tuple[str, ...] = ("default",)  # its 措辞目录, those of the profiles it inherits, default
    path: str = ""                              # the file it was read from
    renamed_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)   # 类 code -> old names
    list_zero_items: bool = False    # 二、三 also list kinds of income/expense whose amount is 0
    part_templates: dict[str, str] = field(default_factory=dict)   # 第一、四、五部分 -> wording template
    reason_fallbacks: dict[str, list[str]] = field(default_factory=dict)  # 变动原因 key -> keys used when blank
    narrative_grouping: bool = True  # 说明文字中的金额带千分位 (说明千分位)
    performance_grades: list[str] = field(default_factory=list)   # 绩效等级, in the order the text names them
    grade_thresholds: list[tuple[str, Decimal]] = field(default_factory=list)  # 绩效等级线, high to low
    self_eval_layout: Layout | None = None      # 自评表版式: the 项目支出绩效自评表 of 第五部分
    overall_layout: str = ""                    # 整体自评表版式: the 部门整体支出绩效自评表 (an attachment may name another)
    report_layout: str = ""                     # 评价报告版式: the 部门整体支出绩效评价报告 (idem)
    typography: Typography = field(default_factory=Typography)   # 正文排版: body size and line pitch
    subject_names: dict[str, str] = field(default_factory=dict)  # 功能分类款目录: 款 and 项 code -> name
    subject_complete: frozenset[str] = frozenset()               # its 完整: 类 whose 款, 款 whose 项 are all listed
    kuan_catalogue: str = ""                                     # its file name under templates/catalogs/
    share_tail: str = "largest"      # 占比尾差: where a list of 占比 puts its 尾差 (numbers.SHARE_TAILS)
    page_numbers: bool = True        # 页码: "— n —" in the page footer
    toc_numbers: bool = True         # 目录页码: each 目录 entry with its leader and page number
    toc_attachments: bool = True     # 目录列出附件: the 附件 listed under 第五部分 in the 目录
    part_page_titles: dict[str, str] = field(default_factory=dict)   # 部分页内标题: printed instead of 部分标题
    part_new_page: frozenset[str] = frozenset()                      # 部分另起页: parts that start a page
    fixed_classes: list[tuple[str, str]] = field(default_factory=list)   # 固定行类: the 类 rows of 01 and 04
    region: str = ""                            # 地区, e.g. 山西省
    first_year: int | None = None               # 起始年度: the first 决算年度 it serves
    last_year: int | None = None                # 截止年度: the last (None: until a newer one)

    @property
    def vehicle_kinds(self) -> list[str]:
        """The vehicle kinds a unit counts (相关信息统计.车辆), in the table's order: 车辆类别名称's keys."""
        return list(self.vehicle_labels)

    @property
    def display_name(self) -> str:
        """How a person chooses it: “山西省 部门决算公开（2023年度起）”."""
        if self.first_year is None and self.last_year is None:
            return self.description or self.name
        return _display(self.region, self.first_year, self.last_year)

    def serves(self, year: int) -> bool:
        """Whether a unit of 决算年度 ``year`` uses this profile (unknown years: yes)."""
        return _covers(self.first_year, self.last_year, year)

    def cover_title(self, year: int, kind: str) -> str:
        """The report's title as the profile words it ("2022年度部门决算公开", "2024年度部门决算");
        also the output file name after the unit's name."""
        return self.texts["封面标题"].format(年度=year, 类别=kind)

    def part_title(self, part: str, year: int, kind: str, name: str) -> str:
        """第一…第五部分 headings: {年度}, {类别} (部门/单位) and {单位名称} filled."""
        return self.part_titles[part].format(年度=year, 类别=kind, 单位名称=name)

    def part_page_title(self, part: str, year: int, kind: str, name: str) -> str:
        """The heading printed on the page for ``part`` (部分页内标题, else its 部分标题; "" none)."""
        text = self.part_page_titles.get(part, self.part_titles[part])
        return text.format(年度=year, 类别=kind, 单位名称=name)

    def table(self, key: str) -> TableSpec | None:
        return next((t for t in self.tables if t.key == key), None)


def available() -> list[str]:
    """Every profile: the user's folders' (search_path) and the built-in ones."""
    return search_path.names("profiles", PROFILES)


def _find(name: str, where: Source | None = None) -> Path | None:
    return search_path.find("profiles", name, where, PROFILES)


def _years(name: str, seen: tuple = ()) -> tuple[str, int | None, int | None] | None:
    """(地区, 起始年度, 截止年度) a profile file states or inherits (继承), read without loading the
    profile (a message about a profile that cannot be loaded lists the others with it); None when
    it states none or cannot be read."""
    try:
        path = _find(name)
    except InputError:
        return None
    if name in seen or path is None:
        return None
    try:
        data = read_yaml(path, "模板", "说明、表、情况说明提纲", aliases=True).data
    except InputError:
        return None
    if not isinstance(data, dict):
        return None
    parent = _years(str(data["继承"]), seen + (name,)) if data.get("继承") else None
    region = str(data.get("地区", parent[0] if parent else ""))      # the region is inherited, the years not
    first, last = data.get("起始年度"), data.get("截止年度")
    ok = lambda y: y is None or (isinstance(y, int) and not isinstance(y, bool))    # noqa: E731
    return (region, first, last) if (first, last) != (None, None) and ok(first) and ok(last) else None


def _covers(first: int | None, last: int | None, year: int) -> bool:
    """Whether the years from ``first`` to ``last`` (None: open on that side) hold ``year``."""
    return (first is None or year >= first) and (last is None or year <= last)


def _display(region: str, first: int | None, last: int | None) -> str:
    years = (f"{last}年度及以前" if first is None else f"{first}年度" if last == first else
             f"{first}—{last}年度" if last else f"{first}年度起")
    return f"{region} 部门决算公开（{years}）"


def labels() -> dict[str, str]:
    """Each profile's display name (“山西省 部门决算公开（2023年度起）”), "" when it states no years."""
    return {name: _display(*years) if (years := _years(name)) else "" for name in available()}


def choices() -> list[str]:
    """Every profile as a person chooses it: “shanxi-2023（山西省 部门决算公开（2023年度起））”
    (a profile that states no region and years is listed by its name)."""
    return [f"{name}（{label}）" if label else name for name, label in labels().items()]


def serving(year: int, region: str) -> list[str]:
    """The profiles of ``region`` that serve 决算年度 ``year``."""
    return [name for name in available()
            if (years := _years(name)) and years[0] == region and _covers(years[1], years[2], year)]


def regions() -> list[str]:
    """The regions the profiles serve (地区), sorted."""
    return sorted({years[0] for name in available() if (years := _years(name)) and years[0]})


def unknown_message(name: str) -> str:
    """The message for a profile name that does not exist: what there is, and, when the name reads
    like another profile's region and a year (“shanxi-2024”), which profile serves that year."""
    message = f"找不到模板“{name}”；可用的模板：{'、'.join(choices())}"
    stem, _, year = name.rpartition("-")
    if stem and year.isdigit() and len(year) == 4:
        regions = {years[0] for other in available()
                   if other.rpartition("-")[0] == stem and (years := _years(other))}
        for region in sorted(r for r in regions if r):
            use = serving(int(year), region)
            if use:
                message += f"。{region}{year}年度的版式是 {'、'.join(use)}"
    return message


OWN_KEYS = {"起始年度", "截止年度"}


def _profile(name: str, seen: tuple = (), via: Source | None = None) -> Located:
    """The profile ``name`` with what it inherits (继承) written under it: mappings merge key by
    key, any other value replaces the inherited one; every key keeps the file and line that wrote
    it. ``via``: the 继承 that names it (for a message)."""
    path = _find(name, via)
    if path is None:
        raise InputError([Problem(via or Source("模板"), unknown_message(name))])
    if name in seen:
        raise InputError([Problem(via or Source(str(path)), f"模板继承成环：{' → '.join(f'“{n}”' for n in seen + (name,))}")])
    loc = read_yaml(path, "模板", "说明、表、情况说明提纲", aliases=True)
    parent = loc.data.get("继承")
    if isinstance(parent, str) and parent:
        own = set(loc.data)
        loc = overlay(_profile(parent, seen + (name,), loc.source(("继承",))), loc)
        for key in OWN_KEYS - own:        # the years a profile serves are its own, never inherited
            loc.data.pop(key, None)
    return loc


def _wording_dirs(name: str) -> tuple[str, ...]:
    """The 措辞目录 of ``name`` and of the profiles it inherits (继承), nearest first, then default:
    a template its own dir lacks is the one the profile it inherits would use."""
    dirs: list[str] = []
    while name and (path := _find(name)) is not None and len(dirs) < 20:
        data = read_yaml(path, "模板", "说明、表、情况说明提纲", aliases=True).data
        if isinstance(data.get("措辞目录"), str):
            dirs.append(data["措辞目录"])
        name = data.get("继承") if isinstance(data.get("继承"), str) else ""
    return tuple(dict.fromkeys([*dirs, "default"]))


# the profile's key -> the schema of the catalogue it names, and the keys a catalogue has
CATALOG_SCHEMAS = {"经济分类目录": ("catalog-jingji", "人员经费款、科目"), "功能分类类目录": ("catalog-gongneng-lei", "类、旧名称"),
                   "功能分类款目录": ("catalog-gongneng-kuan", "款、项、完整"),
                   "三公经费目录": ("catalog-sangong", "合计、项目")}


def _catalogue(loc: Located, key: str) -> dict:
    """The catalogue the profile's ``key`` names (templates/catalogs/), checked by its schema."""
    name = loc.data.get(key)
    if not name:
        return {}
    path = search_path.find("catalogs", str(name), loc.source((key,)), CATALOGS)
    if path is None:
        known = search_path.names("catalogs", CATALOGS)
        raise InputError([Problem(loc.source((key,)), f"catalogs/ 下找不到目录“{name}”；"
                                                      f"可用的目录：{'、'.join(known)}")])
    schema, keys = CATALOG_SCHEMAS[key]
    return read_checked(path, schema, "目录", keys).data


def _layout_named(loc: Located, parts: tuple, name: str) -> str:
    """``name`` (a layout the profile names at ``parts``), or InputError there when there is no such file."""
    if search_path.find("layouts", name, loc.source(parts), LAYOUTS) is None:
        raise InputError([Problem(loc.source(parts), f"找不到表格版式“{name}”；可用的版式：{'、'.join(available_layouts())}")])
    return name


def load_profile(name: str) -> Profile:
    """The profile ``name``, found in the user's folders or templates/ (search_path), read once
    for the folders as they are (the cache is keyed on them)."""
    return _load_profile(name, search_path.key())


load_profile.cache_clear = lambda: _load_profile.cache_clear()     # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _load_profile(name: str, key: tuple) -> Profile:
    loc = _profile(name)
    validate(loc, "profile")
    d = loc.data
    problems: list[Problem] = []
    econ, classes, kuan, sangong = (_catalogue(loc, k) for k in CATALOG_SCHEMAS)
    for key in ("整体自评表版式", "评价报告版式"):     # loaded when a form is printed; named now
        if d.get(key):
            _layout_named(loc, (key,), d[key])
    tables = []
    for i, t in enumerate(d["表"]):
        layout = load_layout(_layout_named(loc, ("表", i, "版式"), t["版式"])).with_settings(t.get("版式设置") or {})
        tables.append(TableSpec(key=str(t["表"]).zfill(2), label=str(t.get("标签", "")), title=t["标题"],
                                note=t.get("注", ""), landscape=bool(t.get("横向", False)), layout=layout,
                                toc_title=t.get("目录标题", t["标题"]),
                                empty_note=t.get("无数据说明", "说明：本表无数据"),
                                meta_right=t.get("表右上", "")))
    typography = _typography(d.get("正文排版"), loc, problems)
    _sangong_names(sangong, loc, problems)
    all_classes = [(str(c["编码"]), c["名称"]) for c in classes["类"]]
    fixed = _fixed_classes(d.get("固定行类"), all_classes, loc, problems)
    if problems:
        raise InputError(problems)
    catalogue = [(str(e["编码"]), str(e["名称"])) for e in econ["科目"]]
    t06 = next((t for t in tables if t.layout.kind == "经济分类"), None)
    columns = t06.layout.econ_groups(catalogue) if t06 else [[c for c, _ in catalogue]]
    kuan_name = d.get("功能分类款目录")
    return Profile(
        name=name,
        description=d.get("说明", ""),
        year_label=str(d.get("适用年度", "")),
        region=str(d.get("地区", "")),
        first_year=d.get("起始年度"),
        last_year=d.get("截止年度"),
        cell_grouping=bool(d.get("表内千分位", False)),
        tables=tables,
        outline=[Section(s["标题"], s["模板"], s["事实"], s.get("目录标题", "")) for s in d["情况说明提纲"]],
        glossary=[(str(k), str(v)) for k, v in d["名词解释"].items()],
        classes=all_classes,
        econ_names=dict(catalogue),
        econ_catalogue=catalogue,
        econ_columns=columns,
        econ_not_basic={str(c) for c in d.get("基本支出不适用科目", [])},
        personnel_classes=[str(c) for c in econ.get("人员经费款", ["301", "303"])],
        vehicle_labels=dict(d.get("车辆类别名称", {})),
        part_titles=dict(d["部分标题"]),
        texts={**TEXT_DEFAULTS, **{k: str(v) for k, v in d["文字"].items()}},
        wording_dir=d.get("措辞目录", "default"),
        wording_dirs=_wording_dirs(name),
        path=str(_find(name) or ""),
        renamed_classes={str(k): tuple(v) for k, v in (classes.get("旧名称") or {}).items()},
        list_zero_items=bool(d.get("情况说明列出零值项", False)),
        part_templates={"一": "p1_overview.j2", "四": "p4_glossary.j2", "五": "p5_attachments.j2",
                        **{str(k): str(v) for k, v in (d.get("部分模板") or {}).items()}},
        reason_fallbacks={str(k): [str(x) for x in v] for k, v in (d.get("变动原因替代") or {}).items()},
        narrative_grouping=bool(d.get("说明千分位", True)),
        performance_grades=[str(g) for g in d.get("绩效等级") or []],
        grade_thresholds=sorted(((str(g), Decimal(str(v))) for g, v in (d.get("绩效等级线") or {}).items()),
                                key=lambda x: -x[1]),
        self_eval_layout=load_layout(_layout_named(loc, ("自评表版式",), d["自评表版式"])) if d.get("自评表版式") else None,
        overall_layout=str(d.get("整体自评表版式") or ""),
        report_layout=str(d.get("评价报告版式") or ""),
        typography=typography,
        subject_names={str(e["编码"]): str(e["名称"]) for e in (kuan.get("款") or []) + (kuan.get("项") or [])},
        subject_complete=frozenset(str(c) for c in kuan.get("完整") or []),
        kuan_catalogue=str(kuan_name or ""),
        share_tail=SHARE_TAILS[d.get("占比尾差") or "最大项"],
        page_numbers=bool(d.get("页码", True)),
        toc_numbers=bool(d.get("目录页码", True)),
        toc_attachments=bool(d.get("目录列出附件", True)),
        part_page_titles={str(k): str(v) for k, v in (d.get("部分页内标题") or {}).items()},
        part_new_page=frozenset(str(k) for k in d.get("部分另起页") or []),
        fixed_classes=fixed,
        sangong=SangongItems.from_catalogue(sangong),
    )


def _fixed_classes(codes: Any, classes: list[tuple[str, str]], loc: Located,
                   problems: list[Problem]) -> list[tuple[str, str]]:
    """固定行类: the 类 printed as the fixed rows of 01 and 04, in the order written; each must be
    in the profile's 功能分类类目录. Absent: every 类 of the catalogue."""
    if codes is None:
        return list(classes)
    names = dict(classes)
    out = []
    for i, c in enumerate(codes):
        if str(c) not in names:
            problems.append(Problem(_line(loc, "固定行类", i),
                                    f"固定行类中的“{c}”不是功能分类类目录中的类编码（可用：{'、'.join(names)}）"))
            continue
        out.append((str(c), names[str(c)]))
    return out


def _sangong_names(catalogue: dict, loc: Located, problems: list[Problem]) -> None:
    """三公经费目录: every name (合计, items, 小计) once, every 角色 once: they are keys of one mapping."""
    seen = [str(catalogue["合计"])]
    roles: list[str] = []
    for item in catalogue["项目"]:
        for entry in [item, *(item.get("下级") or [])]:
            seen.append(str(entry["名称"]))
            roles += [str(entry["角色"])] if entry.get("角色") else []
    for what, values in (("项目名称", seen), ("角色", roles)):
        for v in sorted({v for v in values if values.count(v) > 1}):
            problems.append(Problem(_line(loc, "三公经费目录"),
                                    f"三公经费目录“{loc.data['三公经费目录']}”中{what}“{v}”出现了不止一次"))


_TYPE_KEYS = {"字号": (Decimal("9"), Decimal("22"), Decimal("0.5")),      # Word sizes are half points
              "行距": (Decimal("9"), Decimal("60"), Decimal("0.05"))}     # Word spacing is in twips


def _line(loc: Located, *parts) -> Source:
    """The file and line of ``parts`` (the message names the key itself)."""
    return replace(loc.source(parts), path="")


def _typography(spec: Any, loc: Located, problems: list[Problem]) -> Typography:
    """正文排版: {字号: 16, 行距: 28} — body size and fixed line pitch in points (GB/T 9704: 三号
    仿宋, 22 lines on the 225 mm text block ≈ 28–29 pt). Absent: the styles' own."""
    if spec is None:
        return Typography()
    if not isinstance(spec, dict):
        problems.append(Problem(_line(loc, "正文排版"), "正文排版应写成 {字号: 16, 行距: 28}（单位：磅）"))
        return Typography()
    values: dict[str, Decimal] = {}
    for key, v in spec.items():
        if key not in _TYPE_KEYS:
            problems.append(Problem(_line(loc, "正文排版", key), f"正文排版只能写 {'、'.join(_TYPE_KEYS)}，不能写“{key}”"))
            continue
        low, high, step = _TYPE_KEYS[key]
        try:
            n = Decimal(str(v)) if isinstance(v, (int, str, Decimal)) and not isinstance(v, bool) else None
        except ArithmeticError:
            n = None
        if n is None or not n.is_finite() or not low <= n <= high or n % step:
            problems.append(Problem(_line(loc, "正文排版", key),
                                    f"正文排版.{key} 应为 {low}–{high} 之间的磅数（步长 {step}），实际是“{v}”"))
            continue
        values[key] = n
    size, pitch = values.get("字号"), values.get("行距")
    if size is not None and pitch is not None and pitch < size:
        problems.append(Problem(_line(loc, "正文排版", "行距"), f"正文排版.行距（{pitch} 磅）不能小于字号（{size} 磅）"))
    return Typography(body_size=size, line_pitch=pitch)


# ---------------------------------------------------------------- titles of the 附件 printed on their own

def attachments_title(unit: Unit, profile: Profile) -> str:
    """The cover of the 附件 printed on their own (profile 文字 附件封面标题)."""
    return profile.texts["附件封面标题"].format(年度=unit.year, 类别=unit.kind_word)


def attachments_file_title(unit: Unit, profile: Profile) -> str:
    """The title (and file name) of the 附件 printed on their own: the attachment's name when the
    file holds one form (prefixed with the unit's name unless it names the unit), else the cover's."""
    indices = sorted({*unit.self_evals, *unit.overall_evals, *unit.eval_reports})
    if len(indices) == 1:
        name = unit.attachments[indices[0]]
        return name if unit.name in name else f"{unit.name}{name}"
    return f"{unit.name}{attachments_title(unit, profile)}"
