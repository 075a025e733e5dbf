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

from ..derive.performance import Evaluation
from ..layout import Layout
from ..model import Indicator
from ..numbers import money, q2
from .document import Cell, Table
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
    for v, n in _runs(values):
        out.append((i, n))
        i += n
    return out


def self_eval_table(layout: Layout, result: Evaluation) -> Table:
    """The form of one 项目支出绩效自评表, landscape, with its year line and the layout's 备注."""
    table = Form(layout, result).table(f"（{result.ev.year}年度）", True, layout.font_size)
    for _ in table.placements():
        pass
    return table
