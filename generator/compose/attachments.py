"""第五部分 附件: a 项目支出绩效自评表 as a `Table`, laid out by the profile's 自评表 layout
(templates/layouts/self-eval-*.yaml: column widths, labels, the 资金 and 指标 columns, rounding).

The grid has as many columns as the layout's widths. Left, a label column spans each block
(项目资金, 年度目标, 绩效指标, 项目绩效分析); the 资金 rows give each column of the layout its own cell;
the indicator rows merge equal 一级 and 二级 names downwards, as the published forms do. Every
computed figure (执行率, 结余, 得分, 总分, 等级) comes from derive/performance.py.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..derive.performance import Evaluation, OverallEvaluation
from ..layout import Layout
from ..model import EvalReport, Indicator
from ..numbers import money, q2
from .document import Block, Cell, Paragraph, Table, TextCell
from .fit import fit_amounts
from .tables import head


def _num(value: Decimal | None) -> str:
    """A figure of the form as written: no trailing zeros beyond what it has (92.635, 8, 6.48)."""
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _cell(text: str, colspan: int = 1, rowspan: int = 1, align: str = "left") -> Cell:
    return Cell(text, colspan=colspan, rowspan=rowspan, align=align)  # type: ignore[arg-type]


def _runs(values: list[str]) -> list[tuple[str, int]]:
    """Equal neighbours merged: ["产出", "产出", "效益"] → [("产出", 2), ("效益", 1)]."""
    out: list[tuple[str, int]] = []
    for v in values:
        if out and out[-1][0] == v and v:
            out[-1] = (v, out[-1][1] + 1)
        else:
            out.append((v, 1))
    return out


class Form:
    def __init__(self, layout: Layout, result: Evaluation):
        self.f = layout.form
        self.r = result
        self.width = len(self.f["宽"])
        self.labels: dict[str, str] = self.f["标签"]

    # -- the parts
    def identity(self) -> list[list[Cell]]:
        ev, lab, w = self.r.ev, self.labels, self.width
        dept = f"{ev.dept_code}-{ev.dept}" if ev.dept_code else ev.dept
        unit = f"{ev.unit_code}-{ev.unit}" if ev.unit_code else ev.unit
        half = (w - 3) // 2
        return [[head(lab["项目名称"], 3), _cell(ev.project, w - 3)],
                [head(lab["主管部门"], 3), _cell(dept, half), head(lab["实施单位"]), _cell(unit, w - 4 - half)]]

    def funds(self) -> list[list[Cell]]:
        cols: list[dict] = self.f["资金列"]
        free = self.width - 2                      # after the block label and the row name
        spans = [1] * len(cols)
        spans[-1] += free - len(cols)              # the last column takes what is left
        n = len(self.r.funds)
        grouped = any(c.get("组") for c in cols)
        first: list[Cell] = [head(self.labels["资金"], rowspan=n + (2 if grouped else 1)), head("", rowspan=2 if grouped else 1)]
        second: list[Cell] = []
        i = 0
        while i < len(cols):
            group = cols[i].get("组")
            if group:
                members = [c for c in cols[i:] if c.get("组") == group]
                first.append(head(group, colspan=sum(spans[i:i + len(members)])))
                second += [head(c["标题"], spans[i + k]) for k, c in enumerate(members)]
                i += len(members)
            else:
                first.append(head(cols[i]["标题"], spans[i], rowspan=2 if grouped else 1))
                i += 1
        rows = [first] + ([second] if grouped else [])
        for k, ff in enumerate(self.r.funds):
            row = [_cell(ff.row.name)]
            for c, span in zip(cols, spans):
                row.append(_cell(self.fund_value(c["键"], ff, k), span, align="left" if c["键"] == "偏差原因" else "right"))
            rows.append(row)
        return rows

    def fund_value(self, key: str, ff: Any, k: int) -> str:
        every = bool(self.f.get("各行得分"))
        row = ff.row
        values = {"年初预算数": _num(row.start), "目标申报数": _num(row.declared), "预算编制数": _num(row.planned),
                  "全年预算数": _num(row.budget), "全年执行数": _num(row.spent),
                  "结余": _num(ff.balance), "偏差原因": row.note}
        if key in values:
            return values[key]
        if key == "执行率":
            if ff.rate is None:
                return "" if row.budget is None else "—"
            return money(ff.rate, grouping=False) + ("%" if self.f.get("执行率百分号") else "")
        if key == "分值":
            return _num(self.r.ev.fund_weight) if k == 0 else "—"
        if key == "得分":
            if k > 0 and not every:
                return "—"
            return "" if ff.score is None else _num(ff.score)
        raise ValueError(f"自评表版式的资金列“{key}”未定义")

    def goals(self) -> list[list[Cell]]:
        ev, lab, w = self.r.ev, self.labels, self.width
        left = (w - 1) // 2
        return [[head(lab["目标"], rowspan=2), head(lab["年度目标"], left), head(lab["实际完成情况"], w - 1 - left)],
                [_cell(ev.goal, left), _cell(ev.result, w - 1 - left)]]

    def slotted(self) -> list[Indicator]:
        """The indicators in the layout's 一级 → 二级 order, each 二级 padded with empty “指标N：” slots
        to the layout's 空指标槽 (0: the unit's indicators only, in its order)."""
        ind = self.r.ev.indicators
        slots = int(self.f.get("空指标槽") or 0)
        structure: dict[str, list[str]] = self.f.get("指标结构") or {}
        if not slots or not structure:
            return list(ind)
        out: list[Indicator] = []
        placed: set[int] = set()
        for level1, level2s in structure.items():
            for level2 in level2s:
                mine = [x for i, x in enumerate(ind) if x.level1 == level1 and x.level2 == level2 and i not in placed]
                placed |= {i for i, x in enumerate(ind) if x.level1 == level1 and x.level2 == level2}
                out += mine
                out += [Indicator(level1, level2, str(self.f.get("空槽标签", "指标{序号}：")).format(序号=n))
                        for n in range(len(mine) + 1, slots + 1)]
            out += [x for i, x in enumerate(ind) if x.level1 == level1 and i not in placed]   # a 二级 the layout lacks
            placed |= {i for i, x in enumerate(ind) if x.level1 == level1}
        return out + [x for i, x in enumerate(ind) if i not in placed]

    def indicators(self) -> list[list[Cell]]:
        cols: list[dict] = self.f["指标列"]
        ind = self.slotted()
        rows: list[list[Cell]] = [[head(self.labels["指标"], rowspan=len(ind) + 1), head("一级指标"), head("二级指标"),
                                   head("三级指标"), *(head(c["标题"]) for c in cols)]]
        if self.width != 4 + len(cols):
            raise ValueError(f"自评表版式：指标栏 {4 + len(cols)} 栏，与宽度 {self.width} 栏不一致")
        level1 = dict(enumerate_runs([x.level1 for x in ind]))
        level2 = dict(enumerate_runs([f"{x.level1}\x00{x.level2}" for x in ind]))
        for i, x in enumerate(ind):
            row: list[Cell] = []
            if i in level1:
                row.append(_cell(x.level1, rowspan=level1[i], align="center"))
            if i in level2:
                row.append(_cell(x.level2, rowspan=level2[i], align="center"))
            row.append(_cell(x.level3))
            values = {"年度指标值": x.target, "年初指标值": x.target, "调整后指标值": x.adjusted, "实际完成值": x.actual,
                      "分值": _num(x.weight), "得分": _num(x.score), "偏差原因": x.note}
            row += [_cell(values[c["键"]], align="right" if c["键"] in ("分值", "得分") else "left") for c in cols]
            rows.append(row)
        return rows

    def total(self) -> list[list[Cell]]:
        r, w = self.r, self.width
        total = format(q2(r.total).normalize(), "f")      # 95.5, 90.48, 80
        if self.f.get("印等级"):
            return [[head(self.labels["总分"], w - 3), _cell(total, align="right"), _cell(r.grade, align="center"),
                     _cell("")]]
        return [[head(self.labels["总分"], w - 3), _cell(_num(r.weights), align="right"), _cell(total, align="right"),
                 _cell("")]]

    def analysis(self) -> list[list[Cell]]:
        rows_spec: list[list[str]] = self.f["分析"]
        w = self.width
        groups = dict(enumerate_runs([g for g, _, _ in rows_spec]))
        rows: list[list[Cell]] = []
        for i, (group, title, key) in enumerate(rows_spec):
            row: list[Cell] = [head(self.labels["分析"], rowspan=len(rows_spec))] if i == 0 else []
            text = self.r.ev.analysis.get(key, "")
            if group:
                if i in groups:
                    row.append(head(group, rowspan=groups[i]))
                row += [head(title, 2), _cell(text, w - 4)]
            else:
                row += [head(title, 3), _cell(text, w - 4)]
            rows.append(row)
        return rows

    def table(self, year_line: str, landscape: bool, font_size: float) -> Table:
        body = self.identity() + self.funds() + self.goals() + self.indicators() + self.total() + self.analysis()
        widths = list(self.f["宽"])                 # points, from the layout
        return Table(key="", label="", title=self.r.ev.title, meta_left="", meta_center=year_line, meta_right="",
                     header=[], body=body, widths=widths, notes=list(self.f.get("备注") or []),
                     landscape=landscape, font_size=font_size)


def enumerate_runs(values: list[str]) -> list[tuple[int, int]]:
    """(first index, length) of each run of equal values."""
    out, i = [], 0
    for _v, n in _runs(values):
        out.append((i, n))
        i += n
    return out


def self_eval_table(layout: Layout, result: Evaluation) -> Table:
    """The form of one 项目支出绩效自评表, landscape, with its year line and the layout's 备注."""
    table = Form(layout, result).table(f"（{result.ev.year}年度）", True, layout.font_size)
    for _ in table.placements():
        pass
    return fit_amounts(table)


# -- 部门整体支出绩效自评表 ---------------------------------------------------------------------

def spans_by_width(widths: list[float], parts: int) -> list[int]:
    """``parts`` spans over the grid columns, each ending at the column edge nearest to an even
    share of the total width (each at least one column): the four cells of the header rows, the
    four of the 评价人员 rows."""
    total, edges, acc = sum(widths), [], 0.0
    cums = []
    for w in widths:
        acc += w
        cums.append(acc)
    last = 0
    for k in range(1, parts):
        target = total * k / parts
        choices = range(last + 1, len(widths) - (parts - k) + 1)
        edge = min(choices, key=lambda e: abs(cums[e - 1] - target))
        edges.append(edge)
        last = edge
    bounds = [0, *edges, len(widths)]
    return [b - a for a, b in zip(bounds, bounds[1:])]


def _fig(value: Decimal | None) -> str:
    return "" if value is None else money(value, grouping=False)


# Edges of two parts of one form this close (points) are one edge: the header's cells end on the
# indicator columns' edges near them instead of leaving a sliver column between the two.
SNAP = 8.0


def _edges(widths: list[float]) -> list[float]:
    out, acc = [0.0], 0.0
    for w in widths:
        acc += w
        out.append(acc)
    return out


def one_grid(parts: list[tuple[list[float], list[list[Cell]]]]) -> tuple[list[float], list[list[Cell]]]:
    """Parts of one form, each laid out on a grid of its own (widths in points, all of the same
    total), as rows of one table: the grid has every part's column edges (an edge within SNAP of
    an edge of an earlier part goes to that one), and each cell spans the grid columns between
    its own edges. Rowspans stay within their part."""
    kept: list[float] = []
    maps: list[dict[int, float]] = []
    for widths, _ in parts:
        mine: dict[int, float] = {}
        for k, e in enumerate(_edges(widths)):
            near = min(kept, key=lambda x: abs(x - e), default=None)
            if near is not None and abs(near - e) <= SNAP:
                mine[k] = near
            else:
                kept.append(e)
                mine[k] = e
        maps.append(mine)
    grid = sorted(set(kept))
    index = {e: i for i, e in enumerate(grid)}
    rows_out: list[list[Cell]] = []
    for (widths, rows), mine in zip(parts, maps):
        probe = Table(key="", label="", title="", meta_left="", meta_center="", meta_right="", header=[],
                      body=rows, widths=widths)
        spans = [(cell, index[mine[c + cell.colspan]] - index[mine[c]]) for _, c, cell in probe.placements(rows)]
        for cell, span in spans:
            cell.colspan = span
        rows_out += rows
    return [b - a for a, b in zip(grid, grid[1:])], rows_out


class OverallForm:
    """A 部门整体支出绩效自评表 as one table, laid out by templates/layouts/overall-*.yaml: the header
    rows (单位负责人, the 资金 figures) in four cells, the unit's 部门整体支出情况 in one cell beside
    its label (情况栏), the indicator columns' titles and rows, the totals and the 评价人员."""

    def __init__(self, layout: Layout, result: OverallEvaluation, grade_names: dict[str, str]):
        self.layout, self.f, self.r = layout, layout.form, result
        self.leaves = layout.leaves()
        self.takes = [c.take for c in self.leaves]
        self.widths = list(self.f["宽"])
        self.labels: dict[str, str] = self.f["标签"]
        self.grade_names = grade_names

    def header_rows(self) -> list[list[Cell]]:
        """Four cells of equal width: 名称, 数, 名称, 数."""
        ev, lab = self.r.ev, self.labels
        rows = [[head(lab["单位负责人"]), _cell(ev.head), head(lab["联系电话"]), _cell(ev.phone)]]
        pairs: list[list[str]] = self.f["资金"]
        for k in range(0, len(pairs), 2):
            row: list[Cell] = []
            for key, label in pairs[k:k + 2]:
                row += [head(label), _cell(_fig(self.r.funds.get(key)), align="right")]
            if len(row) == 2:
                row.append(_cell("", 2))
            rows.append(row)
        return rows

    def narrative_rows(self) -> list[list[Cell]]:
        """部门整体支出情况: its label over the layout's 情况栏 标签栏数 first columns (one character a
        line when 竖排), the unit's text in one cell over the others — titles as lead lines, each
        line of a content a paragraph."""
        narrative = self.r.ev.narrative
        if not narrative:
            return []
        spec = self.f.get("情况栏") or {}
        span = int(spec.get("标签栏数", 1))
        label = self.labels["情况"]
        if spec.get("竖排"):
            label = "\n".join(ch for ch in label if not ch.isspace())
        paragraphs: list[Paragraph] = []
        for title, content in narrative:
            if title:
                paragraphs.append(Paragraph(title.strip(), style="lead"))
            paragraphs += [Paragraph(line.strip()) for line in content.split("\n") if line.strip()]
        text = TextCell("\n".join(p.text for p in paragraphs), colspan=len(self.widths) - span, align="left",
                        paragraphs=tuple(paragraphs))
        return [[head(label, span), text]]

    def _span_of(self, takes: tuple[str, ...]) -> int:
        return sum(1 for t in self.takes if t in takes)

    def indicator_rows(self) -> list[list[Cell]]:
        rows_in = self.r.rows
        subtotals = bool(self.f.get("一级小计行"))
        l1_runs = dict(enumerate_runs([r.indicator.level1 for r in rows_in]))
        l2_runs = dict(enumerate_runs([f"{r.indicator.level1}\x00{r.indicator.level2}" for r in rows_in]))
        out: list[list[Cell]] = []
        for i, row in enumerate(rows_in):
            x = row.indicator
            l1 = self.r.level1[x.level1]
            if subtotals and i in l1_runs:
                cells: list[Cell] = []
                blank = False
                for t in self.takes:
                    if t in ("一级", "一级分值"):
                        value = x.level1 if t == "一级" else _num(l1.weight)
                        cells.append(_cell(value, rowspan=l1_runs[i] + 1, align="center"))
                    elif t in ("二级", "二级分值", "三级"):
                        if not blank:
                            cells.append(_cell("", self._span_of(("二级", "二级分值", "三级"))))
                            blank = True
                    else:
                        cells.append(_cell({"参考分值": _num(l1.reference), "分值": _num(l1.weight), "计算": "——",
                                            "得分": _num(l1.score)}[t], align="center"))
                out.append(cells)
            l2 = self.r.level2[(x.level1, x.level2)]
            cells = []
            for t in self.takes:
                if t in ("一级", "一级分值"):
                    if i in l1_runs and not subtotals:
                        cells.append(_cell(x.level1 if t == "一级" else _num(l1.weight), rowspan=l1_runs[i], align="center"))
                elif t in ("二级", "二级分值"):
                    if i in l2_runs:
                        cells.append(_cell(x.level2 if t == "二级" else _num(l2.weight), rowspan=l2_runs[i], align="center"))
                else:
                    value = {"三级": x.level3, "参考分值": _num(x.reference), "分值": _num(x.weight), "计算": row.text,
                             "得分": _num(x.score)}[t]
                    cells.append(_cell(value, align="left" if t in ("三级", "计算") else "center"))
            out.append(cells)
        return out

    def total_rows(self) -> list[list[Cell]]:
        lab, total, n = self.labels, self.r.total, len(self.takes)
        first = next(k for k, t in enumerate(self.takes) if t in ("参考分值", "分值"))
        row: list[Cell] = [head(lab["综合得分"], first)]
        for t in self.takes[first:]:
            row.append(_cell({"参考分值": _num(total.reference), "分值": _num(total.weight),
                              "得分": _num(total.score)}.get(t, ""), align="center"))
        rows = [row]
        if lab.get("等次"):
            rows.append([head(lab["等次"], n - 1), _cell(self.grade_names.get(self.r.grade, self.r.grade), align="center")])
        people = self.r.ev.reviewers
        if people:
            spans = spans_by_width(self.widths[1:], 4)
            titles: list[str] = self.f["标签"]["人员列"]
            rows.append([head(lab["评价人员"], rowspan=len(people) + 1),
                         *(head(t, s) for t, s in zip(titles, spans))])
            for name, title, office in people:
                rows.append([_cell(v, s, align="center") for v, s in zip((name, title, office, ""), spans)])
        rows.append([_cell(f"{lab['签章']}\n{lab['日期']}", n)])
        return rows

    def table(self) -> Table:
        """The whole form, one table: header rows on four equal cells, then 部门整体支出情况 and the
        indicator part on the layout's columns. No row repeats on a following page (the form's
        top rows are not column titles); the indicator part's column titles stay with its first row."""
        ev, lab = self.r.ev, self.labels
        titles = [[head(text, colspan, rowspan) for text, colspan, rowspan in row]
                  for row in self.layout.header_rows(lambda s: s)]
        top, narrative = self.header_rows(), self.narrative_rows()
        parts = [([sum(self.widths) / 4] * 4, top), (self.widths, narrative),
                 (self.widths, titles + self.indicator_rows() + self.total_rows())]
        widths, body = one_grid([(w, rows) for w, rows in parts if rows])
        first_titles = len(top) + len(narrative)
        table = Table(key="", label="", title=ev.title, meta_left=lab["盖章"], meta_center=f"（{ev.year}年度）",
                      meta_right=f"{lab['填报日期']}{ev.date}", header=[], body=body, widths=widths,
                      notes=list(self.f.get("备注") or []), landscape=False, font_size=self.layout.font_size,
                      keep_rows=tuple(range(first_titles, first_titles + len(titles))))
        for _ in table.placements():     # a mistake in the layout is caught here, not in a writer
            pass
        return fit_amounts(table)

    def blocks(self) -> list[Block]:
        return [self.table()]


def overall_blocks(layout: Layout, result: OverallEvaluation) -> list[Block]:
    """The blocks of one 部门整体支出绩效自评表 (portrait)."""
    return OverallForm(layout, result, dict(layout.form.get("等级印作") or {})).blocks()


# -- 部门整体支出绩效评价报告 -------------------------------------------------------------------

def goals_table(layout: Layout, ev: EvalReport) -> Table:
    """表1 年度绩效目标表: 年度总体目标, 履职目标 (工作目标 | 目标内容), 核心任务 (重点工作), then the
    indicator tree 一级 | 二级 | 三级 | 指标值 with equal 一级 and 二级 names merged downwards."""
    lab: dict[str, str] = layout.form["标签"]
    rows: list[list[Cell]] = []
    if ev.overall_goal:
        rows.append([head(lab["总体目标"]), _cell(ev.overall_goal, 3)])
    if ev.duties:
        rows.append([head(lab["履职目标"], rowspan=len(ev.duties) + 1), head(lab["工作目标"]), head(lab["目标内容"], 2)])
        rows += [[_cell(goal, align="center"), _cell(content, 2)] for goal, content in ev.duties]
    for k, task in enumerate(ev.tasks):
        lead = [head(lab["核心任务"], rowspan=len(ev.tasks)), head(lab["重点工作"], rowspan=len(ev.tasks))] if k == 0 else []
        rows.append([*lead, _cell(task, 2)])
    if ev.indicators:
        rows.append([head(lab["一级"]), head(lab["二级"]), head(lab["三级"]), head(lab["指标值"])])
        l1 = dict(enumerate_runs([x[0] for x in ev.indicators]))
        l2 = dict(enumerate_runs([f"{x[0]}\x00{x[1]}" for x in ev.indicators]))
        for i, (a, b, c, value) in enumerate(ev.indicators):
            row = [_cell(a, rowspan=l1[i], align="center")] if i in l1 else []
            row += [_cell(b, rowspan=l2[i], align="center")] if i in l2 else []
            rows.append([*row, _cell(c), _cell(value, align="center")])
    table = Table(key="", label="", title="", meta_left="", meta_center="", meta_right="", header=[], body=rows,
                  widths=list(layout.form["宽"]), font_size=layout.font_size)
    for _ in table.placements():
        pass
    return table
