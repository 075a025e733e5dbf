"""Output files of `juesuan render` (issue 22): one run never overwrites its own files (two units
of the same name are refused before anything is written, a file given twice is rendered once); a
2000-character unit name renders, its document properties and file names cut to the limits and
kept apart, and check warns about it (U-NAME-SIZE); a draft's files are named “…-草稿”; a report
forced past failed checks says so on every page, on its cover and in its file name."""
from __future__ import annotations

import re
import subprocess

import pytest

from .checkfix import BASES, set_row
from .conftest import EXAMPLES, run_cli
from tests.conftest import open_docx

XIAOHE_TEXT = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
XIAOHE = re.search(r"^单位名称: (.*)$", XIAOHE_TEXT, flags=re.M).group(1)
TITLE = "2022年度部门决算公开"
LONG = "".join(chr(0x4E00 + 3 * i) for i in range(2000))     # 2000 different characters, no repeated words


def with_name(tmp_path, file: str, name: str):
    path = tmp_path / file
    path.write_text(XIAOHE_TEXT.replace(f"单位名称: {XIAOHE}", f"单位名称: {name}", 1), encoding="utf-8")
    return path


def pdf_pages(pdf) -> list[str]:
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                           check=True).stdout).group(1))
    return [re.sub(r"\s+", "", subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-raw", str(pdf), "-"],
                                                capture_output=True, text=True, check=True).stdout)
            for i in range(1, n + 1)]


# ---------------------------------------------------------------- one run, one file per name

def test_two_units_of_the_same_name_are_refused_before_anything_is_written(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "sub" / "b.yaml"
    b.parent.mkdir()
    a.write_text(XIAOHE_TEXT, encoding="utf-8")
    b.write_text(XIAOHE_TEXT, encoding="utf-8")
    other = EXAMPLES / "xincailiao-2023.yaml"
    out = tmp_path / "out"
    proc = run_cli("render", str(other), str(a), str(b), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "已生成" not in proc.stdout
    assert f"{a} 与 {b} 的输出文件同名" in proc.stderr
    assert f"“{XIAOHE}{TITLE}.docx”、“{XIAOHE}{TITLE}.pdf”" in proc.stderr
    assert "一个文件也没有写" in proc.stderr
    assert not out.exists() or not list(out.iterdir())           # not even the other unit's files


def test_the_same_file_given_twice_is_rendered_once(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(XIAOHE_TEXT, encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(a)
    out = tmp_path / "out"
    proc = run_cli("render", str(a), str(a), str(tmp_path / "link.yaml"), "--format", "html", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("已生成") == 1
    assert f"{a} 给了两次，只生成一次" in proc.stderr
    assert f"{tmp_path / 'link.yaml'} 与 {a} 是同一个文件，只生成一次" in proc.stderr
    assert [p.name for p in out.iterdir()] == [f"{XIAOHE}{TITLE}.html"]


# ---------------------------------------------------------------- a 2000-character unit name

def test_a_2000_character_name_renders_and_is_warned(tmp_path):
    path = with_name(tmp_path, "long.yaml", LONG)
    check = run_cli("check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "U-NAME-SIZE" in check.stdout and "单位名称有 2000 个字" in check.stdout, check.stdout
    assert "U-NAME-LONG" not in check.stdout                       # said once, by U-NAME-SIZE
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "程序内部出错" not in proc.stderr
    made = sorted(out.iterdir())
    assert [p.suffix for p in made] == [".docx", ".pdf"]
    for p in made:
        assert len(p.name.encode("utf-8")) <= 255 and p.name.startswith(LONG[:40]) and p.stem.endswith(TITLE)
    title = open_docx(str(made[0])).core_properties.title
    assert len(title) <= 255 and title.startswith(LONG[:100]) and title.endswith(TITLE)
    info = subprocess.run(["pdfinfo", str(made[1])], capture_output=True, text=True, check=True).stdout
    pdf_title = re.search(r"^Title:\s+(.*)$", info, flags=re.M).group(1)
    assert len(pdf_title) <= 255 and pdf_title.endswith(TITLE)
    assert LONG[:300] in pdf_pages(made[1])[0]                     # the cover prints the name, not a cut one


def test_long_names_that_begin_alike_get_different_files(tmp_path):
    a = with_name(tmp_path, "a.yaml", LONG[:300] + "甲")
    b = with_name(tmp_path, "b.yaml", LONG[:300] + "乙")
    out = tmp_path / "out"
    proc = run_cli("render", str(a), str(b), "--format", "html", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    names = [p.name for p in out.iterdir()]
    assert len(names) == 2 and all(len(n.encode("utf-8")) <= 255 and n.endswith(f"{TITLE}.html") for n in names)


def test_check_does_not_warn_about_a_real_name(tmp_path):
    proc = run_cli("check", str(with_name(tmp_path, "u.yaml", "中国共产党山西转型综合改革示范区晋中开发区工作委员会组织部机关党委办公室")))
    assert "U-NAME-SIZE" not in proc.stdout and "U-NAME-LONG" not in proc.stdout, proc.stdout


# ---------------------------------------------------------------- draft, mark and forced reports

def test_a_draft_is_named_apart_from_the_final(tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(out)).returncode == 0
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(out), "--draft")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{XIAOHE}{TITLE}-草稿.html", f"{XIAOHE}{TITLE}.html"]
    final = (out / f"{XIAOHE}{TITLE}.html").read_text(encoding="utf-8")
    assert "草稿" not in final                                       # the draft did not overwrite the final
    # --mark alone: the final's content under a review marking keeps the final's name
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(out), "--mark")
    assert proc.returncode == 0 and len(list(out.iterdir())) == 2


@pytest.fixture(scope="module")
def forced(tmp_path_factory):
    """A unit with a check error, rendered with --force (and with --force --draft)."""
    tmp = tmp_path_factory.mktemp("forced")
    text = set_row(BASES["xiaohe"].read_text(encoding="utf-8"), "收入决算表", "2011301", "本年收入合计", "100660.31")
    path = tmp / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp / "out"
    proc = run_cli("render", str(path), "--format", "docx,pdf", "--out", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "强制生成" in proc.stderr and "-未通过检查" in proc.stderr
    draft = run_cli("render", str(path), "--format", "docx", "--out", str(out), "--force", "--draft")
    assert draft.returncode == 0, draft.stderr
    return out


def test_a_forced_report_is_named_so(forced):
    assert sorted(p.name for p in forced.iterdir()) == [
        f"{XIAOHE}{TITLE}-未通过检查.docx", f"{XIAOHE}{TITLE}-未通过检查.pdf", f"{XIAOHE}{TITLE}-草稿-未通过检查.docx"]


def test_every_page_of_a_forced_pdf_says_it_failed_the_checks(forced):
    pages = pdf_pages(forced / f"{XIAOHE}{TITLE}-未通过检查.pdf")
    assert len(pages) > 10 and all("未通过勾稽检查" in t for t in pages)
    assert "未通过勾稽检查（1个错误）：数字不一致，不能公开" in pages[0]          # the cover


def test_every_section_of_a_forced_docx_says_it_failed_the_checks(forced):
    d = open_docx(str(forced / f"{XIAOHE}{TITLE}-未通过检查.docx"))
    assert len(d.sections) > 3
    assert all("未通过勾稽检查" in "".join(p.text for p in s.header.paragraphs) for s in d.sections)
    assert any(p.text == "未通过勾稽检查（1 个错误）：数字不一致，不能公开" for p in d.paragraphs[:5])
    draft = open_docx(str(forced / f"{XIAOHE}{TITLE}-草稿-未通过检查.docx"))
    headers = {"".join(p.text for p in s.header.paragraphs) for s in draft.sections}
    assert headers == {"未通过勾稽检查　仅供内部审核"}
    assert any(p.text.startswith("草稿（生成于") and p.text.endswith("未通过勾稽检查（1 个错误）：数字不一致，不能公开")
               for p in draft.paragraphs[:5])


def test_a_clean_unit_is_not_marked_even_with_force(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("render", str(EXAMPLES / "xiaohe-2022.yaml"), "--format", "html", "--out", str(out), "--force")
    assert proc.returncode == 0, proc.stderr
    [made] = out.iterdir()
    assert made.name == f"{XIAOHE}{TITLE}.html" and "未通过" not in made.read_text(encoding="utf-8")
