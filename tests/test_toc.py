"""The DOCX 目录 opens with page numbers (issue 11): each PAGEREF field carries the printed page of
its entry, taken from the PDF layout of the same document (same page geometry), so the numbers
equal the PDF's; Word and WPS still refresh the fields on opening (updateFields)."""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest


def docx_toc_numbers(path) -> list[str]:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    fields = re.findall(r"PAGEREF _Toc\d+ \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
                        r"(?:<w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>([^<]*)</w:t></w:r>)?", xml)
    return fields


def pdf_toc_numbers(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-l", "4", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\.{3,}\s*(\d+)\s*$", text, flags=re.M)


@pytest.mark.parametrize("key", ["xiaohe", "xincailiao", "shehuigongzuo"])
def test_every_docx_toc_entry_has_the_pdf_page_number(rendered, key):
    docx_numbers = docx_toc_numbers(rendered[key]["docx"])
    assert len(docx_numbers) >= 25 and all(n.isdigit() for n in docx_numbers), docx_numbers
    assert docx_numbers == pdf_toc_numbers(rendered[key]["pdf"])
    assert b'w:updateFields w:val="true"' in zipfile.ZipFile(rendered[key]["docx"]).read("word/settings.xml")
