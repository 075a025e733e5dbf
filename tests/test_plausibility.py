"""Plausibility of the unit as a whole (issue 12): a name blank after trimming is refused; a
year far from today, figures whose scale does not fit the 金额单位, and a name too long for a file
name are warned about, and the file name keeps the year and the kind of report."""
from __future__ import annotations

import re
from datetime import date

from .conftest import EXAMPLES, run_cli

XIAOHE = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
NAME = re.search(r"^单位名称: (.*)$", XIAOHE, flags=re.M).group(1)


def unit(tmp_path, text: str):
    path = tmp_path / "unit.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_year_not_yet_over_is_warned(tmp_path):
    year = date.today().year + 1
    proc = run_cli("check", str(unit(tmp_path, XIAOHE.replace("年度: 2022", f"年度: {year}", 1))))
    assert "U-YEAR" in proc.stdout and f"年度 {year} 还没有结束" in proc.stdout, proc.stdout


def test_the_examples_year_is_not_warned(tmp_path):
    proc = run_cli("check", str(EXAMPLES / "xiaohe-2022.yaml"))
    assert proc.returncode == 0 and "U-YEAR" not in proc.stdout, proc.stdout


def test_a_long_name_keeps_year_and_kind_in_the_file_name(tmp_path):
    longer = NAME + "所属第一分中心综合办公室后勤保障处机关服务站联络协调工作组第三小组"     # 60 characters
    path = unit(tmp_path, XIAOHE.replace(f"单位名称: {NAME}", f"单位名称: {longer}", 1))
    check = run_cli("check", str(path))
    assert "U-NAME-LONG" in check.stdout and f"单位名称有 {len(longer)} 个字" in check.stdout, check.stdout
    assert "U-NAME-SIZE" not in check.stdout                 # 60 characters: long, but could be real
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    [made] = list(out.iterdir())
    assert made.name.endswith("2022年度部门决算公开.docx") and made.name.startswith(NAME)
    assert "…（" in made.name and len(made.stem.encode("utf-8")) <= 200     # cut, and marked so


def test_figures_in_wanyuan_declared_as_yuan_are_warned(tmp_path):
    text = (EXAMPLES / "xincailiao-2023.yaml").read_text(encoding="utf-8")
    assert "金额单位: 万元" in text
    proc = run_cli("check", str(unit(tmp_path, text.replace("金额单位: 万元", "金额单位: 元", 1))))
    assert "U-SCALE" in proc.stdout and "收入总计只有 5,987.71元" in proc.stdout, proc.stdout


def test_a_blank_name_is_refused(tmp_path):
    for name in ('"   "', '"中 "'):
        path = unit(tmp_path, XIAOHE.replace(f"单位名称: {NAME}", f"单位名称: {name}", 1))
        proc = run_cli("render", str(path), "--out", str(tmp_path / "out"))
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "去掉空格后不足两个字" in proc.stderr and "第5行" in proc.stderr
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
