"""Profiles a user owns (issue 25): ``juesuan profile new`` in a temporary folder, edited (a
table's title changed, a table added, one sentence of the wording replaced by a template that
extends the built-in one), ``profile check``, then ``render --profiles`` — nothing under
generator/ or templates/ is touched. Also: located messages of a broken profile, a missing
folder, a name of a built-in profile, and the search path's caches keyed on the folders."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from generator import search_path

from .conftest import EXAMPLES, run_cli

GUIHUA = EXAMPLES / "putuo-guihuaziyuan-2024.yaml"     # 模板: shanghai-2024; has 相关信息统计 and 三公
NEW_TITLE = "收入决算表（本区试行）"
OVERRIDE = "本区“三公”经费财政拨款支出决算为"


def new_profile(tmp_path: Path, name: str = "putuo-2024", base: str = "shanghai-2024") -> Path:
    folder = tmp_path / "我的版式"
    proc = run_cli("profile", "new", name, "--from", base, "--out", str(folder))
    assert proc.returncode == 0, proc.stderr
    assert (folder / "profiles" / f"{name}.yaml").is_file() and (folder / "wording" / name).is_dir()
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def unit_on(tmp_path: Path, profile: str, source: Path = GUIHUA) -> Path:
    unit = tmp_path / "单位.yaml"
    unit.write_text(source.read_text(encoding="utf-8").replace("模板: shanghai-2024", f"模板: {profile}"),
                    encoding="utf-8")
    return unit


def pdf_words(pdf: Path) -> str:
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", raw)


def test_a_new_profile_with_an_edited_title_an_added_table_and_one_replaced_sentence_renders(tmp_path):
    folder = new_profile(tmp_path)
    yaml = folder / "profiles" / "putuo-2024.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "继承: shanghai-2024" in text and "起始年度: 2024" in text and "\n表:\n" in text
    edit(yaml, "标题: 收入决算表,", f"标题: {NEW_TITLE},")
    edit(yaml, "\n\n# 第三部分提纲", '\n  - {表: "10", 版式: info, 标题: 部门相关信息统计表（本区）}\n\n# 第三部分提纲')
    readme = (folder / "wording" / "putuo-2024" / "说明.txt").read_text(encoding="utf-8")
    assert '{% extends "!shanghai/sh07_sangong.j2" %}' in readme and "para2：“三公”经费财政拨款支出年初预算为" in readme
    (folder / "wording" / "putuo-2024" / "sh07_sangong.j2").write_text(
        '{% extends "!shanghai/sh07_sangong.j2" %}\n{% block para2 %}\n'
        f"{OVERRIDE}{{{{ amt(sg_actual) }}}}。\n{{% endblock %}}\n", encoding="utf-8")
    check = run_cli("profile", "check", str(folder))
    assert check.returncode == 0, check.stderr
    assert "1 个版式（putuo-2024）" in check.stdout
    unit = unit_on(tmp_path, "putuo-2024")
    out = tmp_path / "out"
    proc = run_cli("render", str(unit), "--profiles", str(folder), "--format", "pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    words = pdf_words(next(out.glob("*.pdf")))
    assert NEW_TITLE in words
    assert "部门相关信息统计表（本区）" in words and "2319.21" in words     # 10 表: 政府采购合计
    assert f"{OVERRIDE}0.39万元。" in words
    # the rest of 七 is the built-in shanghai wording, and the replaced sentence is gone
    assert "2024年度“三公”经费财政拨款支出决算数比2023年度" in words
    assert "“三公”经费财政拨款支出年初预算为" not in words
    # without --profiles the profile is unknown, and the message says which there are
    proc = run_cli("check", str(unit))
    assert proc.returncode == 2 and "找不到模板“putuo-2024”" in proc.stderr
    proc = run_cli("check", str(unit), "--profiles", str(folder))
    assert proc.returncode == 0, proc.stderr


def test_profile_check_prints_located_messages_and_exits_2(tmp_path):
    folder = new_profile(tmp_path, "broken")
    yaml = folder / "profiles" / "broken.yaml"
    edit(yaml, "\n措辞目录:", "\n表内千位: true\n措辞目录:")
    line = yaml.read_text(encoding="utf-8").splitlines().index("表内千位: true") + 1
    proc = run_cli("profile", "check", str(folder))
    assert proc.returncode == 2
    assert f"错误：{yaml}：第{line}行：表内千位：未知的键“表内千位”，是否应为“表内千分位”？" in proc.stderr
    edit(yaml, "表内千位: true", "")
    edit(yaml, "版式: income,", "版式: incme,")
    proc = run_cli("profile", "check", str(folder))
    assert proc.returncode == 2 and "找不到表格版式“incme”" in proc.stderr and f"{yaml}：第" in proc.stderr
    edit(yaml, "版式: incme,", "版式: income,")
    wording = folder / "wording" / "broken"
    (wording / "s01_overall.j2").write_text("第一行\n{% if %}\n", encoding="utf-8")
    (wording / "sh07_sangong.j2").write_text('{% extends "!shanghai/sh07_sangong.j2" %}\n\n{% block parra2 %}x{% endblock %}\n',
                                             encoding="utf-8")
    proc = run_cli("profile", "check", str(folder))
    assert proc.returncode == 2
    assert f"错误：{wording / 's01_overall.j2'}：第2行：措辞模板语法错误" in proc.stderr
    assert f"错误：{wording / 'sh07_sangong.j2'}：第3行：block“parra2”不在所扩展的“!shanghai/sh07_sangong.j2”中" in proc.stderr
    assert "未通过" in proc.stderr


def test_profiles_folder_that_is_missing_or_a_file_is_exit_2_naming_it(tmp_path):
    unit = unit_on(tmp_path, "shanghai-2024")
    for command in (["render", str(unit), "--out", str(tmp_path / "out")], ["check", str(unit)],
                    ["template", "--profile", "shanghai-2024", "--out", str(tmp_path / "t.xlsx")],
                    ["batch", str(tmp_path), "--out", str(tmp_path / "b")]):
        proc = run_cli(*command, "--profiles", str(tmp_path / "没有"))
        assert proc.returncode == 2, (command, proc.stderr)
        assert f"--profiles {tmp_path / '没有'}：文件夹不存在" in proc.stderr
    proc = run_cli("check", str(unit), "--profiles", str(unit))
    assert proc.returncode == 2 and f"--profiles {unit}：不是文件夹" in proc.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "t.xlsx").exists()


def test_a_user_profile_may_not_take_a_built_in_name(tmp_path):
    proc = run_cli("profile", "new", "shanghai-2024", "--from", "shanghai-2024", "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "内置版式的名称" in proc.stderr
    for bad in ("上海-2025", "a/b", "x y"):
        proc = run_cli("profile", "new", bad, "--from", "shanghai-2024", "--out", str(tmp_path / "p"))
        assert proc.returncode == 2 and "只能用英文字母、数字" in proc.stderr
    folder = new_profile(tmp_path, "mine")
    before = (folder / "profiles" / "mine.yaml").read_text(encoding="utf-8")
    proc = run_cli("profile", "new", "mine", "--from", "shanxi-2023", "--out", str(folder))
    assert proc.returncode == 2 and "已存在，未覆盖" in proc.stderr
    assert (folder / "profiles" / "mine.yaml").read_text(encoding="utf-8") == before
    # a file named like a built-in one is refused wherever the name is used: no silent shadowing
    shadow = folder / "profiles" / "shanghai-2024.yaml"
    shadow.write_text("继承: shanxi-2023\n起始年度: 2024\n", encoding="utf-8")
    proc = run_cli("check", str(unit_on(tmp_path, "shanghai-2024")), "--profiles", str(folder))
    assert proc.returncode == 2 and f"{shadow}：与内置的版式“shanghai-2024”同名" in proc.stderr
    proc = run_cli("profile", "check", str(folder))
    assert proc.returncode == 2 and f"错误：{shadow}：与内置的版式“shanghai-2024”同名" in proc.stderr


@pytest.mark.slow
def test_batch_workers_get_the_folders_and_a_changed_profile_renders_again(tmp_path):
    from generator.batch import run_batch
    from generator.batch.records import RENDERED, SKIPPED
    folder = new_profile(tmp_path)
    yaml = folder / "profiles" / "putuo-2024.yaml"
    edit(yaml, "标题: 收入决算表,", f"标题: {NEW_TITLE},")
    units = tmp_path / "units"
    units.mkdir()
    unit_on(units, "putuo-2024").rename(units / "guihua.yaml")
    search_path.set_user_roots([folder])
    try:
        first = run_batch(units, tmp_path / "out", ("html",), jobs=1, progress_stream=None, start_method="spawn")
        assert first.exit_code == 0, [r.messages for r in first.records]
        html = next((tmp_path / "out").glob("*部门决算.html")).read_text(encoding="utf-8")
        assert NEW_TITLE in html
        again = run_batch(units, tmp_path / "out", ("html",), jobs=1, progress_stream=None, start_method="spawn")
        assert [r.status for r in first.records] == [RENDERED]
        assert [r.status for r in again.records] == [SKIPPED]
        edit(yaml, NEW_TITLE, "收入决算表（又改）")
        third = run_batch(units, tmp_path / "out", ("html",), jobs=1, progress_stream=None, start_method="spawn")
        assert [r.status for r in third.records] == [RENDERED], third.records[0]     # the profile is in the hash
        assert "收入决算表（又改）" in next((tmp_path / "out").glob("*部门决算.html")).read_text(encoding="utf-8")
    finally:
        search_path.set_user_roots(())


# ---------------------------------------------------------------- in this process

@pytest.fixture
def roots():
    yield search_path.set_user_roots
    search_path.set_user_roots(())


def _folder(tmp_path: Path, name: str, title: str) -> Path:
    folder = tmp_path / name
    (folder / "profiles").mkdir(parents=True)
    (folder / "profiles" / "region-x.yaml").write_text(
        f"继承: shanxi-2023\n地区: 某省\n起始年度: 2030\n部分标题: {{一: {title}}}\n", encoding="utf-8")
    return folder


def test_two_folders_with_a_profile_of_one_name_never_see_each_other(tmp_path, roots):
    from generator.profile import available, load_profile, unknown_message
    one, two = _folder(tmp_path, "one", "第一部分 甲"), _folder(tmp_path, "two", "第一部分 乙")
    roots([one])
    assert load_profile("region-x").part_titles["一"] == "第一部分 甲"
    assert "region-x" in available() and "region-x（某省 部门决算公开（2030年度起））" in unknown_message("nope")
    roots([two])
    assert load_profile("region-x").part_titles["一"] == "第一部分 乙"
    roots([two, one])               # the first given is searched first
    assert load_profile("region-x").part_titles["一"] == "第一部分 乙"
    roots(())
    assert "region-x" not in available()
    with pytest.raises(Exception, match="找不到模板“region-x”"):
        load_profile("region-x")


def test_an_edited_user_profile_is_read_again(tmp_path, roots):
    import os

    from generator.profile import load_profile
    folder = _folder(tmp_path, "one", "第一部分 甲")
    roots([folder])
    assert load_profile("region-x").part_titles["一"] == "第一部分 甲"
    path = folder / "profiles" / "region-x.yaml"
    edit(path, "第一部分 甲", "第一部分 丙丙")
    os.utime(path, ns=(1, 1))
    assert load_profile("region-x").part_titles["一"] == "第一部分 丙丙"


def test_a_wording_template_extends_the_built_in_one_and_replaces_one_block(tmp_path, roots):
    from generator.compose.narrative import environment
    folder = tmp_path / "p"
    (folder / "wording" / "mine").mkdir(parents=True)
    (folder / "wording" / "mine" / "s01_overall.j2").write_text(
        '{% extends "!default/s01_overall.j2" %}{% block para1 %}共{{ year }}年。\n{% endblock %}', encoding="utf-8")
    roots([folder])
    env = environment(("mine", "shanghai"))
    assert env.get_template("s01_overall.j2").render(year=2024).strip() == "共2024年。"
    # names without the prefix come from the user's dir, then shanghai, then default
    assert "shanghai" in env.get_template("sh07_sangong.j2").filename
    assert env.get_template("!shanghai/s07_fund.j2").filename.endswith("default/s07_fund.j2")
    # the templates are sandboxed: Python's internals are out of reach
    with pytest.raises(Exception, match="unsafe|not safely"):
        env.from_string("{{ year.__class__.__mro__ }}").render(year=1)
    # a user wording dir named like a built-in one is refused
    (folder / "wording" / "shanghai").mkdir()
    with pytest.raises(Exception, match="与内置的措辞目录“shanghai”同名"):
        environment(("shanghai",))
