"""The default reference document: Word styles and page setup of the DOCX output.

`templates/docx/styles.yaml` declares every style the DOCX writer uses (the names are the
interface, listed in docs/styles.md) and the portrait and landscape page setups. This module
turns it into `templates/docx/reference.docx`, whose body is a specimen: one paragraph per
style, labelled with the style name, then a landscape section with a table. A user restyles
that file in Word and passes it to the writer, like pandoc's ``--reference-doc``.

    python -m generator.write.reference PATH       export the default reference to PATH
    python -m generator.write.reference --build    rebuild templates/docx/reference.docx

The build is deterministic (fixed zip timestamps and document dates), so a rebuilt file only
changes when styles.yaml or this module changes.
"""
from __future__ import annotations

import argparse
import io
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from xml.sax.saxutils import escape, quoteattr

import yaml

from generator.atomic import write_bytes

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "docx"
SPEC_PATH = TEMPLATES / "styles.yaml"
REFERENCE_PATH = TEMPLATES / "reference.docx"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NSDECL = f'xmlns:w="{W_NS}" xmlns:r="{R_NS}"'

CM = 1440 / 2.54    # twips per centimetre
BUILTIN = {         # Word's built-in style names that styles.xml stores in lower case
    **{f"Heading {i}": f"heading {i}" for i in range(1, 10)},
    **{f"TOC {i}": f"toc {i}" for i in range(1, 10)},
    "Footer": "footer", "Header": "header", "Caption": "caption",
}
WORD_STYLES = {"Normal", "Title", "Subtitle", "TOC Heading", "Body Text", "Plain Text",
               *BUILTIN}   # not marked w:customStyle
_ALIGN = {"left": "left", "center": "center", "right": "right", "justify": "both"}


# --------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class PageSetup:
    width: float            # cm
    height: float
    top: float
    bottom: float
    left: float
    right: float
    header: float = 1.5
    footer: float = 1.75

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    def sect_pr(self) -> str:
        """A `w:sectPr` (without header/footer references) for this page setup."""
        t = lambda cm: round(cm * CM)  # noqa: E731
        orient = ' w:orient="landscape"' if self.landscape else ""
        return (f'<w:sectPr {NSDECL}><w:pgSz w:w="{t(self.width)}" w:h="{t(self.height)}"{orient}/>'
                f'<w:pgMar w:top="{t(self.top)}" w:right="{t(self.right)}" '
                f'w:bottom="{t(self.bottom)}" w:left="{t(self.left)}" w:header="{t(self.header)}" '
                f'w:footer="{t(self.footer)}" w:gutter="0"/>'
                f'<w:cols w:space="425"/><w:docGrid w:linePitch="312"/></w:sectPr>')


_STYLE_KEYS = {"name", "id", "type", "based_on", "next", "font", "latin", "size", "bold",
               "italic", "align", "first_line", "left", "space_before", "space_after", "line",
               "line_exact", "keep_next", "keep_lines", "outline", "tabs", "sample", "borders",
               "cell_margin", "autospace"}


@dataclass(frozen=True)
class StyleSpec:
    name: str                         # UI name, e.g. "Heading 1"
    props: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return self.props.get("type", "paragraph")

    @property
    def style_id(self) -> str:
        return self.props.get("id") or self.name.replace(" ", "")

    @property
    def word_name(self) -> str:
        return BUILTIN.get(self.name, self.name)

    @property
    def based_on(self) -> str | None:
        if self.name == "Normal":
            return None
        return self.props.get("based_on", "Normal")


@dataclass(frozen=True)
class ReferenceSpec:
    portrait: PageSetup
    landscape: PageSetup
    defaults: Mapping[str, Any]
    fonts: Mapping[str, Mapping[str, str]]
    styles: tuple[StyleSpec, ...]

    def style(self, name: str) -> StyleSpec:
        for s in self.styles:
            if s.name == name:
                return s
        raise KeyError(name)

    def size(self, name: str) -> float:
        """Font size of a style in points, following based_on, then the defaults."""
        seen = set()
        s: StyleSpec | None = self.style(name)
        while s is not None and s.name not in seen:
            seen.add(s.name)
            if "size" in s.props:
                return float(s.props["size"])
            s = self.style(s.based_on) if s.based_on and s.based_on in self.names() else None
        return float(self.defaults.get("size", 10.5))

    def names(self) -> list[str]:
        return [s.name for s in self.styles]


def load_spec(path: Path = SPEC_PATH) -> ReferenceSpec:
    """Read styles.yaml; raise ValueError naming the style and key of any mistake."""
    return _load_spec_cached(Path(path).resolve())


@lru_cache(maxsize=4)
def _load_spec_cached(path: Path) -> ReferenceSpec:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    try:
        pages = {k: PageSetup(**{a: float(b) for a, b in v.items()})
                 for k, v in raw["page"].items()}
        portrait, landscape = pages["portrait"], pages["landscape"]
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{where}: page: {e}") from e
    styles, seen = [], set()
    for i, entry in enumerate(raw.get("styles") or []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not name:
            raise ValueError(f"{where}: styles[{i}]: name is missing")
        unknown = set(entry) - _STYLE_KEYS
        if unknown:
            raise ValueError(f"{where}: style {name!r}: unknown key(s) {sorted(unknown)}")
        if name in seen:
            raise ValueError(f"{where}: style {name!r} is declared twice")
        if entry.get("align", "left") not in _ALIGN:
            raise ValueError(f"{where}: style {name!r}: align must be one of {sorted(_ALIGN)}")
        seen.add(name)
        styles.append(StyleSpec(name, {k: v for k, v in entry.items() if k != "name"}))
    if "Normal" not in seen:
        raise ValueError(f"{where}: the Normal style is required")
    return ReferenceSpec(portrait, landscape, raw.get("defaults") or {}, raw.get("fonts") or {},
                         tuple(styles))


# --------------------------------------------------------------------------- XML of a style
def _twips(points: float) -> int:
    return round(points * 20)


def rpr_xml(props: Mapping[str, Any]) -> str:
    """Run properties of a style: fonts (with w:eastAsia), bold, size."""
    out = []
    font, latin = props.get("font"), props.get("latin")
    if font or latin:
        attrs = ""
        if latin:
            la = quoteattr(latin)
            attrs += f" w:ascii={la} w:hAnsi={la} w:cs={la}"
        if font:
            attrs += f" w:eastAsia={quoteattr(font)}"
        out.append(f"<w:rFonts{attrs}/>")
    if "bold" in props:
        v = "" if props["bold"] else ' w:val="0"'
        out.append(f"<w:b{v}/><w:bCs{v}/>")
    if "italic" in props:
        v = "" if props["italic"] else ' w:val="0"'
        out.append(f"<w:i{v}/><w:iCs{v}/>")
    if "size" in props:
        hp = round(float(props["size"]) * 2)
        out.append(f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>')
    return f"<w:rPr>{''.join(out)}</w:rPr>" if out else ""


def ppr_xml(props: Mapping[str, Any], size: float) -> str:
    """Paragraph properties of a style; ``size`` (pt) converts character indents to twips."""
    out = []
    for key, tag in (("keep_next", "keepNext"), ("keep_lines", "keepLines")):
        if key in props:
            out.append(f"<w:{tag}/>" if props[key] else f'<w:{tag} w:val="0"/>')
    if props.get("tabs"):
        tabs = "".join(
            f'<w:tab w:val="{t.get("align", "left")}"'
            + (f' w:leader="{t["leader"]}"' if t.get("leader") else "")
            + f' w:pos="{round(float(t["pos"]) * CM)}"/>' for t in props["tabs"])
        out.append(f"<w:tabs>{tabs}</w:tabs>")
    if "autospace" in props:            # space between CJK and Latin letters / digits (Word: on)
        val = "" if props["autospace"] else ' w:val="0"'
        out.append(f"<w:autoSpaceDE{val}/><w:autoSpaceDN{val}/>")
    sp = ""
    if "space_before" in props:
        sp += f' w:before="{_twips(float(props["space_before"]))}"'
    if "space_after" in props:
        sp += f' w:after="{_twips(float(props["space_after"]))}"'
    if "line" in props:
        sp += f' w:line="{round(float(props["line"]) * 240)}" w:lineRule="auto"'
    elif "line_exact" in props:
        sp += f' w:line="{_twips(float(props["line_exact"]))}" w:lineRule="exact"'
    if sp:
        out.append(f"<w:spacing{sp}/>")
    ind = ""
    if "left" in props:
        chars = float(props["left"])
        ind += f' w:leftChars="{round(chars * 100)}" w:left="{_twips(chars * size)}"'
    if "first_line" in props:
        chars = float(props["first_line"])
        ind += f' w:firstLineChars="{round(chars * 100)}" w:firstLine="{_twips(chars * size)}"'
    if ind:
        out.append(f"<w:ind{ind}/>")
    if "align" in props:
        out.append(f'<w:jc w:val="{_ALIGN[props["align"]]}"/>')
    if "outline" in props:
        o = props["outline"]
        out.append(f'<w:outlineLvl w:val="{9 if o == "body" else int(o) - 1}"/>')
    return f"<w:pPr>{''.join(out)}</w:pPr>" if out else ""


def tblpr_xml(props: Mapping[str, Any]) -> str:
    out = []
    if b := props.get("borders"):
        sz = round(float(b.get("size", 0.5)) * 8)
        color = b.get("color", "000000")
        one = f'w:val="single" w:sz="{sz}" w:space="0" w:color="{color}"'
        out.append("<w:tblBorders>" + "".join(
            f"<w:{side} {one}/>" for side in ("top", "left", "bottom", "right", "insideH",
                                              "insideV")) + "</w:tblBorders>")
    if m := props.get("cell_margin"):
        out.append("<w:tblCellMar>" + "".join(
            f'<w:{side} w:w="{round(float(m.get(side, 0)) * CM)}" w:type="dxa"/>'
            for side in ("top", "left", "bottom", "right")) + "</w:tblCellMar>")
    return f"<w:tblPr>{''.join(out)}</w:tblPr>" if out else ""


def style_xml(style: StyleSpec, ids: Mapping[str, str], spec: ReferenceSpec) -> str:
    """The `w:style` element of ``style``; ``ids`` maps style names to the styleIds in use
    (a reference made by a Chinese Word has ids like "1" for Heading 1)."""
    p = style.props
    attrs = f'w:type="{style.type}"'
    if style.name == "Normal":
        attrs += ' w:default="1"'
    if style.name not in WORD_STYLES:
        attrs += ' w:customStyle="1"'
    parts = [f"<w:name w:val={quoteattr(style.word_name)}/>"]
    if style.based_on and style.based_on in ids:
        parts.append(f"<w:basedOn w:val={quoteattr(ids[style.based_on])}/>")
    if p.get("next") and p["next"] in ids:
        parts.append(f"<w:next w:val={quoteattr(ids[p['next']])}/>")
    parts.append("<w:qFormat/>")
    if style.type == "table":
        parts.append(tblpr_xml(p))
    else:
        parts.append(ppr_xml(p, spec.size(style.name)))
        parts.append(rpr_xml(p))
    return (f"<w:style {attrs} w:styleId={quoteattr(ids[style.name])}>"
            + "".join(parts) + "</w:style>")


# --------------------------------------------------------------------------- package parts
_FIXED_STYLES = (  # defaults every styles.xml has; the writer never needs to add them
    '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
    '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
    '<w:unhideWhenUsed/></w:style>'
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
    '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr>'
    '<w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
    '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
    '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
    '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
    '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
)


def styles_part(spec: ReferenceSpec) -> str:
    d = spec.defaults
    lat, font = quoteattr(d.get("latin", "Times New Roman")), quoteattr(d.get("font", "宋体"))
    hp = round(float(d.get("size", 10.5)) * 2)
    lang = quoteattr(d.get("lang", "zh-CN"))
    defaults = (
        f'<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii={lat} w:eastAsia={font} '
        f'w:hAnsi={lat} w:cs={lat}/><w:kern w:val="2"/><w:sz w:val="{hp}"/>'
        f'<w:szCs w:val="{hp}"/><w:lang w:val="en-US" w:eastAsia={lang} w:bidi="ar-SA"/>'
        f'</w:rPr></w:rPrDefault><w:pPrDefault/></w:docDefaults>'
        '<w:latentStyles w:defLockedState="0" w:defUIPriority="99" w:defSemiHidden="0" '
        'w:defUnhideWhenUsed="0" w:defQFormat="0" w:count="376"/>')
    ids = {s.name: s.style_id for s in spec.styles}
    ids["Normal Table"] = "TableNormal"
    body = "".join(style_xml(s, ids, spec) for s in spec.styles)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles {NSDECL}>'
            f"{defaults}{_FIXED_STYLES}{body}</w:styles>")


def font_table_part(spec: ReferenceSpec) -> str:
    fonts = []
    for name, f in spec.fonts.items():
        inner = ""
        if f.get("alt"):
            inner += f"<w:altName w:val={quoteattr(f['alt'])}/>"
        if f.get("panose"):
            inner += f'<w:panose1 w:val="{f["panose"]}"/>'
        inner += (f'<w:charset w:val="{f.get("charset", "00")}"/>'
                  f'<w:family w:val="{f.get("family", "auto")}"/>'
                  f'<w:pitch w:val="{f.get("pitch", "variable")}"/>')
        fonts.append(f"<w:font w:name={quoteattr(name)}>{inner}</w:font>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts {NSDECL}>'
            + "".join(fonts) + "</w:fonts>")


SETTINGS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings {NSDECL}>'
    '<w:zoom w:percent="100"/><w:defaultTabStop w:val="420"/>'
    '<w:characterSpacingControl w:val="compressPunctuation"/>'
    '<w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/>'
    '<w:doNotLeaveBackslashAlone/><w:ulTrailSpace/><w:doNotExpandShiftReturn/>'
    '<w:adjustLineHeightInTable/><w:useFELayout/>'
    '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" '
    'w:val="15"/></w:compat>'
    '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
    '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/></w:settings>')

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.extended-properties+xml"/></Types>')

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    '</Relationships>')

DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/settings" Target="settings.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/fontTable" Target="fontTable.xml"/>'
    '</Relationships>')

CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:title>部门决算公开 reference.docx</dc:title><dc:creator>juesuan</dc:creator>'
    '<cp:revision>1</cp:revision>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
    '</cp:coreProperties>')

APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>juesuan</Application></Properties>')


# --------------------------------------------------------------------------- specimen body
def _p(style_id: str, text: str, extra_ppr: str = "") -> str:
    runs = []
    for i, piece in enumerate(text.split("\t")):
        if i:
            runs.append("<w:r><w:tab/></w:r>")
        if piece:
            runs.append(f'<w:r><w:t xml:space="preserve">{escape(piece)}</w:t></w:r>')
    return (f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{extra_ppr}</w:pPr>'
            + "".join(runs) + "</w:p>")


def _text_width(page: PageSetup) -> int:
    return round((page.width - page.left - page.right) * CM)


def document_part(spec: ReferenceSpec) -> str:
    ids = {s.name: s.style_id for s in spec.styles}
    portrait, landscape = spec.portrait, spec.landscape
    table_styles = {"Table Label", "Table Caption", "Table Meta", "Table Text", "Table Note"}
    out = [_p(ids["Plain Text"], "本文件是“部门决算公开”DOCX 的参考样式文档（reference.docx）："
              "正文每段用一种样式，段首是样式名。可在 Word 中修改样式后作为参考文档使用；"
              "文字内容不会被使用。")]
    for s in spec.styles:
        if s.type != "paragraph" or s.name in table_styles:
            continue
        sample = s.props.get("sample", "")
        out.append(_p(s.style_id, f"{s.name}：{sample}"))
    # the landscape section: a table specimen with the table styles around it
    w = _text_width(landscape)
    meta_tabs = (f'<w:tabs><w:tab w:val="center" w:pos="{w // 2}"/>'
                 f'<w:tab w:val="right" w:pos="{w}"/></w:tabs>')
    sect = portrait.sect_pr().replace(f" {NSDECL}", "")
    out[-1] = out[-1].replace("</w:pPr>", sect + "</w:pPr>", 1)
    for name in ("Table Caption", "Table Label", "Table Meta"):
        sample = spec.style(name).props.get("sample", "")
        out.append(_p(ids[name], f"{name}：{sample}", meta_tabs if name == "Table Meta" else ""))
    tt = ids["Table Text"]
    JC = '<w:jc w:val="%s"/>'  # noqa: N806
    cols = [3, 1, 2, 3, 1, 2]
    grid = [round(c / sum(cols) * w) for c in cols]
    rows = [["Table Text：项目", "", "", "", "", ""],
            ["项目", "行次", "决算数", "项目", "行次", "决算数"],
            ["一、一般公共预算财政拨款收入", "1", "163522.43", "一、一般公共服务支出", "32",
             "163522.43"]]
    trs = []
    for r, row in enumerate(rows):
        tcs = []
        if r == 0:
            tcs.append(f'<w:tc><w:tcPr><w:tcW w:w="{sum(grid)}" w:type="dxa"/>'
                       f'<w:gridSpan w:val="6"/></w:tcPr>{_p(tt, row[0], JC % "center")}</w:tc>')
        else:
            for c, text in enumerate(row):
                jc = "center" if r < 2 else ("left", "center", "right")[c % 3]
                tcs.append(f'<w:tc><w:tcPr><w:tcW w:w="{grid[c]}" w:type="dxa"/>'
                           f'<w:vAlign w:val="center"/></w:tcPr>'
                           f'{_p(tt, text, JC % jc)}</w:tc>')
        head = "<w:tblHeader/>" if r < 2 else ""
        trs.append(f"<w:tr><w:trPr><w:cantSplit/>{head}</w:trPr>{''.join(tcs)}</w:tr>")
    out.append(
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{ids["Juesuan Table"]}"/>'
        f'<w:tblW w:w="{sum(grid)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{g}"/>' for g in grid) + "</w:tblGrid>"
        + "".join(trs) + "</w:tbl>")
    note = spec.style("Table Note").props.get("sample", "")
    out.append(_p(ids["Table Note"], f"Table Note：{note}"))
    out.append(_p(ids["Plain Text"], f"表格样式：Juesuan Table（表格样式，边框与单元格边距）。"
                  f"本节为横向页面（{landscape.width:g} × {landscape.height:g} 厘米），"
                  f"用于宽表。"))
    body_sect = landscape.sect_pr().replace(f" {NSDECL}", "")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {NSDECL}>'
            f"<w:body>{''.join(out)}{body_sect}</w:body></w:document>")


def build_reference(spec: ReferenceSpec | None = None) -> bytes:
    """The default reference.docx built from styles.yaml, as bytes (deterministic)."""
    spec = spec or load_spec()
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("docProps/core.xml", CORE),
        ("docProps/app.xml", APP),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/document.xml", document_part(spec)),
        ("word/styles.xml", styles_part(spec)),
        ("word/settings.xml", SETTINGS),
        ("word/fontTable.xml", font_table_part(spec)),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def default_reference_bytes() -> bytes:
    """The shipped templates/docx/reference.docx, or a fresh build if it is missing."""
    if REFERENCE_PATH.is_file():
        return REFERENCE_PATH.read_bytes()
    return build_reference()


def export_reference(path: Path) -> None:
    """Write the default reference document to ``path`` (atomically), to restyle in Word.

    Like ``pandoc -o custom-reference.docx --print-default-data-file reference.docx``.
    """
    write_bytes(Path(path), default_reference_bytes())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m generator.write.reference",
                                 description="导出或重建默认参考样式文档 reference.docx")
    ap.add_argument("path", nargs="?", type=Path, help="导出到此路径")
    ap.add_argument("--build", action="store_true",
                    help=f"由 {SPEC_PATH.name} 重建 templates/docx/{REFERENCE_PATH.name}")
    args = ap.parse_args(argv)
    if args.build:
        write_bytes(REFERENCE_PATH, build_reference())
        print(REFERENCE_PATH)
    if args.path:
        export_reference(args.path)
        print(args.path)
    if not (args.build or args.path):
        ap.error("给出导出路径，或 --build")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def reference_problem(path: Path) -> str | None:
    """Why ``path`` cannot serve as the Word style reference (--reference-doc), or None."""
    path = Path(path)
    if not path.exists():
        return "找不到这个文件"
    if path.is_dir():
        return "是一个文件夹，应为 Word 文档（.docx）"
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        names = set()
    if not {"word/document.xml", "word/styles.xml"} <= names:
        return "不是 Word 文档（.docx）；可先用 juesuan reference-docx 导出默认的样式参考文档，在 Word 中修改后再用"
    return None

