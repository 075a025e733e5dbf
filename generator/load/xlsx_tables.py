"""Reading the published tables of a workbook, each by its layout (templates/layouts/,
generator/layout.py): the 类/款/项 tables, the pair tables, 06 (基本支出 by 经济分类), single-row and
list tables. A mixin of ``excel_reader.WorkbookReader``.
"""

import re
import unicodedata
from decimal import Decimal
from typing import Any

from ..errors import InputError
from ..layout import Entry, Line
from ..layout import path as data_path
from ..model import Source, project_of
from .workbook_spec import (
    CODE_LABELS,
    COUNT,
    MONEY,
    NAME_LABELS,
    TABLE_NAMES,
    VEHICLE_ALIASES,
)
from .xlsx_guard import col_letter
from .xlsx_values import (
    Bad,
    Sheet,
    _is_code,
    _numeric,
    _short,
    _shown_amount,
    is_blank,
    norm,
    norm_label,
    parse_code,
    parse_money,
    squash_name,
)


class TableReading:
    """The table readers of ``WorkbookReader`` (which gives sheet access and keeps the problems)."""

    def layout_of(self, key: str, profile) -> tuple[Any, Any]:
        """The table's layout and its filler: the workbook's profile, else the first profile with the table."""
        from ..profile import available, load_profile
        spec = profile.table(key) if profile else None
        if spec is None:
            for name in available():
                try:
                    spec = load_profile(name).table(key)
                except InputError:
                    continue
                if spec is not None:
                    profile = load_profile(name)
                    break
        return spec.layout, spec.layout.filler(profile.texts)

    def read_table(self, key: str, sheet: Sheet, profile) -> None:
        layout, fill = self.layout_of(key, profile)
        reader = {"科目": self.read_subject_table, "对照": self.read_pair, "经济分类": self.read_06,
                  "单行": self.read_single, "清单": self.read_list_table}[layout.kind]
        reader(key, sheet, layout, fill, profile)

    def read_subject_table(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        table = layout.data
        columns = {(leaf.input if leaf.take == "合计" else leaf.take): [fill(leaf.title), *leaf.aliases]
                   for leaf in layout.leaves() if leaf.take not in ("编码", "名称")
                   and (leaf.take != "合计" or leaf.input)}
        expected = [labels[0] for labels in columns.values()]
        anchor = self.find_row(sheet, lambda row: any(v in CODE_LABELS for v in row))
        if anchor is None:
            self.wrong_header(sheet, key, ["科目编码", "科目名称", *expected])
            return
        block = self.header_block(sheet, anchor)
        leaves = self.leaves(sheet, block)
        code_col = next(c for c, v in enumerate(sheet.rows[anchor]) if norm(v) in CODE_LABELS)
        name_col = next((c for c, v in enumerate(sheet.rows[anchor]) if norm(v) in NAME_LABELS), code_col + 1)
        colmap: dict[str, int] = {}
        for data_key, labels in columns.items():
            wanted = [norm(x) for x in labels]
            for label in wanted:
                c = next((c for c, v in sorted(leaves.items()) if v == label and c not in colmap.values()
                          and c not in (code_col, name_col)), None)
                if c is not None:
                    colmap[data_key] = c
                    break
        missing = [k for k in columns if k not in colmap]
        if missing:
            self.wrong_header(sheet, key, [*expected])
            return
        rows: list[dict] = []
        self.data[table] = rows
        self.cells[(table,)] = sheet.addr(anchor, code_col)
        r = self.skip_number_row(sheet, anchor + 1)
        self.extent(sheet, [*block, *range(anchor + 1, r)])
        used = [code_col, name_col, *colmap.values()]
        for c, label in sorted(leaves.items()):       # a column of the header that is none of the table's
            if c not in used:
                self.unread_cells(sheet, ((rr, c) for rr in range(r, len(sheet.rows))),
                                  f"工作表“{sheet.name}”的“{label}”列不是{TABLE_NAMES.get(key, '本表')}的列，其中的内容没有读入",
                                  f"本表的列：{'、'.join(labels[0] for labels in columns.values())}")
        below_note = False
        for r in range(r, len(sheet.rows)):  # noqa: B020  (goes on from the row the header search stopped at)
            if all(is_blank(sheet.get(r, c)) for c in used):
                continue
            code_raw, name_raw = sheet.get(r, code_col), sheet.get(r, name_col)
            code_n, name_n = norm(code_raw), norm(name_raw)
            if code_n.startswith(("注", "说明")) or (is_blank(code_raw) and name_n.startswith(("注:", "说明:"))):
                below_note = True       # the table's note: the rows below it are its text ...
                continue
            if below_note and all(is_blank(sheet.get(r, c)) for c in colmap.values()) and not _is_code(code_raw):
                continue                # ... unless a row holds a figure or a 科目编码: then it is read
            i = len(rows)
            path = (table, i)
            if code_n == "合计" or (is_blank(code_raw) and name_n == "合计"):
                code = "合计"
                name = None
            elif is_blank(code_raw):
                self.cells[path] = sheet.addr(r, code_col)
                self.problem(sheet.addr(r, code_col), f"这一行（科目名称“{squash_name(name_raw or '')}”）缺少科目编码", path)
                continue
            else:
                m = re.fullmatch(r"(\d{3,7})\s*(\D.*)", unicodedata.normalize("NFKC", str(code_raw)).strip(), re.S)
                if m and is_blank(name_raw):           # "2011301 行政运行" in one cell
                    code_raw, name_raw = m.group(1), m.group(2)
                try:
                    code = parse_code(code_raw)
                except Bad as exc:
                    self.cells[path] = sheet.addr(r, code_col)
                    self.problem(sheet.addr(r, code_col), str(exc), path + ("科目编码",))
                    continue
                name = None if is_blank(name_raw) else squash_name(name_raw)
            row: dict[str, Any] = {"科目编码": code}
            self.cells[path] = sheet.addr(r, code_col)
            self.cells[path + ("科目编码",)] = sheet.addr(r, code_col)
            if code != "合计":
                self.cells[path + ("科目名称",)] = sheet.addr(r, name_col)
                if name:
                    row["科目名称"] = name
            for data_key, c in colmap.items():
                v = self.value(sheet, r, c, MONEY, path + (data_key,))
                if v is not None:
                    row[data_key] = v
            if code == "合计" and len(row) == 1:
                continue            # an empty 合计 row: nothing stated
            rows.append(row)

    def header_row(self, sheet: Sheet, titles: list[str]) -> int | None:
        """The first row holding every one of ``titles`` (as many times as listed)."""
        want = [norm(t) for t in titles]
        return self.find_row(sheet, lambda row: all(row.count(t) >= want.count(t) for t in set(want)))

    def read_pair(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """对照 tables (01, 04): both sides' columns by position under their 项目 heads; the rows
        matched to the layout's rows by label, in order (a label may recur, as in 04)."""
        sides = layout.sides()
        label_titles = [fill(x.title) for s in sides for x in s.leaves() if x.take == "标签"]
        rows = layout.pair_rows(profile.classes if profile else self.any_classes(), fill)
        expected = [fill(s.title) for s in sides] + [fill(x.title) for x in sides[0].leaves()]
        anchor = self.header_row(sheet, label_titles)
        if anchor is None:
            self.wrong_header(sheet, key, expected)
            return
        self.extent(sheet, list(range(anchor, self.skip_number_row(sheet, anchor + 1))))
        heads = [norm(v) for v in sheet.rows[anchor]]
        starts = [c for c, v in enumerate(heads) if v == norm(label_titles[0])][:len(sides)]
        if len(starts) < len(sides):
            self.wrong_header(sheet, key, expected)
            return
        columns = []           # per side: (label col, [value cols])
        numbers = []           # the 行次 columns
        for side, start in zip(sides, starts):
            leaves = side.leaves()
            columns.append((start, [start + i for i, x in enumerate(leaves) if x.take == "值"]))
            numbers += [start + i for i, x in enumerate(leaves) if x.take == "行次"]

        def labels(entry) -> set[str]:
            return {norm_label(x) for x in (entry.label, *entry.aliases) if x}

        wanted = [[labels(row[s.title]) for s in sides] for row in rows]
        value_leaves = [[x for x in side.leaves() if x.take == "值"] for side in sides]
        cursor, matched_totals = 0, 0
        for r in range(self.skip_number_row(sheet, anchor + 1), len(sheet.rows)):
            seen = [norm_label(sheet.get(r, lc)) for lc, _ in columns]
            if seen[0].startswith(("注:", "说明:")):
                continue            # the table's note; a row below it is read like any other
            filled = [[c for c in cols if not is_blank(sheet.get(r, c))] for _, cols in columns]
            for c in numbers:
                self.not_a_row_number(sheet, r, c)
            i = next((i for i in range(cursor, len(rows)) if any(
                seen[k] and seen[k] in wanted[i][k] for k in range(len(sides)))), None)
            if i is not None:
                cursor = i + 1
            for k, side in enumerate(sides):
                entry = rows[i][side.title] if i is not None else None
                if seen[k] and (entry is None or seen[k] not in wanted[i][k]):
                    # this side's label names another row (the other side found this one), or none
                    j = next((j for j in range(len(rows)) if seen[k] in wanted[j][k]), None)
                    entry = rows[j][side.title] if j is not None else None
                if entry is None:
                    if filled[k]:
                        self.unknown_pair_row(sheet, r, columns[k][0], filled[k][0], key)
                    continue
                matched_totals += entry.total and seen[k] in labels(entry)
                paths = entry.spread("input", value_leaves[k], layout.name)
                figures = entry.spread("value", value_leaves[k], layout.name)
                for col, leaf, address, figure in zip(columns[k][1], value_leaves[k], paths, figures):
                    if address:
                        path = data_path(address)
                        v = self.value(sheet, r, col, MONEY, path)
                        if v is not None:
                            self.put(path, v)
                    elif col in filled[k]:
                        label = entry.label or next((rows[i][s.title].label for s in sides
                                                     if i is not None and rows[i][s.title].label), "")
                        self.typed_figure(sheet, r, col, key, figure, norm_label(label) or label,
                                          fill(leaf.title) if len(value_leaves[k]) > 1 else "")
        if not matched_totals:
            totals = [row[s.title].label for row in rows for s in sides if row[s.title].total]
            self.wrong_header(sheet, key, list(dict.fromkeys(totals)))

    def unknown_pair_row(self, sheet: Sheet, r: int, label_col: int, c: int, key: str) -> None:
        """A figure on a row of 01/04 whose label is none of the table's rows: not read, so refused."""
        raw = sheet.get(r, label_col)
        what = f"项目“{str(raw).strip()}”不是{TABLE_NAMES.get(key, '本表')}的项目" if not is_blank(raw) else \
            f"这一行没有项目名称（{col_letter(label_col)}{r + 1} 空白）"
        self.problem(sheet.addr(r, c), f"{what}，这一格的数“{_shown_amount(sheet.get(r, c))}”无法读入："
                                       f"请把它填在对应项目的行，或清空这一格")

    def not_a_row_number(self, sheet: Sheet, r: int, c: int) -> None:
        """The 行次 column holds row numbers (not read); an amount there (a paste one column off) is refused."""
        v = sheet.get(r, c)
        if is_blank(v) or not _numeric(v):
            return
        n = parse_money(v)
        if n is not None and (n != n.to_integral_value() or not 0 < n < 1000):
            self.problem(sheet.addr(r, c), f"“行次”列中是“{_shown_amount(v)}”，不是行次，没有读入：金额请填在右边的金额列"
                                           "（行次列只印行号）")

    def no_label(self, sheet: Sheet, r: int, kc: int, vc: int) -> None:
        """内容 on a row whose 项目 is blank (often the next paragraph of the text above): not read, so refused."""
        self.problem(sheet.addr(r, vc), f"这一行的“项目”（{col_letter(kc)}{r + 1}）空白，“内容”"
                                        f"“{_short(sheet.get(r, vc))}”无法读入：接着上一项写的文字请写在上一项的同一格"
                                        "（按 Alt+Enter 换行，空一行分段）；第一列的项目不要删除")

    def typed_figure(self, sheet: Sheet, r: int, c: int, key: str, figure: str | None, row: str, column: str) -> None:
        """A number typed into a grey cell (computed by the program, not read as data): kept to be
        compared with the computed figure (rule W-COMPUTED); a cell the table leaves blank is refused."""
        from ..model import TypedFigure
        addr = sheet.addr(r, c)
        if figure is None:
            self.problem(addr, f"这一格在{TABLE_NAMES.get(key, '本表')}中没有数（公开表中空白），填写的"
                               f"“{_shown_amount(sheet.get(r, c))}”无法读入：请清空这一格")
            return
        try:
            value = parse_money(sheet.get(r, c))
        except Bad as exc:
            self.problem(addr, f"{exc}（这一格由程序计算，可以不填；填了就与算出的数比较）")
            return
        if value is not None:
            self.typed.append(TypedFigure(figure, key, row, column, value, Source(self.file, None, "", addr)))

    def any_classes(self) -> list[tuple[str, str]]:
        return self.first_profile().classes

    @staticmethod
    def econ_heads() -> dict[str, set[str]]:
        """The 06 amount heads of every 经济分类 layout, by what they hold (基本支出, 金额)."""
        from ..layout import available, load_layout
        out: dict[str, set[str]] = {"基本支出": set(), "金额": set()}
        for name in available():
            layout = load_layout(name)
            if layout.kind == "经济分类":
                for c in layout.columns:
                    if c.take in out:
                        out[c.take].update(norm(x) for x in (c.title, *c.aliases))
        return out

    def read_06(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """经济分类: groups of 编码 | 名称 | amounts side by side, read column after column;
        the amounts as 基本支出, or as 金额 with 其中：基本支出 (项目支出 = 金额 − 基本支出)."""
        heads_by_take = self.econ_heads()
        total_labels = {norm(t) for t in layout.econ_totals}
        expected = [*(fill(t) for t in layout.econ_group_titles), *(fill(c.title) for c in layout.columns)]
        anchor = self.find_row(sheet, lambda row: sum(v in CODE_LABELS for v in row) >= 1
                               and any(v in NAME_LABELS for v in row))
        if anchor is None:
            self.wrong_header(sheet, key, expected)
            return
        heads = [norm(v) for v in sheet.rows[anchor]]
        starts = [c for c, v in enumerate(heads) if v in CODE_LABELS]
        groups = []         # (code col, name col, {"basic": col, "amount": col})
        for n, s in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(heads)
            cols = {}
            name_col = s + 1
            for c in range(s + 1, end):
                h = heads[c]
                if h in NAME_LABELS:
                    name_col = c
                elif h in heads_by_take["基本支出"]:
                    cols["basic"] = c
                elif h in heads_by_take["金额"]:
                    cols["amount"] = c
            if "basic" not in cols:
                self.wrong_header(sheet, key, expected)
                return
            groups.append((s, name_col, cols))
        rows: list[dict] = []
        self.data["经济分类支出明细"] = rows
        totals: list[tuple[int, int, str]] = []
        per_group: list[list[tuple[int, dict, dict]]] = [[] for _ in groups]
        first = self.skip_number_row(sheet, anchor + 1)
        self.extent(sheet, list(range(anchor, first)))
        below_note = False
        for r in range(first, len(sheet.rows)):
            rowvals = sheet.rows[r]
            if all(is_blank(v) for v in rowvals):
                continue
            if norm(rowvals[0] if rowvals else "").startswith(("注:", "说明:")):
                below_note = True       # the table's note: the rows below it are its text, unless
                continue                # a group of a row holds a figure or an 经济分类 code
            if below_note and not any(_is_code(sheet.get(r, cc), (3, 5)) or any(
                    not is_blank(sheet.get(r, c)) for c in cols.values()) for cc, _, cols in groups):
                continue
            labels = [(c, norm(v)) for c, v in enumerate(rowvals) if norm(v) in total_labels]
            if labels:
                taken = set()
                for n, (_c, lab) in enumerate(labels):
                    nxt = labels[n + 1][0] if n + 1 < len(labels) else 10 ** 6
                    g = max([g for g in groups if g[0] < nxt] or groups[:1], key=lambda g: g[0])
                    totals.append((r, groups.index(g), lab))
                    taken.add(groups.index(g))
                for gi, (_cc, _, cols) in enumerate(groups):        # amounts under no total's label
                    typed = next((c for c in cols.values() if not is_blank(sheet.get(r, c))), None)
                    if gi not in taken and typed is not None:
                        self.problem(sheet.addr(r, typed), f"合计行的这一格“{_shown_amount(sheet.get(r, typed))}”不属于"
                                                           f"{'、'.join(x for _, x in labels)}，无法读入：请清空这一格")
                continue
            for gi, (cc, nc, cols) in enumerate(groups):
                code_raw = sheet.get(r, cc)
                if is_blank(code_raw):
                    typed = next((c for c in cols.values() if not is_blank(sheet.get(r, c))), None)
                    if typed is not None:
                        self.problem(sheet.addr(r, typed), f"这一格有数“{_shown_amount(sheet.get(r, typed))}”，但同一组的"
                                                           f"科目编码（{col_letter(cc)}{r + 1}）空白，无法读入：请填写经济分类"
                                                           "科目编码和名称，或清空这一格")
                    continue
                per_group[gi].append((r, {"code": code_raw, "name": sheet.get(r, nc)}, cols))
        # column-major: the first group top to bottom, then the next (the published reading order)
        for gi, items in enumerate(per_group):
            cc, nc, _ = groups[gi]
            for r, cell, cols in items:
                self._econ_row(sheet, rows, r, cc, nc, cell, cols)
        for r, gi, lab in totals:
            cc, nc, cols = groups[gi]
            self._econ_row(sheet, rows, r, cc, nc, {"code": lab, "name": None}, cols, total=True)

    def _econ_row(self, sheet: Sheet, rows: list, r: int, cc: int, nc: int, cell: dict, cols: dict,
                  total: bool = False) -> None:
        i = len(rows)
        path = ("经济分类支出明细", i)
        if total:
            code = cell["code"]
        else:
            try:
                code = parse_code(cell["code"], (3, 5))
            except Bad as exc:
                self.problem(sheet.addr(r, cc), f"经济分类{exc}", path + ("科目编码",))
                return
        basic = self.value(sheet, r, cols["basic"], MONEY, path + ("基本支出",))
        amount = self.value(sheet, r, cols["amount"], MONEY, path + ("项目支出",)) if "amount" in cols else None
        if basic is None and amount is None:
            self.cells.pop(path + ("基本支出",), None)
            self.cells.pop(path + ("项目支出",), None)
            return
        row: dict[str, Any] = {"科目编码": code}
        if not total and not is_blank(cell["name"]):
            row["科目名称"] = squash_name(cell["name"])
        if basic is not None:
            row["基本支出"] = basic
        if amount is not None and (project := project_of(basic, amount)) is not None:
            if project < 0:
                self.problem(sheet.addr(r, cols["amount"]), f"金额 {amount} 小于其中的基本支出 {basic}"
                                                           f"（金额 = 基本支出 + 项目支出）", path + ("项目支出",))
            else:
                row["项目支出"] = project
        self.cells[path] = sheet.addr(r, cc)
        self.cells[path + ("科目编码",)] = sheet.addr(r, cc)
        if not total:
            self.cells[path + ("科目名称",)] = sheet.addr(r, nc)
        rows.append(row)

    def read_single(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """单行 tables (三公): the header's leaf columns in the layout's order, the figures in
        the first row below the header (and its 栏次 row)."""
        leaves = layout.leaves()
        titles = [[norm(fill(x.title)), *(norm(a) for a in x.aliases)] for x in leaves]
        expected = list(dict.fromkeys(fill(c.title) for c in layout.columns)) + [fill(x.title) for x in leaves[:6]]
        found = None
        for top in range(min(len(sheet.rows), 25)):
            block = [r for r in range(top, min(top + 4, len(sheet.rows)))]
            low = self.leaves(sheet, block)
            cols = sorted(low)
            for start in range(len(cols) - len(leaves) + 1):
                run = cols[start:start + len(leaves)]
                if all(low[c] in t for c, t in zip(run, titles)):
                    found = (top, run)
                    break
            if found:
                break
        if found is None:
            self.wrong_header(sheet, key, expected)
            return
        top, run = found
        r = top + 1
        while r < len(sheet.rows) and r < top + 4:
            vals = [v for v in sheet.rows[r] if not is_blank(v)]
            if not vals or any(isinstance(v, (int, float, Decimal)) or re.fullmatch(r"[\d.,]+", norm(v)) for v in vals):
                break
            r += 1
        r = self.skip_number_row(sheet, r)
        while r < len(sheet.rows) and sheet.row_blank(r):
            r += 1
        self.extent(sheet, list(range(top, min(top + 4, r))), last=r)    # one row of figures
        for leaf, c in zip(leaves, run):
            if leaf.input:
                path = data_path(leaf.input)
                v = self.value(sheet, r, c, MONEY, path)
                if v is not None:
                    self.put(path, v)

    def read_list_table(self, key: str, sheet: Sheet, layout, fill, profile) -> None:
        """清单 tables (相关信息): the rows by label; a figure some rows share (机关运行经费,
        one row per 单位性质) may be filled in one of them only."""
        leaves = layout.leaves()
        label_leaf = next(x for x in leaves if x.take == "标签")
        value_leaf = next(x for x in leaves if x.take == "值")
        number_leaf = next((x for x in leaves if x.take == "行次"), None)
        rows = [e for e in layout.list_rows(profile.vehicle_labels if profile else {}, fill) if isinstance(e, Entry)]
        expected = [fill(layout.above_header), *(fill(x.title) for x in leaves)]
        head = self.header_row(sheet, [fill(label_leaf.title)] + ([fill(number_leaf.title)] if number_leaf else []))
        if head is None:
            self.wrong_header(sheet, key, expected)
            return
        self.extent(sheet, [head])
        heads = [norm(v) for v in sheet.rows[head]]
        label_col = heads.index(norm(fill(label_leaf.title)))
        value_titles = {norm(fill(value_leaf.title)), *(norm(a) for a in value_leaf.aliases)}
        value_col = next((c for c, v in enumerate(heads) if v in value_titles), label_col + 2)
        by_label: dict[str, Any] = {}
        for e in rows:
            for name in (e.label, *e.aliases, *(a for a, k in VEHICLE_ALIASES.items() if k in e.aliases)):
                by_label.setdefault(norm_label(name), e)
        headings = {norm_label(x) for x in (layout.above_header, *(t for e in layout.list_rows({}, fill)
                                                                     if isinstance(e, Line) for t in e.texts))}
        shared: dict[tuple, list[tuple[str, Any]]] = {}
        stated = 0
        number_col = heads.index(norm(fill(number_leaf.title))) if number_leaf else None
        for r in range(head + 1, len(sheet.rows)):
            if number_col is not None:
                self.not_a_row_number(sheet, r, number_col)
            raw = sheet.get(r, label_col)
            label = norm_label(raw)
            if not label and not is_blank(sheet.get(r, value_col)):
                self.unknown_pair_row(sheet, r, label_col, value_col, key)      # a figure on a row without a label
            if not label or label in headings or label == norm(fill(label_leaf.title)):
                continue
            if label.startswith(("注:", "说明:")):
                continue            # the table's note; a row below it that holds a figure is read too
            e = by_label.get(label)
            if e is None:
                if not is_blank(sheet.get(r, value_col)):
                    known = "、".join(dict.fromkeys(norm_label(x.label) for x in rows))
                    self.problem(sheet.addr(r, label_col), f"不认识的项目“{str(raw).strip()}”（本表的项目：{known}）")
                continue
            stated += 1
            if not e.input:
                continue
            path = data_path(e.input)
            if e.nature:
                v = self.value(sheet, r, value_col, COUNT if e.count else MONEY, path + (label,))
                self.cells.pop(path + (label,), None)
                places = shared.setdefault(path, [])
                if v is not None:
                    places.append((sheet.addr(r, value_col), v, e.label))
                    self.cells[path] = sheet.addr(r, value_col)
                elif path not in self.cells:
                    self.cells[path] = sheet.addr(r, value_col)
                continue
            v = self.value(sheet, r, value_col, COUNT if e.count else MONEY, path)
            if v is not None:
                self.put(path, v)
        for path, places in shared.items():
            if len(places) > 1:
                rows_named = "，或".join(dict.fromkeys(e.label for e in rows if e.input and data_path(e.input) == path))
                self.problem(places[1][0], f"{path[-1]}只能填在一行（{rows_named}）")
            if places:
                self.put(path, places[0][1])
        if not stated:
            self.wrong_header(sheet, key, expected)

    # -- text sheets
