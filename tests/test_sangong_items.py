"""The “三公”经费 items are the profile's catalogue (三公经费目录, templates/catalogs/sangong*.yaml):
a key the catalogue does not hold is refused where the file writes it, with the nearest item named."""
from __future__ import annotations

import json
import re
import subprocess

from generator.load.yaml_reader import read_yaml

from .checkfix import BASES, ROOT, replace
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


def test_a_vehicle_kind_the_profile_does_not_count_is_refused_at_its_line(tmp_path):
    """The vehicle kinds are the profile's 车辆类别名称 (their order is the table's)."""
    text = _unit(tmp_path, ("    其他用车: 0\n", "    其他用车: 0\n    电动自行车: 2\n"))
    line = text.split("\n").index("    电动自行车: 2") + 1
    proc = run_cli("check", str(tmp_path / "unit.yaml"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"unit.yaml：第{line}行：相关信息统计.车辆.电动自行车" in proc.stderr, proc.stderr
    assert "“电动自行车”不是模板“shanxi-2023”的车辆类别；可填：副部（省）级及以上领导用车、主要领导干部用车" in proc.stderr


# ---------------------------------------------------------------- another region's 三公 table, as data only

FOLDER = ROOT / "tests" / "profiles" / "sangong-test"     # a user's profile folder: YAML only
MEETING = [("模板: shanxi-2023", "模板: sangong-test"),
           ("  预算数:\n    合计: 1.44\n    公务接待费: 1.44\n",
            "  预算数:\n    合计: 1.44\n    公务接待费: 1.44\n    会议费: 2.50\n    培训费: 3.00\n"),
           ("  决算数:\n    合计: 1.44\n    公务接待费: 1.44\n",
            "  决算数:\n    合计: 1.44\n    公务接待费: 1.44\n    会议费: 2.36\n    培训费: 3.12\n"),
           ("    公务接待费: 0.30 ", "    会议费: 2.10\n    培训费: 2.80\n    公务接待费: 0.30 "),
           ("  三公经费:\n    变动原因:", "  三公经费:\n    会议费: {用途: 召开年度招商工作会议2次}\n"
                                         "    培训费: {变动原因: 培训人数增加, 用途: 举办招商业务培训班1期}\n    变动原因:")]


def test_the_folder_holds_data_only():
    files = sorted(p.relative_to(FOLDER).as_posix() for p in FOLDER.rglob("*") if p.is_file())
    assert files == ["README.md", "catalogs/sangong-huiyi-peixun.yaml", "layouts/sangong-huiyi-peixun.yaml",
                     "profiles/sangong-test.yaml"]


def test_a_sangong_table_with_meeting_and_training_fees_checks_renders_and_round_trips(tmp_path):
    """会议费 and 培训费 beside the three 三公 items, outside their 合计 (计入合计: false): the stated 合计
    1.44 holds without them (T09-TOTAL), they are printed in the table and the narrative with their
    completion and change, their rules run (A-SANGONG-OVER), and the workbook carries them both ways."""
    _unit(tmp_path, *MEETING)
    unit = tmp_path / "unit.yaml"
    proc = run_cli("check", str(unit), "--profiles", str(FOLDER), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    findings = json.loads(proc.stdout)
    assert not [f for f in findings if f["severity"] == "错误"], findings
    over = [f for f in findings if f["rule"] == "A-SANGONG-OVER"]
    assert [(f["row"], f["expected"], f["actual"]) for f in over] == [("培训费", "3.00", "3.12")], over

    proc = run_cli("render", str(unit), "--profiles", str(FOLDER), "--format", "pdf", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pdf = next((tmp_path / "out").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "财政拨款“三公”经费、会议费、培训费支出决算表" in flat
    row = next(line.split() for line in text.splitlines() if line.split()[:2] == ["1.44", "1.44"])
    assert row == ["1.44", "1.44", "2.50", "3.00", "1.44", "1.44", "2.36", "3.12"], row
    # 2.36 / 2.50 = 94.40 %; 2.36 − 2.10 = 0.26, 0.26 / 2.10 = 12.38 %
    assert "会议费支出2.36万元，完成全年预算的94.40%，比上年度增加0.26万元，增长12.38%，主要用于：召开年度招商工作会议2次。" in flat
    assert "培训费支出3.12万元，完成全年预算的104.00%，比上年度增加0.32万元，增长11.43%，主要原因是：培训人数增加" in flat
    # the 三公 合计 and its shares are the three items only
    assert "“三公”经费财政拨款支出全年预算1.44万元，支出决算1.44万元" in flat

    xlsx, back = tmp_path / "unit.xlsx", tmp_path / "back.yaml"
    assert run_cli("export", str(unit), "--profiles", str(FOLDER), "--out", str(xlsx)).returncode == 0
    proc = run_cli("import", str(xlsx), "--profiles", str(FOLDER), "--out", str(back))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_yaml(back).data == read_yaml(unit).data
