"""Embedding fonts without copying whole font files into Python (WeasyPrint's pdf/fonts.py).

WeasyPrint's ``Font.__init__`` copies the whole file of every font face it draws with into a
Python bytes object (``get_hb_object_data(self.hb_face)``). The Noto CJK collections and the
楷体 font are 17–30 MB each, about 90 MB of a report's peak memory, and with HarfBuzz's
subsetter the copy is never read: the subset is made from the face itself and replaces it.
``apply()`` defers that copy until something reads ``Font.file_content`` before the subset
replaces it (a variable or colour font, subsetting by fontTools, a font embedded whole); those
paths then get the same bytes as before, so the PDF is the same byte for byte.

The patch is applied only when the installed WeasyPrint has exactly the ``Font.__init__`` it was
written for (the sha256 of its source: its only call of ``get_hb_object_data`` is that copy) and
the names it relies on; otherwise WeasyPrint runs unchanged. tests/test_weasy_fonts.py fails when
the guard no longer matches, so an upgrade of WeasyPrint is noticed and the patch re-checked.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import threading

# sha256 of inspect.getsource(weasyprint.pdf.fonts.Font.__init__) in WeasyPrint 70.0
FONT_INIT_SHA256 = "1f281166b10302a4278a04384970b91496a19b071e071a4087f77a49bc1487fe"
_SLOT = "_juesuan_file_content"      # where a Font keeps its bytes (or _DEFERRED)
_DEFERRED = object()                 # the whole face's bytes: not copied yet
_state = threading.local()           # inside Font.__init__ (per thread)
_originals: tuple | None = None      # (Font.__init__, get_hb_object_data) while applied


def guard_matches() -> bool:
    """Whether the installed WeasyPrint is the one the patch was written for (checked on the
    original functions, also while the patch is applied)."""
    try:
        from weasyprint.pdf import fonts
        from weasyprint.text import fonts as text_fonts
        init, get_data = _originals or (fonts.Font.__init__, fonts.get_hb_object_data)
        source = inspect.getsource(init)
    except (ImportError, AttributeError, OSError, TypeError):
        return False
    return (hashlib.sha256(source.encode("utf-8")).hexdigest() == FONT_INIT_SHA256
            and get_data is text_fonts.get_hb_object_data
            and (_originals is not None or "file_content" not in vars(fonts.Font)))


def applied() -> bool:
    return _originals is not None


def apply() -> bool:
    """Defer the copy of whole font files (see above); True when the patch is in place."""
    global _originals
    if _originals is not None:
        return True
    if not guard_matches():
        return False
    from weasyprint.pdf import fonts
    original_init, original_get = fonts.Font.__init__, fonts.get_hb_object_data

    def get_hb_object_data(hb_object, ot_color=None, glyph=None):
        if ot_color is None and getattr(_state, "in_font_init", False):
            return _DEFERRED                 # Font.__init__'s copy of the whole face
        return original_get(hb_object, ot_color, glyph)

    @functools.wraps(original_init)
    def __init__(self, *args, **kwargs):
        _state.in_font_init = True
        try:
            original_init(self, *args, **kwargs)
        finally:
            _state.in_font_init = False

    def get_file_content(self):
        data = self.__dict__.get(_SLOT, _DEFERRED)
        if data is _DEFERRED:                # read before a subset replaced it: copy it now
            data = self.__dict__[_SLOT] = original_get(self.hb_face)
        return data

    def set_file_content(self, value):
        self.__dict__[_SLOT] = value

    fonts.get_hb_object_data = get_hb_object_data
    fonts.Font.__init__ = __init__
    fonts.Font.file_content = property(get_file_content, set_file_content)
    _originals = (original_init, original_get)
    return True


def remove() -> None:
    """Undo ``apply()`` (for tests that compare with WeasyPrint's own behaviour)."""
    global _originals
    if _originals is None:
        return
    from weasyprint.pdf import fonts
    fonts.Font.__init__, fonts.get_hb_object_data = _originals
    del fonts.Font.file_content
    _originals = None
