"""Reading the key–value and list sheets of a workbook (单位信息, 上年数, 年初预算, 情况说明, 类说明,
名词解释补充, 附件 and the 附件 form sheets). A mixin of ``excel_reader.WorkbookReader``.
"""

import re
from typing import Any

from ..errors import REQUIRED
from .workbook_spec import (
    ATTACHMENT_NO,
    CLASS_WORD_COLUMNS,
    CODE_LABELS,
    FORM_SHEETS,
    LONGTEXT,
    MONEY,
    TEXT,
    Field,
    FormSheets,
    column_path,
)
from .xlsx_values import (
    Bad,
    Sheet,
    _numeric,
    clean_unit_name,
    is_blank,
    norm,
    parse_code,
    parse_count,
)


class SheetReading:
    """The sheet readers of ``WorkbookReader`` (which gives sheet access and keeps the problems)."""

    def kv_header(self, sheet: Sheet) -> tuple[int, int, int] | None:
        r = self.find_row(sheet, lambda row: "项目" in row and "内容" in row, stop=8)
        if r is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有“项目”“内容”两列的表头（第一列是数据项，"
                                             f"内容列填写）")
            return None
        heads = [norm(v) for v in sheet.rows[r]]
        return r, heads.index("项目"), heads.index("内容")

    def read_key_values(self, sheet: Sheet, fields: list[Field], prefix: tuple,
                        code_table: tuple | None = None) -> None:
        header = self.kv_header(sheet)
        if header is None:
            return
        hr, kc, vc = header
        self.extent(sheet, [hr])
        heads = [norm(v) for v in sheet.rows[hr]]
        if "说明" in heads:       # the help column, never read: a number typed there is said (W-UNREAD)
            hc = heads.index("说明")
            end = next((r for r in range(hr + 1, len(sheet.rows)) if norm(sheet.get(r, kc)) in CODE_LABELS),
                       len(sheet.rows))        # 上年数: its 科目 table below has figures in that column
            self.unread_cells(sheet, ((r, hc) for r in range(hr + 1, end) if _numeric(sheet.get(r, hc))),
                              f"工作表“{sheet.name}”的“说明”列是提示文字，不读取，其中填写的数没有读入",
                              "数请填在“内容”列")
        by_label = {norm(label).replace("/", ""): f for f in fields for label in (f.label(prefix), *f.aliases)}
        seen: dict[tuple, str] = {}
        for r in range(hr + 1, len(sheet.rows)):
            raw_key = sheet.get(r, kc)
            key = re.sub(r"[/.·\\-]", "", norm(raw_key))
            if not key:
                if not is_blank(sheet.get(r, vc)):
                    self.no_label(sheet, r, kc, vc)
                continue
            if code_table and key in CODE_LABELS:
                self.read_code_table(sheet, code_table[0], code_table[1], header_row=r)
                break
            f = by_label.get(key)
            if f is None:
                if not is_blank(sheet.get(r, vc)):
                    known = "、".join(x.label(prefix) for x in fields[:6])
                    self.problem(sheet.addr(r, kc), f"不认识的项目“{str(raw_key).strip()}”（第一列不要修改；本表的项目如：{known}……）")
                continue
            if f.path in seen:
                self.problem(sheet.addr(r, kc), f"项目“{f.label(prefix)}”重复（{seen[f.path]} 已有）")
                continue
            seen[f.path] = sheet.addr(r, kc)
            v = self.value(sheet, r, vc, f.kind, f.path)
            if v is None:
                if f.required and sheet.addr(r, vc) not in [p.source.cell for p in self.problems]:
                    self.problem(sheet.addr(r, vc), f"必填项“{f.label(prefix)}”未填写（{f.help}）", f.path,
                                 REQUIRED, f.path[-1])
                    self.reported_required.add(f.path[-1])
                continue
            if f.kind == TEXT and f.path == ("单位名称",):
                v = clean_unit_name(v)
            self.put(f.path, v)
        for f in fields:
            if f.required and f.path not in seen:
                self.problem(f"{sheet.name}!A{hr + 2}", f"缺少必填项“{f.label(prefix)}”这一行",
                             kind=REQUIRED, key=f.path[-1])
                self.reported_required.add(f.path[-1])

    def read_code_table(self, sheet: Sheet, path: tuple, columns: dict[str, list[str]],
                        header_row: int | None = None, required: bool = False) -> dict | None:
        """科目编码 | 科目名称 | value columns → {code: value} (or {code: {column: value}})."""
        r0 = header_row if header_row is not None else self.find_row(
            sheet, lambda row: any(v in CODE_LABELS for v in row), stop=10)
        if r0 is None:
            if required:
                self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：科目编码、科目名称、{'、'.join(columns)}")
            return None
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        code_col = next(c for c, v in enumerate(heads) if v in CODE_LABELS)
        colmap = {}
        for key, labels in columns.items():
            c = next((c for c, v in enumerate(heads) if v in [norm(x) for x in labels]), None)
            if c is None:
                self.problem(sheet.addr(r0, code_col), f"工作表“{sheet.name}”的表头缺少“{key}”列")
                return None
            colmap[key] = c
        single = len(columns) == 1
        kind = MONEY if single else LONGTEXT
        out: dict[str, Any] = {}
        for r in range(r0 + 1, len(sheet.rows)):
            code_raw = sheet.get(r, code_col)
            values_blank = all(is_blank(sheet.get(r, c)) for c in colmap.values())
            if is_blank(code_raw):
                if not values_blank:
                    self.problem(sheet.addr(r, code_col), "这一行有数但缺少科目编码")
                continue
            try:
                code = parse_code(code_raw)
            except Bad as exc:
                if not values_blank:
                    self.problem(sheet.addr(r, code_col), str(exc))
                continue
            if values_blank:
                continue
            if code in out:
                self.problem(sheet.addr(r, code_col), f"科目编码“{code}”重复")
                continue
            entry: dict[str, Any] = {}
            for key, c in colmap.items():
                p = path + (code,) if single else path + (code, key)
                v = self.value(sheet, r, c, kind, p)
                if v is not None:
                    entry[key] = v
            if not single:
                self.cells[path + (code,)] = sheet.addr(r, code_col)
            if entry:
                out[code] = entry[next(iter(columns))] if single else entry
        self.cells[path] = sheet.addr(r0, code_col)
        if out:
            self.put(path, out)
        return out

    def read_class_words(self, sheet: Sheet) -> None:
        self.read_code_table(sheet, ("情况说明", "类说明"), {k: [k] for k in CLASS_WORD_COLUMNS}, required=True)

    # -- 附件 forms (FORM_SHEETS: a key–value sheet and long sheets; 附件序号 = the number in 附件)
    def form_target(self, sheet: Sheet, r: int, c: int, key: str) -> tuple[int, dict] | None:
        """(index, ``key`` mapping) of the attachment numbered in (r, c); None (and a problem) if there is none."""
        raw = sheet.get(r, c)
        try:
            n = parse_count(raw)
        except Bad as exc:
            self.problem(sheet.addr(r, c), str(exc))
            return None
        items = self.data.get("附件") or []
        if n is None or not 1 <= n <= len(items):
            self.problem(sheet.addr(r, c), f"附件序号“{raw}”不在“附件”表中（应为 1–{len(items)}）")
            return None
        self.cells.setdefault(("附件", n - 1, key), sheet.addr(r, c))
        return n - 1, items[n - 1].setdefault(key, {})

    def read_forms(self, found: dict[str, Sheet]) -> None:
        for spec in FORM_SHEETS:
            if spec.sheet in found:
                self.read_form_fields(found[spec.sheet], spec)
            for name, key, columns in spec.lists:
                if name in found:
                    self.read_form_rows(found[name], spec, key, columns)

    def read_form_fields(self, sheet: Sheet, spec: FormSheets) -> None:
        r0 = self.find_row(sheet, lambda row: ATTACHMENT_NO in row and "项目" in row and "内容" in row, stop=8)
        if r0 is None:
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        nc, kc, vc = heads.index(ATTACHMENT_NO), heads.index("项目"), heads.index("内容")
        fields = {f.label(): f for f in spec.fields}
        for r in range(r0 + 1, len(sheet.rows)):
            label = str(sheet.get(r, kc) or "").strip()
            if not label and not is_blank(sheet.get(r, vc)):
                self.no_label(sheet, r, kc, vc)
            if not label or is_blank(sheet.get(r, vc)):
                continue
            f = fields.get(label)
            if f is None:
                self.problem(sheet.addr(r, kc), f"不认识的项目“{label}”（可用：{'、'.join(fields)}）")
                continue
            found_at = self.form_target(sheet, r, nc, spec.key)
            if found_at is None:
                continue
            i, target = found_at
            v = self.value(sheet, r, vc, f.kind, ("附件", i, spec.key) + f.path)
            if v is not None:
                d = target
                for part in f.path[:-1]:
                    d = d.setdefault(part, {})
                d[f.path[-1]] = v

    def read_form_rows(self, sheet: Sheet, spec: FormSheets, key: str, columns: tuple) -> None:
        r0 = self.find_row(sheet, lambda row: ATTACHMENT_NO in row and norm(columns[0][0]) in row, stop=8)
        if r0 is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：{ATTACHMENT_NO}、{'、'.join(c[0] for c in columns)}")
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        nc = heads.index(ATTACHMENT_NO)
        cols = {c[0]: heads.index(norm(c[0])) for c in columns if norm(c[0]) in heads}
        for r in range(r0 + 1, len(sheet.rows)):
            if all(is_blank(sheet.get(r, c)) for c in cols.values()):
                continue
            found_at = self.form_target(sheet, r, nc, spec.key)
            if found_at is None:
                continue
            i, target = found_at
            rows = target.setdefault(key, [])
            path = ("附件", i, spec.key, key, len(rows))
            item: dict = {}
            for column in columns:
                if column[0] in cols:
                    where = column_path(column)
                    v = self.value(sheet, r, cols[column[0]], column[1], path + where)
                    if v is not None:
                        d = item
                        for part in where[:-1]:
                            d = d.setdefault(part, {})
                        d[where[-1]] = v
            self.cells[path] = sheet.addr(r, nc)
            rows.append(item)

    def read_list(self, sheet: Sheet, path: tuple, columns: list[str], optional: tuple[str, ...] = ()) -> None:
        r0 = self.find_row(sheet, lambda row: all(norm(c) in row for c in columns), stop=8)
        if r0 is None:
            self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”应有表头：{'、'.join(columns)}")
            return
        self.extent(sheet, [r0])
        heads = [norm(v) for v in sheet.rows[r0]]
        cols = {c: heads.index(norm(c)) for c in columns}
        items = []
        for r in range(r0 + 1, len(sheet.rows)):
            if all(is_blank(sheet.get(r, c)) for c in cols.values()):
                continue
            i = len(items)
            item = {}
            for key, c in cols.items():
                v = self.value(sheet, r, c, TEXT, path + (i, key))
                if v is None and key in optional:
                    self.cells.pop(path + (i, key), None)
                elif v is None:
                    self.problem(sheet.addr(r, c), f"“{key}”未填写", path + (i, key))
                else:
                    item[key] = v
            self.cells[path + (i,)] = sheet.addr(r, cols[columns[0]])
            items.append(item)
        self.cells[path] = sheet.addr(r0, 0)
        if items:
            self.put(path, items)

