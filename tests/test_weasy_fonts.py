"""generator/write/weasy_fonts.py: WeasyPrint does not copy whole font files; the PDF is unchanged."""
from __future__ import annotations

import weasyprint.pdf

from generator.compose.document import Document, Heading, Paragraph
from generator.write import pdf_writer, weasy_fonts  # noqa: F401  (pdf_writer applies the patch)


def small_document() -> Document:
    return Document(title="字体测试", blocks=[
        Heading(2, "一、收入支出决算总体情况说明", anchor="s1"),
        Paragraph("2022年度收入总计1,234.56元，支出总计1,234.56元。"),
        Paragraph("粗体与楷体之外的正文：Ｗ　abc 0123456789%"),
    ])


def test_guard_matches_the_installed_weasyprint():
    """Fails when WeasyPrint's Font.__init__ is no longer the one the patch was written for:
    re-read weasyprint/pdf/fonts.py, check weasy_fonts still holds, update FONT_INIT_SHA256."""
    assert weasy_fonts.guard_matches(), "WeasyPrint 的 Font.__init__ 已变：请复查 generator/write/weasy_fonts.py"
    assert weasy_fonts.applied()


def test_guard_refuses_another_function(monkeypatch):
    monkeypatch.setattr(weasy_fonts, "FONT_INIT_SHA256", "0" * 64)
    assert not weasy_fonts.guard_matches()


def test_whole_fonts_are_not_copied(monkeypatch, tmp_path):
    seen = []
    original = weasyprint.pdf.build_fonts_dictionary

    def spy(pdf, fonts, *args, **kwargs):
        seen.extend(font.__dict__.get(weasy_fonts._SLOT) is weasy_fonts._DEFERRED for font in fonts.values())
        return original(pdf, fonts, *args, **kwargs)

    monkeypatch.setattr(weasyprint.pdf, "build_fonts_dictionary", spy)
    pdf_writer.write_pdf(small_document(), tmp_path / "a.pdf")
    assert seen and all(seen)


def test_pdf_is_the_same_with_and_without_the_patch(tmp_path):
    doc = small_document()
    pdf_writer.write_pdf(doc, tmp_path / "patched.pdf")
    weasy_fonts.remove()
    try:
        assert not weasy_fonts.applied() and weasy_fonts.guard_matches()
        pdf_writer.write_pdf(doc, tmp_path / "plain.pdf")
    finally:
        assert weasy_fonts.apply()
    patched, plain = (tmp_path / "patched.pdf").read_bytes(), (tmp_path / "plain.pdf").read_bytes()
    assert patched == plain           # fonts subset and embedded alike (same bytes)
