"""The unit's name on the cover breaks at the end of a part of the name, in even lines (issue 11),
in the PDF and in LibreOffice's rendering of the DOCX."""
from __future__ import annotations

import subprocess

import pytest

from generator.compose.cover import cover_lines


@pytest.mark.parametrize("name,lines", [
    ("山西转型综合改革示范区晋中开发区潇河产业园事业服务中心", ["山西转型综合改革示范区晋中开发区", "潇河产业园事业服务中心"]),
    ("山西转型综合改革示范区新材料产业招商服务中心", ["山西转型综合改革示范区", "新材料产业招商服务中心"]),
    ("中共上海市普陀区委社会工作部", ["中共上海市普陀区委社会工作部"]),             # fits one line
    ("甲" * 30, ["甲" * 30]),                                                      # no place to break: as it is
])
def test_cover_lines(name, lines):
    assert cover_lines(name).split("\n") == lines


def test_xiaohe_cover_in_pdf_and_docx(rendered, tmp_path):
    first = lambda pdf: [l.strip() for l in subprocess.run(  # noqa: E731
        ["pdftotext", "-layout", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.splitlines()
        if l.strip()]
    want = ["山西转型综合改革示范区晋中开发区", "潇河产业园事业服务中心"]
    assert first(rendered["xiaohe"]["pdf"])[:2] == want
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(rendered["xiaohe"]["docx"])], capture_output=True, timeout=300, check=True)
    assert first(tmp_path / rendered["xiaohe"]["pdf"].name)[:2] == want
