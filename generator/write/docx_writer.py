"""Write a `Document` as DOCX, styled by a reference document (pandoc's ``--reference-doc``).

The writer opens the reference (default: templates/docx/reference.docx), keeps its styles,
settings and page setup, adds from templates/docx/styles.yaml only the styles it lacks, and
replaces its body. Every paragraph and table points at a named style (docs/styles.md); the
only direct formatting is what belongs to one place: cell alignment, bold and size, tab stops
of the meta line, column widths.

Pages: a Cover, a TitlePage and a Toc at the start are front matter without page numbers; numbering
("— 1 —") starts at 1 on the first page after them (an empty footer when Document.page_numbers
is false, the profile's 页码). A PageBreak starts a new page in the
orientation it names (a new section when the orientation changes). A table whose orientation
differs from the page it would land on gets a section of its own; the text after it returns
to the orientation of the last PageBreak.

The body is generated as one XML string and parsed once: python-docx's object API costs
O(n²) for table cells and is far too slow for ten 30 × 16 tables.
"""
from __future__ import annotations

import copy
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from lxml import etree

from generator.compose.document import (KEEP_WITH_NEXT, STYLES, Cell, Cover, Document, Heading, Marking, PageBreak,
                                        TitlePage,
                                        Paragraph, Table, Toc, Typography)
from generator.atomic import atomic_path
from generator.write.joiners import bind, bind_cell, keep
from generator.names import property_text
from generator.write.reference import (NSDECL, ReferenceSpec, default_reference_bytes,
                                       load_spec, style_xml)

__all__ = ["write_docx", "USED_STYLES"]

# Every style the writer refers to (besides the STYLES roles of document.py).
USED_STYLES = ("Normal", "Title", "Subtitle", "Cover Note", "TOC Heading", "TOC 1", "TOC 2",
               "TOC 3", "Heading 1", "Heading 2", "Heading 3", "Body Text", "Plain Text",
               "Table Label", "Table Caption", "Table Meta", "Table Text", "Table Note",
               "Juesuan Table", "Footer")
TABLE_STYLE = "Juesuan Table"

_JC = {"left": "left", "center": "center", "right": "right"}
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
              "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle",
              "rPr", "sectPr", "pPrChange")
_SECT_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz",
               "pgMar", "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt",
               "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter",
               "docGrid", "printerSettings", "sectPrChange")
_SETTINGS_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat",
                                 "docVars", "rsids", "mathPr", "attachedSchema", "themeFontLang",
                                 "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                                 "doNotAutoCompressPictures", "forceUpgrade", "captions",
                                 "readModeInkLockDown", "smartTagType", "schemaLibrary",
                                 "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
                                 "listSeparator")


def write_docx(doc: Document, path: Path, reference: Path | None = None,
               page_numbers: dict[str, int] | None = None) -> None:
    """Write ``doc`` to ``path`` (completely or not at all).

    ``page_numbers``: the printed page of each anchor (pdf_writer.page_numbers of the same
    document): the 目录 shows them as the results of its PAGEREF fields, so the file opens with
    page numbers in every client; Word and WPS still update the fields (updateFields).

    ``reference``: a .docx whose styles and page setup to use (its text is ignored); by
    default templates/docx/reference.docx. Styles it lacks are added from styles.yaml; styles
    it defines are never changed. ``doc.marking`` goes into the page header of every section:
    a diagonal watermark (Word's own kind) and/or a right-aligned line.
    """
    source = (Path(reference).read_bytes() if reference is not None
              else default_reference_bytes())
    package = docx.Document(io.BytesIO(source))
    _DocxBuilder(package, load_spec(), doc.marking, page_numbers, doc.typography).build(doc)
    with atomic_path(Path(path)) as tmp:
        package.save(str(tmp))


# --------------------------------------------------------------------------- text helpers
def _esc(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return _BAD_CHARS.sub("", text)


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def _t(text: str) -> str:
    sp = ' xml:space="preserve"' if (text[0] == " " or text[-1] == " " or "  " in text) else ""
    return f"<w:t{sp}>{_esc(text)}</w:t>"


def _runs(text: str, rpr: str = "") -> str:
    """Runs for plain text; a newline becomes a line break, a tab a tab."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text and "\t" not in text:
        return f"<w:r>{rpr}{_t(text)}</w:r>"
    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append(f"<w:r>{rpr}<w:br/></w:r>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append(f"<w:r>{rpr}<w:tab/></w:r>")
            if piece:
                out.append(f"<w:r>{rpr}{_t(piece)}</w:r>")
    return "".join(out)


# Text the joiners bind (joiners.py: an amount and its unit, a heading's last phrase) goes in a run
# of its own marked as English text: LibreOffice breaks lines of Chinese text (w:lang w:eastAsia
# zh-CN) with rules of its own that ignore U+2060, and honours it in English text (Unicode line
# breaking). The characters keep their fonts (Word and LibreOffice choose the East Asian font by
# the character, not by the language); w:noProof keeps spelling marks off the marked words.
_BOUND = re.compile("[0-9.,]*[^\\s\u2060](?:\u2060[^\\s\u2060][0-9.,]*)+")
_BOUND_LANG = '<w:lang w:eastAsia="en-US"/>'


def _bound_rpr(rpr: str) -> str:
    """``rpr`` (empty, or <w:rPr> with b, bCs, sz, szCs as the writer makes it) for bound text."""
    inner = rpr[len("<w:rPr>"):-len("</w:rPr>")] if rpr else ""
    at = inner.find("<w:sz")
    at = len(inner) if at < 0 else at                  # w:noProof comes after w:b/w:bCs, before w:sz
    return f"<w:rPr>{inner[:at]}<w:noProof/>{inner[at:]}{_BOUND_LANG}</w:rPr>"


def _bound_runs(text: str, rpr: str = "") -> str:
    """``_runs`` of ``text``, with each stretch that word joiners bind in a run of its own (above)."""
    if "\u2060" not in text:
        return _runs(text, rpr)
    out, pos, bound = [], 0, _bound_rpr(rpr)
    for match in _BOUND.finditer(text):
        out.append(_runs(text[pos:match.start()], rpr))
        out.append(_runs(match.group(), bound))
        pos = match.end()
    out.append(_runs(text[pos:], rpr))
    return "".join(out)


def _em(text: str) -> float:
    """Rough width of ``text`` in ems: CJK and full-width characters 1, the rest ½."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.5 for ch in text)


def _field(instr: str, result: str = "", rpr: str = "", dirty: bool = False) -> str:
    d = ' w:dirty="true"' if dirty else ""
    res = f"<w:r>{rpr}{_t(result)}</w:r>" if result else ""
    return (f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"{d}/></w:r>'
            f'<w:r>{rpr}<w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>{res}'
            f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>')


def _insert_ordered(parent: etree._Element, child: etree._Element, order: tuple[str, ...]) -> None:
    """Insert ``child`` before the first sibling that comes after it in ``order``."""
    rank = order.index(etree.QName(child).localname)
    for i, sib in enumerate(parent):
        name = etree.QName(sib).localname
        if name in order and order.index(name) > rank:
            parent.insert(i, child)
            return
    parent.append(child)


# --------------------------------------------------------------------------- the builder
class _DocxBuilder:
    def __init__(self, package: docx.document.Document, spec: ReferenceSpec, marking: Marking | None = None,
                 page_numbers: dict[str, int] | None = None, typography: Typography | None = None):
        self.package = package
        self.spec = spec
        self.page_numbers = page_numbers or {}
        self.marking_rid = self._marking_header(marking) if marking else None
        self.ids = self._merge_styles()
        if typography:
            self._apply_typography(typography)
        self.sid = {name: _attr(self.ids[name]) for name in self.ids}
        self.pages = self._page_templates()
        self.items: list[str] = []
        # state of the section being written
        self.cur_land: bool | None = None      # None until the first block is written
        self.cur_footer: str | None = None     # footer rId of this section (None: inherit)
        self.cur_start = False                 # page numbering restarts at 1 here
        self.base_land = False                 # orientation set by the last PageBreak
        self.pending = False                   # a page break is due before the next block
        self.break_next = False                # next paragraph gets pageBreakBefore
        self.bookmarks: dict[int, str] = {}

    # ---- styles and page setup taken from the reference
    def _merge_styles(self) -> dict[str, str]:
        """Map style names to styleIds; add the styles the reference lacks."""
        root = self.package.styles.element
        by_name: dict[str, str] = {}
        used_ids = set()
        for s in root.iterchildren(qn("w:style")):
            sid = s.get(qn("w:styleId"))
            used_ids.add(sid)
            name = s.find(qn("w:name"))
            if name is not None and sid:
                by_name.setdefault(name.get(qn("w:val")).lower(), sid)
        ids: dict[str, str] = {}
        missing = []
        for st in self.spec.styles:
            sid = by_name.get(st.name.lower())
            if sid is None:
                sid = st.style_id
                while sid in used_ids:
                    sid += "1"
                used_ids.add(sid)
                missing.append(st)
            ids[st.name] = sid
        if "normal table" in by_name:
            ids["Normal Table"] = by_name["normal table"]
        for st in missing:
            root.append(parse_xml(style_xml(st, ids, self.spec).replace(
                "<w:style ", f"<w:style {NSDECL} ", 1)))
        self.sizes = {name: self._style_size(root, sid) for name, sid in ids.items()}
        return ids

    # the profile's 正文排版 over the reference's styles (as the CSS of the PDF does)
    _TYPO_SIZE = ("Body Text", "Plain Text", "Subheading", "Heading 3")
    _TYPO_PITCH = (*_TYPO_SIZE, "Heading 2")

    def _apply_typography(self, typo: Typography) -> None:
        root = self.package.styles.element
        for name in self._TYPO_PITCH:
            style = root.find(f"{qn('w:style')}[@{qn('w:styleId')}='{self.ids[name]}']")
            if style is None:
                continue
            if typo.body_size is not None and name in self._TYPO_SIZE:
                half = str(int(typo.body_size * 2))
                rpr = style.find(qn("w:rPr"))
                if rpr is None:
                    rpr = parse_xml(f"<w:rPr {NSDECL}/>")
                    style.append(rpr)
                for tag in ("w:sz", "w:szCs"):
                    for old in rpr.findall(qn(tag)):
                        rpr.remove(old)
                    rpr.append(parse_xml(f'<{tag} {NSDECL} w:val="{half}"/>'))
                self.sizes[name] = float(typo.body_size)
            if typo.line_pitch is not None:
                ppr = style.find(qn("w:pPr"))
                if ppr is None:
                    ppr = parse_xml(f"<w:pPr {NSDECL}/>")
                    style.insert(list(style).index(style.find(qn("w:rPr"))) if style.find(qn("w:rPr")) is not None
                                 else len(style), ppr)
                spacing = ppr.find(qn("w:spacing"))
                if spacing is None:
                    spacing = parse_xml(f"<w:spacing {NSDECL}/>")
                    _insert_ordered(ppr, spacing, _PPR_ORDER)
                spacing.set(qn("w:line"), str(int(typo.line_pitch * 20)))
                spacing.set(qn("w:lineRule"), "exact")

    @staticmethod
    def _style_size(root: etree._Element, sid: str) -> float:
        """Font size (pt) of a style in the merged styles part, following basedOn."""
        styles = {s.get(qn("w:styleId")): s for s in root.iterchildren(qn("w:style"))}
        seen = set()
        while sid in styles and sid not in seen:
            seen.add(sid)
            sz = styles[sid].find(f"{qn('w:rPr')}/{qn('w:sz')}")
            if sz is not None:
                return int(sz.get(qn("w:val"))) / 2
            based = styles[sid].find(qn("w:basedOn"))
            sid = based.get(qn("w:val")) if based is not None else None
        sz = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:sz')}")
        return int(sz.get(qn("w:val"))) / 2 if sz is not None else 10.0

    def _page_templates(self) -> dict[bool, etree._Element]:
        """Portrait and landscape sectPr of the reference, without headers and footers."""
        body = self.package.element.body
        found: dict[bool, etree._Element] = {}
        for sect in body.iter(qn("w:sectPr")):
            pg = sect.find(qn("w:pgSz"))
            if pg is None:
                continue
            w, h = int(pg.get(qn("w:w"), 11906)), int(pg.get(qn("w:h"), 16838))
            found.setdefault(w > h, sect)
        if not found:
            found[False] = parse_xml(self.spec.portrait.sect_pr())
        for land in (False, True):
            if land not in found:       # derive by turning the other one
                sect = copy.deepcopy(found[not land])
                pg = sect.find(qn("w:pgSz"))
                w, h = pg.get(qn("w:w")), pg.get(qn("w:h"))
                pg.set(qn("w:w"), h)
                pg.set(qn("w:h"), w)
                pg.set(qn("w:orient"), "landscape" if land else "portrait")
                found[land] = sect
        out = {}
        for land, sect in found.items():
            sect = copy.deepcopy(sect)
            for child in list(sect):
                if etree.QName(child).localname in ("headerReference", "footerReference",
                                                    "pgNumType", "titlePg", "type"):
                    sect.remove(child)
            out[land] = sect
        # headers and footers of the reference are not used: drop their relationships
        rids = set()
        for sect in body.iter(qn("w:sectPr")):
            for ref in sect.xpath("w:headerReference | w:footerReference"):
                sect.remove(ref)
                rids.add(ref.get(qn("r:id")))
        for rid in rids:
            if rid in self.package.part.rels:
                self.package.part.drop_rel(rid)
        self.width = {}
        for land, sect in out.items():
            pg, mar = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
            margins = sum(int(mar.get(qn(f"w:{k}"), 0) or 0) for k in ("left", "right", "gutter")) \
                if mar is not None else 2 * 1800
            self.width[land] = int(pg.get(qn("w:w"))) - margins
        return out

    # ---- sections
    def _sect_xml(self) -> str:
        sect = copy.deepcopy(self.pages[bool(self.cur_land)])
        if self.marking_rid:   # every section shows the same marking header
            ref = parse_xml(f'<w:headerReference {NSDECL} w:type="default" r:id="{self.marking_rid}"/>')
            _insert_ordered(sect, ref, _SECT_ORDER)
        if self.cur_footer:
            ref = parse_xml(f'<w:footerReference {NSDECL} w:type="default" '
                            f'r:id="{self.cur_footer}"/>')
            _insert_ordered(sect, ref, _SECT_ORDER)
        if self.cur_start:
            _insert_ordered(sect, parse_xml(f'<w:pgNumType {NSDECL} w:start="1"/>'), _SECT_ORDER)
        return etree.tostring(sect, encoding="unicode")

    def _close_section(self) -> None:
        """End the current section at the last paragraph written."""
        sect = self._sect_xml()
        if self.items and self.items[-1].startswith("<w:p>"):
            self.items[-1] = self.items[-1].replace("</w:pPr>", sect + "</w:pPr>", 1)
        else:   # after a table: a tiny carrier paragraph
            self.items.append('<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="20" '
                              f'w:lineRule="exact"/><w:rPr><w:sz w:val="2"/></w:rPr>{sect}'
                              '</w:pPr></w:p>')

    def _begin(self, landscape: bool, new_section: bool = False) -> None:
        """Prepare the page for the next block: new section, page break or nothing."""
        if self.cur_land is None:
            self.cur_land, self.pending = landscape, False
            return
        if new_section or landscape != self.cur_land:
            self._close_section()
            self.cur_land, self.cur_footer, self.cur_start = landscape, None, False
            self.pending = self.break_next = False
        elif self.pending:
            self.pending, self.break_next = False, True

    def _marking_header(self, marking: Marking) -> str:
        """A header part with the marking: a right-aligned line (``header``) and/or a diagonal,
        light grey VML text shape behind the page text (``watermark``)."""
        part, rid = self.package.part.add_header_part()
        hdr = part.element
        for child in list(hdr):
            hdr.remove(child)
        if marking.header:
            hdr.append(parse_xml(
                f'<w:p {NSDECL}><w:pPr><w:jc w:val="right"/></w:pPr><w:r><w:rPr><w:rFonts w:hint="eastAsia"/>'
                f'<w:color w:val="C00000"/><w:sz w:val="21"/></w:rPr><w:t>{_esc(marking.header_line)}</w:t></w:r></w:p>'))
        if marking.watermark:
            hdr.append(self._watermark_paragraph(marking.text))
        return rid

    @staticmethod
    def _watermark_paragraph(text: str):
        ns = f'{NSDECL} xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        return parse_xml(
            f'<w:p {ns}><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:pict>'
            '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
            'path="m@7,l@8,m@5,21600l@6,21600e"><v:path textpathok="t" o:connecttype="custom"/>'
            '<v:textpath on="t" fitshape="t"/></v:shapetype>'
            '<v:shape id="JuesuanDraftWatermark" o:spid="_x0000_s1025" type="#_x0000_t136" '
            'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;'
            'z-index:-251655168;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
            'mso-position-vertical:center;mso-position-vertical-relative:margin" o:allowincell="f" '
            'fillcolor="#d8d8d8" stroked="f"><v:fill opacity=".5"/>'
            f'<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="{_attr(text)}"/>'
            '</v:shape></w:pict></w:r></w:p>')

    def _footer(self, page_number: bool) -> str:
        part, rid = self.package.part.add_footer_part()
        ftr = part.element
        for child in list(ftr):
            ftr.remove(child)
        content = ""
        if page_number:
            dash = '<w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr>'
            content = (f'<w:r>{dash}<w:t xml:space="preserve">— </w:t></w:r>'
                       + _field("PAGE", "1")
                       + f'<w:r>{dash}<w:t xml:space="preserve"> —</w:t></w:r>')
        ftr.append(parse_xml(f'<w:p {NSDECL}><w:pPr><w:pStyle w:val="{self.sid["Footer"]}"/>'
                             f"</w:pPr>{content}</w:p>"))
        return rid

    # ---- paragraphs
    def _p(self, style: str, inner: str, tabs: str = "", extra: str = "", keep: bool | None = False) -> None:
        """``keep``: True keeps the paragraph with the next one, None lets it go (whatever its style)."""
        brk = ""
        if self.break_next:
            brk, self.break_next = "<w:pageBreakBefore/>", False
        kept = "<w:keepNext/><w:keepLines/>" if keep else '<w:keepNext w:val="0"/>' if keep is None else ""
        self.items.append(f'<w:p><w:pPr><w:pStyle w:val="{self.sid[style]}"/>{kept}{brk}{tabs}{extra}'
                          f"</w:pPr>{inner}</w:p>")

    def _style_of(self, role: str) -> str:
        name = STYLES.get(role, role)
        if name not in self.sid:
            raise ValueError(f"段落样式 {role!r} 未定义（可用：{', '.join(sorted(STYLES))}）")
        return name

    # ---- the document
    def build(self, doc: Document) -> None:
        blocks = doc.blocks
        front = 0
        while front < len(blocks) and isinstance(blocks[front], (Cover, TitlePage, Toc, PageBreak)):
            front += 1
        has_front = any(isinstance(b, (Cover, TitlePage, Toc)) for b in blocks[:front])
        page_footer = self._footer(page_number=doc.page_numbers)
        if has_front:
            self.cur_footer = self._footer(page_number=False)
        else:
            self.cur_footer, self.cur_start = page_footer, True
        n = 0
        entries: list[tuple[int, str, str, str]] = []      # (level, text, bookmark, anchor) of the 目录
        for i, b in enumerate(blocks):
            if isinstance(b, Heading) and b.toc:
                n += 1
                self.bookmarks[i] = f"_Toc{n:06d}"
                entries.append((b.level, b.toc_text or b.text, self.bookmarks[i], b.anchor))
            elif isinstance(b, Table) and b.toc_title:   # a table caption is its own entry
                n += 1
                self.bookmarks[i] = f"_Toc{n:06d}"
                entries.append((2, b.toc_title, self.bookmarks[i], b.anchor))

        for i, b in enumerate(blocks):
            if isinstance(b, PageBreak):
                self.base_land, self.pending = b.landscape, True
                continue
            land = self._orientation(blocks, i)
            if has_front and i >= front:      # first page after the front matter
                has_front = False
                self._begin(land, new_section=True)
                self.cur_footer, self.cur_start = page_footer, True
            else:
                self._begin(land)
            if isinstance(b, Cover):
                self._cover(b)
            elif isinstance(b, TitlePage):
                self._title_page(b)
            elif isinstance(b, Toc):
                self._toc(b, entries)
            elif isinstance(b, Heading):
                self._heading(b, self.bookmarks.get(i), i + 1, doc.keep_together)
            elif isinstance(b, Paragraph):
                self._p(self._style_of(b.style), _bound_runs(bind(b.text)), keep=b.style in KEEP_WITH_NEXT)
            elif isinstance(b, Table):
                self._table(b, self.bookmarks.get(i), i + 1)
            else:
                raise TypeError(f"unknown block {type(b).__name__}")
        if self.cur_land is None:
            self.cur_land = self.base_land
        self._finish(doc)

    def _orientation(self, blocks: list, i: int) -> bool:
        """A table's own orientation; headings just before a table go with it."""
        j = i
        while j < len(blocks) and isinstance(blocks[j], Heading):
            j += 1
        nxt = blocks[j] if j < len(blocks) else None
        if isinstance(nxt, Table):
            return nxt.landscape
        return self.base_land

    def _finish(self, doc: Document) -> None:
        el = self.package.element
        old = el.body
        new = parse_xml(f"<w:body {NSDECL}>{''.join(self.items)}{self._sect_xml()}</w:body>")
        el.replace(old, new)
        # Word updates the TOC (and page references) when it opens the file
        settings = self.package.settings.element
        for tag in ("updateFields", "evenAndOddHeaders"):
            for old_el in settings.findall(qn(f"w:{tag}")):
                settings.remove(old_el)
        upd = parse_xml(f'<w:updateFields {NSDECL} w:val="true"/>')
        for i, child in enumerate(settings):
            if etree.QName(child).localname in _SETTINGS_AFTER_UPDATE_FIELDS:
                settings.insert(i, upd)
                break
        else:
            settings.append(upd)
        props = self.package.core_properties
        now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
        props.title, props.language = property_text(doc.title), doc.lang    # ≤ 255 characters each
        props.created = props.modified = now
        props.revision, props.last_modified_by = 1, ""
        props.comments = props.subject = props.keywords = ""

    def _cover(self, c: Cover) -> None:
        self._p("Title", _runs(c.unit_name))
        self._p("Subtitle", _runs(c.title))
        if c.draft_line:
            self._p("Cover Note", _runs(c.draft_line))
        self.pending = True

    def _title_page(self, page: TitlePage) -> None:
        """A report's title page: each line in its role's style, the layout's room above the first
        line of a role as the paragraph's space before (the same points as the PDF's margins), the
        title's kept phrases bound (joiners.keep); the next block starts a new page."""
        for p, space in page.spaced():
            text = keep(p.text, page.keep) if p.style == "report-title" else bind(p.text)
            before = f'<w:spacing w:before="{round(space * 20)}"/>' if space else ""
            self._p(self._style_of(p.style), _bound_runs(text), extra=before)
        self.pending = True

    def _toc(self, toc: Toc, entries: list[tuple[int, str, str, str]]) -> None:
        """The 目录 as written entries, not a TOC field: each entry keeps the profile's words
        ("一、收入支出决算总表" for the caption "收入支出决算总表"), links to a bookmark on its heading
        or caption, and carries a PAGEREF field pre-filled with the page of the PDF layout. A field
        update (Word and WPS on opening, by updateFields; F9; LibreOffice 更新全部) recomputes the page
        numbers and leaves the words as they are, which a TOC field rebuilt from the captions would
        not (Word and LibreOffice would drop the "一、" that only the 目录 has)."""
        self._p("TOC Heading", _runs(toc.title))
        for level, text, name, anchor in entries:
            number = self.page_numbers.get(anchor)
            pageref = _field(f"PAGEREF {name} \\h", str(number) if number is not None else "")
            tail = f'<w:r><w:tab/></w:r>{pageref}' if toc.numbers else ""    # profile 目录页码
            link = f'<w:hyperlink w:anchor="{name}" w:history="1">{_runs(text)}{tail}</w:hyperlink>'
            self._p(f"TOC {min(max(level, 1), 3)}", link)
        self.pending = True

    def _heading(self, h: Heading, bookmark: str | None, bid: int, phrases=()) -> None:
        if h.level not in (1, 2, 3):
            raise ValueError(f"标题级别只能是 1–3：{h.level}（{h.text}）")
        inner = _bound_runs(keep(h.text, phrases))
        if bookmark:
            inner = (f'<w:bookmarkStart w:id="{bid}" w:name="{bookmark}"/>{inner}'
                     f'<w:bookmarkEnd w:id="{bid}"/>')
        self._p(f"Heading {h.level}", inner)

    # ---- tables
    def _table(self, t: Table, bookmark: str | None = None, bid: int = 0) -> None:
        width = self.width[bool(self.cur_land)]
        if t.title:       # the title centred, then the label on the right (as the seeds and the PDF)
            inner = _runs(t.title)
            outline = ""
            if bookmark:   # listed in the 目录: a bookmark; outline level 2 for the navigation pane
                inner = (f'<w:bookmarkStart w:id="{bid}" w:name="{bookmark}"/>{inner}'
                         f'<w:bookmarkEnd w:id="{bid}"/>')
                outline = '<w:outlineLvl w:val="1"/>'
            self._p(STYLES["caption"], inner, extra=outline)
        if t.label:
            self._p(STYLES["label"], _runs(t.label))
        if t.meta_left or t.meta_center or t.meta_right:
            self._meta(t, width)
        rows = t.header + t.body
        if rows:
            if self.break_next:
                self._p("Plain Text", "")
            self.items.append(self._table_xml(t, rows, width))
        for note in t.notes:
            self._p(STYLES["note"], _runs(note))
        if t.empty_note:
            self._p(STYLES["empty"], _runs(t.empty_note))

    def _meta(self, t: Table, width: int) -> None:
        """left / centre / right on one line with a centre and a right tab stop."""
        em = self.sizes[STYLES["meta"]] * 20          # twips per em
        left, center, right = _em(t.meta_left) * em, _em(t.meta_center) * em, \
            _em(t.meta_right) * em
        mid = width // 2
        text = f"{t.meta_left}\t{t.meta_center}\t{t.meta_right}"
        if left + center / 2 + em > mid or mid + center / 2 + em > width - right:
            free = width - left - right - center
            if free >= 2 * em:                           # centre it in the free space
                mid = round(left + free / 2 + center / 2)
            else:                                       # left part on a line of its own
                text = f"{t.meta_left}\n\t{t.meta_center}\t{t.meta_right}"
        tabs = (f'<w:tabs><w:tab w:val="center" w:pos="{mid}"/>'
                f'<w:tab w:val="right" w:pos="{width}"/></w:tabs>')
        # above a table whose row of running text breaks across pages, the meta line is not kept with
        # the table: LibreOffice 7.4 then moves that row whole to the next page, leaving the page
        # under the header rows blank (the form follows its caption on a fresh page anyway)
        self._p(STYLES["meta"], _runs(text), tabs=tabs, keep=None if t.flows else False)

    def _table_xml(self, t: Table, rows: list[list[Cell]], width: int) -> str:
        ncols = t.ncols
        total = sum(t.widths)
        if total <= 0:
            grid = [width // ncols] * ncols
        else:
            grid = [round(w / total * width) for w in t.widths]
        grid[-1] += width - sum(grid)
        edge = [0]
        for g in grid:
            edge.append(edge[-1] + g)

        tt = self.sid["Table Text"]
        hp = round(t.font_size * 2)
        size = "" if abs(self.sizes["Table Text"] - t.font_size) < 0.01 else \
            f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>'
        mark = f"<w:rPr>{size}</w:rPr>" if size else ""
        rpr = {False: f"<w:rPr>{size}</w:rPr>" if size else "",
               True: f"<w:rPr><w:b/><w:bCs/>{size}</w:rPr>"}
        # the layout's 行高: a fixed line height for the cells of a compact table
        line = f'<w:spacing w:line="{round(t.line_height * 20)}" w:lineRule="exact"/>' if t.line_height else ""
        ppr = {a: f'<w:pPr><w:pStyle w:val="{tt}"/>{line}<w:jc w:val="{j}"/>{mark}</w:pPr>'
               for a, j in _JC.items()}
        empty_p = f'<w:p><w:pPr><w:pStyle w:val="{tt}"/>{line}{mark}</w:pPr></w:p>'
        # a cell of running text: each paragraph justified, a content one ("body") indented two
        # characters of the table's size
        indent = f'<w:ind w:firstLine="{round(t.font_size * 40)}"/>'
        text_ppr = {role: f'<w:pPr><w:pStyle w:val="{tt}"/>{line}{indent if role == "body" else ""}'
                          f'<w:jc w:val="both"/>{mark}</w:pPr>' for role in ("body", "lead")}

        nrows = len(rows)
        cells: list[list[tuple[int, str]]] = [[] for _ in range(nrows)]
        for r, c, cell in t.placements(rows):
            span = cell.colspan
            tcw = f'<w:tcW w:w="{edge[c + span] - edge[c]}" w:type="dxa"/>'
            if span > 1:
                tcw += f'<w:gridSpan w:val="{span}"/>'
            vm = '<w:vMerge w:val="restart"/>' if cell.rowspan > 1 else ""
            text = cell.text
            if cell.flows:
                para = "".join(f"<w:p>{text_ppr.get(x.style, text_ppr['lead'])}"
                               f"{_bound_runs(bind(x.text), rpr[cell.bold])}</w:p>" for x in cell.paragraphs)
            elif text:
                pp = ppr.get(cell.align) or ppr["left"]
                para = f"<w:p>{pp}{_bound_runs(bind_cell(text), rpr[cell.bold])}</w:p>"
            else:
                para = empty_p
            cells[r].append((c, f'<w:tc><w:tcPr>{tcw}{vm}<w:vAlign w:val="center"/></w:tcPr>'
                                f"{para}</w:tc>"))
            if cell.rowspan > 1:
                cont = (f'<w:tc><w:tcPr>{tcw}<w:vMerge/><w:vAlign w:val="center"/></w:tcPr>'
                        f"{empty_p}</w:tc>")
                for dr in range(1, min(cell.rowspan, nrows - r)):
                    cells[r + dr].append((c, cont))
        nh = len(t.header)
        # rows that may break across pages (a cell of running text); rows kept with the next one
        flowing = {r for r, row in enumerate(rows) if any(c.flows for c in row)}
        kept = t.kept_rows()
        trs = []
        for r, row in enumerate(cells):
            row.sort(key=lambda x: x[0])
            head = "<w:tblHeader/>" if r < nh else ""
            tcs = "".join(x for _, x in row)
            # the header and the first body rows stay together, and so do the last rows and the
            # rows of a cell spanning a few (Table.kept_rows): keepNext on a row's paragraphs keeps
            # it with the next row
            if r in kept or (r == nrows - 1 and (t.notes or t.empty_note)):   # keep the last row with the note
                tcs = tcs.replace(f'<w:pStyle w:val="{tt}"/>',
                                  f'<w:pStyle w:val="{tt}"/><w:keepNext/>')
            split = "" if r in flowing else "<w:cantSplit/>"
            trs.append(f"<w:tr><w:trPr>{split}{head}</w:trPr>{tcs}</w:tr>")
        return (f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.sid[TABLE_STYLE]}"/>'
                f'<w:tblW w:w="{width}" w:type="dxa"/><w:jc w:val="center"/>'
                f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
                + "".join(f'<w:gridCol w:w="{g}"/>' for g in grid) + "</w:tblGrid>"
                + "".join(trs) + "</w:tbl>")
