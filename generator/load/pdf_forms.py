"""The 附件 of a published report read back into a unit's data (issue 26): each “附件N：名称” part
after the tables, and the form it prints, read by the profile's layout of that form.

A 项目支出绩效自评表 is read cell by cell (``pdf_grid``: the boxes its ruled lines draw) the way
compose/attachments.Form lays it out: the layout's labels (项目名称, 主管部门, 项目资金, 绩效指标,
总分, 项目绩效分析) find the parts, the 资金 and 指标 columns are found by their titles, and each
row's cells are taken from those columns. What the form computes (执行率, 结余, 得分, 总分, 等级)
goes where the data keeps figures to compare (``填写``), so ``check`` says where a published form
contradicts itself (a 资金分值 the form does not print is found by ``published_forms``). A form the
layout does not describe, and a 附件 of another kind, is listed
as not read, by page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from decimal import Decimal

from ..layout import Layout, available as available_layouts, load_layout
from .pdf_grid import EPS, MAX_PAIRS, GridCell, cells, cost, join_lines, paragraphs
from .pdf_text import Page, line_text

ANNEX = re.compile(r"附件\s*(\d{1,4})\s*[：:]\s*(.+)")
CODED = re.compile(r"(\d+)-(.+)")          # “624-山西…”: a 主管部门 or 实施单位 with its code


@dataclass
class Annex:
    number: int
    name: str
    pages: list[Page]
    headed: bool = True         # named by its “附件N：名称” heading (else: a file of one 附件, named by its first line)


@dataclass
class OtherForm:
    """A 附件 of another kind read by the caller's reader (``read_forms``'s ``other``)."""
    kind: str                   # 评价报告
    form: dict
    notes: list[str]
    year: int | None            # the year it prints
    title: str                  # the title it prints (its 附件 name where no “附件N：” heading names it)


@dataclass
class ReadForms:
    attachments: list[dict] = field(default_factory=list)    # 附件 as the data file holds them
    places: dict[tuple, str] = field(default_factory=dict)   # data key path -> “第N页 附件M”
    unplaced: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)           # the years a read 附件 prints (a 评价报告's)


YEAR_LINE = re.compile(r"（(\d{4})年度）")


def form_year(pages: list[Page]) -> int | None:
    """The year a form's title line prints (“（2021年度）”) on the first page, or None."""
    return next((int(m.group(1)) for p in pages[:1] for line in p.body()
                 if (m := YEAR_LINE.search(line_text(line)))), None)


def annexes(pages: list[Page], after: int) -> list[Annex]:
    """The 附件 printed after page ``after``: each opens a page with “附件N：名称” and runs to the
    next one (or the end). A document of no tables and no such heading (``after`` 0) is one 附件,
    named by its first line (the form's title)."""
    out: list[Annex] = []
    for page in pages:
        if page.number <= after:
            continue
        body = page.body()
        m = ANNEX.fullmatch(line_text(body[0])) if body else None
        if m:
            out.append(Annex(int(m.group(1)), m.group(2).strip(), [page]))
        elif out:
            out[-1].pages.append(page)
    if not out and after == 0 and pages and (first := pages[0].body()):
        out.append(Annex(1, line_text(first[0]), list(pages), headed=False))
    return out


def squeezed(text: str) -> str:
    """``text`` without any whitespace (how labels and headings are compared)."""
    return re.sub(r"\s+", "", text)


FIGURE = re.compile(r"-?\d{1,15}(?:\.\d{1,6})?")      # a form's figure: no exponent, NaN or Infinity


def _number(text: str) -> Decimal | None:
    """A figure of the form as printed (“92.635”, “94.85%”, “1,234.5”); None for blank, “—” or
    anything that is not a plain figure."""
    t = text.replace(",", "").strip().rstrip("%").strip()
    return Decimal(t) if FIGURE.fullmatch(t) else None


class FormCells:
    """The cells of one 附件's pages, in reading order, with lookups by label and by position."""

    def __init__(self, pages: list[Page]):
        self.cells: list[GridCell] = []
        self.order = {p.number: k for k, p in enumerate(pages)}
        self.by_page: dict[int, list[GridCell]] = {}
        for page in pages:
            self.by_page[page.number] = cells(page)[0]
            self.cells += self.by_page[page.number]

    def find(self, label: str, after: GridCell | None = None) -> GridCell | None:
        """The first cell reading ``label`` (spaces ignored), after ``after`` when given."""
        want = squeezed(label)
        for c in self.cells:
            if after is not None and self.pos(c) <= self.pos(after):
                continue
            key = squeezed(c.text)
            if key == want or (key and want.startswith(key) and squeezed(self.text(c)) == want):
                return c                  # (a label the page break cut, read on with its next part)
        return None

    def pos(self, c: GridCell) -> tuple:
        return self.order[c.page], round(c.top, 1), round(c.x0, 1)

    def right_of(self, c: GridCell) -> GridCell | None:
        """The cell beside ``c`` on its right, starting on c's first line."""
        found = [d for d in self.by_page[c.page] if abs(d.x0 - c.x1) <= EPS
                 and c.top - EPS <= d.top < c.bottom - EPS]
        return min(found, key=lambda d: d.top, default=None)

    def at(self, page: int, top: float, column: GridCell) -> GridCell | None:
        """The cell of ``column``'s x-range on the row starting at ``top`` (a cell merged down over
        several rows counts on each)."""
        for d in self.by_page.get(page, ()):
            if abs(d.x0 - column.x0) <= EPS and d.top - EPS <= top < d.bottom - EPS:
                return d
        return None

    def below(self, c: GridCell) -> GridCell | None:
        for d in self.by_page[c.page]:
            if abs(d.x0 - c.x0) <= EPS and abs(d.top - c.bottom) <= EPS:
                return d
        return None

    def text(self, c: GridCell | None) -> str:
        """``c``'s text, with its continuation on the next page (a row split by the page break: the
        same column at the top of the next page, the cell to its left empty there)."""
        return join_lines([t for cell in self.chain(c) for _, _, t in cell.lines])

    def paragraphs(self, c: GridCell | None) -> list[tuple[bool, str]]:
        """``c`` and its continuations as paragraphs, each (indented, text): ``pdf_grid.paragraphs``
        between the edges its lines reach."""
        lines = [line for cell in self.chain(c) for line in cell.lines]
        if not lines:
            return []
        return paragraphs(lines, min(x for x, _, _ in lines), max(x for _, x, _ in lines))

    def chain(self, c: GridCell | None) -> list[GridCell]:
        """``c`` and the cells continuing it on the following pages."""
        out = []
        while c is not None and len(out) < len(self.order):
            out.append(c)
            c = self._continuation(c)
        return out

    def _continuation(self, c: GridCell) -> GridCell | None:
        pages = sorted(self.order, key=self.order.get)
        k = self.order[c.page]
        if k + 1 >= len(pages):
            return None
        if any(d.top >= c.bottom - EPS for d in self.by_page[c.page]):       # not the last row of its page
            return None
        nxt = self.by_page[pages[k + 1]]
        if not nxt:
            return None
        first = min(d.top for d in nxt)
        same = [d for d in nxt if abs(d.top - first) <= EPS and abs(d.x0 - c.x0) <= EPS and abs(d.x1 - c.x1) <= EPS]
        label_left = [d for d in nxt if abs(d.top - first) <= EPS and d.x1 <= c.x0 + EPS]
        return same[0] if same and not label_left else None


def _coded(text: str) -> tuple[str, str]:
    """(名称, 代码) of “624-名称” (no code: the text, "")."""
    m = CODED.fullmatch(text)
    return (m.group(2), m.group(1)) if m else (text, "")


def _opened(annex: Annex, layout: Layout, *labels: str):
    """A form's layout, its labels, the cells of ``annex``, its place for notes, and the cells
    reading the layout's ``labels`` (None unless every one is found: not this layout's form)."""
    lab: dict[str, str] = layout.form["标签"]
    g = FormCells(annex.pages)
    found = [g.find(lab[k]) for k in labels]
    where = f"第{annex.pages[0].number}页附件{annex.number}"
    return layout.form, lab, g, where, None if any(c is None for c in found) else found


def _close(out: dict, typed: dict, annex: Annex, year: int) -> None:
    """A form's results as printed (填写) and its year where it is not the report's."""
    if typed:
        out["填写"] = typed
    title_year = form_year(annex.pages)
    if title_year is not None and title_year != year:
        out["年度"] = title_year


FUND_NUMBERS = ("年初预算数", "目标申报数", "预算编制数", "全年预算数", "全年执行数")


def read_self_eval(annex: Annex, layout: Layout, year: int) -> tuple[dict | None, list[str]]:
    """One 项目支出绩效自评表 as the data's ``项目自评`` mapping, and what could not be read; None
    when the 附件 is not this layout's form (its 项目名称 and 资金 labels not found)."""
    f, lab, g, where, found = _opened(annex, layout, "项目名称", "资金")
    if found is None:
        return None, []
    name_cell, funds_cell = found
    unplaced: list[str] = []
    out: dict = {"项目名称": g.text(g.right_of(name_cell))}
    for key, code_key in (("主管部门", "主管部门代码"), ("实施单位", "实施单位代码")):
        label = g.find(lab[key])
        if label is not None:
            name, code = _coded(g.text(g.right_of(label)))
            out[key] = name
            if code:
                out[code_key] = code

    # 资金: the column titles inside the block, then a row per name in the column after the block's label
    cols: list[dict] = f["资金列"]
    heads = {c["键"]: g.find(c["标题"], after=funds_cell) for c in cols}
    missing = [c["标题"] for c in cols if heads[c["键"]] is None]
    if missing:
        return None, [f"{where}：找不到资金栏“{'、'.join(missing)}”"]
    body_top = max(h.bottom for h in heads.values() if h is not None)
    names = [c for c in g.cells if c.page == funds_cell.page and abs(c.x0 - funds_cell.x1) <= EPS
             and c.top >= body_top - EPS and c.bottom <= funds_cell.bottom + EPS]
    funds, printed = [], []
    for name in names:
        row: dict = {"名称": name.text}
        values = {}
        for key, h in heads.items():
            cell = g.at(name.page, name.top, h)
            values[key] = cell.text if cell is not None else ""
        for key in FUND_NUMBERS:
            if key in values and (v := _number(values[key])) is not None:
                row[key] = v
        if values.get("偏差原因"):
            row["偏差原因"] = values["偏差原因"]
        funds.append(row)
        printed.append(values)
    out["资金"] = funds
    typed: dict = {}
    if printed:
        first = printed[0]
        if (rate := _number(first.get("执行率", ""))) is not None:
            typed["执行率"] = rate
        if (score := _number(first.get("得分", ""))) is not None:
            typed["资金得分"] = score
        if (weight := _number(first.get("分值", ""))) is not None:
            out["资金分值"] = weight

    goal, result = g.find(lab["年度目标"]), g.find(lab["实际完成情况"])
    out["年度目标"] = g.text(g.below(goal)) if goal else ""
    out["实际完成情况"] = g.text(g.below(result)) if result else ""

    out["指标"] = _indicators(g, layout, unplaced, where)
    total = g.find(lab["总分"])
    if total is not None:
        right = []
        c = g.right_of(total)
        while c is not None and len(right) < 3:
            right.append(c.text)
            c = g.right_of(c)
        if f.get("印等级"):
            if right and (v := _number(right[0])) is not None:
                typed["总分"] = v
            if len(right) > 1 and right[1]:
                typed["等级"] = right[1]
        elif len(right) > 1 and (v := _number(right[1])) is not None:
            typed["总分"] = v
    analysis_cell = g.find(lab["分析"])
    analysis = {}
    for _group, title, key in f["分析"]:
        c = g.find(title, after=analysis_cell) if analysis_cell is not None else None
        if c is not None and (text := g.text(g.right_of(c))):
            analysis[key] = text
    if analysis:
        out["分析"] = analysis
    _close(out, typed, annex, year)
    return out, unplaced


def _chained(g: FormCells, c: GridCell | None, consumed: set[int]) -> str:
    """``c``'s text with its continuation on the next pages, whose cells are then ``consumed``."""
    chain = g.chain(c)
    consumed.update(id(d) for d in chain[1:])
    return join_lines([t for d in chain for _, _, t in d.lines])


def _indicators(g: FormCells, layout: Layout, unplaced: list[str], where: str) -> list[dict]:
    """The 绩效指标 rows: a row wherever a cell of the 三级 or a value column starts; 一级 and 二级
    from the cell merged over it (blank where the page broke a merged cell: the one above)."""
    f = layout.form
    block = g.find(f["标签"]["指标"])
    if block is None:
        unplaced.append(f"{where}：找不到“{f['标签']['指标']}”")
        return []
    levels = [g.find(t, after=block) for t in ("一级指标", "二级指标", "三级指标")]
    cols = [(c["键"], g.find(c["标题"], after=block)) for c in f["指标列"]]
    if any(c is None for c in levels) or any(h is None for _, h in cols):
        unplaced.append(f"{where}：找不到绩效指标的栏目")
        return []
    end = g.find(f["标签"]["总分"], after=block)
    stop = g.pos(end) if end is not None else (len(g.order), 1e9, 1e9)
    head = (g.order[levels[2].page], round(levels[2].top, 1))
    starts = sorted({(c.page, round(c.top, 1)) for c in g.cells
                     if (g.order[c.page], round(c.top, 1)) > head and g.pos(c) < stop
                     and any(abs(c.x0 - h.x0) <= EPS for h in [levels[2], *(h for _, h in cols)])})
    slot = re.compile(re.escape(str(f.get("空槽标签", "指标{序号}："))).replace(r"\{序号\}", r"\d+"))
    rows: list[dict] = []
    level1 = level2 = ""
    consumed: set[int] = set()            # cells continuing a row of the page before (read with it)
    for page, top in starts:
        row_cells = [c for h in [levels[2], *(h for _, h in cols)] if (c := g.at(page, top, h)) is not None]
        if row_cells and all(id(c) in consumed for c in row_cells):
            continue                     # the rest of a row the page break cut: read with the row
        cell1, cell2 = g.at(page, top, levels[0]), g.at(page, top, levels[1])
        level1 = cell1.text if cell1 is not None and cell1.text else level1
        level2 = cell2.text if cell2 is not None and cell2.text else level2
        third = g.at(page, top, levels[2])
        row: dict = {"一级指标": level1, "二级指标": level2}
        if third is not None and third.text:
            row["三级指标"] = third.text
        for key, h in cols:
            text = _chained(g, g.at(page, top, h), consumed)
            if key in ("分值", "得分"):
                if (v := _number(text)) is not None:
                    row[key] = v
                elif text:
                    unplaced.append(f"{where}：指标“{row.get('三级指标', '')}”的{key}“{text}”不是数，没有读入")
            elif text:
                row[key] = text
        if set(row) == {"一级指标", "二级指标", "三级指标"} and slot.fullmatch(row["三级指标"]):
            continue                     # an empty “指标N：” slot the layout prints
        rows.append(row)
    return rows


# -- 部门整体支出绩效自评表 ---------------------------------------------------------------------

def _columns(g: FormCells, layout: Layout, after: GridCell | None) -> list[GridCell] | None:
    """The cells titling the indicator part's leaf columns (in the layout's order), found below
    ``after``: the run of cells reading the layout's header titles; a leaf is one with no title
    cell under it. None when they are not the layout's."""
    titles = {squeezed(t) for row in layout.header_rows(lambda s: s) for t, _, _ in row}
    run: list[GridCell] = []
    for c in g.cells:
        if after is not None and g.pos(c) <= g.pos(after):
            continue
        if squeezed(c.text) in titles:
            run.append(c)
            if len(run) > 4 * len(titles) + 8:      # more title cells than a header has: not this form
                return None
        elif run:
            break
    leaves = [c for c in run if not any(d is not c and d.page == c.page and d.top >= c.bottom - EPS
                                        and d.x0 < c.x1 - EPS and d.x1 > c.x0 + EPS for d in run)]
    leaves.sort(key=lambda c: c.x0)
    names = [squeezed(x.title) for x in layout.leaves()]
    if [squeezed(c.text) for c in leaves] != names:
        return None
    return leaves


def _narrative(g: FormCells, label: GridCell | None) -> list[dict]:
    """部门整体支出情况: the cell beside its label (and its continuations) as [{标题, 内容}]: a
    paragraph not indented is a title, the indented ones under it its content (one a line)."""
    out: list[dict] = []
    for indented, text in g.paragraphs(g.right_of(label) if label is not None else None):
        if not indented or not out:
            out.append({"标题": "" if indented else text, "内容": [text] if indented else []})
        else:
            out[-1]["内容"].append(text)
    return [{**({"标题": n["标题"]} if n["标题"] else {}), "内容": "\n".join(n["内容"])} for n in out]


def read_overall(annex: Annex, layout: Layout, year: int) -> tuple[dict | None, list[str]]:
    """One 部门整体支出绩效自评表 as the data's ``整体自评`` mapping, and what could not be read; None
    when the 附件 is not this layout's form. The 计算分析情况 is read as printed (a ratio's formula
    is turned into its 比率 and 数据 by published_forms, which computes them again)."""
    f, lab, g, where, found = _opened(annex, layout, "单位负责人", "综合得分")
    if found is None:
        return None, []
    head_cell, total_cell = found
    narrative_label = g.find(lab["情况"])
    leaves = _columns(g, layout, narrative_label or head_cell)
    if leaves is None:
        return None, []
    out: dict = {"单位负责人": g.text(g.right_of(head_cell))}
    phone = g.find(lab["联系电话"])
    if phone is not None and (text := g.text(g.right_of(phone))):
        out["联系电话"] = text
    date = next((m.group(1).strip() for p in annex.pages[:1] for line in p.body()
                 if (m := re.search(re.escape(squeezed(lab["填报日期"])) + r"(.*)$", squeezed(line_text(line))))), "")
    if date:
        out["填报日期"] = date
    funds = {}
    for key, label in f["资金"]:
        c = g.find(label)
        if c is not None and (v := _number(g.text(g.right_of(c)))) is not None:
            funds[key] = v
    out["资金"] = funds
    if narrative := _narrative(g, narrative_label):
        out["情况"] = narrative

    takes = [x.take for x in layout.leaves()]
    by_take = dict(zip(takes, leaves))
    header_end = (g.order[leaves[0].page], max(round(c.bottom, 1) for c in leaves))
    stop = g.pos(total_cell)
    starts = sorted({(c.page, round(c.top, 1)) for c in g.cells
                     if (g.order[c.page], round(c.top, 1)) >= header_end and g.pos(c) < stop
                     and any(abs(c.x0 - by_take[t].x0) <= EPS for t in takes if t not in ("一级", "一级分值", "二级", "二级分值"))})
    rows: list[dict] = []
    level1 = level2 = ""
    consumed: set[int] = set()            # cells continuing a row of the page before (read with it)
    for page, top in starts:
        row_cells = [c for t in takes if t not in ("一级", "一级分值", "二级", "二级分值")
                     if (c := g.at(page, top, by_take[t])) is not None]
        if row_cells and all(id(c) in consumed for c in row_cells):
            continue                      # the rest of a row the page break cut: read with the row

        def cell(take: str) -> str:
            c = g.at(page, top, by_take[take]) if take in by_take else None
            if take in ("一级", "二级", "三级"):          # names: on their row's first page
                return c.text if c is not None else ""
            return _chained(g, c, consumed)
        level1 = cell("一级") or level1
        level2 = cell("二级") or level2
        third = cell("三级")
        if not third and f.get("一级小计行"):
            continue                                   # a 一级's subtotal row
        row: dict = {"一级指标": level1, "二级指标": level2, "三级指标": third}
        for take, key in (("参考分值", "参考分值"), ("分值", "分值"), ("得分", "得分")):
            if (v := _number(cell(take))) is not None:
                row[key] = v
        if text := cell("计算"):
            row["计算分析"] = text
        rows.append(row)
    out["指标"] = rows

    typed = {}
    score_cell = g.at(total_cell.page, total_cell.top, by_take["得分"]) if "得分" in by_take else None
    if score_cell is not None and (v := _number(score_cell.text)) is not None:
        typed["综合得分"] = v
    if lab.get("等次") and (grade_cell := g.find(lab["等次"], after=total_cell)) is not None:
        printed = g.text(g.right_of(grade_cell))
        names = {v: k for k, v in (f.get("等级印作") or {}).items()}
        if printed:
            typed["等级"] = names.get(printed, printed)
    people_cell = g.find(lab["评价人员"], after=total_cell) if lab.get("评价人员") else None
    if people_cell is not None:
        heads = [g.find(t, after=people_cell) for t in lab["人员列"][:3]]
        people = []
        if all(h is not None for h in heads):
            first = heads[0]
            for c in g.cells:
                if c.page == first.page and abs(c.x0 - first.x0) <= EPS and c.top >= first.bottom - EPS \
                        and c.bottom <= people_cell.bottom + EPS:
                    values = [g.at(c.page, c.top, h) for h in heads]
                    person = {k: v.text for k, v in zip(("姓名", "职务", "科室"), values) if v is not None and v.text}
                    people.append(person)
        if people:
            out["评价人员"] = people
    _close(out, typed, annex, year)
    return out, [] if rows else [f"{where}：找不到评价指标的行"]


def overall_layouts(default: str) -> list[Layout]:
    """The 整体自评表 layouts to try: the profile's first, then every other one."""
    names = [default] * bool(default) + [n for n in available_layouts() if n != default]
    return [layout for n in names if (layout := load_layout(n)).kind == "整体自评表"]


def read_forms(pages: list[Page], after: int, self_eval: Layout | None, year: int,
               overall: str = "", other: Callable[[Annex], OtherForm | None] | None = None) -> ReadForms:
    """Every 附件 after page ``after``: each 项目支出绩效自评表 (the profile's layout) and 部门整体支出
    绩效自评表 (the profile's layout ``overall``, else any other that fits; then named as the
    attachment's 版式) read into ``附件`` with their places; ``other`` reads any other kind (the
    评价报告, which needs composing: the caller's); a 附件 none reads is listed as not read."""
    result = ReadForms()
    budget = MAX_PAIRS
    for annex in annexes(pages, after):
        budget -= sum(cost(p) for p in annex.pages)
        if budget < 0:
            result.unplaced.append(f"第{annex.pages[0].number}页起的附件：表格线与文字太多（超过一份报告的附件），"
                                   "没有读出：需要自己填写")
            break
        kind, form, notes = "项目自评", None, []
        if self_eval is not None:
            form, notes = read_self_eval(annex, self_eval, year)
        if form is None:
            kind = "整体自评"
            for layout in overall_layouts(overall):
                form, notes = read_overall(annex, layout, year)
                if form is not None:
                    if layout.name != overall:
                        form = {"版式": layout.name, **form}
                    break
        if form is None and other is not None and (read := other(annex)) is not None:
            kind, form, notes = read.kind, read.form, read.notes
            if read.year is not None:
                result.years.append(read.year)
            if not annex.headed and read.title:          # a file of this 附件 alone: the title it prints
                annex = Annex(annex.number, read.title, annex.pages, headed=False)
        result.unplaced += notes
        if form is None:
            result.unplaced.append(f"第{annex.pages[0].number}页：附件{annex.number}“{annex.name}”没有读出"
                                   "（不是版式的自评表或评价报告）：需要自己填写")
            continue
        k = len(result.attachments)
        result.attachments.append({"名称": annex.name, kind: form})
        where = f"第{annex.pages[0].number}页附件{annex.number}"
        result.places[("附件", k)] = where
        result.places.update({("附件", k, kind, *key): where for key in _paths(form)})
    return result


def _paths(node, path: tuple = ()):
    """Every key path in ``node`` (mappings and lists, and the leaves): where a message may point."""
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield from _paths(v, (*path, k))
