"""Issue 12, the new-user path through the CLI: `juesuan template` → the user fills the blank
workbook with 项 rows only in the 功能分类 tables (类 and 款 names come from the profile's
catalogues), some amounts typed as text with thousands separators, one as a formula Excel saved
with its value → `juesuan import` → `juesuan render`. The report equals the one the same
figures give through `juesuan export` of the full example, and its 02/03/05 rows are the seed's."""
from __future__ import annotations

import re
import subprocess

import openpyxl
import pytest

from .conftest import EXAMPLES, SEEDS, run_cli
from .golden_output import document_dump
from .new_user_fill import SUBJECT_SHEETS, fill


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    """(folder, the filled workbook, {what: cell} of the unusual cells) for xiaohe-2022."""
    tmp = tmp_path_factory.mktemp("new-user")
    blank, reference, filled = tmp / "空白.xlsx", tmp / "决算软件.xlsx", tmp / "填好.xlsx"
    proc = run_cli("template", "--profile", "shanxi-2022", "--out", str(blank))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("export", str(EXAMPLES / "xiaohe-2022.yaml"), "--out", str(reference))
    assert proc.returncode == 0, proc.stderr
    cells = fill(blank, reference, filled)
    return tmp, filled, cells


def test_the_workbook_is_typed_as_a_user_would(typed):
    """What the test claims to feed in is really there: no 合计/类/款 row in the 功能分类 sheets,
    text amounts with separators, a formula with a saved value."""
    _, filled, cells = typed
    formulas = openpyxl.load_workbook(filled)
    values = openpyxl.load_workbook(filled, data_only=True)
    for sheet in SUBJECT_SHEETS:
        ws = formulas[sheet]
        total = next(c.row for c in ws["A"] if c.value == "合计")
        assert all(c.value is None for c in ws[total][2:]), sheet                 # 合计 left blank
        codes = [c.value for c in ws["A"][total:] if c.value]
        assert all(re.fullmatch(r"\d{7}", str(c)) for c in codes), (sheet, codes)
        assert codes or sheet not in SUBJECT_SHEETS[:3], sheet       # xiaohe has no fund money
    for what, ref in cells.items():
        sheet, cell = ref.split("!")
        if what.startswith("text"):
            assert isinstance(formulas[sheet][cell].value, str) and "," in formulas[sheet][cell].value
        else:
            assert str(formulas[sheet][cell].value).startswith("=")
            assert isinstance(values[sheet][cell].value, (int, float))


def test_import_then_render(typed):
    tmp, filled, _ = typed
    unit, reference_unit, out = tmp / "某单位.yaml", tmp / "导出再导入.yaml", tmp / "out"
    proc = run_cli("import", str(filled), "--out", str(unit))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("import", str(tmp / "决算软件.xlsx"), "--out", str(reference_unit))
    assert proc.returncode == 0, proc.stderr
    assert "科目编码: \"20113\"" not in unit.read_text(encoding="utf-8")      # only 项 rows were typed
    proc = run_cli("render", str(unit), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(f.suffix for f in out.iterdir()) == [".docx", ".pdf"]
    # the same report as the full workbook gives (names, totals and every narrative number)
    assert document_dump(unit) == document_dump(reference_unit)
    # the 02, 03 and 05 rows of 类 201 and 款 20113 as the seed publishes them
    pdf = next(out.glob("*.pdf"))
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                                text=True, check=True).stdout)
    seed = (SEEDS / "xiaohe-2022-final-accounts.txt").read_text(encoding="utf-8")
    published = [line.split("\t") for line in seed.splitlines() if re.match(r"(201|20113)\t", line)]
    assert len(published) == 6, published                    # 201 and 20113 in each of 02, 03, 05
    for code, name, *amounts in published:
        row = " ".join([code, name.replace(" ", ""), *[a for a in amounts if a.strip()]])
        assert row in text, row
