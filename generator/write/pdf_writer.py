"""PDF writer: Document → HTML (html_writer) → PDF (WeasyPrint), written atomically.

WeasyPrint loads every resource the page names (stylesheets, images, fonts of @font-face)
through ``ProjectURLFetcher``, which serves the project's own files under ``templates/html/``
and ``data:`` URLs (they carry their bytes inline and reach nothing), and refuses everything
else: other local files, http(s), ftp … WeasyPrint itself only logs a failed load and goes
on, so ``write_pdf`` raises ``RefusedURLError`` after layout if anything was refused, before
the output file is touched.

Fonts come from fontconfig (no @font-face; the project's own Latin face, templates/fonts/, is added
to the process's font configuration once), and WeasyPrint embeds a subset of each font it
uses (HarfBuzz's subsetter when libharfbuzz-subset is installed). One ``FontConfiguration``
(fontconfig's font list, Pango's font map and its caches) serves every document a process lays
out, e.g. all the units of a batch worker; ``weasy_fonts`` keeps WeasyPrint from copying whole
font files into memory (about 90 MB of the peak), and ``weasy_import`` imports it without the slow
library look-ups of ``ctypes.util.find_library`` (~0.2 s). ``weasy_justify`` justifies Chinese
lines between their characters (WeasyPrint itself stretches only spaces).

Speed: a seed-sized report (~25 pages, ten tables) takes about 2 s. WeasyPrint allocates
hundreds of thousands of objects per render; Python's cyclic garbage collector then runs
full collections over them, which costs 20–25 % of the time, so it is paused while a PDF is
made (reference counting still frees memory; the cycles go at the next collection).
"""
from __future__ import annotations

import gc
import mimetypes
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from generator.write import weasy_import

weasy_import.imported()              # before the names below: loads its libraries quickly

from weasyprint import Document as LaidOutDocument  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from generator.compose.document import Document  # noqa: E402
from generator.write import weasy_fonts, weasy_justify  # noqa: E402
from generator.atomic import atomic_path  # noqa: E402
from generator.write.html_writer import HTML_TEMPLATES, render_html  # noqa: E402
from generator.write.weasy_parse import html_document  # noqa: E402

weasy_fonts.apply()
weasy_justify.apply()                # Chinese lines justified between their characters


class RefusedURLError(ValueError):
    """A resource outside the project's HTML templates was requested while rendering."""


class ProjectURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only files under ``root``, and data: URLs.

    Everything else (other local files, http(s), ftp …) raises ``RefusedURLError`` and is kept in
    ``refused``; nothing is opened for it. data: URLs go through WeasyPrint's own fetcher (with
    only the ``data`` protocol allowed), which reads the bytes the URL carries and nothing else.
    """

    def __init__(self, root: Path = HTML_TEMPLATES) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.root = Path(root).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime_type, _ = mimetypes.guess_type(path.name)
                return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                          {"Content-Type": mime_type or "application/octet-stream"})
        self.refused.append(url)
        raise RefusedURLError(f"拒绝加载 {url}：PDF 只能引用 {self.root} 下的文件")


# The face of digits and Latin letters (Liberation Serif, Times New Roman's metric twin, with the CJK
# faces' vertical metrics; scripts/make_latin_font.py), first in every font stack of report.css.
LATIN_FONTS = tuple(HTML_TEMPLATES.parent / "fonts" / f"JuesuanLatin-{style}.ttf" for style in ("Regular", "Bold"))


@lru_cache(maxsize=1)
def font_configuration() -> FontConfiguration:
    """The process's font configuration, shared by every document it lays out (the stylesheets
    have no @font-face, so nothing is added to it per document), with the project's Latin face
    (``LATIN_FONTS``) added once."""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    config = FontConfiguration()
    for path in LATIN_FONTS:
        fontconfig.FcConfigAppFontAddFile(config._config, str(path).encode())
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
    return config


def render_document(html: str) -> LaidOutDocument:
    """Lay out ``html`` (resolved against ``templates/html/``) with the project's fetcher."""
    fetcher = ProjectURLFetcher()
    laid_out = html_document(html, HTML_TEMPLATES.as_uri() + "/", fetcher).render(
        font_config=font_configuration())
    if fetcher.refused:
        raise RefusedURLError("页面引用了项目以外的资源，已拒绝：" + "、".join(fetcher.refused))
    return laid_out


def lay_out(doc: Document) -> LaidOutDocument:
    """``doc`` laid out in pages (``doc.marking`` on every page), ready to write."""
    html = render_html(doc, inline_css=False, for_print=True)
    with _cyclic_gc_paused():
        return render_document(html)


# Named pages (templates/html/report.css) whose page counter is reset: no printed number.
UNNUMBERED_PAGES = ("cover", "front")


def page_numbers(laid_out: LaidOutDocument) -> dict[str, int]:
    """The printed page number (“— n —”) of every anchor: the counter restarts after the cover
    and the 目录, as the stylesheet does. The DOCX 目录 shows these numbers (same page geometry)."""
    out: dict[str, int] = {}
    counter = 0
    for page in laid_out.pages:
        counter = 0 if page._page_box.page_type.name in UNNUMBERED_PAGES else counter + 1
        for anchor in page.anchors:
            out.setdefault(anchor, counter)
    return out


def write_laid_out(laid_out: LaidOutDocument, path: Path) -> int:
    """Write laid-out pages as a PDF at ``path`` (completely or not at all); the page count."""
    with _cyclic_gc_paused():
        with atomic_path(Path(path)) as tmp:
            laid_out.write_pdf(tmp)
    return len(laid_out.pages)


def write_pdf(doc: Document, path: Path) -> int:
    """Write ``doc`` as a PDF at ``path`` (completely or not at all); return the page count.
    ``doc.marking`` appears on every page."""
    return write_laid_out(lay_out(doc), path)


@contextmanager
def _cyclic_gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
