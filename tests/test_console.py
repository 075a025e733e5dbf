"""The `juesuan` console entry (generator.cli:console): check and render leave with os._exit once
their output is flushed and their files renamed into place; the exit codes and output are main()'s."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib

from .conftest import EXAMPLES, ROOT

XIAOHE = EXAMPLES / "xiaohe-2022.yaml"


def console(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}    # stdout buffered, as usual
    return subprocess.run([sys.executable, "-c", "import sys; from generator.cli import console; sys.exit(console())",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_the_console_script_is_console():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["juesuan"] == "generator.cli:console"


def test_check_output_is_complete_when_piped(capsys):
    from generator.cli import main
    assert main(["check", str(XIAOHE), "--format", "json"]) == 0
    expected = capsys.readouterr().out
    proc = console("check", str(XIAOHE), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    # xiaohe: N-MONEY-UNIT, N-YEAR and three N-TEXT-PERCENT (its 执行率 against two budgets), all 警告
    assert proc.stdout == expected and expected.count("\"rule\"") == 5


def test_check_errors_and_bad_input_keep_their_exit_codes(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(XIAOHE.read_text(encoding="utf-8").replace("    财政拨款收入: 100660.30",
                                                              "    财政拨款收入: 100660.31", 1), encoding="utf-8")
    proc = console("check", str(bad))
    assert proc.returncode == 1 and "T02-ITEM" in proc.stdout
    proc = console("check", str(tmp_path / "missing.yaml"))
    assert proc.returncode == 2 and "无法读取文件" in proc.stderr
    proc = console("check", "--no-such-option")
    assert proc.returncode == 2 and "参数错误" in proc.stderr


def test_render_leaves_complete_files(tmp_path):
    proc = console("render", str(XIAOHE), "--format", "docx,pdf", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in tmp_path.iterdir())
    assert [n.rsplit(".", 1)[1] for n in made] == ["docx", "pdf"]      # no .part left behind
    assert all(f"已生成：{tmp_path / n}" in proc.stdout for n in made)
    pdf = next(tmp_path.glob("*.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
