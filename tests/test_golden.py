"""The Shanxi examples (and the 行政单位 fixture) render exactly as the stored snapshots: the
composed document block by block, and the PDF text page by page. See tests/golden_output.py to
regenerate them when an output is meant to change."""
from __future__ import annotations

import difflib

import pytest

from .golden_output import GOLDEN, UNITS, document_dump, pdf_text


def _same(name: str, kind: str, got: str) -> None:
    want = (GOLDEN / f"{name}.{kind}").read_text(encoding="utf-8")
    if got != want:
        diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                 f"golden/{name}.{kind}", "now", n=2))[:60])
        pytest.fail(f"{name} 的输出与快照不同（若是有意的改变，运行 python -m tests.golden_output 并检查差异）：\n{diff}")


@pytest.mark.parametrize("name", UNITS)
def test_composed_document_is_unchanged(name):
    _same(name, "document.json", document_dump(UNITS[name]))


@pytest.mark.parametrize("name", UNITS)
def test_pdf_text_is_unchanged(name):
    _same(name, "pdf.txt", pdf_text(UNITS[name]))
