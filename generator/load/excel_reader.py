"""Read a unit's workbook (.xlsx / .xlsm) into the same plain values as the YAML reader.

The workbook (see docs/excel.md) has one sheet per published table, laid out like the 公开表,
plus key–value sheets for the unit, last year's figures, 年初预算 and the unit's words. This
reader produces a `Located` whose ``cells`` map every key path to "工作表!单元格", so that every
later message (structure, model, 勾稽 checks) names the cell.

Safety first, before openpyxl sees a byte: size limit, zip structure, uncompressed size and
compression ratio, encrypted/old-Excel (OLE compound file) detection, and every XML part parsed
once by expat with DTDs forbidden (no entity expansion, no external references: defusedxml's
rules, without building a tree). That same pass finds formula cells without a cached value and
refuses what would make openpyxl build too much (_scan_xml). openpyxl then reads cached values
only (``data_only=True``, read-only mode; it parses through defusedxml itself).

Tolerant where people are messy: numbers stored as text, thousands separators, full-width
digits, "——" and blank as empty, stray spaces in names and codes, 类/款/项 rows in any order,
blank rows, merged or unmerged headers, title and meta rows above a table. Strict where numbers
are at stake: a number that cannot be read, a comma in the wrong place, a formula without a
cached value, a table whose header is not the expected one, a 金额单位 or 年度 in a table's meta
row that contradicts 单位信息: each is a problem naming the cell, and all are reported together.
"""
from __future__ import annotations

import io
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import REQUIRED, InputError, Problem, os_reason
from ..model import Source
from .workbook_spec import (
    BUDGET_BY_CLASS,
    BUDGET_COLUMN,
    COUNT,
    FULL_BUDGET_BY_CLASS,
    FULL_BUDGET_COLUMN,
    INFO,
    LAST_BY_CLASS,
    LAST_CLASS_COLUMN,
    MEMBER_COLUMNS,
    MEMBERS,
    MONEY,
    OPTIONAL_SHEETS,
    SHEET_ATTACH,
    SHEET_BUDGET,
    SHEET_CLASS_WORDS,
    SHEET_FULL_BUDGET,
    SHEET_GLOSSARY,
    SHEET_GUIDE,
    SHEET_INFO,
    SHEET_LAST,
    SHEET_MEMBERS,
    SHEET_UNIT,
    SHEET_WORDS,
    TABLE_NAMES,
    TABLE_TITLES,
    TEXT_SHEETS,
    UNIT_FIELDS,
    info_fields,
    last_fields,
    word_fields,
)
from .xlsx_guard import (
    SheetFacts,
    _open_zip,
    _refuse,
    _scan_xml,
    _sniff,
    col_letter,
    merge_span,
)
from .xlsx_sheets import SheetReading
from .xlsx_tables import TableReading
from .xlsx_values import (
    PARSERS,
    Bad,
    Sheet,
    _label,
    _numeric,
    _short,
    _shown_amount,
    is_blank,
    norm,
)
from .yaml_reader import Located


def read_xlsx(path: Path) -> Located:
    """A workbook → Located (plain data + sheet!cell per key path). Raises InputError."""
    path = Path(path)
    name = str(path)
    _sniff(path, name)
    try:
        blob = path.read_bytes()            # at most MAX_FILE_BYTES: checked and read from memory
    except OSError as exc:
        raise _refuse(name, f"无法读取文件：{os_reason(exc)}") from None
    zf = _open_zip(io.BytesIO(blob), name)
    try:
        facts = _scan_xml(zf, name)
    finally:
        zf.close()
    sheets = _load_sheets(blob, name, facts)
    return WorkbookReader(name, sheets).read()


def read_xls(path: Path) -> Located:
    """.xls: an old-format workbook gets the conversion message; an .xlsx misnamed .xls is read."""
    path = Path(path)
    _sniff(path, str(path))
    return read_xlsx(path)


def _load_sheets(blob: bytes, name: str, facts: dict[str, SheetFacts]) -> list[Sheet]:
    import warnings

    import openpyxl
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")       # "unknown extension", "no default style" …
            wb = openpyxl.load_workbook(io.BytesIO(blob), read_only=True, data_only=True, keep_links=False)
    except InputError:
        raise
    except Exception as exc:
        raise _refuse(name, f"工作簿无法读取（{type(exc).__name__}: {exc}）：文件可能已损坏，"
                            f"请用 Excel 打开后另存为 .xlsx 再导入") from None
    out = []
    try:
        for ws in wb.worksheets:
            try:
                ws.reset_dimensions()
                rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            except Exception as exc:
                raise _refuse(name, f"工作表“{ws.title}”无法读取（{type(exc).__name__}: {exc}）") from None
            known = facts.get(ws.title) or SheetFacts()
            out.append(Sheet(ws.title, rows, known.uncached, known.merged, known.hidden,
                             known.hidden_rows, known.hidden_cols))
    finally:
        wb.close()
    return out



class WorkbookReader(TableReading, SheetReading):
    def __init__(self, file: str, sheets: list[Sheet]):
        self.file = file
        self.sheets = sheets
        self.data: dict[str, Any] = {}
        self.cells: dict[tuple, str] = {}
        self.problems: list[Problem] = []
        self.reported_required: set[str] = set()
        self.typed: list = []           # model.TypedFigure: figures typed into grey (computed) cells
        self.unread: list = []          # model.Unread: content where nothing is read
        # sheet name -> (last header row, last column of the table, last row read or None): the cells
        # right of the table below its header (and below the last row read) are not read
        self.extents: dict[str, tuple[int, int, int | None]] = {}
        # amount cells read inside merged ranges: (sheet, range) -> [(row, col, path)]
        self.merged_reads: dict[tuple[str, str], list[tuple[int, int, tuple]]] = {}

    # -- problems and values
    def problem(self, where: str | None, message: str, path: tuple = (), kind: str = "", key: str = "") -> None:
        from .yaml_reader import path_str
        self.problems.append(Problem(Source(self.file, None, path_str(path), where), message, kind, key))

    def value(self, sheet: Sheet, r: int, c: int, kind: str, path: tuple) -> Any:
        """Read and convert one cell; register its address for ``path``; None when blank or bad."""
        addr = sheet.addr(r, c)
        self.cells[path] = addr
        raw = sheet.get(r, c)
        if kind in (MONEY, COUNT) and (merge := sheet.merge_at(r, c)) is not None:
            self.merged_reads.setdefault((sheet.name, merge[0]), []).append((r, c, path))
        if raw is None and f"{col_letter(c)}{r + 1}" in sheet.uncached:
            self.problem(addr, "单元格是公式，但文件里没有保存计算结果（常见于程序生成或未在 Excel 中保存过的文件）："
                               "请用 Excel 或 WPS 打开并保存一次，或把公式改成数值", path)
            return None
        try:
            return PARSERS[kind](raw)
        except Bad as exc:
            self.problem(addr, str(exc), path)
            return None

    def put(self, path: tuple, value: Any) -> None:
        d = self.data
        for p in path[:-1]:
            d = d.setdefault(p, {})
        d[path[-1]] = value

    # -- the whole workbook
    def read(self) -> Located:
        found = self.identify()
        unit_sheet = found.get(SHEET_UNIT)
        if unit_sheet is not None:
            self.read_key_values(unit_sheet, UNIT_FIELDS, ())
        profile = self.profile()
        rows_of = profile or self.first_profile()   # whose 三公 items and vehicle kinds the text sheets hold
        required = [SHEET_UNIT] + [f"table:{k}" for k in ([t.key for t in profile.tables] if profile else TABLE_NAMES)] + \
                   [s for s in TEXT_SHEETS if s != SHEET_UNIT]
        missing = [k for k in required if k not in found]
        if missing:
            labels = [self.sheet_label(k, profile) for k in missing]
            present = "、".join(s.name for s in self.sheets)
            self.problem(None, f"缺少工作表：{'、'.join(labels)}（工作簿中有：{present}）。可用 "
                               f"juesuan template --profile <模板> 生成空白模板，把表复制进对应的工作表")
        for key, sheet in found.items():
            if key.startswith("table:"):
                self.read_table(key[6:], sheet, profile)
        if SHEET_LAST in found:
            self.read_key_values(found[SHEET_LAST], last_fields(rows_of.sangong), ("上年",),
                                 code_table=(LAST_BY_CLASS, {LAST_CLASS_COLUMN: ["上年决算数", "决算数", "金额", "上年数"]}))
        if SHEET_BUDGET in found:
            self.read_code_table(found[SHEET_BUDGET], BUDGET_BY_CLASS,
                                 {BUDGET_COLUMN: ["年初预算数", "年初预算", "预算数", "金额"]}, required=True)
        if SHEET_WORDS in found:
            self.read_key_values(found[SHEET_WORDS], word_fields(rows_of.sangong), ("情况说明",))
            self.text_only_performance()
        if SHEET_CLASS_WORDS in found:
            self.read_class_words(found[SHEET_CLASS_WORDS])
        if SHEET_GLOSSARY in found:
            self.read_list(found[SHEET_GLOSSARY], ("情况说明", "名词解释补充"), ["名词", "解释"])
        if SHEET_ATTACH in found:
            self.read_list(found[SHEET_ATTACH], ("附件",), ["名称"])
        if SHEET_FULL_BUDGET in found:
            self.read_code_table(found[SHEET_FULL_BUDGET], FULL_BUDGET_BY_CLASS,
                                 {FULL_BUDGET_COLUMN: ["全年预算数", "全年预算", "调整后预算数", "金额"]})
        self.read_forms(found)
        if SHEET_INFO in found:
            self.read_key_values(found[SHEET_INFO], info_fields(rows_of.vehicle_kinds), INFO)
        if SHEET_MEMBERS in found:
            self.read_list(found[SHEET_MEMBERS], MEMBERS, MEMBER_COLUMNS, optional=("备注",))
        self.check_meta(found)
        self.report_unread(found)
        self.report_hidden(found)
        self.report_merges({s.name: s for s in found.values()})
        self.attachments_alone()
        located = Located(self.file, self.data, cells=self.cells, typed=self.typed, unread=self.unread)
        if self.problems:
            self.raise_with_more(located)
        return located

    # -- content where nothing is read: said (rule W-UNREAD), never dropped silently
    def extent(self, sheet: Sheet, header_rows: list[int], last: int | None = None) -> None:
        """The table of ``sheet`` ends at the last column of its header rows (a merged head counts
        to its right edge); with ``last``, at that row too. The first call for a sheet counts."""
        if sheet.name in self.extents or not header_rows:
            return
        width = -1
        for r in header_rows:
            row = sheet.rows[r] if r < len(sheet.rows) else ()
            width = max([width, *(c for c, v in enumerate(row) if not is_blank(v))])
            for c in range(len(row)):
                if (m := sheet.merge_at(r, c)) is not None and not is_blank(row[c]):
                    span = merge_span(m[0])
                    width = max(width, span[3] if span else c)
        self.extents[sheet.name] = (max(header_rows), width, last)

    def report_unread(self, found: dict[str, Sheet]) -> None:
        for sheet in found.values():
            if sheet.name not in self.extents:
                continue
            head, width, last = self.extents[sheet.name]
            right = ((r, c) for r in range(head + 1, len(sheet.rows)) for c in range(width + 1, len(sheet.rows[r])))
            self.unread_cells(sheet, right, f"工作表“{sheet.name}”中表格右侧的内容没有读入",
                              "数请填在表内对应的格；不需要的请删除")
            if last is not None:
                self.unread_cells(sheet, self.below(sheet, last, width), f"工作表“{sheet.name}”只读表头下的一行数，下面的内容没有读入",
                                  "本表的数都填在表头下的那一行")

    @staticmethod
    def below(sheet: Sheet, last: int, width: int) -> Iterator[tuple[int, int]]:
        """The cells of the table's columns below row ``last``; after a 注 line, only numbers."""
        note = False
        for r in range(last + 1, len(sheet.rows)):
            row = sheet.rows[r]
            first = next((v for v in row if not is_blank(v)), None)
            note = note or norm(first).startswith(("注", "说明"))
            for c in range(min(width + 1, len(row))):
                if not (note and isinstance(row[c], str) and not _numeric(row[c])):
                    yield r, c

    def report_hidden(self, found: dict[str, Sheet]) -> None:
        """Rows and columns hidden in Excel are read like the others; what they hold inside a table
        is said (a 提示, rule W-HIDDEN): the clerk does not see it, the report prints it."""
        for sheet in found.values():
            if not (sheet.hidden_rows or sheet.hidden_cols) or sheet.name not in self.extents:
                continue
            head, width, last = self.extents[sheet.name]
            end = len(sheet.rows) if last is None else min(len(sheet.rows), last + 1)

            def hidden_col(c: int) -> bool:
                return any(lo <= c + 1 <= hi for lo, hi in sheet.hidden_cols)
            cols = [c for c in range(width + 1) if hidden_col(c)]
            cells = ((r, c) for r in range(head + 1, end) for c in range(min(width + 1, len(sheet.rows[r])))
                     if r + 1 in sheet.hidden_rows or c in cols)
            self.unread_cells(sheet, cells, f"工作表“{sheet.name}”中隐藏的行或列里有内容，照常读入（在 Excel 中看不到）",
                              "请取消隐藏（选中相邻的行或列，右键“取消隐藏”）核对，不要的请删除", rule="W-HIDDEN")

    def unread_guide(self, sheet: Sheet) -> None:
        """填写说明 is the program's text, never read: a number in it, or anything right of its three
        columns, was typed by someone and is said."""
        cells = ((r, c) for r in range(len(sheet.rows)) for c, v in enumerate(sheet.rows[r])
                 if not is_blank(v) and (c > 2 or _numeric(v)))
        self.unread_cells(sheet, cells, f"工作表“{sheet.name}”是程序生成的说明，导入时不读取，其中填写的内容没有读入",
                          "数请填在对应的工作表")

    def unread_cells(self, sheet: Sheet, cells: Iterable[tuple[int, int]], what: str, fix: str,
                     rule: str = "W-UNREAD") -> None:
        """One notice per sheet and kind: the first cells with what they hold, and how many. ``cells``
        is walked once and not kept (a sheet of the user's own may be a large grid)."""
        from ..model import Unread
        first: list[tuple[int, int]] = []
        count, number = 0, False
        for r, c in cells:
            v = sheet.get(r, c)
            if is_blank(v):
                continue
            count += 1
            if len(first) < 5:
                first.append((r, c))
            number = number or _numeric(v)
        if not count:
            return
        shown = "、".join(f"{col_letter(c)}{r + 1}“{_short(sheet.get(r, c))}”" for r, c in first)
        more = f"等 {count} 格" if count > 5 else ""
        addr = sheet.addr(*first[0])
        self.unread.append(Unread(f"{what}：{shown}{more}。{fix}", Source(self.file, None, "", addr), number, rule))

    def report_merges(self, sheets: dict[str, Sheet]) -> None:
        """A merged range over an amount cell hides it: Excel keeps only the upper-left value, the
        other cells under the merge are read as blank (or as a value no one can see). Named once
        per range, saying what was read where."""
        for (name, rng), reads in self.merged_reads.items():
            sheet = sheets.get(name)
            if sheet is None:
                continue
            _, r0, c0 = sheet.merge_at(reads[0][0], reads[0][1]) or (rng, reads[0][0], reads[0][1])
            top = sheet.get(r0, c0)
            hidden = [(r, c, p) for r, c, p in reads if (r, c) != (r0, c0)]
            if not hidden or (is_blank(top) and all(is_blank(sheet.get(r, c)) for r, c, _ in hidden)):
                continue
            top_path = next((p for r, c, p in reads if (r, c) == (r0, c0)), None)
            under = "，".join(f"{col_letter(c)}{r + 1}（{_label(p)}）" + (
                "读作空白" if is_blank(sheet.get(r, c)) else f"读作看不见的“{str(sheet.get(r, c)).strip()}”")
                for r, c, p in hidden)
            first = f"{col_letter(c0)}{r0 + 1}"
            if top_path is not None:
                message = (f"合并单元格中的金额“{_shown_amount(top)}”只能读到一格：读作 {first}（{_label(top_path)}），"
                           f"{under}。请取消合并，每格填一个数")
            else:
                message = (f"合并单元格（左上角 {first} 是“{_shown_amount(top)}”）盖住了金额单元格：{under}。"
                           f"请取消合并，把金额填在各自的单元格中")
            self.problem(f"{name}!{rng}", message)

    def attachments_alone(self) -> None:
        """A workbook that holds nothing but 附件 (as a YAML file may: builder.holds_only_attachments)
        needs no 报告类型, 单位性质 or 金额单位: their “必填项” problems are dropped."""
        from .builder import holds_only_attachments
        if not holds_only_attachments(self.data):
            return
        optional = ("报告类型", "单位性质", "金额单位")
        self.problems = [p for p in self.problems if not (p.kind == REQUIRED and p.key in optional)]
        self.reported_required -= set(optional)

    def text_only_performance(self) -> None:
        """预算绩效 with only its text is the text itself (as a YAML file writes it)."""
        words = self.data.get("情况说明") or {}
        perf = words.get("预算绩效")
        if isinstance(perf, dict) and set(perf) == {"说明"}:
            words["预算绩效"] = perf["说明"]
            where = self.cells.pop(("情况说明", "预算绩效", "说明"), None)
            if where:
                self.cells[("情况说明", "预算绩效")] = where

    def raise_with_more(self, located: Located) -> None:
        """Report the reader's problems together with what the structure check and the model
        builder find in the rest of the data (one run shows everything)."""
        from .builder import Builder
        from .structure import validate_structure
        problems = list(self.problems)
        try:
            validate_structure(located)
            Builder(located).build()
        except InputError as exc:
            for p in exc.problems:
                if p.kind == REQUIRED and p.key in self.reported_required:
                    continue            # the reader said it already, at its cell
                problems.append(p)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError):
            pass    # the builder tripped on what the reader could not read; the reader's problems say why
        raise InputError(problems)

    def profile(self):
        from ..profile import available, load_profile
        name = self.data.get("模板")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name) or name not in available():
            return None
        try:
            return load_profile(name)
        except InputError:
            return None

    @staticmethod
    def first_profile():
        """What a workbook naming no profile that loads (said elsewhere) is read with: the first profile."""
        from ..profile import available, load_profile
        return load_profile(available()[0])

    @staticmethod
    def sheet_label(key: str, profile) -> str:
        if not key.startswith("table:"):
            return f"“{key}”"
        k = key[6:]
        spec = profile.table(k) if profile else None
        return f"“{spec.title}”（{spec.label}）" if spec else f"“{TABLE_NAMES[k]}”"

    # -- which sheet is which
    def identify(self) -> dict[str, Sheet]:
        from ..profile import available, load_profile
        titles: dict[str, str] = {}
        labels: dict[str, str] = {}
        for k, names in TABLE_TITLES.items():
            for t in names:
                titles[norm(t)] = k
        try:
            for pname in available():
                for spec in load_profile(pname).tables:
                    titles.setdefault(norm(spec.title), spec.key)
        except InputError:
            pass
        prof = None
        unit = next((s for s in self.sheets if norm(s.name) == SHEET_UNIT), None)
        if unit is not None:
            hr = self.find_row(unit, lambda row: "项目" in row and "内容" in row, stop=8)
            if hr is not None:
                heads = [norm(v) for v in unit.rows[hr]]
                kc, vc = heads.index("项目"), heads.index("内容")
                for r in range(hr + 1, min(len(unit.rows), 60)):
                    if norm(unit.get(r, kc)) == "模板" and isinstance(unit.get(r, vc), str):
                        try:
                            prof = load_profile(unit.get(r, vc).strip())
                        except InputError:      # an unknown 模板 is reported where the unit sheet is read
                            prof = None
        if prof is not None:
            labels = {norm(t.label): t.key for t in prof.tables}
        text_names = {norm(s): s for s in TEXT_SHEETS + OPTIONAL_SHEETS + [SHEET_GUIDE]}
        found: dict[str, Sheet] = {}
        for sheet in self.sheets:
            n = norm(sheet.name)
            key = None
            if n in text_names:
                key = text_names[n]
                if key == SHEET_GUIDE:
                    self.unread_guide(sheet)
                    continue
            elif n in titles:
                key = "table:" + titles[n]
            elif n in labels:
                key = "table:" + labels[n]
            # the title written inside the sheet
            inner = self.inner_title(sheet, titles, labels)
            if key is None:
                if inner is None:       # a sheet of the user's own: not read, and said so
                    self.unread_cells(sheet, ((r, c) for r in range(len(sheet.rows)) for c in range(len(sheet.rows[r]))),
                                      f"工作表“{sheet.name}”不是本模板的工作表（表内标题也不是公开表的标题），没有读入",
                                      "要读入的数请填在对应的工作表；不需要的工作表可以删除")
                    continue
                key = "table:" + inner[0]
            elif key.startswith("table:") and inner is not None and inner[0] != key[6:]:
                self.problem(inner[1], f"工作表“{sheet.name}”里是“{TABLE_NAMES[inner[0]]}”，不是“{TABLE_NAMES[key[6:]]}”："
                                       f"请把表放进名为“{TABLE_NAMES[key[6:]]}”的工作表")
                continue
            if key in found:
                self.same_table(key, found, sheet)
                continue
            found[key] = sheet
        return found

    def same_table(self, key: str, found: dict[str, Sheet], sheet: Sheet) -> None:
        """Two sheets hold the same table. A hidden one (an old copy, “收入决算表 (2)”) is named as
        hidden: the user sees one table and would not know which the program reads. The visible one
        stays the sheet of the table, so its own problems are reported too."""
        first = found[key]
        what = TABLE_NAMES.get(key[6:], key) if key.startswith("table:") else key
        if first.hidden != sheet.hidden:
            hidden, shown = (first, sheet) if first.hidden else (sheet, first)
            found[key] = shown
            self.problem(f"{hidden.name}!A1", f"隐藏的工作表“{hidden.name}”与工作表“{shown.name}”是同一张表（{what}），"
                                              f"在 Excel 中看不到它，程序无法确定该读哪一张。要读可见的“{shown.name}”，"
                                              f"请删除隐藏的“{hidden.name}”（右键工作表标签→“取消隐藏”可先查看）；"
                                              f"要用隐藏的那张，请删除“{shown.name}”，再取消隐藏")
            return
        both = "（两张都是隐藏的）" if sheet.hidden else ""
        self.problem(f"{sheet.name}!A1", f"工作表“{first.name}”和“{sheet.name}”是同一张表（{what}）{both}：请只保留一张")

    @staticmethod
    def inner_title(sheet: Sheet, titles: dict[str, str], labels: dict[str, str]) -> tuple[str, str] | None:
        """(table key, cell) of a known title in the first rows; a 公开NN表 label as fallback."""
        by_label = None
        for r in range(min(len(sheet.rows), 6)):
            for c, v in enumerate(sheet.rows[r][:12]):
                if not isinstance(v, str):
                    continue
                n = norm(v)
                if n in titles:
                    return titles[n], sheet.addr(r, c)
                if n in labels and by_label is None:
                    by_label = (labels[n], sheet.addr(r, c))
        return by_label

    # -- meta rows: 金额单位 and 年度 must agree with 单位信息
    def check_meta(self, found: dict[str, Sheet]) -> None:
        unit = self.data.get("金额单位")
        year = self.data.get("年度")
        for key, sheet in found.items():
            if not key.startswith("table:"):
                continue
            for r in range(min(len(sheet.rows), 8)):
                for c, v in enumerate(sheet.rows[r][:20]):
                    if not isinstance(v, str):
                        continue
                    s = unicodedata.normalize("NFKC", v)
                    m = re.search(r"(?:金额)?单位:\s*(万元|元)", s)
                    if m and unit in ("元", "万元") and m.group(1) != unit:
                        self.problem(sheet.addr(r, c), f"表上写的金额单位是“{m.group(1)}”，“单位信息”中是“{unit}”："
                                                       f"数字会差一万倍，请核对后改成一致")
                    m = re.search(r"(\d{4})\s*年度", s)
                    if m and isinstance(year, int) and int(m.group(1)) != year:
                        self.problem(sheet.addr(r, c), f"表上写的是“{m.group(1)}年度”，“单位信息”中的年度是 {year}："
                                                       f"是否粘贴了别的年度的表？")

    # -- header helpers
    def header_block(self, sheet: Sheet, anchor: int, limit: int = 3) -> list[int]:
        """The header rows ending at ``anchor``: rows above it that hold column labels (not the
        title, label or meta row)."""
        rows = [anchor]
        r = anchor - 1
        while r >= 0 and len(rows) <= limit:
            texts = [v for v in (sheet.rows[r] if r < len(sheet.rows) else ()) if not is_blank(v)]
            if not texts:
                break
            if any(isinstance(v, str) and (":" in unicodedata.normalize("NFKC", v) or "年度" in v
                                           or re.fullmatch(r"公开\d+表", norm(v))) for v in texts):
                break
            if len(texts) == 1 and len(sheet.rows[anchor]) > 3 and norm(texts[0]) not in ("收入", "支出", "项目"):
                break           # a lone title
            rows.insert(0, r)
            r -= 1
        return rows

    @staticmethod
    def leaves(sheet: Sheet, rows: list[int]) -> dict[int, str]:
        """Per column, the lowest non-empty header label (normalized)."""
        out: dict[int, str] = {}
        for r in rows:
            for c, v in enumerate(sheet.rows[r] if r < len(sheet.rows) else ()):
                if not is_blank(v):
                    out[c] = norm(v)
        return out

    @staticmethod
    def groups(sheet: Sheet, row: int, width: int) -> dict[int, str]:
        """The top header row's labels carried right over the columns they span."""
        out, cur = {}, ""
        for c in range(width):
            v = sheet.get(row, c)
            if not is_blank(v):
                cur = norm(v)
            out[c] = cur
        return out

    def find_row(self, sheet: Sheet, test: Callable[[list[str]], bool], start: int = 0, stop: int = 25) -> int | None:
        for r in range(start, min(len(sheet.rows), stop)):
            if test([norm(v) for v in sheet.rows[r]]):
                return r
        return None

    def wrong_header(self, sheet: Sheet, key: str, expected: list[str]) -> None:
        shown = "、".join(expected[:4]) + ("……" if len(expected) > 4 else "")
        self.problem(f"{sheet.name}!A1", f"工作表“{sheet.name}”的表头不是{TABLE_NAMES[key]}（应有：{shown}）")

    def skip_number_row(self, sheet: Sheet, r: int) -> int:
        """After the header: skip a 栏次 row (label 栏次, or the column numbers 1, 2, 3 …)."""
        if r < len(sheet.rows):
            vals = [v for v in sheet.rows[r] if not is_blank(v)]
            if vals and norm(vals[0]) in ("栏次", "档次"):     # 档次: a published misprint (xiaohe 2022, 04表)
                return r + 1
            nums = []
            for v in vals:
                try:
                    nums.append(Decimal(norm(v)))
                except (InvalidOperation, ValueError):
                    nums = []
                    break
            if len(nums) >= 2 and nums == [Decimal(i) for i in range(1, len(nums) + 1)]:
                return r + 1
        return r

    # -- tables (each read by its layout: templates/layouts/, generator/layout.py)
