"""The “三公”经费 items are the profile's catalogue (三公经费目录, templates/catalogs/sangong*.yaml):
a key the catalogue does not hold is refused where the file writes it, with the nearest item named."""
from __future__ import annotations

from .checkfix import BASES, replace
from .conftest import run_cli


def _unit(tmp_path, *edits) -> str:
    text = BASES["xincailiao"].read_text(encoding="utf-8")
    for old, new in edits:
        text = replace(text, old, new, 1)
    path = tmp_path / "unit.yaml"
    path.write_text(text, encoding="utf-8")
    return text


def test_a_misspelt_item_is_refused_at_its_line(tmp_path):
    text = _unit(tmp_path, ("    公务接待费: 1.44\n  决算数:", "    公务接待: 1.44\n  决算数:"))
    line = text.split("\n").index("    公务接待: 1.44") + 1
    proc = run_cli("check", str(tmp_path / "unit.yaml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"unit.yaml：第{line}行：三公经费.预算数.公务接待" in proc.stderr, proc.stderr
    assert "“公务接待”不是模板“shanxi-2023”的“三公”经费项目，是不是“公务接待费”？" in proc.stderr
    assert "可填：合计、因公出国（境）费、公务用车购置及运行维护费、公务用车购置费、公务用车运行维护费、公务接待费" in proc.stderr


def test_an_item_the_profile_does_not_have_is_refused_in_the_words_too(tmp_path):
    """会议费 is an item of another region's catalogue: under 情况说明.三公经费 of a shanxi-2023 unit it
    would be silently dropped, so it is refused with its line."""
    _unit(tmp_path, ("  三公经费:\n    变动原因:", "  三公经费:\n    会议费: {用途: 年度工作会议}\n    变动原因:"))
    proc = run_cli("check", str(tmp_path / "unit.yaml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "情况说明.三公经费.会议费" in proc.stderr and "“会议费”不是模板“shanxi-2023”的“三公”经费项目；" in proc.stderr
