"""Justified Chinese text in the PDF: WeasyPrint stretches only spaces (weasyprint/layout/inline.py,
``justify_line``), and a Chinese line has none, so ``text-align: justify`` left the lines of a
paragraph ragged (in 第三部分 61–82 % of the lines that a paragraph continues after reached the
right margin). The official reports, Word and LibreOffice spread the missing width between the
characters of the line instead (CSS ``text-justify: inter-character``, which WeasyPrint lacks).

``apply()`` replaces ``justify_line``: on a line with CJK characters (U+2E80 and up: ideographs,
full-width punctuation) the missing width is given to those characters as Pango letter spacing;
digits and Latin letters keep their spacing. The spacing is computed from the characters' count
(Pango trims half a spacing at a box's CJK ends), the line is shaped once with it, and shaped a
second time with the spacing scaled only when it misses the right margin by more than ``CLOSE``. A line without CJK characters is justified by WeasyPrint as
before (at its spaces). Only justified lines change: the last line of a paragraph and a line
before a forced break (``white-space: pre-line``) are not justified (CSS; WeasyPrint's
``text_align`` passes them by), and no line break moves (justification comes after line breaking).

As ``weasy_fonts``, the patch is applied only when the installed WeasyPrint has exactly the
functions it was written for (sha256 of their source); otherwise WeasyPrint runs unchanged, and
tests/test_page_text.py fails, so an upgrade is noticed and the patch re-checked.
"""
from __future__ import annotations

import hashlib
import inspect
import re

# sha256 of inspect.getsource(...) in WeasyPrint 70.0
SOURCES_SHA256 = {
    "justify_line": "f83b21ff8793ba6b6dfc5fe8e10e4ab6cd6e02b17de02da97200902166148a81",
    "text_align": "e953d41b87ccfc30405f83f6cc3c73918ef4638662794db4f834b1d788d6ed67",
    "Layout.set_text": "fe23ca9937dbf5205bda422f9c01103f301ef2c511228842632ea86e853274f7",
    "Layout.reactivate": "0b89ee097104b71376c179f48a98858708b07169dc0212c393263a1a831607c9",
}
_original = None          # WeasyPrint's justify_line while the patch is applied
CLOSE = 0.25              # points: a justified line ends this near the right margin or is shaped again


def _functions():
    from weasyprint.layout import inline
    from weasyprint.text import line_break
    return {"justify_line": _original or inline.justify_line, "text_align": inline.text_align,
            "Layout.set_text": line_break.Layout.set_text, "Layout.reactivate": line_break.Layout.reactivate}


def source_hashes() -> dict[str, str]:
    return {name: hashlib.sha256(inspect.getsource(f).encode("utf-8")).hexdigest()
            for name, f in _functions().items()}


def guard_matches() -> bool:
    """Whether the installed WeasyPrint is the one the patch was written for."""
    try:
        return source_hashes() == SOURCES_SHA256
    except (ImportError, AttributeError, OSError, TypeError):
        return False


def applied() -> bool:
    return _original is not None


_CJK_RUN = re.compile("[\u2e80-\U0010ffff]+")     # CJK characters: U+2E80 and up


def _cjk_runs(text: str) -> tuple[list[tuple[int, int]], int]:
    """UTF-8 byte ranges of the runs of CJK characters in ``text`` (Pango indexes bytes), and how
    many CJK characters they hold."""
    ranges: list[tuple[int, int]] = []
    count = chars = offset = 0
    for match in _CJK_RUN.finditer(text):
        start = offset + len(text[chars:match.start()].encode("utf-8"))
        offset = start + len(match.group().encode("utf-8"))
        chars = match.end()
        count += chars - match.start()
        ranges.append((start, offset))
    return ranges, count


def _gaps(text: str, count: int) -> float:
    """The spacings a box's CJK characters gain with letter spacing on them: one per character,
    less half a spacing that Pango trims at each end of the box where a CJK character stands."""
    return count - 0.5 * (_CJK_RUN.match(text[0]) is not None) - 0.5 * (_CJK_RUN.match(text[-1]) is not None)


def apply() -> bool:
    """Justify CJK lines between their characters (see above); True when the patch is in place."""
    global _original
    if _original is not None:
        return True
    if not guard_matches():
        return False
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
    from weasyprint.text.line_break import Layout, line_size

    class SpacedLayout(Layout):
        """A text box's layout with ``spacing`` (points) of letter spacing on its CJK characters,
        also when WeasyPrint re-creates the Pango layout to draw it (``reactivate``)."""

        def __init__(self, style, spacing: float):
            self.cjk_spacing = spacing
            super().__init__(style, 0, None)

        def set_text(self, text, justify=False):
            super().set_text(text, justify)
            ranges, _ = _cjk_runs(self.text)
            if not ranges:
                return
            base = self.style["letter_spacing"]
            units = int(((0 if base == "normal" else base) + self.cjk_spacing) * TO_UNITS + 0.5)
            attr_list = pango.pango_layout_get_attributes(self.layout)
            if attr_list == ffi.NULL:
                attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
            for start, end in ranges:
                attr = pango.pango_attr_letter_spacing_new(units)
                attr.start_index, attr.end_index = start, end
                pango.pango_attr_list_change(attr_list, attr)
            pango.pango_layout_set_attributes(self.layout, attr_list)

    def spaced(box, spacing: float):
        """(layout, width) of the text box ``box`` with ``spacing`` on its CJK characters."""
        layout = SpacedLayout(box.style, spacing)
        layout.set_text(box.text)
        first_line, _ = layout.get_first_line()
        width, _ = line_size(first_line, box.style)
        layout.deactivate()
        return layout, width

    def text_boxes(box):
        if isinstance(box, boxes.TextBox):
            yield box
        elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            for child in box.children:
                if child.is_in_normal_flow():
                    yield from text_boxes(child)

    def shift(box, new: dict, x_advance: float) -> float:
        """Move the boxes of the line by what the spaced text boxes before them gained."""
        if isinstance(box, boxes.TextBox):
            box.position_x += x_advance
            if id(box) in new:
                layout, width = new[id(box)]
                x_advance += width - box.width
                box.width, box.pango_layout = width, layout
        elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
            box.position_x += x_advance
            before = x_advance
            children = box.children[::-1] if box.style["direction"] == "rtl" else box.children
            for child in children:
                if child.is_in_normal_flow():
                    x_advance = shift(child, new, x_advance)
            box.width += x_advance - before
        else:
            box.translate(x_advance, 0)
        return x_advance

    def justify_line(context, line, extra_width):
        spaced_boxes, count, gaps = [], 0, 0.0
        for box in text_boxes(line):
            _, box_count = _cjk_runs(box.text)
            if box_count:
                spaced_boxes.append(box)
                count += box_count
                gaps += _gaps(box.text, box_count)
        if count < 2 or extra_width <= 0:
            return _original(context, line, extra_width)
        # Shape once with the spacing that should fill the line; only when the shaped line misses
        # the margin by more than CLOSE (Pango keeps no spacing at some CJK characters beside
        # digits) is it shaped again with the spacing scaled by what it gained.
        spacing = extra_width / (gaps if gaps > 0 else count - 1)
        new = {id(box): spaced(box, spacing) for box in spaced_boxes}
        gained = sum(new[id(box)][1] - box.width for box in spaced_boxes)
        if abs(gained - extra_width) > CLOSE and gained > FROM_UNITS:
            spacing *= extra_width / gained
            new = {id(box): spaced(box, spacing) for box in spaced_boxes}
        shift(line, new, 0)

    _original = inline.justify_line
    inline.justify_line = justify_line
    return True


def remove() -> None:
    """Undo ``apply()`` (for tests that compare with WeasyPrint's own behaviour)."""
    global _original
    if _original is None:
        return
    from weasyprint.layout import inline
    inline.justify_line = _original
    _original = None
