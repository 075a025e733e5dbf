"""A workbook before openpyxl sees a byte: size, zip structure, uncompressed size and compression
ratio, encrypted or old-Excel (OLE compound file) detection, and every XML part parsed once by expat
with DTDs forbidden (defusedxml's rules, without building a tree). The same pass counts what would
make openpyxl build too much (cells, merged ranges, grid area, sheets, elements, text) and finds
formula cells without a cached value; every refusal names the sheet and cell.
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.common import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from ..errors import InputError, Problem, os_reason, special_file
from ..model import Source

# ---------------------------------------------------------------- limits

MAX_FILE_BYTES = 20 * 1024 * 1024          # a filled workbook is a few hundred KB
MAX_UNCOMPRESSED = 100 * 1024 * 1024       # sum of the parts' declared sizes
MAX_RATIO = 200                            # compressed → uncompressed, for parts over 1 MB
MAX_PARTS = 5000
# merged ranges: a filled workbook has a few dozen per sheet. A range over more than MAX_MERGE_AREA
# cells is a banner, never looked up; the others are counted, per sheet and in the whole workbook
MAX_MERGE_AREA = 10_000
MAX_MERGED_RANGES = 10_000                 # per sheet
MAX_MERGED_CELLS = 200_000                 # per sheet, in ranges of at most MAX_MERGE_AREA cells
MAX_MERGED_CELLS_BOOK = 1_000_000          # in the whole workbook
# what openpyxl builds, bounded whatever the file declares; a unit of 2,000 项 rows in every table
# and 200 项目自评表 has about 86,000 cells and 187,000 XML elements (benchmarks/input_cost.py)
MAX_SHEETS = 300
MAX_XML_ELEMENTS = 500_000                 # all parts together
MAX_CELLS = 200_000
MAX_GRID = 2_000_000                       # rows × columns openpyxl fills (missing cells and rows as blanks)
MAX_CELL_CHARS = 32_767                    # Excel's own limit for one cell
MAX_BOOK_CHARS = 10_000_000                # all texts together
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")   # OLE2 compound file: old .xls, or an encrypted .xlsx

CONVERT_XLS = ("请用 Excel 或 WPS 打开它，选“文件→另存为”，保存类型选“Excel 工作簿（*.xlsx）”，再导入新文件；"
               "或用 LibreOffice：soffice --headless --convert-to xlsx 文件名.xls")


# ---------------------------------------------------------------- the zip, before openpyxl

def _refuse(name: str, message: str) -> InputError:
    return InputError([Problem(Source(name), message)])


def _sniff(path: Path, name: str) -> None:
    """Size, magic bytes: refuse what is not a workbook before opening anything."""
    try:
        special = special_file(path)        # before opening: a named pipe's open would wait for ever
        if special:
            raise _refuse(name, f"无法读取文件：{special}")
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise _refuse(name, f"无法读取文件：{os_reason(exc)}") from None
    if size > MAX_FILE_BYTES:
        raise _refuse(name, f"文件过大（{size / 1024 / 1024:.1f} MB）：单位的决算工作簿应小于 "
                            f"{MAX_FILE_BYTES // 1024 // 1024} MB。请只保留决算表和说明各工作表（删去图片、"
                            f"附件、无关工作表）后另存再导入")
    if size == 0:
        raise _refuse(name, "文件是空的（0 字节），不是 Excel 工作簿")
    if head == CFB_MAGIC:
        with path.open("rb") as fh:
            blob = fh.read(min(size, 4 * 1024 * 1024))
        encrypted = "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob
        if encrypted:
            raise _refuse(name, "工作簿设置了打开密码（已加密），程序无法读取：请在 Excel 中打开，选“文件→信息→"
                                "保护工作簿→用密码进行加密”，清空密码并保存（WPS：“文件→文档加密→密码加密”，"
                                "清空打开密码），再导入")
        if path.suffix.lower() == ".xls":
            raise _refuse(name, f"这是旧版 Excel 97-2003 工作簿（.xls），本程序只读 .xlsx：{CONVERT_XLS}")
        raise _refuse(name, f"这个文件实际是旧版 Excel 97-2003 工作簿（.xls 格式，只是扩展名为"
                            f"“{path.suffix}”），本程序只读 .xlsx：{CONVERT_XLS}")
    if head[:2] != b"PK":
        lead = head.lstrip().lower()
        if lead.startswith((b"<", b"\xef\xbb\xbf<")):
            what = "网页（HTML/XML）文件，常见于决算软件“导出 Excel”生成的伪 .xls"
        elif head.startswith(b"%PDF"):
            what = "PDF 文件"
        else:
            what = "文本或其他格式的文件"
        raise _refuse(name, f"不是 Excel 工作簿（.xlsx）：这是{what}。请用 Excel 或 WPS 打开后“另存为”"
                            f"“Excel 工作簿（*.xlsx）”再导入")


def _open_zip(path: Path | io.BytesIO, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(name, f"工作簿已损坏，无法打开（zip 结构不完整：{exc}）。请用 Excel 打开并修复后另存为 .xlsx") from None
    problems = []
    if len(infos) > MAX_PARTS:
        problems.append(f"工作簿内部文件过多（{len(infos)} 个），疑似恶意构造的文件，拒绝读取")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        problems.append(f"工作簿解压后过大（{total / 1024 / 1024:.0f} MB，上限 "
                        f"{MAX_UNCOMPRESSED // 1024 // 1024} MB），疑似压缩炸弹，拒绝读取")
    for i in infos:
        if i.flag_bits & 0x1:
            problems.append(f"工作簿内部文件“{i.filename}”被加密，无法读取：请清除密码后另存为 .xlsx")
            break
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            problems.append(f"工作簿内部文件“{i.filename}”的压缩比异常（{i.file_size // max(i.compress_size, 1)} 倍），"
                            f"疑似压缩炸弹，拒绝读取")
            break
    if problems:            # one clear message: the first reason is enough to refuse
        zf.close()
        raise _refuse(name, problems[0])
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        zf.close()
        if "word/document.xml" in names:
            raise _refuse(name, "这是 Word 文档（.docx），不是 Excel 工作簿")
        if "ppt/presentation.xml" in names:
            raise _refuse(name, "这是 PowerPoint 演示文稿，不是 Excel 工作簿")
        if "content.xml" in names:
            raise _refuse(name, "这是 WPS/LibreOffice 的 ODF 表格（.ods 等），不是 .xlsx：请另存为“Excel 工作簿（*.xlsx）”")
        raise _refuse(name, "不是 Excel 工作簿：zip 文件中没有 xl/workbook.xml")
    return zf


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass
class SheetFacts:
    """What openpyxl's read-only mode does not tell about a sheet, found while scanning its XML."""
    uncached: set[str] = field(default_factory=set)     # formula cells without a cached value
    merged: list[str] = field(default_factory=list)     # merged ranges, “C8:D8”
    hidden: bool = False                                # hidden or very hidden in Excel
    hidden_rows: set[int] = field(default_factory=set)  # 1-based rows hidden in Excel
    hidden_cols: list[tuple[int, int]] = field(default_factory=list)   # 1-based (min, max) column ranges hidden


def _scan_xml(zf: zipfile.ZipFile, name: str) -> dict[str, SheetFacts]:
    """Parse every XML part once with expat, DTDs refused outright (so no entity is ever declared
    or expanded, no external reference followed: defusedxml's rules), and return, per sheet name,
    the cells holding a formula without a cached value, the merged ranges and whether the sheet
    is hidden.

    The same pass bounds what openpyxl will build, whatever the file declares (``_Sizes``): the
    XML elements (counted as they open, so a deep nest is refused too), cells and rows, the
    row × column grid openpyxl fills with blanks (a cell in column XFD, a row numbered 900000000),
    the length of texts and the merged ranges. No tree is built: the pass holds one part's state."""
    sheets: list[tuple[str, str, bool]] = []      # (sheet name, r:id, hidden)
    rels: dict[str, str] = {}
    facts_by_part: dict[str, tuple[set[str], list[str], set[int], list[tuple[int, int]]]] = {}
    # the workbook and its relationships first: a sheet's part is then known by its name
    first = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
    infos = sorted(zf.infolist(), key=lambda i: first.index(i.filename) if i.filename in first else len(first))
    sheet_of: dict[str, str] | None = None        # zip part -> the sheet it holds, once the two above are read
    sizes = _Sizes(name)
    for info in infos:
        part = info.filename
        if not part.endswith((".xml", ".rels", ".vml")):
            continue
        if sheet_of is None and part not in first:
            sheet_of = _sheet_parts(name, sheets, rels)
        is_sheet = part.startswith("xl/worksheets/") and part.endswith(".xml") or part in (sheet_of or {})
        sizes.sheet = (sheet_of or {}).get(part, part)
        scan = _PartScan(part, is_sheet, sizes, sheets, rels)
        try:
            with zf.open(info) as fh:
                scan.run(fh)
        except InputError:
            raise
        except DefusedXmlException:
            raise _refuse(name, f"工作簿中的“{part}”含有 DTD 或实体声明（XML 炸弹或外部实体攻击的手法），拒绝读取") from None
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise _refuse(name, f"工作簿已损坏：内部文件“{part}”无法解压（{exc}）。请用 Excel 打开并修复后另存") from None
        except Exception as exc:        # pyexpat.ExpatError and friends
            raise _refuse(name, f"工作簿已损坏：内部文件“{part}”不是有效的 XML（{exc}）") from None
        if scan.uncached or scan.merged or scan.hidden_rows or scan.hidden_cols:
            facts_by_part[part] = (scan.uncached, scan.merged, scan.hidden_rows, scan.hidden_cols)
    out: dict[str, SheetFacts] = {}
    for sheet, rid, hidden in sheets:
        uncached, merged, rows, cols = facts_by_part.get(_part_of(rels.get(rid, "")), (set(), [], set(), []))
        out[sheet] = SheetFacts(uncached, merged, hidden, rows, cols)
    return out


_X_MAIN = _MAIN[1:]                                  # expat's names: “namespace}local”, no “{”
_X_C, _X_ROW, _X_V, _X_F, _X_T = (_X_MAIN + t for t in ("c", "row", "v", "f", "t"))
_X_MERGE, _X_SHEET, _X_COL = _X_MAIN + "mergeCell", _X_MAIN + "sheet", _X_MAIN + "col"
_TRUE = ("1", "true")
_X_RID = _REL[1:] + "id"
_X_RELATIONSHIP = _PKG_REL[1:] + "Relationship"


class _PartScan:
    """One XML part, read by expat's callbacks (no tree): what _scan_xml looks for, and its sizes."""

    def __init__(self, part: str, is_sheet: bool, sizes: "_Sizes", sheets: list, rels: dict):
        self.part, self.is_sheet, self.sizes, self.sheets, self.rels = part, is_sheet, sizes, sheets, rels
        self.is_book = part == "xl/workbook.xml"
        self.is_rels = part == "xl/_rels/workbook.xml.rels"
        self.uncached: set[str] = set()
        self.merged: list[str] = []
        self.merged_cells = 0
        self.hidden_rows: set[int] = set()
        self.hidden_cols: list[tuple[int, int]] = []
        self.row_hidden = False
        self.depth = 0
        self.row_no = 0             # openpyxl's row counter: the row's r, or the previous one + 1
        self.next_row = 1           # the first row openpyxl has not yielded yet
        self.row_ref: str | None = None     # the current row's r
        self.last_ref: str | None = None    # the reference of the row's last cell that has one
        self.after = 0              # cells after it (no reference: each one column further)
        self.cell_ref: str | None = None    # the current cell's r
        self.cell_depth = -1        # depth of the current c element, -1 outside one
        self.has_formula = False
        self.has_value = False      # a non-blank v directly in the current cell
        self.text_depth = -1        # depth of the v, t or f whose text is being counted
        self.text_kind = ""
        self.text = 0               # length of the current text element
        self.longest = 0            # of the texts inside the current cell

    def run(self, fh) -> None:
        import pyexpat
        parser = pyexpat.ParserCreate(None, "}")
        parser.buffer_text = True
        # defusedxml's handlers (defusedxml.expatreader, forbid_dtd=True): any DOCTYPE is refused, and
        # with it every entity declaration and external reference
        parser.StartDoctypeDeclHandler = self.forbid_dtd
        parser.EntityDeclHandler = self.forbid_entity
        parser.UnparsedEntityDeclHandler = self.forbid_entity
        parser.ExternalEntityRefHandler = self.forbid_external
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        while chunk := fh.read(65536):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)

    @staticmethod
    def forbid_dtd(name, sysid, pubid, _internal) -> None:
        raise DTDForbidden(name, sysid, pubid)

    @staticmethod
    def forbid_entity(name, *args) -> None:
        raise EntitiesForbidden(name, None, None, None, None, None)

    @staticmethod
    def forbid_external(context, base, sysid, pubid) -> None:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    def start(self, tag: str, attrs: dict) -> None:
        sizes = self.sizes
        sizes.elements += 1
        if sizes.elements > MAX_XML_ELEMENTS:
            sizes.refuse_elements(self.part)
        self.depth += 1
        if self.is_sheet:
            if tag == _X_V or tag == _X_T or tag == _X_F:
                self.text_depth, self.text_kind, self.text = self.depth, tag, 0
                if tag == _X_F and self.depth == self.cell_depth + 1:
                    self.has_formula = True
            elif tag == _X_C:
                self.cell_depth, self.cell_ref = self.depth, attrs.get("r")
                self.has_formula = self.has_value = False
                self.longest = 0
            elif tag == _X_ROW:
                self.row_ref = attrs.get("r")
                self.row_hidden = attrs.get("hidden") in _TRUE
            elif tag == _X_COL and attrs.get("hidden") in _TRUE:
                try:
                    self.hidden_cols.append((int(attrs.get("min", "")), int(attrs.get("max", ""))))
                except ValueError:
                    pass
            elif tag == _X_MERGE and attrs.get("ref"):
                self.merge(attrs["ref"])
        elif self.is_book and tag == _X_SHEET:
            self.sheets.append((attrs.get("name", ""), attrs.get(_X_RID, ""),
                                attrs.get("state", "visible") in ("hidden", "veryHidden")))
        elif self.is_rels and tag == _X_RELATIONSHIP:
            self.rels[attrs.get("Id", "")] = attrs.get("Target", "")
        elif tag == _X_T:           # shared strings (and any other part's texts)
            self.text_depth, self.text_kind, self.text = self.depth, tag, 0

    def chars(self, data: str) -> None:
        if self.text_depth < 0:
            return
        self.text += len(data)
        if self.text_kind == _X_V and not self.has_value and self.text_depth == self.cell_depth + 1 and data.strip():
            self.has_value = True

    def end(self, tag: str) -> None:
        sizes = self.sizes
        if self.depth == self.text_depth:
            self.text_depth = -1
            sizes.chars += self.text
            if self.is_sheet:
                self.longest = max(self.longest, self.text)
            else:
                sizes.shared_text(self.text, self.part)
        elif self.is_sheet:
            if self.depth == self.cell_depth:           # the end of a c
                self.cell_depth = -1
                ref = self.cell_ref
                if ref:
                    self.last_ref, self.after = ref, 0
                else:
                    self.after += 1
                sizes.cells += 1
                if sizes.cells > MAX_CELLS or self.longest > MAX_CELL_CHARS or sizes.chars > MAX_BOOK_CHARS:
                    sizes.refuse_cell(ref or f"第 {self.row_no + 1} 行", self.longest)
                if self.has_formula and not self.has_value:
                    self.uncached.add(ref or "")
            elif tag == _X_ROW:
                self.row_no = _row_of(self.row_ref, self.row_no)
                if self.row_no >= self.next_row:        # openpyxl yields the rows missing before it, then it
                    col = _column_of(self.last_ref) + self.after
                    sizes.grid += self.row_no - self.next_row + max(col, 1)
                    if sizes.grid > MAX_GRID:
                        sizes.refuse_grid(self.row_no, col)
                    self.next_row = self.row_no + 1
                if self.row_hidden:
                    self.hidden_rows.add(self.row_no)
                self.last_ref, self.after, self.row_ref, self.row_hidden = None, 0, None, False
        self.depth -= 1

    def merge(self, ref: str) -> None:
        sizes = self.sizes
        self.merged.append(ref)
        area = _merge_area(ref)
        if area <= MAX_MERGE_AREA:
            self.merged_cells += area
            sizes.merged_cells += area
        if len(self.merged) > MAX_MERGED_RANGES or self.merged_cells > MAX_MERGED_CELLS or \
                sizes.merged_cells > MAX_MERGED_CELLS_BOOK:
            raise _too_many_merges(sizes.name, sizes.sheet, ref, len(self.merged), self.merged_cells,
                                   sizes.merged_cells > MAX_MERGED_CELLS_BOOK)


def _sheet_parts(name: str, sheets: list[tuple[str, str, bool]], rels: dict[str, str]) -> dict[str, str]:
    """Zip part -> the sheet it holds. More than MAX_SHEETS sheets, or two sheets on one part
    (openpyxl would read that part once for each), are refused."""
    if len(sheets) > MAX_SHEETS:
        raise _refuse(name, f"工作簿有 {len(sheets):,} 张工作表，超过上限 {MAX_SHEETS}（决算工作簿通常只有二三十张），"
                            "疑似恶意构造或损坏的文件，拒绝读取。请删去无关的工作表后另存再导入")
    out: dict[str, str] = {}
    for sheet, rid, _ in sheets:
        target = rels.get(rid, "")
        if not target:
            continue
        part = _part_of(target)
        if part in out:
            raise _refuse(name, f"工作簿已损坏：工作表“{out[part]}”和“{sheet}”指向同一个内部文件“{part}”"
                                "（Excel 不会这样保存），拒绝读取。请用 Excel 打开并修复后另存")
        out[part] = sheet
    return out


def _column_of(ref: str | None) -> int:
    """A cell's 1-based column as openpyxl reads it from its reference (“XFD7”); 0 without one."""
    if not ref:
        return 0
    letters = ref.rstrip("0123456789").lstrip("$").rstrip("$").upper()
    if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isascii():
        return 0                    # openpyxl refuses it later (“工作表无法读取”)
    return col_index(letters) + 1


def _row_of(r: str | None, previous: int) -> int:
    """A row's number as openpyxl reads it: its r (“12”, also “1e9”), else the previous one + 1."""
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        try:
            value = float(r)
        except ValueError:
            return previous + 1
        return int(value) if value.is_integer() else previous + 1


class _Sizes:
    """What one workbook's XML holds so far, refused past the limits (see ``_scan_xml``)."""

    def __init__(self, name: str):
        self.name = name
        self.sheet = ""
        self.elements = 0
        self.cells = 0
        self.grid = 0
        self.chars = 0
        self.merged_cells = 0

    def _refuse(self, where: str | None, said: str, fix: str) -> InputError:
        return InputError([Problem(Source(self.name, None, "", where),
                                   f"{said}，远超决算工作簿的需要，疑似恶意构造或损坏的文件，拒绝读取。{fix}")])

    def refuse_elements(self, part: str) -> None:
        raise self._refuse(None, f"工作簿的内容过多（合计超过 {MAX_XML_ELEMENTS:,} 个元素，读到内部文件“{part}”时）",
                           "请只保留决算表和说明各工作表后另存再导入")

    def refuse_cell(self, ref: str, text: int) -> None:
        where = f"{self.sheet}!{ref}"
        if self.cells > MAX_CELLS:
            raise self._refuse(where, f"工作簿的单元格超过 {MAX_CELLS:,} 个（读到 {where} 时；决算工作簿通常只有几万个）",
                               "请删去无关的工作表和多余的行列后另存再导入")
        if text > MAX_CELL_CHARS:
            raise self._refuse(where, f"单元格 {where} 的内容有 {text:,} 个字符，超过 Excel 一个单元格的上限 "
                                      f"{MAX_CELL_CHARS:,}", "请检查该单元格")
        raise self._refuse(where, f"工作簿的文字总量超过 {MAX_BOOK_CHARS:,} 个字符（读到 {where} 时）",
                           "请删去无关的工作表和内容后另存再导入")

    def refuse_grid(self, row: int, col: int) -> None:
        where = f"{self.sheet}!{col_letter(max(col, 1) - 1)}{row}"
        raise self._refuse(where, f"工作簿的表格区域过大（读到 {where} 时已超过 {MAX_GRID:,} 个单元格的范围；"
                                  "常见原因是很远的行或列里有内容或格式）",
                           f"请删去 {where} 等多余的行列（选中后“删除”，不只是清除内容）后另存再导入")

    def shared_text(self, n: int, part: str) -> None:
        self.chars += n
        if n > MAX_CELL_CHARS:
            raise self._refuse(None, f"工作簿内部文件“{part}”中有一段 {n:,} 个字符的文字，超过 Excel 一个单元格的上限 "
                                     f"{MAX_CELL_CHARS:,}", "请用 Excel 打开并另存后再导入")
        if self.chars > MAX_BOOK_CHARS:
            raise self._refuse(None, f"工作簿的文字总量超过 {MAX_BOOK_CHARS:,} 个字符（读到内部文件“{part}”时）",
                               "请删去无关的工作表和内容后另存再导入")


def _part_of(target: str) -> str:
    """A relationship's target (“worksheets/sheet1.xml”, “/xl/worksheets/sheet1.xml”) → zip part."""
    part = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return re.sub(r"[^/]+/\.\./", "", part)


_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


def merge_span(ref: str) -> tuple[int, int, int, int] | None:
    """“C8:D9” → (top row, left column, bottom row, right column), 0-based; None for a single
    cell (“C8”) or what is not a range."""
    m = _REF.fullmatch(ref.strip().upper())
    if not m or not m.group(3):
        return None
    return int(m.group(2)) - 1, col_index(m.group(1)), int(m.group(4)) - 1, col_index(m.group(3))


def _merge_area(ref: str) -> int:
    span = merge_span(ref)
    if span is None:
        return 0
    r0, c0, r1, c1 = span
    return max(r1 - r0 + 1, 0) * max(c1 - c0 + 1, 0)


def _too_many_merges(name: str, sheet: str, ref: str, ranges: int, cells: int, book: bool) -> InputError:
    if book:
        said = f"整个工作簿合并的单元格超过 {MAX_MERGED_CELLS_BOOK:,} 个"
    elif ranges > MAX_MERGED_RANGES:
        said = f"合并区域超过 {MAX_MERGED_RANGES:,} 个"
    else:
        said = f"合并的单元格超过 {MAX_MERGED_CELLS:,} 个"
    return InputError([Problem(Source(name, None, "", f"{sheet}!{ref.split(':')[0]}"),
                               f"工作表“{sheet}”{said}（读到第 {ranges:,} 个合并区域 {ref} 时），远超决算表的需要"
                               "（一张表通常只有几十个合并区域），"
                               "疑似恶意构造或损坏的文件，拒绝读取。请取消多余的合并单元格后另存再导入")])


def col_letter(c: int) -> str:
    """0-based column → A, B, … AA."""
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A, B, … AA → 0-based column."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
