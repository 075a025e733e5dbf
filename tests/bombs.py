"""Hostile unit files built on the spot (issue 22), for tests/test_input_bombs.py and
benchmarks/input_cost.py: a few hundred bytes each, whatever they would expand to."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path


def yaml_laughs(levels: int) -> str:
    """A unit file of nested anchors and aliases (“billion laughs”): 9**levels values once expanded."""
    lines = ["单位名称: 测试单位", "年度: 2023", 'a0: &a0 ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def yaml_many_values(count: int) -> str:
    """A unit file whose one list holds ``count`` values (two bytes each)."""
    return "单位名称: 测试单位\n年度: 2023\n列表: [" + ",".join(["0"] * count) + "]\n"


def sheet_part(zf: zipfile.ZipFile, sheet: str) -> str:
    """The zip part of the worksheet named ``sheet``."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    rid = re.search(rf'name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', book).group(1)
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    target = target.group(1) or target.group(2)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def rewrite_sheet(src: Path, out: Path, sheet: str, change) -> None:
    """``src`` written to ``out`` with the XML of worksheet ``sheet`` passed through ``change``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        part = sheet_part(zin, sheet)
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info.filename, data)


def col_letters(c: int) -> str:
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def merged_bomb(src: Path, out: Path, ranges: int = 2000, height: int = 100, width: int = 100,
                sheet: str = "收入决算表") -> None:
    """``src`` (a filled workbook) with ``ranges`` merged ranges of height × width cells added to
    ``sheet``, below its table, side by side (the issue's bomb: 2000 of 100 × 100)."""
    per_band = max(1, 16000 // width)
    refs = []
    for i in range(ranges):
        r0 = 1001 + (i // per_band) * height
        c0 = (i % per_band) * width
        refs.append(f'<mergeCell ref="{col_letters(c0)}{r0}:{col_letters(c0 + width - 1)}{r0 + height - 1}"/>')

    def change(xml: str) -> str:
        xml = re.sub(r"<mergeCells[^>]*/>", "", xml)
        if "<mergeCells" in xml:
            return re.sub(r"<mergeCells[^>]*>", lambda m: f'<mergeCells count="{ranges}">' + "".join(refs), xml, count=1)
        return xml.replace("</sheetData>", f'</sheetData><mergeCells count="{ranges}">{"".join(refs)}</mergeCells>', 1)

    rewrite_sheet(src, out, sheet, change)


def far_row(src: Path, out: Path, row: int = 900_000_000, sheet: str = "填写说明") -> None:
    """One cell numbered far below any table: openpyxl fills every row above it."""
    cell = f'<row r="{row}"><c r="A{row}" t="n"><v>1</v></c></row>'
    rewrite_sheet(src, out, sheet, lambda xml: xml.replace("</sheetData>", cell + "</sheetData>", 1))


def wide_rows(src: Path, out: Path, rows: int = 5000, sheet: str = "填写说明") -> None:
    """``rows`` rows, each with one cell in column XFD (16,384 cells wide once read)."""
    xml = "".join(f'<row r="{2000 + i}"><c r="XFD{2000 + i}" t="n"><v>1</v></c></row>' for i in range(rows))
    rewrite_sheet(src, out, sheet, lambda text: text.replace("</sheetData>", xml + "</sheetData>", 1))


def many_cells(src: Path, out: Path, cells: int, sheet: str = "填写说明") -> None:
    """``cells`` more blank cells, ten to a row, below the sheet's content."""
    parts = []
    for i in range(0, cells, 10):
        r = 2000 + i // 10
        parts.append(f'<row r="{r}">' + "".join(f'<c r="{col_letters(c)}{r}"/>' for c in range(min(10, cells - i))) + "</row>")
    xml = "".join(parts)
    rewrite_sheet(src, out, sheet, lambda text: text.replace("</sheetData>", xml + "</sheetData>", 1))


def long_text(src: Path, out: Path, chars: int, sheet: str = "填写说明") -> None:
    """One inline text of ``chars`` characters in a cell below the sheet's content."""
    cell = f'<row r="2000"><c r="B2000" t="inlineStr"><is><t>{"长" * chars}</t></is></c></row>'
    rewrite_sheet(src, out, sheet, lambda xml: xml.replace("</sheetData>", cell + "</sheetData>", 1))


def many_sheets(src: Path, out: Path, sheets: int) -> None:
    """``src`` with ``sheets`` more sheets named in its workbook (parts need not exist: the count
    is refused first)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                extra = "".join(f'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                                f'name="多余{i}" sheetId="{1000 + i}" r:id="rIdX{i}"/>' for i in range(sheets))
                data = data.replace(b"</sheets>", extra.encode("utf-8") + b"</sheets>", 1)
            zout.writestr(info.filename, data)


def many_elements(src: Path, out: Path, elements: int, nested: bool = False) -> None:
    """``src`` with one more XML part of ``elements`` small elements (numbered, so that it does
    not compress like a zip bomb), side by side or each inside the one before."""
    if nested:
        body = "".join(f'<a n="{i * 7919 % 1000003}">' for i in range(elements)) + "</a>" * elements
    else:
        body = "".join(f'<a n="{i * 7919 % 1000003}"/>' for i in range(elements))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("xl/extra.xml", f"<root>{body}</root>")


def two_sheets_one_part(src: Path, out: Path) -> None:
    """``src`` whose second sheet's relationship targets the first sheet's part."""
    def target_of(text: str, rid: str) -> re.Match:
        return re.search(rf'<Relationship [^>]*\bId="{rid}"[^>]*/>', text)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                text = data.decode("utf-8")
                first = re.search(r'Target="([^"]+)"', target_of(text, "rId1").group()).group(1)
                second = target_of(text, "rId2")
                changed = re.sub(r'Target="[^"]+"', f'Target="{first}"', second.group())
                data = (text[:second.start()] + changed + text[second.end():]).encode("utf-8")
            zout.writestr(info.filename, data)
