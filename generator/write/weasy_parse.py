"""The page's HTML parsed by expat instead of WeasyPrint's pure-Python HTML5 parser.

``weasyprint.HTML(string=…)`` parses with tinyhtml5, character by character in Python: 80 ms of
a 44-page report's 2 s. The page the PDF writer lays out is ours (report.html.j2, every void
element closed with ``/>``, which HTML5 allows; unit text autoescaped, control characters refused
when the unit is read), so it is also well-formed XML, and ``xml.etree``'s expat reads it in 3 ms
into the same tree: the same elements, attributes and text (the whitespace between ``<html>`` and
``<head>`` and after ``</body>``, which no box is made of, set as tinyhtml5 sets it). No entity
can be declared (the unit's text cannot open a tag or a DOCTYPE), and expat does not fetch
anything.

``html_document()`` builds WeasyPrint's ``HTML`` from that tree the way ``HTML.__init__`` does
after its parse (base URL, URL fetcher, media type, the cssselect2 wrapper). It does so only when
the installed WeasyPrint has exactly the ``HTML.__init__`` this was written for (sha256 of its
source), and falls back to ``HTML(string=…)`` when it has another or when the page is not
well-formed XML; ``parsed_by_expat`` says which path a page took (tests/test_weasy_parse.py).
"""
from __future__ import annotations

import hashlib
import inspect
import xml.etree.ElementTree as ET

# sha256 of inspect.getsource(weasyprint.HTML.__init__) in WeasyPrint 70.0
HTML_INIT_SHA256 = "5f19f40b81837f87ae7af8e5c53d5f11e7c98ba245094a86d45f5f14d001b943"


def guard_matches() -> bool:
    """Whether the installed WeasyPrint builds ``HTML`` as this module does."""
    try:
        import weasyprint
        source = inspect.getsource(weasyprint.HTML.__init__)
        weasyprint._find_base_url          # noqa: B018  (the helper HTML.__init__ calls)
    except (ImportError, AttributeError, OSError, TypeError):
        return False
    return hashlib.sha256(source.encode("utf-8")).hexdigest() == HTML_INIT_SHA256


GUARD = guard_matches()


def parse(html: str) -> ET.Element | None:
    """The tree of ``html`` as tinyhtml5 builds it (no namespaces), or None if ``html`` is not
    well-formed XML."""
    try:
        root = ET.fromstring(html)
    except ET.ParseError:
        return None
    if root.tag != "html":
        return None
    root.text = None                       # tinyhtml5 keeps no text before <head>
    body = root.find("body")
    if body is not None:
        body.tail = None                   # … nor after </body>
    return root


def html_document(html: str, base_url: str, url_fetcher, media_type: str = "print"):
    """WeasyPrint's ``HTML`` for ``html``: parsed by expat when possible (see above)."""
    import cssselect2
    import weasyprint
    root = parse(html) if GUARD else None
    if root is None:
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=url_fetcher,
                                   media_type=media_type)
        document.parsed_by_expat = False
        return document
    document = weasyprint.HTML.__new__(weasyprint.HTML)
    document.base_url = weasyprint._find_base_url(root, base_url)
    document.url_fetcher = url_fetcher
    document.media_type = media_type
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    document.parsed_by_expat = True
    return document
