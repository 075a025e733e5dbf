"""The command line in plain Chinese (issue 12): argparse's messages and help, the environment's
problems blamed on the option (not on a data file), Ctrl-C and SIGTERM without a traceback and
without a new DOCX beside an old PDF, temporary files of a killed run cleaned up, a closed pipe."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLES, JUESUAN, run_cli

XIAOHE = EXAMPLES / "xiaohe-2022.yaml"
ENGLISH_ARGPARSE = ("usage:", "options:", "show this help", "positional arguments", "the following arguments",
                    "unrecognized arguments", "invalid choice", "expected one argument", "error:")


@pytest.mark.parametrize("args,words", [
    (["render"], "缺少参数：files"),
    (["check", str(XIAOHE), "--bogus"], "不认识的参数：--bogus"),
    (["frobnicate"], "没有命令“frobnicate”"),
    (["check", "--format", "xml", str(XIAOHE)], "--format 的取值“xml”不对，可用：text、json"),
    (["render", str(XIAOHE), "--format", "xyz"], "不支持的格式：xyz"),
    (["render", str(XIAOHE), "--out"], "--out 后面要写一个值"),
    (["render", str(XIAOHE), "--mark-style", "q"], "--mark-style 的取值“q”不对"),
])
def test_argument_errors_are_chinese(args, words):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr, proc.stderr
    assert "用法：" in proc.stderr and not [w for w in ENGLISH_ARGPARSE if w in proc.stderr], proc.stderr


@pytest.mark.parametrize("command", [None, "render", "check", "template", "import", "export", "batch", "preview",
                                     "reference-docx"])
def test_help_is_chinese_with_an_example_and_the_exit_codes(command):
    proc = run_cli(*([command] if command else []), "-h")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("用法：juesuan") and "显示此帮助并退出" in out
    assert "例：juesuan " in out and "退出码：0" in out and "130" in out
    assert not [w for w in ENGLISH_ARGPARSE if w in out], out


def test_out_that_is_a_file_is_blamed(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for out in (afile, afile / "sub"):
        proc = run_cli("render", str(XIAOHE), "--out", str(out))
        assert proc.returncode == 2
        assert f"--out {out}：" in proc.stderr and str(XIAOHE) not in proc.stderr, proc.stderr
        assert "Error" not in proc.stderr


@pytest.mark.parametrize("what,words", [("missing", "找不到这个文件"), ("text", "不是 Word 文档（.docx）"),
                                        ("folder", "是一个文件夹")])
def test_a_bad_reference_doc_is_blamed(tmp_path, what, words):
    ref = {"missing": tmp_path / "nope.docx", "text": tmp_path / "notes.docx", "folder": tmp_path}[what]
    if what == "text":
        ref.write_text("不是 Word", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("render", str(XIAOHE), "--format", "docx", "--reference-doc", str(ref), "--out", str(out))
    assert proc.returncode == 2
    assert f"--reference-doc {ref}：{words}" in proc.stderr and str(XIAOHE) not in proc.stderr, proc.stderr
    assert not out.exists()


def test_an_unreadable_input_says_why_in_chinese(tmp_path):
    folder = tmp_path / "a.yaml"
    folder.mkdir()
    proc = run_cli("check", str(folder))
    assert proc.returncode == 2 and str(folder) in proc.stderr
    assert "No such" not in proc.stderr and "Errno" not in proc.stderr and "Is a directory" not in proc.stderr


def _snapshot(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_ctrl_c_writes_nothing_new_and_no_traceback(tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", str(XIAOHE), "--out", str(out)).returncode == 0
    interrupted = 0
    for delay in (0.4, 1.2, 2.2):
        before = _snapshot(out)
        time.sleep(0.01)
        proc = subprocess.Popen([str(JUESUAN), "render", str(XIAOHE), "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        after = _snapshot(out)
        assert set(after) == set(before), "no temporary or extra file is left"
        changed = [n for n in after if after[n] != before[n]]
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        if proc.returncode == 130:
            interrupted += 1
            assert changed == [], "an interrupted render replaces none of its files"
            assert "已中断（Ctrl-C）" in err
        else:
            assert proc.returncode == 0 and len(changed) == 2, "a finished render replaces both files"
    assert interrupted >= 1


def test_sigterm_mid_write_keeps_old_files_and_removes_temporary_ones(tmp_path):
    """SIGTERM (kill, systemd, a container stopping) while the files are being written: as Ctrl-C,
    the old DOCX and PDF stay as they were, the temporary files go, exit 143 with a message."""
    out = tmp_path / "out"
    assert run_cli("render", str(XIAOHE), "--out", str(out)).returncode == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(old) == 2
    for _ in range(3):                      # the signal must land while a temporary file exists
        proc = subprocess.Popen([str(JUESUAN), "render", str(XIAOHE), "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None and not any(p.name.endswith(".part") for p in out.iterdir()):
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0:            # 0: it finished before the signal; try again
            break
    assert proc.returncode == 143, err
    assert "已终止（收到 SIGTERM）" in err and "原有的文件不变" in err
    assert "Traceback" not in err, err
    assert sorted(p.name for p in out.iterdir()) == sorted(old), "no temporary file is left"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old, "the old files are unchanged"


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = out / f".某单位2022年度部门决算公开.{dead.pid}.k3j4.docx.part"
    live = out / f".某单位2022年度部门决算公开.{os.getpid()}.a1b2.pdf.part"    # a writer still running
    stale.write_bytes(b"half a file")
    live.write_bytes(b"being written")
    assert run_cli("render", str(XIAOHE), "--format", "docx", "--out", str(out)).returncode == 0
    assert not stale.exists() and live.exists()


def test_kill_9_leaves_nothing_a_later_run_keeps(tmp_path):
    out = tmp_path / "out"
    for delay in (2.2, 2.8):
        proc = subprocess.Popen([str(JUESUAN), "render", str(XIAOHE), "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
    assert run_cli("render", str(XIAOHE), "--out", str(out)).returncode == 0
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".pdf"], list(out.iterdir())


def test_a_closed_pipe_is_not_an_error():
    """`juesuan check … | head -1`: 150 reports (~120 KB, more than a pipe holds) to a reader that
    stops after one line; the command ends quietly (without the console handler: a traceback)."""
    files = " ".join([f"'{XIAOHE}'"] * 150)
    proc = subprocess.run(f"'{JUESUAN}' check {files} | head -1", shell=True, capture_output=True, text=True,
                          timeout=120, executable="/bin/bash")
    assert proc.stdout.strip() and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_batch_blames_out_and_reference_doc(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    proc = run_cli("batch", str(EXAMPLES), "--out", str(afile))
    assert proc.returncode == 2 and f"--out {afile}：是一个文件" in proc.stderr, proc.stderr
    proc = run_cli("batch", str(EXAMPLES), "--out", str(tmp_path / "o"), "--reference-doc", str(afile))
    assert proc.returncode == 2 and f"--reference-doc {afile}：不是 Word 文档" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o").exists()


def test_formats_come_from_one_registry(tmp_path):
    """Issue 13: render and batch parse --format and word its help from write.formats.WRITERS; a
    repeated format is written once."""
    from generator.write.formats import FORMAT_HELP, WRITERS
    for command in ("render", "batch"):
        help_text = run_cli(command, "-h").stdout
        assert all(name in help_text for name in WRITERS), help_text
    assert "docx Word 文档" in FORMAT_HELP
    out = tmp_path / "out"
    proc = run_cli("render", str(XIAOHE), "--format", "pdf,PDF,docx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert [line.rsplit(".", 1)[-1] for line in proc.stdout.splitlines() if line.startswith("已生成")] == ["pdf", "docx"]


SLOW_IMPORT = '''
import importlib.abc, os, sys, time

class _Slow(importlib.abc.MetaPathFinder):
    """Holds the import of generator.pipeline for a while, saying so in a marker file."""
    def find_spec(self, name, path=None, target=None):
        if name == "generator.pipeline":
            open(os.environ["JUESUAN_TEST_MARKER"], "w").close()
            time.sleep(30)
        return None

sys.meta_path.insert(0, _Slow())
'''


@pytest.mark.parametrize("sig,code,words", [(signal.SIGINT, 130, "已中断（Ctrl-C）"),
                                             (signal.SIGTERM, 143, "已终止（收到 SIGTERM）")])
def test_a_signal_while_the_command_is_still_starting_is_one_line(tmp_path, sig, code, words):
    """Ctrl-C (or SIGTERM) before the imports are done — a second or more on a busy machine — ended in
    a Python traceback (KeyboardInterrupt inside an import); now one line, the usual exit code."""
    (tmp_path / "sitecustomize.py").write_text(SLOW_IMPORT, encoding="utf-8")
    marker = tmp_path / "importing"
    env = dict(os.environ, PYTHONPATH=str(tmp_path), JUESUAN_TEST_MARKER=str(marker))
    proc = subprocess.Popen([str(JUESUAN), "check", str(XIAOHE)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the import hook did not run"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (proc.returncode, err)
    assert words in err and "程序还在启动" in err, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
