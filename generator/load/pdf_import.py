"""A published report's PDF read back into a unit's data (issue 26: ``juesuan import 报告.pdf``).

The profile says what to look for (its cover title, its tables' titles, layouts and order): the
cover gives 单位名称, 年度 and 部门/单位; each table the profile prints is found by its title and
read by ``pdf_tables`` as the layout lays it out. What a table prints goes where the unit's data
holds it: a 科目 table's rows as they are, the 经济分类 table's amounts as rows of 经济分类支出明细,
and the figures of a 对照, 单行 or 清单 table that a workbook cell would hold (the layout's
``input`` paths: 结转结余, stated totals, 三公 items, 相关信息统计). A figure that the data does not
hold (a 类 row of the 收入支出决算总表, a 小计) is computed again from the rows read, and ``check``
compares it with what the report printed (a stated total) where the data keeps one.

Nothing is guessed: what could not be placed is listed by page (``unplaced``). When no profile is
named, every profile is tried and the one whose cover and tables the document prints is taken;
when none or several fit equally, the message names the profiles tried.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import InputError, Problem
from ..model import PrintedSentence, Source, TypedFigure, project_of
from ..sentences import printed_paragraphs
from ..profile import Profile, available, load_profile
from . import pdf_forms, pdf_tables
from .pdf_text import Page, line_text, read_pages
from .yaml_reader import Located

KINDS = ("部门", "单位")
COVER_PAGES = 2                 # the cover (and a title page after it) hold the unit's name and year


@dataclass
class Imported:
    """What was read: the unit's data (as a YAML data file holds it), the profile used, what could
    not be placed (“第N页：…”), and how many printed figures were read of those the tables hold."""
    data: dict
    profile: str
    unplaced: list[str] = field(default_factory=list)
    figures_read: int = 0
    figures_printed: int = 0
    tables_found: list[str] = field(default_factory=list)     # table keys (01 …) found
    tables_missing: list[str] = field(default_factory=list)   # the profile's tables not found
    places: dict[tuple, str] = field(default_factory=dict)    # data key path -> “第N页 表名” (for messages)
    printed: list[TypedFigure] = field(default_factory=list)  # figures printed in cells computed from others
    sentences: list[PrintedSentence] = field(default_factory=list)  # the narrative: pages without a table
    from_text: set[str] = field(default_factory=set)   # places read from the narrative (上年.收入总计 …)
    in_tables: set[str] = field(default_factory=set)   # data paths a table of the report prints (blank or not)
    forms_read: set[str] = field(default_factory=set)  # the 附件 forms read whole (附件[0].项目自评 …)
    page_count: int = 0


# ---------------------------------------------------------------- the cover

def _title_pattern(profile: Profile) -> re.Pattern:
    """The profile's cover title (封面标题, e.g. “{年度}年度{类别}决算”) as a pattern: 年度 and 类别 captured."""
    template = profile.texts.get("封面标题", "{年度}年度{类别}决算")
    parts = re.split(r"(\{年度\}|\{类别\})", template)
    pattern = "".join(r"(?P<year>\d{4})" if p == "{年度}" else f"(?P<kind>{'|'.join(KINDS)})" if p == "{类别}"
                      else re.escape(p) for p in parts)
    return re.compile(pattern)


def read_cover(pages: list[Page], profile: Profile) -> tuple[str, int, str] | None:
    """(单位名称, 年度, 部门/单位) from the cover: the profile's title, the unit's name before it
    (a name broken over lines joined), or None when the first pages do not print the title."""
    pattern = _title_pattern(profile)
    for page in pages[:COVER_PAGES]:
        text = re.sub(r"\s+", "", page.text())
        m = pattern.search(text)
        if m and m.start() > 0:
            kind = m.groupdict().get("kind") or "部门"
            return text[:m.start()], int(m.group("year")), kind
    return None


# ---------------------------------------------------------------- the profile

def _score(pages: list[Page], profile: Profile) -> tuple[int, int]:
    """How well ``profile`` fits: (its tables printed in the document, whether the cover is its)."""
    lines = {"".join(w.text for w in line) for page in pages for line in page.lines}
    tables = sum(1 for spec in profile.tables if spec.title in lines)
    cover = read_cover(pages, profile)
    return tables, int(cover is not None and profile.serves(cover[1]))


def recognise(pages: list[Page], path: Path, other=None) -> Profile:
    """The profile whose tables and cover the document prints: most tables found, then the cover
    and year it serves; a refusal names the profiles tried."""
    scored = []
    for name in available():
        try:
            profile = load_profile(name)
        except InputError:
            continue                 # a broken user profile is not a candidate (check names it)
        scored.append((_score(pages, profile), name, profile))
    scored.sort(key=lambda item: item[0], reverse=True)
    tried = "、".join(name for _, name, _ in scored)
    if not scored or scored[0][0][0] == 0:
        fitting = form_profiles(pages, [profile for _, _, profile in scored], other)
        if len(fitting) == 1:
            return fitting[0]
        if fitting:
            raise InputError([Problem(Source(str(path)), f"这份附件与多个版式同样相符（{'、'.join(p.name for p in fitting)}）；"
                                                         "请用 --profile 指定其中一个")])
        raise InputError([Problem(Source(str(path)), f"认不出这份报告用的版式：试过 {tried}，没有一个版式的决算表标题"
                                                     "出现在文件中，也不是这些版式的自评表；请用 --profile 指定版式")])
    best = scored[0][0]
    ties = [name for score, name, _ in scored if score == best]
    if len(ties) > 1:
        raise InputError([Problem(Source(str(path)), f"这份报告与多个版式同样相符（{'、'.join(ties)}）；"
                                                     "请用 --profile 指定其中一个")])
    return scored[0][2]


def form_profiles(pages: list[Page], profiles: list[Profile], other=None) -> list[Profile]:
    """The profiles that read a document of 附件 alone (no table): those serving the year its form
    prints whose own layouts read it; failing that, those that read it with another layout.
    ``other``: profile -> the caller's reader of other 附件 (``read_forms``)."""
    year = pdf_forms.form_year(pages)
    own, others = [], []
    for profile in profiles:
        if year is not None and not profile.serves(year):
            continue
        read = pdf_forms.read_forms(pages, 0, profile.self_eval_layout, year or 0, profile.overall_layout,
                                    other(profile) if other else None)
        if read.attachments and (year is not None or not read.years or profile.serves(read.years[0])):
            (others if any("版式" in form for a in read.attachments for form in a.values()
                           if isinstance(form, dict)) else own).append(profile)
    return own or others


# ---------------------------------------------------------------- 单位性质 and 机关运行经费 from the text

ADMIN_COST = re.compile(r"机关运行经费(?:支出)?(?:为|共计|合计)?(-?[\d,]+\.\d{2})(万元|元)")
NO_ADMIN_COST = re.compile(r"无机关运行经费")


def read_admin_cost(pages: list[Page]) -> tuple[str, Decimal | None, int] | None:
    """(单位性质, 机关运行经费, page) as the text states them: a unit that states its 机关运行经费 is
    a 行政单位 (or a 参公事业单位: the report reads the same), one that has none a 事业单位; None
    when the text says neither."""
    for page in pages:
        text = re.sub(r"\s+", "", page.text())
        if m := ADMIN_COST.search(text):
            return "行政单位", Decimal(m.group(1).replace(",", "")), page.number
        if NO_ADMIN_COST.search(text):
            return "事业单位", None, page.number
    return None


# ---------------------------------------------------------------- 单位构成: the units in the report

HEADING = re.compile(r"^(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def read_members(pages: list[Page], titles: set[str]) -> tuple[list[dict], int] | None:
    """The units the report covers (概况.单位构成) from the small table under “序号 单位名称 (备注)”:
    each row's number in the 序号 column, its name (and 备注) from the lines nearest to that
    number (a long name is printed over two lines around it); (rows, page), None when not printed."""
    for page in pages:
        for k, line in enumerate(page.lines):
            texts = [w.text for w in line]
            if texts[:2] != ["序号", "单位名称"]:
                continue
            serial_head = line[0]
            note_head = next((w for w in line if w.text == "备注"), None)
            body: list[list] = []
            for below in page.lines[k + 1:]:
                text = "".join(w.text for w in below)
                if HEADING.match(text) or text in titles or below[0].x0 < serial_head.x0 - 8:
                    break
                body.append(below)
            numbers = [(w, int(w.text)) for ln in body for w in ln
                       if w.text.isdigit() and abs(w.cx - serial_head.cx) < 12]
            if not numbers:
                return None
            rows = {n: {"name": [], "note": []} for _, n in numbers}
            for ln in body:
                for w in ln:
                    if any(w is num for num, _ in numbers):
                        continue
                    nearest = min(numbers, key=lambda item: abs(item[0].cy - w.cy))[1]
                    side = "note" if note_head is not None and w.x0 >= note_head.x0 - 20 else "name"
                    rows[nearest][side].append(w)
            out = []
            for n in sorted(rows):
                row = {"单位名称": "".join(w.text for w in sorted(rows[n]["name"], key=lambda w: (w.top, w.x0)))}
                note = "".join(w.text for w in sorted(rows[n]["note"], key=lambda w: (w.top, w.x0)))
                if note:
                    row["备注"] = note
                out.append(row)
            return out, page.number
    return None


# ---------------------------------------------------------------- the tables into the data

def _place(page: int, title: str) -> str:
    return f"第{page}页“{title}”"


def _set(data: dict, path: str, value) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        data = data.setdefault(k, {})
    data[keys[-1]] = value


def _kept(value: Decimal | None, zero_blank: bool) -> bool:
    """Whether a printed amount goes into the data: a blank never; a 0.00 unless the layout prints
    0.00 for a blank (空值印零: then it cannot tell a written 0 from nothing)."""
    return value is not None and not (zero_blank and value == 0)


def _subject_rows(table: pdf_tables.ReadTable, zero_blank: bool) -> list[dict]:
    return [{k: v for k, v in row.items() if not isinstance(v, Decimal) or _kept(v, zero_blank)}
            for row in table.rows]


def _econ_rows(read: pdf_tables.ReadPairs, profile: Profile, zero_blank: bool) -> list[dict]:
    """经济分类支出明细 rows from “30101.基本支出” figures (and “30101.金额”: 项目支出 = 金额 − 基本支出,
    as the workbook reads it): codes in the catalogue's order, then the two totals; a code without
    an amount is left out."""
    by_code: dict[str, dict] = {}
    for address, value in read.values.items():
        code, take = address.split(".", 1)
        if _kept(value, zero_blank):
            by_code.setdefault(code, {})[take] = value
    order = [c for c, _ in profile.econ_catalogue] + [c for c in by_code if c not in profile.econ_names]
    rows = []
    for code in order:
        if code not in by_code:
            continue
        read_row = by_code.pop(code)
        row: dict = {"科目编码": code}
        if code in profile.econ_names:
            row["科目名称"] = profile.econ_names[code]
        basic, amount = read_row.pop("基本支出", None), read_row.pop("金额", None)
        if basic is not None:
            row["基本支出"] = basic
        if amount is not None and (project := project_of(basic, amount)) is not None:
            row["项目支出"] = project
        rows.append(row | read_row)
    return rows


def _cells_of_pairs(spec, profile: Profile) -> dict[str, tuple[str | None, str, str]]:
    """对照: each printed figure's address -> (the data path a workbook cell of it fills, None when
    computed; its row's label; its column's title when the side has more than one value column)."""
    fill = spec.layout.filler(profile.texts)
    values = spec.layout.pair_grid(profile.classes, fill)
    inputs = spec.layout.pair_grid(profile.classes, fill, "input")
    out = {}
    for row_v, row_i in zip(values, inputs):
        for (leaf, entry, held), (_, _, path) in zip(row_v, row_i):
            if leaf.take == "值" and isinstance(held, str):
                several = sum(1 for c in row_v if c[1] is entry and c[0].take == "值") > 1
                out[held] = (path if isinstance(path, str) else None, entry.label, fill(leaf.title) if several else "")
    return out


def _cells_of_list(spec, profile: Profile) -> dict[str, tuple[str | None, str, str]]:
    """清单: each printed figure's address -> (its data path or None, its row's label, "")."""
    from ..layout import Entry
    fill = spec.layout.filler(profile.texts)
    return {e.value: (e.input if isinstance(e.input, str) else None, e.label, "")
            for e in spec.layout.list_rows(profile.vehicle_labels, fill) if isinstance(e, Entry) and isinstance(e.value, str)}


ANNEX_PAGE = re.compile(r"附件\s*\d*\s*[：:]")


def narrative(pages: list[Page], table_pages: set[int]) -> list[PrintedSentence]:
    """The sentences of the pages that hold no table (the cover, 目录 and the texts) before the
    附件 (a page after the tables that opens with “附件N：”), paragraph by paragraph: a line indented
    as a paragraph's first line opens one (page numbers left out)."""
    lines = []
    last_table = max(table_pages, default=0)
    for page in pages:
        if page.number in table_pages:
            continue
        body = page.body()
        if page.number > last_table and body and ANNEX_PAGE.match(line_text(body[0])):
            break
        left = min((line[0].x0 for line in body), default=0)
        lines += [(page.number, line_text(line), line[0].x0 > left + 8) for line in body]
    return [PrintedSentence(page, k, text) for k, paragraph in enumerate(printed_paragraphs(lines))
            for page, text in paragraph]


def import_pages(pages: list[Page], path: Path, profile: Profile | None = None, title: str = "",
                 other=None) -> Imported:
    """The unit's data from a report's pages (``profile`` None: recognised; ``title``: the
    document's title, which names the unit of a document of 附件 alone; ``other``: profile -> the
    caller's reader of the 附件 of other kinds, see ``pdf_forms.read_forms``)."""
    profile = profile or recognise(pages, path, other)
    data: dict = {}
    result = Imported(data, profile.name, page_count=len(pages))
    cover = read_cover(pages, profile)
    if cover is None:
        result.unplaced.append(f"第1页：封面上找不到“{profile.texts.get('封面标题', '')}”样式的标题，"
                               "单位名称和年度需要自己填写")
    else:
        data["单位名称"], data["年度"], kind = cover
        data["报告类型"] = f"{kind}决算"
    data["模板"] = profile.name
    nature = read_admin_cost(pages)
    if nature is None:
        result.unplaced.append("说明中既没有机关运行经费的数额，也没有“无机关运行经费”：单位性质需要自己填写")
    else:
        data["单位性质"] = nature[0]
        result.places[("单位性质",)] = f"第{nature[2]}页"
        if nature[1] is not None:
            result.unplaced.append(f"第{nature[2]}页：说明写了机关运行经费，单位性质按“行政单位”写入"
                                   "（参公事业单位请自己改）")
    members = read_members(pages, {t.title for t in profile.tables})
    if members:
        data["概况"] = {"单位构成": members[0]}
        result.places[("概况", "单位构成")] = f"第{members[1]}页"
    units: set[str] = set()
    table_pages: set[int] = set()

    def count(values) -> None:
        result.figures_printed += len(values)
        result.figures_read += sum(1 for v in values if v is not None)

    for table in pdf_tables.subject_tables(pages, profile):
        spec = profile.table(table.key)
        data[spec.layout.data] = _subject_rows(table, spec.layout.zero_blank)
        result.places[(spec.layout.data,)] = _place(table.pages[0], table.title)
        for i, (page, row) in enumerate(zip(table.row_pages, data[spec.layout.data])):
            for key in ((), *((k,) for k in row)):
                result.places[(spec.layout.data, i, *key)] = _place(page, table.title)
        table_pages.update(table.pages)
        count([v for row in table.rows for v in row.values() if isinstance(v, Decimal)])
        units.add(table.money_unit)
        result.tables_found.append(table.key)
        result.unplaced += table.unplaced
    for read, cells_of in ([(t, _cells_of_pairs) for t in pdf_tables.pair_tables(pages, profile)]
                           + [(t, _cells_of_list) for t in pdf_tables.list_tables(pages, profile)]):
        cells = cells_of(profile.table(read.key), profile)
        result.in_tables |= {data_path for data_path, _, _ in cells.values() if data_path}
        where = Source(str(path), cell=_place(read.pages[0], read.title))
        for address, value in read.values.items():
            if value is None:
                continue
            data_path, row, column = cells.get(address, (None, address, ""))
            if data_path:
                _set(data, data_path, value)
                result.places[tuple(data_path.split("."))] = where.cell
            else:        # a cell computed from others (a 类 row, a 合计 of the other side): compared by check
                result.printed.append(TypedFigure(address, read.key, row, column, value, where))
        count(list(read.values.values()))
        table_pages.update(read.pages)
        units.add(read.money_unit)
        result.tables_found.append(read.key)
        result.unplaced += read.unplaced
    for row in pdf_tables.single_row_tables(pages, profile):
        result.in_tables |= {p for p in row.values if p}
        for path_, value in row.values.items():
            if value is not None and path_:
                _set(data, path_, value)
                result.places[tuple(path_.split("."))] = _place(row.pages[0], row.title)
        count(list(row.values.values()))
        table_pages.update(row.pages)
        if row.values:
            units.add(row.money_unit)
        result.tables_found.append(row.key)
        result.unplaced += row.unplaced
    for read in pdf_tables.econ_tables(pages, profile):
        data["经济分类支出明细"] = _econ_rows(read, profile, profile.table(read.key).layout.zero_blank)
        result.places[("经济分类支出明细",)] = _place(read.pages[0], read.title)
        for i, row in enumerate(data["经济分类支出明细"]):
            for key in ((), *((k,) for k in row)):
                result.places[("经济分类支出明细", i, *key)] = _place(read.pages[0], read.title)
        count(list(read.values.values()))
        table_pages.update(read.pages)
        units.add(read.money_unit)
        result.tables_found.append(read.key)
        result.unplaced += read.unplaced
    if nature and nature[1] is not None and "机关运行经费" not in data.get("相关信息统计", {}):
        _set(data, "相关信息统计.机关运行经费", nature[1])
        result.places[("相关信息统计", "机关运行经费")] = f"第{nature[2]}页"
    units.discard("")
    if len(units) == 1:
        data["金额单位"] = units.pop()
    elif units:
        result.unplaced.append(f"各表的金额单位不一致（{'、'.join(sorted(units))}）：金额单位需要自己填写")
    found = set(result.tables_found)
    result.tables_missing = [t.key for t in profile.tables if t.key not in found]
    order = {t.key: i for i, t in enumerate(profile.tables)}
    result.tables_found.sort(key=order.get)
    result.sentences = narrative(pages, table_pages)
    alone = not table_pages
    year = (pdf_forms.form_year(pages) or 0) if alone else int(data.get("年度") or 0)
    forms = pdf_forms.read_forms(pages, max(table_pages, default=0), profile.self_eval_layout, year,
                                 profile.overall_layout, other(profile) if other else None)
    if alone and forms.attachments:
        return _attachments_alone(result, forms, profile, year, title)
    if forms.attachments:
        data["附件"] = forms.attachments
        result.forms_read = {f"附件[{k}].{kind}" for k, a in enumerate(forms.attachments) for kind in a if kind != "名称"}
    result.places.update(forms.places)
    result.unplaced += forms.unplaced
    return result


def _attachments_alone(result: Imported, forms: "pdf_forms.ReadForms", profile: Profile, year: int,
                       title: str) -> Imported:
    """A document of 附件 alone (no table): the unit's name from the document's title (the unit's
    name before the form's title, as a file of 附件 alone is titled), the year its form prints."""
    data = result.data
    data.clear()
    name = forms.attachments[0]["名称"] if len(forms.attachments) == 1 else ""
    unit = title[:-len(name)].strip() if name and title.endswith(name) and len(title) > len(name) else ""
    implementer = str((forms.attachments[0].get("评价报告") or {}).get("实施单位") or "") if name else ""
    if unit:
        data["单位名称"] = unit
        result.unplaced = [f"单位名称“{unit}”取自 PDF 文件的标题（表上不印），请核对"]
    elif implementer:
        data["单位名称"] = implementer
        result.unplaced = [f"单位名称“{implementer}”取自评价报告的实施单位，请核对"]
    else:
        result.unplaced = ["表上不印单位名称，PDF 文件的标题也没有：单位名称需要自己填写"]
    year = year or (forms.years[0] if forms.years else 0)
    if year:
        data["年度"] = year
    data["模板"] = profile.name
    data["附件"] = forms.attachments
    result.places = dict(forms.places)
    result.unplaced += forms.unplaced
    result.forms_read = {f"附件[{k}].{kind}" for k, a in enumerate(forms.attachments) for kind in a if kind != "名称"}
    result.sentences = []
    return result


def import_pdf(path: Path, profile: Profile | None = None) -> Imported:
    """``path`` read (bounded: pdf_text) and imported; InputError for a file that is no readable PDF."""
    return import_pages(read_pages(path), path, profile)


def read_pdf_located(path: Path, profile: Profile | None = None) -> Located:
    """A published report as a unit file is read (``unit_loader.read_located``): its data, each
    value's place (“第N页“表名””) for messages, structure-checked like any unit file."""
    from .structure import validate_structure
    imported = import_pdf(path, profile)
    located = Located(str(path), imported.data, cells=dict(imported.places), printed=list(imported.printed),
                      published=True, printed_text=list(imported.sentences))
    validate_structure(located)
    return located
