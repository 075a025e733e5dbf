"""generator/write/weasy_parse.py: the PDF's page is parsed by expat into the tree tinyhtml5
builds, and the PDF is the same byte for byte as with WeasyPrint's own parser."""
from __future__ import annotations

import tinyhtml5

from generator import pipeline
from generator.write import pdf_writer, weasy_parse
from generator.write.html_writer import render_html
from tests.conftest import EXAMPLES

UNITS = sorted(EXAMPLES.glob("*.yaml"))


def _tree(element) -> list:
    return [(e.tag, sorted(e.attrib.items()), e.text, e.tail) for e in element.iter()]


def test_guard_matches_the_installed_weasyprint():
    """Fails when WeasyPrint's HTML.__init__ changed: re-read weasyprint/__init__.py, check
    html_document still sets what it sets, update HTML_INIT_SHA256."""
    assert weasy_parse.guard_matches(), "WeasyPrint 的 HTML.__init__ 已变：请复查 generator/write/weasy_parse.py"


def test_guard_refuses_another_init(monkeypatch):
    monkeypatch.setattr(weasy_parse, "HTML_INIT_SHA256", "0" * 64)
    assert not weasy_parse.guard_matches()


def test_every_example_page_is_well_formed_and_parsed_into_tinyhtml5s_tree():
    for unit in UNITS:
        html = render_html(pipeline.prepare_render(unit).document, inline_css=False, for_print=True)
        mine = weasy_parse.parse(html)
        assert mine is not None, f"{unit.name}：页面不是合式 XML，PDF 退回 tinyhtml5"
        theirs = tinyhtml5.parse(html, namespace_html_elements=False)
        a, b = _tree(mine), _tree(theirs)
        assert len(a) == len(b) > 100
        # the one whitespace difference: the text after </body> that tinyhtml5 adds to the last
        # section's tail (no box is made of it)
        differ = [(x, y) for x, y in zip(a, b) if x != y]
        assert all(x[:3] == y[:3] and x[3].strip() == y[3].strip() == "" for x, y in differ), differ[:3]
        assert len(differ) <= 1, differ


def test_a_page_that_is_not_xml_falls_back_to_weasyprints_parser():
    page = "<!DOCTYPE html><html><head><meta charset=utf-8></head><body><p>一<br>二</p></body></html>"
    assert weasy_parse.parse(page) is None
    document = weasy_parse.html_document(page, "file:///", pdf_writer.ProjectURLFetcher())
    assert document.parsed_by_expat is False
    assert "一" in document.etree_element.find("body/p").text


def test_the_example_pdf_is_the_same_as_with_weasyprints_parser(monkeypatch, tmp_path):
    unit = EXAMPLES / "putuo-shehuigongzuo-2024.yaml"
    seen = []
    original = weasy_parse.html_document

    def spy(*args, **kwargs):
        document = original(*args, **kwargs)
        seen.append(document.parsed_by_expat)
        return document

    monkeypatch.setattr(pdf_writer, "html_document", spy)
    pipeline.render(unit, tmp_path / "expat", ("pdf",))
    monkeypatch.setattr(weasy_parse, "GUARD", False)
    pipeline.render(unit, tmp_path / "tinyhtml5", ("pdf",))
    assert seen == [True, False]
    expat, = (tmp_path / "expat").glob("*.pdf")
    plain, = (tmp_path / "tinyhtml5").glob("*.pdf")
    assert expat.read_bytes() == plain.read_bytes()
