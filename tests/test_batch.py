"""Batch rendering (issue 5): every test runs the batch as a real process (``python -m
generator.batch``), over units generated here from the examples (names, years and amounts
changed by editing the text), and reads back what it wrote: the report files, the outputs
(PDF through pdftotext, DOCX through python-docx), and the output folder's leftovers.
"""
from __future__ import annotations

import csv
import fcntl
import os
import re
import signal
import subprocess
import time
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from generator import batch
from generator.names import safe_filename

from .conftest import EXAMPLES, ROOT, run_cli
from tests.conftest import open_docx

PYTHON = ROOT / ".venv" / "bin" / "python"
BASES = {
    "xiaohe": EXAMPLES / "xiaohe-2022.yaml",
    "xincailiao": EXAMPLES / "xincailiao-2023.yaml",
    "admin": ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml",
}
BASE_NAMES = {"xiaohe": ("山西转型综合改革示范区晋中开发区潇河产业园事业服务中心", 2022),
              "xincailiao": ("山西转型综合改革示范区新材料产业招商服务中心", 2023),
              "admin": ("测试市示例局", 2023)}
AMOUNT = re.compile(r"(?<=: )(\d+\.\d{2})(?=\s*(?:[,}#]|$))", re.M)


# ---------------------------------------------------------------- generating units

def variant(base: str, name: str | None = None, year: int | None = None, factor: int | None = None) -> str:
    """A base unit's text with another 单位名称 / 年度, and every amount of the report multiplied by
    ``factor`` (every sum stays a sum, so the unit still passes its checks; counts and the 附件's
    rates and scores are left alone)."""
    text = BASES[base].read_text(encoding="utf-8")
    if name:
        text, n = re.subn(r"^单位名称: .*$", f"单位名称: {name}", text, count=1, flags=re.M)
        assert n == 1
    if year:
        text, n = re.subn(r"^年度: \d+", f"年度: {year}", text, count=1, flags=re.M)
        assert n == 1
    if factor:     # the report's amounts; the 附件 (self-evaluation forms: rates, scores) stay as they are
        head, sep, tail = text.partition("\n附件:\n")
        text = AMOUNT.sub(lambda m: str(Decimal(m.group(1)) * factor), head) + sep + tail
    return text


def stem(name: str, year: int) -> str:
    return safe_filename(f"{name}{year}年度部门决算公开")


def write_units(folder: Path, specs: dict[str, tuple]) -> dict[str, str]:
    """specs: relative path -> (base, name, year, factor). Returns relative path -> output stem."""
    stems = {}
    for rel, (base, name, year, factor) in specs.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(variant(base, name, year, factor), encoding="utf-8")
        stems[rel] = stem(name or BASE_NAMES[base][0], year or BASE_NAMES[base][1])
    return stems


GOOD = {   # 9 units that render: the three bases, and variants of each
    "xiaohe-2022.yaml": ("xiaohe", None, None, None),
    "xincailiao-2023.yaml": ("xincailiao", None, None, None),
    "admin-2023.yaml": ("admin", None, None, None),
    "variants/jia-2023.yaml": ("admin", "示范区测试甲中心", 2023, 2),
    "variants/yi-bing-2023.yaml": ("xincailiao", "测试乙&丙<招商>中心", None, 3),
    "variants/second-2024.yaml": ("admin", "测试市第二示例局", 2024, 2),
    "variants/ding-2024.yml": ("admin", "示范区测试丁中心", 2024, None),
    "variants/deep/third-2023.yaml": ("admin", "测试市第三示例局", None, 5),
    # the same 单位名称 and 年度 as xiaohe-2022.yaml, doubled amounts: both are kept; this one,
    # first by path, keeps the name, xiaohe-2022.yaml gets its file name appended
    "dup/xiaohe-2022.yaml": ("xiaohe", None, None, 2),
}
BROKEN = {"broken/syntax.yaml", "broken/check.yaml", "broken/workbook.xlsx"}


def write_broken(folder: Path) -> None:
    (folder / "broken").mkdir(parents=True, exist_ok=True)
    text = variant("xiaohe", "测试语法错误中心")
    (folder / "broken/syntax.yaml").write_text(text.replace("年度: 2022", "年度: 2022\n  单位性质 事业单位: [", 1),
                                               encoding="utf-8")
    text = variant("xincailiao", "测试合计不符中心")
    assert "本年收入合计: 5987.71" in text
    (folder / "broken/check.yaml").write_text(text.replace("本年收入合计: 5987.71", "本年收入合计: 5990.71", 1),
                                              encoding="utf-8")
    (folder / "broken/workbook.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook " + bytes(range(256)))


def run_batch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), "-m", "generator.batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=env)


def start_batch(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(PYTHON), "-m", "generator.batch", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def report_rows(out: Path) -> dict[str, dict]:
    raw = (out / "batch-report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM (Excel)"
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    return {r["数据文件"]: r for r in rows}


def statuses(out: Path) -> dict[str, str]:
    return {k: r["状态"] for k, r in report_rows(out).items()}


def pdf_ok(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_ok(path: Path) -> str:
    return "\n".join(p.text for p in open_docx(str(path)).paragraphs)


def assert_whole_files(out: Path, recursive: bool = True) -> None:
    """Every PDF opens with pdftotext, every DOCX with python-docx, every HTML page ends; no
    temporary files."""
    files = [p for p in (out.rglob("*") if recursive else out.iterdir()) if p.is_file()]
    for p in files:
        if p.suffix == ".pdf" and not p.name.startswith("."):
            assert "部门决算公开" in pdf_ok(p).replace("\n", ""), p
        elif p.suffix == ".docx" and not p.name.startswith("."):
            assert "决算公开" in docx_ok(p), p
        elif p.suffix == ".html" and not p.name.startswith("."):
            assert p.read_text(encoding="utf-8").rstrip().endswith("</html>"), p
    if recursive:
        assert [p for p in files if p.name.endswith(".part")] == []
        assert not (out / batch.STAGING_NAME).exists()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


# ---------------------------------------------------------------- the batch of twelve

@pytest.fixture(scope="module")
def twelve(tmp_path_factory):
    """12 units (9 good, 3 broken in different ways), rendered as DOCX and PDF in one batch."""
    units = tmp_path_factory.mktemp("units")
    stems = write_units(units, GOOD)
    write_broken(units)
    assert len(list(p for p in units.rglob("*") if p.is_file())) == 12
    out = tmp_path_factory.mktemp("out") / "2024"
    proc = run_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    return units, out, stems, proc


def test_twelve_units_nine_rendered_three_reported(twelve):
    units, out, stems, proc = twelve
    assert proc.returncode == 2, (proc.stdout, proc.stderr)    # some could not be read
    assert "Traceback" not in proc.stderr
    got = statuses(out)
    assert len(got) == 12
    assert {k for k, v in got.items() if v == "已生成"} == set(GOOD)
    assert got["broken/syntax.yaml"] == "无法读取"
    assert got["broken/workbook.xlsx"] == "无法读取"
    assert got["broken/check.yaml"] == "检查未通过"
    rows = report_rows(out)
    assert "YAML 语法错误" in rows["broken/syntax.yaml"]["问题"]
    assert "第7行" in rows["broken/syntax.yaml"]["问题"]     # the inserted line
    check = rows["broken/check.yaml"]
    assert int(check["错误数"]) >= 1 and "错误 T02" in check["问题"] and "5,990.71" in check["问题"] and "第26行" in check["问题"]
    assert rows["broken/workbook.xlsx"]["问题"].strip()
    for key in BROKEN:
        assert rows[key]["输出文件"] == ""
    # the summary on screen names every failure with its reason
    for key in BROKEN:
        assert key in proc.stdout
    assert "已生成 9 个" in proc.stdout and "检查未通过 1 个" in proc.stdout and "无法读取 2 个" in proc.stdout


def test_twelve_outputs_named_and_whole(twelve):
    units, out, stems, proc = twelve
    rows = report_rows(out)
    names = set()
    for key in GOOD:
        outputs = rows[key]["输出文件"].split("\n")
        assert sorted(Path(o).suffix for o in outputs) == [".docx", ".pdf"]
        names.update(outputs)
        for o in outputs:
            assert (out / o).is_file()
        if key != "xiaohe-2022.yaml":
            assert {Path(o).stem for o in outputs} == {stems[key]}
    assert len(names) == 18                     # nothing overwritten: 9 units × 2 files
    produced = {p.name for p in out.iterdir() if p.suffix in (".docx", ".pdf")}
    assert produced == names
    assert_whole_files(out)
    # the generated amounts really differ: the ×3 variant states 3 × 5,987.71
    yi = next(o for o in rows["variants/yi-bing-2023.yaml"]["输出文件"].split("\n") if o.endswith(".pdf"))
    assert "17,963.13" in pdf_ok(out / yi)
    assert "2024年度" in docx_ok(out / f"{stems['variants/second-2024.yaml']}.docx")


def test_twelve_same_name_both_kept_and_said(twelve):
    units, out, stems, proc = twelve
    rows = report_rows(out)
    first, second = rows["dup/xiaohe-2022.yaml"], rows["xiaohe-2022.yaml"]
    plain = stems["xiaohe-2022.yaml"]
    assert stems["dup/xiaohe-2022.yaml"] == plain
    assert sorted(first["输出文件"].split("\n")) == [f"{plain}.docx", f"{plain}.pdf"]
    renamed = second["输出文件"].split("\n")
    assert sorted(renamed) == [f"{plain}（xiaohe-2022）.docx", f"{plain}（xiaohe-2022）.pdf"]
    assert "同名" in first["备注"] and "xiaohe-2022.yaml" in first["备注"]
    assert "同名" in second["备注"] and "改名" in second["备注"] and "dup/xiaohe-2022.yaml" in second["备注"]
    # each file holds its own unit's figures: the doubled one keeps the plain name
    assert "327,044.86" in pdf_ok(out / f"{plain}.pdf")
    assert "327,044.86" not in pdf_ok(out / f"{plain}（xiaohe-2022）.pdf")
    assert "163,522.43" in pdf_ok(out / f"{plain}（xiaohe-2022）.pdf")
    assert "同名" in proc.stdout


def test_twelve_html_report(twelve):
    units, out, stems, proc = twelve
    html = (out / "batch-report.html").read_text(encoding="utf-8")
    rows = report_rows(out)
    for key, row in rows.items():
        assert key in html and row["状态"] in html
    # every link is relative to the report and points at an output file that exists
    links = Links()
    links.feed(html)
    outputs = [h for h in links.hrefs if not h.endswith(".csv")]
    assert len(outputs) == 18
    for href in links.hrefs:
        assert "/" not in href and (out / unquote(href)).is_file(), href
    # unit names are escaped (autoescape), messages shown
    assert "测试乙&amp;丙&lt;招商&gt;中心" in html and "<招商>" not in html
    assert "YAML 语法错误" in html and "T02" in html
    assert "检查未通过" in html and "无法读取" in html


# ---------------------------------------------------------------- kill -9, then run again

def test_sigkill_mid_run_then_rerun_renders_each_unit_once(tmp_path):
    units = tmp_path / "units"
    specs = {f"u{i}.yaml": ("admin", f"测试强杀第{i}单位", None, i) for i in range(1, 5)}   # the quickest base
    stems = write_units(units, specs)
    out = tmp_path / "out"

    def finished() -> set[str]:
        return {k for k, s in stems.items() if (out / f"{s}.pdf").exists() and (out / f"{s}.docx").exists()}

    proc = start_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    try:
        while not finished() and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)          # the batch and its workers
    finally:
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    done = finished()
    assert done and done != set(stems), f"the kill must land mid-run: {done}"
    assert_whole_files(out, recursive=False)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.suffix in (".pdf", ".docx")}

    again = run_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    assert again.returncode == 0, (again.stdout, again.stderr)
    got = statuses(out)
    assert {k for k, v in got.items() if v == "已跳过（未变化）"} == done
    assert {k for k, v in got.items() if v == "已生成"} == set(stems) - done
    for key in done:                                  # not rendered a second time
        for suffix in (".pdf", ".docx"):
            p = out / f"{stems[key]}{suffix}"
            assert (p.stat().st_ino, p.stat().st_mtime_ns) == before[p.name]
    assert finished() == set(stems)
    assert_whole_files(out)
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".pdf", ".docx")) == \
        sorted(f"{s}{x}" for s in stems.values() for x in (".pdf", ".docx"))


def test_ctrl_c_stops_cleanly_and_rerun_finishes(tmp_path):
    units = tmp_path / "units"
    stems = write_units(units, {f"c{i}.yaml": ("admin", f"测试中断第{i}单位", None, i) for i in range(1, 5)})
    out = tmp_path / "out"
    proc = start_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    try:
        while not list(out.glob("*.pdf")) and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)           # what Ctrl-C on a terminal does
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == batch.EXIT_INTERRUPTED, (stdout, stderr)
    assert "Traceback" not in stderr and "中断" in stdout
    assert group_ends(proc.pid), "workers must end with the batch"
    assert_whole_files(out)
    got = statuses(out)
    assert "未完成（已中断）" in got.values()
    rendered = {k for k, v in got.items() if v == "已生成"}
    again = run_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    got = statuses(out)
    assert {k for k, v in got.items() if v == "已跳过（未变化）"} == rendered
    assert set(got.values()) <= {"已生成", "已跳过（未变化）"}
    assert_whole_files(out)
    assert len(list(out.glob("*.pdf"))) == len(stems)


def test_sigterm_stops_cleanly_with_143(tmp_path):
    """SIGTERM to the batch process alone (as kill or systemd send it): it stops as on Ctrl-C, its
    workers end with it, no half file or staging folder is left, exit code 143 (128 + SIGTERM)."""
    units = tmp_path / "units"
    write_units(units, {f"t{i}.yaml": ("admin", f"测试终止第{i}单位", None, i) for i in range(1, 5)})
    out = tmp_path / "out"
    proc = start_batch(units, "--out", out, "--format", "docx,pdf", "--jobs", "2")
    try:
        while not list(out.glob("*.pdf")) and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == batch.EXIT_TERMINATED == 143, (stdout, stderr)
    assert "Traceback" not in stderr and "中断" in stdout
    assert group_ends(proc.pid), "workers must end with the batch"
    assert_whole_files(out)
    assert "未完成（已中断）" in statuses(out).values()


def test_a_drafts_files_are_named_apart_from_the_final(tmp_path):
    units = tmp_path / "units"
    stems = write_units(units, {"a.yaml": ("xiaohe", None, None, None)})
    out = tmp_path / "out"
    proc = run_batch(units, "--out", out, "--format", "html", "--draft")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.glob("*.html") if p.name != "batch-report.html"] == [f"{stems['a.yaml']}-草稿.html"]


def group_ends(pgid: int) -> bool:
    """Whether every process of the group ends (those still exiting get a while to finish)."""
    for _ in range(600):
        if not [p for p in os.listdir("/proc") if p.isdigit() and _in_group(int(p), pgid)]:
            return True
        time.sleep(0.05)
    return False


def _in_group(pid: int, pgid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0] != "Z" and int(fields[2]) == pgid


# ---------------------------------------------------------------- runs again: skip what is unchanged

def test_second_run_renders_nothing_editing_one_file_renders_only_it(tmp_path):
    units = tmp_path / "units"
    write_units(units, {"a.yaml": ("xiaohe", "测试增量甲单位", None, None),
                        "b.yaml": ("xincailiao", "测试增量乙单位", None, 2),
                        "c/c.yaml": ("admin", "测试增量丙单位", None, 3)})
    out = tmp_path / "out"
    first = run_batch(units, "--out", out, "--format", "html")
    assert first.returncode == 0, first.stderr
    assert set(statuses(out).values()) == {"已生成"}
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("测试*.html")}
    assert len(stamps) == 3

    second = run_batch(units, "--out", out, "--format", "html")
    assert second.returncode == 0
    assert set(statuses(out).values()) == {"已跳过（未变化）"}
    assert "没有重新生成" in second.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("测试*.html")} == stamps
    assert "测试增量乙单位" in (out / "batch-report.html").read_text(encoding="utf-8")

    with open(units / "b.yaml", "a", encoding="utf-8") as f:   # edit one data file
        f.write("\n# 已复核\n")
    third = run_batch(units, "--out", out, "--format", "html")
    assert third.returncode == 0
    assert statuses(out) == {"a.yaml": "已跳过（未变化）", "b.yaml": "已生成", "c/c.yaml": "已跳过（未变化）"}

    # an output file damaged or removed: that unit is rendered again
    (out / f"{stem('测试增量甲单位', 2022)}.html").write_bytes(b"truncated")
    (out / f"{stem('测试增量丙单位', 2023)}.html").unlink()
    fourth = run_batch(units, "--out", out, "--format", "html")
    assert statuses(out) == {"a.yaml": "已生成", "b.yaml": "已跳过（未变化）", "c/c.yaml": "已生成"}
    assert_whole_files(out)

    assert fourth.returncode == 0
    # --force, or other options: everything again
    assert run_batch(units, "--out", out, "--format", "html", "--force").returncode == 0
    assert set(statuses(out).values()) == {"已生成"}
    assert run_batch(units, "--out", out, "--format", "html", "--draft").returncode == 0
    assert set(statuses(out).values()) == {"已生成"}


def test_last_years_file_is_part_of_the_hash(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    (units / "prev-2022.yaml").write_text(variant("xiaohe", "测试上年单位"), encoding="utf-8")
    text = variant("xiaohe", "测试上年单位", 2023)
    text = re.sub(r"^上年:\n(?:[ #].*\n|\n)*", "上年数据文件: prev-2022.yaml\n", text, count=1, flags=re.M)
    (units / "this-2023.yaml").write_text(text, encoding="utf-8")
    jobs = {j.shown: j for j in batch.plan(units, ("docx",))}
    assert jobs["this-2023.yaml"].previous == (units / "prev-2022.yaml").resolve()
    before = jobs["this-2023.yaml"].digest
    with open(units / "prev-2022.yaml", "a", encoding="utf-8") as f:
        f.write("# 改过\n")
    after = {j.shown: j for j in batch.plan(units, ("docx",))}["this-2023.yaml"].digest
    assert before != after
    assert batch.plan(units, ("docx",))[1].digest == after                 # stable
    assert {j.shown: j for j in batch.plan(units, ("docx", "pdf"))}["this-2023.yaml"].digest != after


# ---------------------------------------------------------------- a crashing renderer

CRASH_HOOK = '''
import os, signal
from pathlib import Path
import generator.pipeline as pipeline
_render = pipeline.render
def render(path, *args, **kwargs):
    name = Path(path).name
    if name == "dies.yaml":
        os.kill(os.getpid(), signal.SIGKILL)       # the worker process dies mid-unit
    if name == "raises.yaml":
        raise RuntimeError("测试用的渲染错误")
    return _render(path, *args, **kwargs)
pipeline.render = render
'''


def test_crash_in_rendering_is_recorded_and_the_batch_goes_on(tmp_path):
    units = tmp_path / "units"
    write_units(units, {"dies.yaml": ("xincailiao", "测试进程退出单位", None, None),
                        "raises.yaml": ("admin", "测试程序错误单位", None, None),
                        "fine-1.yaml": ("xiaohe", "测试正常甲单位", None, None),
                        "fine-2.yaml": ("admin", "测试正常乙单位", None, 2),
                        "fine-3.yaml": ("xincailiao", "测试正常丙单位", None, 3)})
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_HOOK, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))
    out = tmp_path / "out"
    proc = run_batch(units, "--out", out, "--format", "html", "--jobs", "2", env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    rows = report_rows(out)
    assert {k: r["状态"] for k, r in rows.items()} == {
        "dies.yaml": "程序出错", "raises.yaml": "程序出错",
        "fine-1.yaml": "已生成", "fine-2.yaml": "已生成", "fine-3.yaml": "已生成"}
    assert "SIGKILL" in rows["dies.yaml"]["问题"] and "进程" in rows["dies.yaml"]["问题"]
    assert "RuntimeError: 测试用的渲染错误" in rows["raises.yaml"]["问题"]
    assert_whole_files(out)
    # without the hook, the next run renders just the two
    again = run_batch(units, "--out", out, "--format", "html", "--jobs", "2")
    assert again.returncode == 0
    assert {k for k, v in statuses(out).items() if v == "已生成"} == {"dies.yaml", "raises.yaml"}


# ---------------------------------------------------------------- manifest, names, folder hygiene

def test_manifest_lists_files_and_folders(tmp_path):
    data = tmp_path / "data"
    write_units(data, {"one.yaml": ("xincailiao", "测试清单甲单位", None, None),
                       "more/two.yaml": ("admin", "测试清单乙单位", None, None),
                       "more/three.yaml": ("admin", "测试清单丙单位", None, 2),
                       "unlisted.yaml": ("admin", "测试未列入单位", None, None),
                       "four.yaml": ("xincailiao", "测试清单丁单位", None, 2)})
    exported = run_cli("export", str(data / "four.yaml"), "--out", str(data / "more" / "four.xlsx"))
    assert exported.returncode == 0, exported.stderr
    (data / "four.yaml").unlink()                     # the workbook is this unit's only file
    lists = tmp_path / "lists"
    lists.mkdir()
    manifest = lists / "units.txt"
    manifest.write_text("# 2024 年批量\n\n../data/one.yaml\n  # 注释\n../data/more\n../data/one.yaml\n"
                        "../data/missing.yaml\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_batch(manifest, "--out", out, "--format", "html")
    assert proc.returncode == 2, proc.stderr
    rows = report_rows(out)
    assert {k: r["状态"] for k, r in rows.items()} == {
        "../data/one.yaml": "已生成", "../data/more/two.yaml": "已生成",
        "../data/more/three.yaml": "已生成", "../data/more/four.xlsx": "已生成",
        "../data/missing.yaml": "无法读取"}
    assert (out / f"{stem('测试清单丁单位', 2023)}.html").is_file()
    assert "文件不存在" in rows["../data/missing.yaml"]["问题"]
    assert not (out / f"{stem('测试未列入单位', 2023)}.html").exists()


def test_disambiguation_keeps_every_unit():
    jobs = [batch.Job(i, Path(f"/d/{shown}"), shown, natural_stem=s) for i, (shown, s) in enumerate([
        ("a/unit.yaml", "甲2023年度部门决算公开"), ("b/unit.yaml", "甲2023年度部门决算公开"),
        ("c/unit.yaml", "甲2023年度部门决算公开"), ("c/other.yaml", "甲2023年度部门决算公开"),
        ("d.yaml", "乙2023年度部门决算公开"), ("e.yaml", "甲2023年度部门决算公开（unit）")])]
    batch.assign_stems(jobs)
    stems = [j.stem for j in jobs]
    assert len({s.casefold() for s in stems}) == len(stems)
    assert stems[0] == "甲2023年度部门决算公开" and stems[4] == "乙2023年度部门决算公开"
    assert stems[5] == "甲2023年度部门决算公开（unit）"       # another unit's own name is never taken
    assert stems[3] == "甲2023年度部门决算公开（other）"
    assert all(j.note for j in jobs[:4]) and not jobs[4].note
    long = [batch.Job(i, Path(f"/d/{i}.yaml"), f"{i}.yaml", natural_stem="很长的单位名称" * 20) for i in range(3)]
    batch.assign_stems(long)
    assert len({j.stem for j in long}) == 3
    assert all(len((j.stem + ".docx").encode()) <= 255 for j in long)


def test_leftovers_of_a_killed_run_are_removed_and_a_busy_folder_is_refused(tmp_path):
    units = tmp_path / "units"
    write_units(units, {"a.yaml": ("admin", "测试清理单位", None, None)})
    out = tmp_path / "out"
    (out / batch.STAGING_NAME / "123-0").mkdir(parents=True)
    (out / batch.STAGING_NAME / "123-0" / "half.pdf").write_bytes(b"%PDF-1.7 half")
    (out / ".测试清理单位2023年度部门决算公开.abc123.pdf.part").write_bytes(b"%PDF-1.7 half")
    (out / "keep-me.txt").write_text("not ours", encoding="utf-8")
    proc = run_batch(units, "--out", out, "--format", "html")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "batch-report.csv", "batch-report.html", "keep-me.txt", "测试清理单位2023年度部门决算公开.html"]
    assert_whole_files(out)
    # a folder another batch is writing to is refused, nothing touched
    with open(out / batch.LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = run_batch(units, "--out", out, "--format", "html", "--force")
    assert busy.returncode == 2 and "正在写入" in busy.stderr
    assert statuses(out) == {"a.yaml": "已生成"}


def test_usage_errors_exit_2(tmp_path):
    proc = run_batch(tmp_path / "nowhere", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "找不到" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_batch(tmp_path / "empty", "--out", tmp_path / "out")
    assert proc.returncode == 2 and "没有单位数据文件" in proc.stderr
    proc = run_batch(tmp_path / "empty", "--format", "doc")
    assert proc.returncode == 2 and "不支持的格式" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_folder_discovery_uses_the_registered_readers(tmp_path, monkeypatch):
    for name in ("a.yaml", "b.YML", "c.xlsx", "~$c.xlsx", ".hidden.yaml", "notes.txt", ".git/x.yaml", "s/d.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [s for _, s in batch.discover(tmp_path)] == ["a.yaml", "b.YML", "c.xlsx"]
    monkeypatch.setitem(batch.READERS, ".csv", lambda p: None)      # a reader added later is picked up
    assert [s for _, s in batch.discover(tmp_path)] == ["a.yaml", "b.YML", "c.xlsx", "s/d.csv"]


def test_module_runs_as_the_batch_command():
    import argparse
    parser = argparse.ArgumentParser(prog="juesuan")
    batch.add_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", "data/", "--out", "o", "--format", "pdf", "--jobs", "3", "--force"])
    assert (args.command, args.source, args.out, args.format, args.jobs, args.force) == \
        ("batch", Path("data/"), Path("o"), ("pdf",), 3, True)


def test_on_progress_is_told_each_unit(tmp_path):
    """run_batch's on_progress(done, total): (0, N) first, then once per unit (the web workspace's
    job table reads it; no parsing of the progress lines)."""
    from generator.batch import run_batch
    seen: list[tuple[int, int]] = []
    folder = tmp_path / "units"
    folder.mkdir()
    for name in ("xiaohe-2022.yaml", "xincailiao-2023.yaml"):
        (folder / name).write_bytes((EXAMPLES / name).read_bytes())
    run_batch(folder, tmp_path / "out", ("html",), jobs=1, progress_stream=None, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 2), (1, 2), (2, 2)]


# ---------------------------------------------------------------- the report holds no formula

FORMULA_NAMES = {   # data file -> 单位名称: each starts with a character a spreadsheet takes for a formula
    "=cmd.yaml": '=HYPERLINK("http://example.invalid/?q="&A1,"点我")中心',
    "at.yaml": "@SUM(1+1)<b>招商</b>中心",
    "minus.yaml": "-2+3测试中心",
    "plus.yaml": "+1测试中心",
}


def test_report_csv_cells_never_start_a_formula_and_the_html_escapes(tmp_path):
    """OWASP's CSV-injection rule: a text cell starting with = + - @ (tab, CR) gets a leading ';
    the numbers (row, counts) stay numbers. The HTML report escapes the same names."""
    units = tmp_path / "units"
    write_units(units, {rel: ("xincailiao", f"'{name}'", None, None) for rel, name in FORMULA_NAMES.items()})
    out = tmp_path / "out"
    proc = run_batch(units, "--out", out, "--format", "html", "--jobs", "2")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    raw = (out / "batch-report.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(raw.splitlines(keepends=True)))
    assert rows[0] == batch.CSV_COLUMNS
    by_file = {row[2]: row for row in rows[1:]}
    assert sorted(by_file) == ["'=cmd.yaml", "at.yaml", "minus.yaml", "plus.yaml"]
    for rel, name in FORMULA_NAMES.items():
        row = by_file["'" + rel if rel.startswith("=") else rel]
        assert row[1] == "'" + name                               # 单位名称, shown as text
        assert row[7] and all(o.startswith("'") or not o.startswith(batch.report.FORMULA_STARTS)
                              for o in row[7].split("\n"))
        assert row[7].startswith("'") == name.startswith(("=", "+", "-", "@"))   # file names keep the sign
        assert row[0].isdigit() and row[4] == "0"                 # numbers written as numbers
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    html = (out / "batch-report.html").read_text(encoding="utf-8")
    assert "@SUM(1+1)&lt;b&gt;招商&lt;/b&gt;中心" in html and "<b>招商" not in html
    assert "=HYPERLINK(&#34;http://example.invalid/?q=&#34;&amp;A1" in html


# ---------------------------------------------------------------- worker limits: memory and time

LIMIT_HOOK = '''
import time
from pathlib import Path
import generator.pipeline as pipeline
_render = pipeline.render
def render(path, *args, **kwargs):
    name = Path(path).name
    if name == "huge.yaml":         # grows until the memory limit stops it (never past 4 GB without one)
        blocks = [bytearray(64 << 20) for _ in range(64)]
    if name == "slow.yaml":         # never finishes by itself
        time.sleep(3600)
    return _render(path, *args, **kwargs)
pipeline.render = render
'''


def hooked_env(tmp_path: Path, hook: str) -> dict:
    folder = tmp_path / "hook"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(hook, encoding="utf-8")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_unit_past_the_memory_limit_is_reported_and_the_others_rendered(tmp_path, start_method):
    """--worker-memory-mb: a worker whose unit grows past the limit gets MemoryError; the unit is
    reported as 超出限制 with the limit named, a fresh worker renders the rest."""
    units = tmp_path / "units"
    write_units(units, {"huge.yaml": ("xincailiao", "测试内存过大单位", None, None),
                        "fine-1.yaml": ("xiaohe", "测试内存正常甲单位", None, None),
                        "fine-2.yaml": ("admin", "测试内存正常乙单位", None, 2)})
    out = tmp_path / "out"
    # with WeasyPrint loaded in the main process, the workers are spawned (pool.default_start_method)
    env = hooked_env(tmp_path, LIMIT_HOOK + ("import weasyprint\n" if start_method == "spawn" else ""))
    proc = run_batch(units, "--out", out, "--format", "html", "--jobs", "1", "--worker-memory-mb", "1024", env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    rows = report_rows(out)
    assert {k: r["状态"] for k, r in rows.items()} == {
        "huge.yaml": "超出限制", "fine-1.yaml": "已生成", "fine-2.yaml": "已生成"}, rows
    assert "超出内存限制（1024 MB）" in rows["huge.yaml"]["问题"] and "--worker-memory-mb" in rows["huge.yaml"]["问题"]
    assert "超出内存限制（1024 MB）" in proc.stdout and "超出限制 1 个" in proc.stdout
    assert rows["huge.yaml"]["输出文件"] == ""
    assert_whole_files(out)


def test_a_unit_past_the_time_limit_is_killed_and_the_others_rendered(tmp_path):
    units = tmp_path / "units"
    write_units(units, {"slow.yaml": ("xincailiao", "测试超时单位", None, None),
                        "fine-1.yaml": ("xiaohe", "测试超时正常甲单位", None, None),
                        "fine-2.yaml": ("admin", "测试超时正常乙单位", None, 2)})
    out = tmp_path / "out"
    # 3 s: some six times what a unit's HTML takes, so only the unit that never ends is stopped
    proc = run_batch(units, "--out", out, "--format", "html", "--jobs", "2", "--worker-timeout", "3",
                     env=hooked_env(tmp_path, LIMIT_HOOK))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    rows = report_rows(out)
    assert {k: r["状态"] for k, r in rows.items()} == {
        "slow.yaml": "超出限制", "fine-1.yaml": "已生成", "fine-2.yaml": "已生成"}, rows
    assert "超时（超过 3 秒）" in rows["slow.yaml"]["问题"] and "--worker-timeout" in rows["slow.yaml"]["问题"]
    assert_whole_files(out)


def test_limit_options_refuse_nonsense(tmp_path):
    for option, value in (("--worker-memory-mb", "12"), ("--worker-memory-mb", "lots"), ("--worker-timeout", "-1"),
                          ("--worker-timeout", "nan")):
        proc = run_batch(tmp_path, "--out", tmp_path / "out", option, value)
        assert proc.returncode == 2 and option in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_batch_takes_last_years_report_the_caller_gives(tmp_path, rendered):
    """run_batch(previous_of=…): the web workspace's 上年 report beside a unit's data is used when the
    data gives no 上年, its content is part of the unit's fingerprint (a new report renders again)."""
    import re
    from generator.batch import run_batch as batch
    from generator.batch.records import RENDERED, UNREADABLE
    text = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8").replace("年度: 2022", "年度: 2023", 1)
    text = re.sub(r"^上年:\n(?:[ #].*\n|\n)*", "", text, count=1, flags=re.M)
    units = tmp_path / "units"
    units.mkdir()
    (units / "潇河.yaml").write_text(text, encoding="utf-8")
    last = tmp_path / "上年报告.pdf"
    last.write_bytes(rendered["xiaohe"]["pdf"].read_bytes())
    outcome = batch(units, tmp_path / "with", ("html",), jobs=1, progress_stream=None, previous_of=lambda p: last)
    assert [r.status for r in outcome.records] == [RENDERED], outcome.records
    # the data has no 上年: the comparisons come from the report (潇河 2022 against its own 2022 figures)
    assert "与上年相比" in next((tmp_path / "with").glob("*.html")).read_text(encoding="utf-8")
    # another report (of 2023, the wrong year): not skipped as unchanged, refused with the reason
    last.write_bytes(rendered["xincailiao"]["pdf"].read_bytes())
    outcome = batch(units, tmp_path / "with", ("html",), jobs=1, progress_stream=None, previous_of=lambda p: last)
    assert [r.status for r in outcome.records] == [UNREADABLE]
    assert any("应为2022年度的报告" in m for m in outcome.records[0].messages), outcome.records[0].messages
