"""Bad input: exit code 2, one Chinese message naming file, line and key path, nothing written."""
from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from .conftest import EXAMPLES, JUESUAN, run_cli

BASE = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def broken(tmp_path: Path, old: str, new: str, name: str = "unit.yaml") -> tuple[Path, str]:
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text


def render_fails(tmp_path: Path, path: Path) -> str:
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert str(path) in proc.stderr
    return proc.stderr


def test_yaml_syntax_error(tmp_path):
    path, text = broken(tmp_path, "年度: 2022", "年度: 2022\n  单位性质 事业单位: [")
    err = render_fails(tmp_path, path)
    assert "YAML 语法错误" in err
    assert "第" in err and "行" in err


def test_unknown_key_with_suggestion(tmp_path):
    path, text = broken(tmp_path, "  机构设置: |", "  机构设值: |")
    err = render_fails(tmp_path, path)
    assert "未知的键“机构设值”" in err and "是否应为“机构设置”" in err
    assert f"第{line_of(text, '机构设值')}行" in err and "概况.机构设值" in err


def test_missing_required_field(tmp_path):
    path, text = broken(tmp_path, "金额单位: 元\n", "")
    err = render_fails(tmp_path, path)
    assert "缺少必填项“金额单位”" in err


def test_text_where_a_number_belongs(tmp_path):
    path, text = broken(tmp_path, "公务用车运行维护费: 17820.00", "公务用车运行维护费: 一万七")
    err = render_fails(tmp_path, path)
    assert "三公经费.预算数.公务用车运行维护费" in err
    assert f"第{line_of(text, '一万七')}行" in err
    assert "金额" in err


def test_total_contradicting_its_items_is_refused_by_the_checks(tmp_path):
    # the 款 row of 收入决算表 states 163522.43; make one 项 row disagree with it.
    # Issue 3 made this a check error: exit 1 (not 2), both numbers and the difference, nothing written.
    path, text = broken(tmp_path, "    财政拨款收入: 100660.30", "    财政拨款收入: 100660.31")
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert not out.exists() or list(out.iterdir()) == []
    err = proc.stderr
    assert "T02-ITEM" in err and "163,522.43" in err and "163,522.44" in err and "少 0.01元" in err
    assert "公开02表 收入决算表" in err
    assert "：第" in err and "收入决算表[" in err          # YAML line and key path
    assert "--force" in err


def test_wrong_enum_value(tmp_path):
    path, text = broken(tmp_path, "金额单位: 元", "金额单位: 千元")
    err = render_fails(tmp_path, path)
    assert "应为以下之一：元、万元" in err and "千元" in err


def test_three_decimals_refused(tmp_path):
    path, text = broken(tmp_path, "货物: 1710.00", "货物: 1710.001")
    err = render_fails(tmp_path, path)
    assert "超过两位小数" in err and "相关信息统计.政府采购.货物" in err


def test_not_a_yaml_file(tmp_path):
    path = tmp_path / "unit.txt"
    path.write_text("单位名称: x", encoding="utf-8")
    err = render_fails(tmp_path, path)
    assert ".yaml" in err


def test_missing_file(tmp_path):
    err = render_fails(tmp_path, tmp_path / "nope.yaml")
    assert "无法读取文件" in err


def _capped_cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI under a 1 GB address-space limit and a time limit: on code that read a device to its
    end this test fails instead of taking the machine's memory."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    return subprocess.run([str(JUESUAN), *args], capture_output=True, text=True, timeout=60, preexec_fn=cap)


@pytest.mark.parametrize("suffix", [".yaml", ".xlsx"])
def test_a_pipe_or_a_device_is_refused_without_being_read(tmp_path, suffix):
    """A named pipe would block the open for ever, a link to /dev/zero never ends: both are refused
    before anything is opened, and named as what they are."""
    pipe, device = tmp_path / f"pipe{suffix}", tmp_path / f"zero{suffix}"
    os.mkfifo(pipe)
    device.symlink_to("/dev/zero")
    for path in (pipe, device):
        proc = _capped_cli("check", str(path))
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert f"{path}：无法读取文件：不是普通文件（是命名管道、设备或套接字）" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_batch_names_a_pipe_in_the_folder_for_what_it_is(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    os.mkfifo(units / "pipe.yaml")
    proc = _capped_cli("batch", str(units), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "pipe.yaml：无法读取文件：不是普通文件" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "文件不存在" not in proc.stdout + proc.stderr


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(BASE.encode("gb18030"))
    err = render_fails(tmp_path, path)
    assert "UTF-8" in err


def test_user_text_is_never_template_source(tmp_path):
    path, text = broken(tmp_path, "  其他事项: 无", "  其他事项: \"{{ 7*7 }}{% raw %}<b>\"")
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "html", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "{{ 7*7 }}{% raw %}&lt;b&gt;" in html
    assert "49" not in html.split("其他需要说明的事项")[-1][:200]


def test_a_glossary_of_a_hundred_and_more_terms_is_numbered_not_a_crash(tmp_path):
    """名词解释补充 with 120 terms: the 第四部分 numbers them 一百零一、… (chinese_number stopped at 99:
    程序内部出错（ValueError: 100）)."""
    terms = "".join(f"\n    - {{名词: 名词{i}, 解释: 解释{i}}}" for i in range(120))
    path, _ = broken(tmp_path, "\n情况说明:\n", f"\n情况说明:\n  名词解释补充:{terms}\n")
    proc = run_cli("render", str(path), "--format", "html", "--out", str(tmp_path / "out"))
    assert proc.returncode in (0, 1), proc.stderr
    assert "程序内部出错" not in proc.stderr
    html = next((tmp_path / "out").glob("*.html")).read_text(encoding="utf-8")
    assert "名词119" in html and "一百" in html
