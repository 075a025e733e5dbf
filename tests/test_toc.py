"""The DOCX 目录 opens with page numbers (issue 11): each PAGEREF field carries the printed page of
its entry, taken from the PDF layout of the same document (same page geometry), so the numbers
equal the PDF's; Word and WPS still refresh the fields on opening (updateFields)."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from tests.conftest import open_docx


def docx_toc_numbers(path) -> list[str]:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    fields = re.findall(r"PAGEREF _Toc\d+ \\h </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
                        r"(?:<w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>([^<]*)</w:t></w:r>)?", xml)
    return fields


def pdf_toc_numbers(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-l", "4", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\.{3,}\s*(\d+)\s*$", text, flags=re.M)


@pytest.mark.parametrize("key", ["xiaohe", "xincailiao"])   # Shanghai prints no page numbers (test_page_layout)
def test_every_docx_toc_entry_has_the_pdf_page_number(rendered, key):
    docx_numbers = docx_toc_numbers(rendered[key]["docx"])
    assert len(docx_numbers) >= 25 and all(n.isdigit() for n in docx_numbers), docx_numbers
    assert docx_numbers == pdf_toc_numbers(rendered[key]["pdf"])
    assert b'w:updateFields w:val="true"' in zipfile.ZipFile(rendered[key]["docx"]).read("word/settings.xml")


def docx_toc_entries(path) -> list[str]:
    return [p.text.split("\t")[0] for p in open_docx(str(path)).paragraphs
            if p.style.name.lower().startswith("toc ") and p.style.name.lower() != "toc heading"]


@pytest.mark.parametrize("key", ["xiaohe", "xincailiao"])
def test_toc_entries_keep_their_words_after_a_libreoffice_field_update(rendered, key):
    """LibreOffice opens the DOCX, updates every field and index (工具 → 更新 → 全部更新) and the
    目录 still reads like the official one: "一、收入支出决算总表", not the caption "收入支出决算总表",
    each entry with a page number (LibreOffice's own pagination)."""
    script = Path(__file__).with_name("lo_update_toc.py")
    proc = subprocess.run(["/usr/bin/python3", str(script), str(rendered[key]["docx"])],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    words = [line.split("\t")[0] for line in lines]
    assert words == docx_toc_entries(rendered[key]["docx"])
    assert "一、收入支出决算总表" in words and "十、部门决算公开相关信息统计表" in words
    assert all(re.fullmatch(r"[^\t]+\t\d+", line) for line in lines), lines
