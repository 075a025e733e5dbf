"""A corpus of bad input (issue 12): every case ends with exit code 2, nothing written, and one
Chinese message that names the file and the place — no Python exception name, no English text of
a library. Each case is a file as a user could type it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run_cli

BASE = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
# words a Chinese message may carry: formats, the command, 全角 names of things the user typed
ALLOWED = {"YAML", "UTF", "Tab", "Excel", "juesuan", "check", "render", "docx", "pdf", "xlsx", "yaml", "yml"}
EXCEPTIONS = re.compile(r"\b\w*(Error|Exception|Traceback|Warning)\b")


def english(message: str) -> list[str]:
    """Latin words outside the user's own values (quoted “…”) and the allowed names."""
    message = re.sub(r"“[^”]*”", "", message)
    message = re.sub(r"/[^\s：（）“”，]+", "", message)        # file paths
    return [w for w in re.findall(r"[A-Za-z]{3,}", message) if w not in ALLOWED]


def assert_plain_failure(proc, path: Path, out: Path, line: int | None) -> str:
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    assert str(path) in err, err
    assert not EXCEPTIONS.search(err), err
    assert english(err.replace(str(path), "")) == [], err
    assert re.search(r"[\u4e00-\u9fff]{4,}", err), err
    if line is not None:
        assert f"第{line}行" in err, err
    return err


# (case id, text of the unit file, line the message must name, words it must contain)
YAML_CASES = [
    ("unclosed-list", "单位名称: 测试\n年度: 2023\n列表: [1, 2\n", 4, "方括号"),
    ("unclosed-mapping", "单位名称: {名称: 测试\n", 2, "花括号"),
    ("tab-indent", "单位名称: 测试\n\t年度: 2023\n", 2, "Tab"),
    ("nul-character", "单位名称: 测\x00试\n", 1, "控制字符"),
    ("bell-character", "单位名称: 测试\n年度: 20\x0723\n", 2, "第 7 列"),
    ("unclosed-quote", "单位名称: \"测试\n", 2, "引号"),
    ("indented-key", "单位名称: 测试\n  年度: 2023\n", 2, "键: 值"),
    ("undefined-alias", "单位名称: 测试\n年度: *x\n", 2, "别名"),
    ("list-under-mapping", "单位名称: 测试\n- 一项\n", 2, "缩进"),
    ("at-sign-start", "单位名称: @测试\n", 1, "加上引号"),
    ("duplicate-key", "单位名称: 测试\n年度: 2023\n年度: 2024\n", 3, "重复"),
    ("bad-escape", "单位名称: \"测\\q试\"\n", 1, "转义"),
    ("empty-file", "", None, "空的"),
    ("top-level-list", "- 单位名称: 测试\n", 1, "映射"),
]


@pytest.mark.parametrize("case,text,line,words", YAML_CASES, ids=[c[0] for c in YAML_CASES])
@pytest.mark.parametrize("command", ["check", "render"])
def test_yaml_syntax(tmp_path, case, text, line, words, command):
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    args = [command, str(path)] + (["--out", str(out)] if command == "render" else [])
    err = assert_plain_failure(run_cli(*args), path, out, line)
    assert words in err, err


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# (case id, text replaced in the xiaohe example, replacement, words the message must contain)
VALUE_CASES = [
    ("amount-30-digits", "    本年收入合计: 100660.30", "    本年收入合计: 123456789012345678901234567890.00", "过大"),
    ("amount-30-digits-as-text", "    本年收入合计: 100660.30", '    本年收入合计: "123456789012345678901234567890"', "最多 15 位整数"),
    ("attachment-int-26-digits", "预算执行: 16.35", "预算执行: 99999999999999999999999999", "过大"),
    ("self-eval-amount-huge", "全年预算数: 3.88, 全年执行数: 3.68}", "全年预算数: 99999999999999999999999, 全年执行数: 3.68}", "过大"),
    ("yes-in-amount", "    本年收入合计: 100660.30", "    本年收入合计: yes", "应为数字，实际是“yes”"),
    ("off-in-amount", "公务用车运行维护费: 17820.00", "公务用车运行维护费: off", "实际是“off”"),
    ("exponent-huge", "    本年收入合计: 100660.30", "    本年收入合计: 1e400", "1e400"),
    ("exponent-tiny", "    本年收入合计: 100660.30", "    本年收入合计: 1.0E-999999999", "十进制"),
    ("code-map-key", '    "201": 356569.00', '    "2O1": 356569.00', "键“2O1”应为科目编码"),
]


@pytest.mark.parametrize("case,old,new,words", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_bad_values(tmp_path, case, old, new, words):
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    err = assert_plain_failure(run_cli("render", str(path), "--out", str(out)), path, out,
                               line_of(text, new.strip()))
    assert words in err, err


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    out = tmp_path_factory.mktemp("wb") / "unit.xlsx"
    proc = run_cli("export", str(EXAMPLES / "xiaohe-2022.yaml"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


WORKBOOK_CASES = [
    ("cell-1e308", 1e308, "过大"),
    ("cell-1.5e20", 1.5e20, "过大"),
    ("cell-30-digit-text", "123456789012345678901234567890", "过大"),
    ("cell-word", "一万", "应为金额"),
]


@pytest.mark.parametrize("case,value,words", WORKBOOK_CASES, ids=[c[0] for c in WORKBOOK_CASES])
def test_bad_workbook_cells(tmp_path, workbook, case, value, words):
    import openpyxl
    wb = openpyxl.load_workbook(workbook)
    row = next(r for r in range(1, 40) if wb["收入决算表"][f"A{r}"].value == "2011301")
    wb["收入决算表"][f"C{row}"] = value
    path = tmp_path / f"{case}.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    err = assert_plain_failure(run_cli("render", str(path), "--out", str(out)), path, out, None)
    assert f"收入决算表!C{row}" in err and words in err, err
    assert "[" not in err.replace(str(path), ""), err          # no list indexes beside a cell


def _without_last_year_block(text: str) -> str:
    m = re.search(r"\n上年:.*?(?=\n[^\s#])", text, flags=re.S)
    return text[:m.start()] + text[m.end():] if m else text


PREVIOUS_CASES = [
    ("previous-missing", "nope.yaml", "找不到上年数据文件“nope.yaml”"),
    ("previous-is-folder", "folder", "是一个文件夹"),
    ("previous-broken", "broken.yaml", "不是可用的单位数据文件"),
    ("previous-not-a-unit", "notes.yaml", "不是可用的单位数据文件"),
]


@pytest.mark.parametrize("case,written,words", PREVIOUS_CASES, ids=[c[0] for c in PREVIOUS_CASES])
def test_previous_year_file_problems_name_this_files_key(tmp_path, case, written, words):
    (tmp_path / "folder").mkdir()
    (tmp_path / "broken.yaml").write_text("单位名称: [测试\n", encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("备忘: 这不是单位数据\n", encoding="utf-8")
    text = _without_last_year_block(BASE).replace("\n年度: 2022", f"\n年度: 2022\n上年数据文件: {written}", 1)
    path = tmp_path / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    err = assert_plain_failure(run_cli("render", str(path), "--out", str(out)), path, out,
                               line_of(text, "上年数据文件:"))
    assert words in err and "上年数据文件" in err.splitlines()[0], err


# Workbook messages in a spreadsheet user's words (issue 12): sheet!cell, the sheet's own columns,
# no YAML wording. Each case edits the exported xiaohe workbook with openpyxl.
YAML_WORDS = ("键“", "键路径", "映射", "列表", "科目编码:", "科目编码：\"")    # not 右键 (right-click)


def _income_row(ws, code: str) -> int:
    return next(r for r in range(1, 40) if ws[f"A{r}"].value == code)


def _only_item_rows(wb):
    """Every subject table with its 项 rows only, moved to a 款 (20199) that neither the profile's
    款 catalogue nor any table names (20113 is in the catalogue: tests/test_new_user.py)."""
    for sheet in ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表"):
        ws = wb[sheet]
        ws.delete_rows(_income_row(ws, "合计"), 3)      # 合计, 201, 20113: 项 rows only
        for row in ws.iter_rows(min_col=1, max_col=1):
            if isinstance(row[0].value, str) and row[0].value.startswith("20113"):
                row[0].value = "20199" + row[0].value[5:]


def _duplicate_code(wb):
    ws = wb["收入决算表"]
    ws[f"A{_income_row(ws, '2011302')}"] = "2011301"


def _merged_amounts(wb):
    ws = wb["收入决算表"]
    ws.merge_cells(f"C{_income_row(ws, '2011301')}:D{_income_row(ws, '2011301')}")   # 本年收入合计 over 财政拨款收入


def _name_over_amount(wb):
    ws = wb["收入决算表"]
    ws.merge_cells(f"B{_income_row(ws, '2011302')}:C{_income_row(ws, '2011302')}")   # 科目名称 over 本年收入合计


def _hidden_copy(wb):
    copy = wb.copy_worksheet(wb["收入决算表"])
    copy.title = "收入决算表 (2)"
    copy.sheet_state = "hidden"
    copy["C10"] = 1                     # an old copy with other figures: not silently used


def _hidden_sheet_with_title(wb):
    copy = wb.copy_worksheet(wb["收入决算表"])
    copy.title = "旧表"                 # known by the title written inside it
    copy.sheet_state = "hidden"


# (case id, edit, exit code, cells the message must name, words it must contain)
WORKBOOK_MESSAGE_CASES = [
    ("only-item-rows", _only_item_rows, 2, ["收入决算表!A7"], ["缺少科目“20199”的名称", "请在收入决算表中加一行：A 列填 20199，B 列填其科目名称",
      "在任一张表里写一次即可", "请管理员补进款目录“gongneng-kuan-2022”"]),
    ("duplicate-code", _duplicate_code, 2, ["收入决算表!A11", "收入决算表!A10"], ["重复"]),
    ("merged-amounts", _merged_amounts, 2, ["收入决算表!C10:D10"],
     ["合并单元格中的金额“100,660.30”只能读到一格", "D10（财政拨款收入）读作空白", "请取消合并"]),
    ("name-merged-over-amount", _name_over_amount, 2, ["收入决算表!B11:C11"],
     ["盖住了金额单元格", "C11（本年收入合计）读作空白", "请取消合并"]),
    ("hidden-copy", _hidden_copy, 2, ["收入决算表 (2)!A1"],
     ["隐藏的工作表“收入决算表 (2)”与工作表“收入决算表”是同一张表", "要读可见的“收入决算表”，请删除隐藏的“收入决算表 (2)”"]),
    ("hidden-sheet-with-title", _hidden_sheet_with_title, 2, ["旧表!A1"],
     ["隐藏的工作表“旧表”与工作表“收入决算表”是同一张表", "要读可见的“收入决算表”"]),
]


@pytest.mark.parametrize("case,edit,code,cells,words", WORKBOOK_MESSAGE_CASES, ids=[c[0] for c in WORKBOOK_MESSAGE_CASES])
def test_workbook_messages(tmp_path, workbook, case, edit, code, cells, words):
    import openpyxl
    wb = openpyxl.load_workbook(workbook)
    edit(wb)
    path = tmp_path / f"{case}.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--out", str(out))
    err = proc.stderr + proc.stdout
    assert proc.returncode == code, (proc.returncode, err)
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    assert str(path) in err and not EXCEPTIONS.search(err), err
    assert english(err.replace(str(path), "")) == [], err
    assert all(c in err for c in cells) and all(w in err for w in words), err
    assert "[" not in err.replace(str(path), ""), err           # no list indexes beside a cell
    assert not any(w in err for w in YAML_WORDS), err


@pytest.mark.parametrize("field,size_kb", [("职责", 300), ("职责", 120), ("预算绩效", 4800)])
def test_a_text_far_too_long_is_refused_at_once(tmp_path, field, size_kb):
    """A pasted document in a text field (300 KB took 503 s to lay out; 4.8 MB never finished) is
    refused before any layout, naming the field's line; the run ends well within a minute."""
    sentence = "潇河产业园事业服务中心负责园区起步区建设综合管理服务工作。"
    text = sentence * (size_kb * 1024 // len(sentence.encode("utf-8")) + 1)
    lines = BASE.split("\n")
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{field}:"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines[at] = f"{indent}{field}: \"{text}\""
    j = at + 1
    while j < len(lines) and (lines[j].startswith(indent + " ") or not lines[j].strip()):   # the old block's lines
        j += 1
    path = tmp_path / "long.yaml"
    path.write_text("\n".join(lines[: at + 1] + lines[j:]), encoding="utf-8")
    assert path.stat().st_size <= 5 * 1024 * 1024      # under the file limit: refused for the text itself
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--out", str(out), timeout=60)
    err = assert_plain_failure(proc, path, out, at + 1)
    assert "文字过长" in err and "一栏最多 30000 字" in err, err
