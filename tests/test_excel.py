"""Issue 4: the unit workbook — template, export, import, render/check from .xlsx, bad input.

Bad workbooks are generated here (zip bomb with zipfile, truncated zip, XML with a DTD, an old
.xls header …); the one real password-protected workbook is a fixture (see fixtures/excel/README).
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from generator.errors import InputError
from generator.load import xlsx_guard
from generator.load.excel_reader import read_xlsx
from generator.load.unit_loader import load_unit
from generator.load.yaml_reader import read_yaml
from generator.pipeline import load_and_check
from generator.write.workbook import build_workbook, export_unit, write_template
from generator.write.yaml_writer import dump_unit
from generator.profile import load_profile

from .conftest import EXAMPLES, RENDERED_KEYS, ROOT, SEEDS, run_cli
from .new_user_fill import patch_cached_value
from tests.conftest import open_docx

FIXTURES = Path(__file__).parent / "fixtures" / "excel"
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
NAMES = ["xiaohe-2022", "xincailiao-2023", "putuo-shehuigongzuo-2024", "putuo-guihuaziyuan-2024"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The three commands, through the module's own entry (cli.py wires them into juesuan)."""
    return subprocess.run([PY, "-m", "generator.cli_excel", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exported")
    files = {}
    for name in NAMES:
        files[name] = out / f"{name}.xlsx"
        export_unit(EXAMPLES / f"{name}.yaml", files[name])
    return files


def problems_of(path: Path) -> list:
    with pytest.raises(InputError) as info:
        load_unit(path)
    return info.value.problems


def find_cell(ws, value) -> tuple[int, int]:
    for row in ws.iter_rows():
        for c in row:
            if c.value == value:
                return c.row, c.column
    raise AssertionError(f"{value!r} not in {ws.title}")


def column_of(ws, header: str, header_row_max: int = 8) -> int:
    for row in ws.iter_rows(max_row=header_row_max):
        for c in row:
            if c.value == header:
                return c.column
    raise AssertionError(header)


# ---------------------------------------------------------------- safety of the XML layer

def test_openpyxl_parses_worksheets_through_defusedxml():
    import defusedxml.ElementTree
    import openpyxl.xml
    import openpyxl.xml.functions
    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse
    # and our own pass parses every part with defusedxml's rules (its expat handlers: no DOCTYPE at
    # all) before openpyxl reads anything
    dtds = ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<!DOCTYPE a SYSTEM "http://127.0.0.1/x.dtd"><a/>',
            '<!DOCTYPE a [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><a/>']
    for dtd in dtds:
        for encoding in ("utf-8", "utf-16"):
            body = f'<?xml version="1.0" encoding="{encoding}"?>{dtd}'.encode(encoding)
            for part in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                with pytest.raises(defusedxml.DTDForbidden):
                    xlsx_guard._PartScan(part, "worksheets" in part, xlsx_guard._Sizes("t"), [], {}).run(io.BytesIO(body))


# ---------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", NAMES)
def test_round_trip_gives_the_same_data(exported, name):
    original = read_yaml(EXAMPLES / f"{name}.yaml").data
    imported = read_xlsx(exported[name]).data
    assert imported == original
    # amounts are Decimal (never float), counts int, codes strings
    rows = imported["收入决算表"]
    assert all(isinstance(v, Decimal) for r in rows for k, v in r.items() if k not in ("科目编码", "科目名称"))
    assert all(isinstance(r["科目编码"], str) for r in rows)
    assert isinstance(imported["年度"], int)
    assert type(imported["相关信息统计"]["车辆"]["其他用车"]) is int
    # YAML text written by import reads back to the same data
    text = dump_unit(imported, ["测试"])
    again = tmp = exported[name].with_suffix(".out.yaml")
    tmp.write_text(text, encoding="utf-8")
    assert read_yaml(again).data == original


@pytest.mark.parametrize("name", NAMES)
def test_typed_models_agree(exported, name):
    a, b = load_unit(EXAMPLES / f"{name}.yaml"), load_unit(exported[name])
    for f in ("name", "year", "report_kind", "nature", "money_unit", "profile", "duty", "organisation",
              "summary", "fiscal", "sangong", "purchase", "admin_cost", "vehicles", "big_equipment",
              "budget", "words", "attachments", "report_unit"):
        assert getattr(a, f) == getattr(b, f), f
    for t in a.subject_tables:
        assert [(r.code, r.name, r.values, r.stated_total) for r in a.subject_tables[t]] == \
               [(r.code, r.name, r.values, r.stated_total) for r in b.subject_tables[t]]
    assert [(r.code, r.name, r.basic, r.project) for r in a.econ_rows] == \
           [(r.code, r.name, r.basic, r.project) for r in b.econ_rows]
    assert [(s.label, s.value) for s in a.stated] == [(s.label, s.value) for s in b.stated]
    assert a.last_year.gp_by_class == b.last_year.gp_by_class and a.last_year.sangong == b.last_year.sangong
    # sources point at cells
    assert b.subject_tables["收入决算表"][0].src.cell.startswith("收入决算表!A")


def test_cli_export_then_import(tmp_path):
    xlsx, yml = tmp_path / "xiaohe.xlsx", tmp_path / "xiaohe.yaml"
    proc = cli("export", str(EXAMPLES / "xiaohe-2022.yaml"), "--out", str(xlsx))
    assert proc.returncode == 0, proc.stderr
    assert "已导出" in proc.stdout
    proc = cli("import", str(xlsx), "--out", str(yml))
    assert proc.returncode == 0, proc.stderr
    assert read_yaml(yml).data == read_yaml(EXAMPLES / "xiaohe-2022.yaml").data
    text = yml.read_text(encoding="utf-8")
    assert '  - 科目编码: "2011301"' in text and "    财政拨款收入: 100660.30" in text
    assert "  预算绩效: |\n" in text
    # an existing output is not overwritten without --force
    before = yml.read_bytes()
    proc = cli("import", str(xlsx), "--out", str(yml))
    assert proc.returncode == 2 and "--force" in proc.stderr
    assert yml.read_bytes() == before
    assert cli("import", str(xlsx), "--out", str(yml), "--force").returncode == 0


def _docx_texts(path: Path) -> list[str]:
    d = open_docx(str(path))
    texts = [p.text for p in d.paragraphs]
    for t in d.tables:
        texts += [c.text for row in t.rows for c in row.cells]
    return texts


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("name", NAMES)
def test_the_workbooks_report_is_the_yaml_files(exported, name):
    """The report composed from the workbook is the one composed from the YAML file, part for part
    (what the writers print comes from it alone; the CLI's render of one is compared below)."""
    from generator.pipeline import prepare
    assert prepare(exported[name]).document == prepare(EXAMPLES / f"{name}.yaml").document


@pytest.mark.parametrize("name", ["xiaohe-2022"])
def test_render_from_workbook_equals_render_from_yaml(exported, rendered, tmp_path, name):
    """The CLI renders the workbook to the YAML file's DOCX and PDF (the YAML's rendered once for
    every test: conftest)."""
    key = next(k for k in RENDERED_KEYS.values() if k in name)
    outs = {"yaml": {f".{fmt}": path for fmt, path in rendered[key].items()}}
    out = tmp_path / "xlsx"
    proc = run_cli("render", str(exported[name]), "--format", "docx,pdf", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    outs["xlsx"] = {p.suffix: p for p in out.iterdir()}
    assert outs["yaml"][".docx"].name == outs["xlsx"][".docx"].name
    assert _docx_texts(outs["yaml"][".docx"]) == _docx_texts(outs["xlsx"][".docx"])
    a, b = _pdf_text(outs["yaml"][".pdf"]), _pdf_text(outs["xlsx"][".pdf"])
    assert len(a) > 5000 and a == b


# ---------------------------------------------------------------- checks name cells

def test_check_findings_name_the_cell(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["收入决算表"]
    r, _ = find_cell(ws, "2011301")
    col = column_of(ws, "财政拨款收入")
    assert ws.cell(r, col).value == Decimal("100660.30") or float(ws.cell(r, col).value) == 100660.30
    ws.cell(r, col).value = 100660.31
    path = tmp_path / "changed.xlsx"
    wb.save(path)
    _, findings, _ = load_and_check(path)
    item = [f for f in findings if f.rule == "T02-ITEM"]
    assert item, [f.rule for f in findings]
    # the stated 款 20113 row disagrees; the finding names its 财政拨款收入 cell (column D)
    kuan_row, _ = find_cell(ws, "20113")
    assert item[0].source.cell == f"收入决算表!D{kuan_row}"
    assert str(path) == item[0].source.file
    proc = run_cli("check", str(path))
    assert proc.returncode == 1 and f"收入决算表!D{kuan_row}" in proc.stdout + proc.stderr



def test_a_blank_cell_of_a_total_row_is_called_blank_not_zero(exported, tmp_path):
    """Issue 12: a 合计 row whose 财政拨款收入 cell is left blank is reported as blank (counted as
    0), not as “填写为 0.00”, at its cell."""
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["收入决算表"]
    r, _ = find_cell(ws, "合计")
    col = column_of(ws, "财政拨款收入")
    ws.cell(r, col).value = None
    path = tmp_path / "blank-total.xlsx"
    wb.save(path)
    proc = run_cli("check", str(path))
    assert proc.returncode == 1
    assert "合计的财政拨款收入没有填写（空白按 0 计），各类之和为 163,522.43元" in proc.stdout, proc.stdout
    assert "填写为 0.00" not in proc.stdout
    assert f"收入决算表!{ws.cell(r, col).coordinate}" in proc.stdout


def test_a_kuan_named_in_one_table_serves_the_others(exported, tmp_path):
    """Issue 12: 收入决算表 and 05 hold only their 项 rows; the 款 20113 (and 类 201) that 支出决算表
    names give them their names, so the workbook is checked and rendered without more typing."""
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    for sheet in ("收入决算表", "一般公共预算财政拨款支出决算表"):
        ws = wb[sheet]
        upper = [c.row for c in ws["A"] if isinstance(c.value, str) and c.value.isdigit() and len(c.value) < 7]
        assert upper
        for r in reversed(upper):
            ws.delete_rows(r)
    path = tmp_path / "only-xiang.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    table = next(t for t in open_docx(str(next(out.iterdir()))).tables
                 if any("20113" in c.text for c in t.columns[0].cells))
    assert any(c.text == "商贸事务" for row in table.rows for c in row.cells)


def test_a_blank_required_cell_is_reported_once_at_its_cell(exported, tmp_path):
    """The reader reports the blank 金额单位 at its cell; the structure check's and the builder's
    “缺少必填项” about the same key (Problem.kind REQUIRED, key 金额单位) are not repeated."""
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["单位信息"]
    r, c = find_cell(ws, "金额单位")
    ws.cell(r, c + 1).value = None
    path = tmp_path / "no-unit.xlsx"
    wb.save(path)
    problems = problems_of(path)
    about = [p for p in problems if "金额单位" in p.message]
    assert len(about) == 1 and about[0].source.cell == f"单位信息!{ws.cell(r, c + 1).coordinate}", problems
    assert about[0].kind == "required" and about[0].key == "金额单位"

# ---------------------------------------------------------------- tolerance

def test_messy_but_readable_cells(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["收入决算表"]
    c_total, c_fiscal = column_of(ws, "本年收入合计"), column_of(ws, "财政拨款收入")
    first, _ = find_cell(ws, "合计")
    # rewrite the body: 项 rows first, blank rows between, codes as numbers, names with stray spaces
    body = [("2011302", "一般行政管理事务", "62,862.13", "６２８６２．１３"),
            (None, None, None, None),
            (2011301, "  行政运行　", "100660.30 ", 100660.3),
            (None, None, "——", None),
            (20113.0, "商贸 事务", "163,522.43", "163522.43"),
            ("201 ", "一般公共服务支出\u3000", "163 522.43", "\u3000163522.43 ")]
    for i in range(first + 1, first + 30):
        for c in range(1, 10):
            ws.cell(i, c).value = None
    for i, (code, name, total, fiscal) in enumerate(body, start=first + 1):
        ws.cell(i, 1).value, ws.cell(i, 2).value = code, name
        ws.cell(i, c_total).value, ws.cell(i, c_fiscal).value = total, fiscal
    # the 合计 row as formulas (cached values patched in below, as Excel would save them)
    ws.cell(first, c_total).value = f"=SUM({ws.cell(first + 5, c_total).coordinate})"
    ws.cell(first, c_fiscal).value = "=163522.43"
    # 单位信息: trailing and full-width spaces in the name, year as text
    info = wb["单位信息"]
    r, _ = find_cell(info, "单位名称")
    info.cell(r, 2).value = "  " + info.cell(r, 2).value + "\u3000"
    r, _ = find_cell(info, "年度")
    info.cell(r, 2).value = "2022年"
    path = tmp_path / "messy.xlsx"
    wb.save(path)
    index = wb.sheetnames.index("收入决算表") + 1
    patch_cached_value(path, index, ws.cell(first, c_total).coordinate, "163522.43")
    patch_cached_value(path, index, ws.cell(first, c_fiscal).coordinate, "163522.43")
    data = read_xlsx(path).data
    original = read_yaml(EXAMPLES / "xiaohe-2022.yaml").data
    assert data["单位名称"] == original["单位名称"] and data["年度"] == 2022
    got = {r["科目编码"]: r for r in data["收入决算表"]}
    want = {r["科目编码"]: r for r in original["收入决算表"]}
    assert got == want
    assert list(got) == ["合计", "2011302", "2011301", "20113", "201"]   # sheet order kept
    _, findings, _ = load_and_check(path)
    assert not [f for f in findings if f.severity == "错误"], [(f.rule, f.message) for f in findings]


def test_formula_without_cached_value_and_bad_numbers_are_reported_together(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xincailiao-2023"])
    ws = wb["支出决算表"]
    r, _ = find_cell(ws, "2011301")
    basic = column_of(ws, "基本支出")
    ws.cell(r, basic).value = "=1+2.48"                       # never calculated: no cached value
    ws2 = wb["收入决算表"]
    r2, _ = find_cell(ws2, "2010302")
    ws2.cell(r2, column_of(ws2, "财政拨款收入")).value = "1,44"   # a comma in the wrong place
    ws3 = wb["情况说明"]
    r3, _ = find_cell(ws3, "三公经费／国内接待／批次")
    ws3.cell(r3, 2).value = "十五"
    ws4 = wb["收入决算表"]
    r4, _ = find_cell(ws4, "2060404")
    ws4.cell(r4, 1).value = "20604041"
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    problems = problems_of(path)
    cells = {p.source.cell for p in problems}
    assert f"支出决算表!{ws.cell(r, basic).coordinate}" in cells
    assert f"收入决算表!{ws2.cell(r2, column_of(ws2, '财政拨款收入')).coordinate}" in cells
    assert f"情况说明!B{r3}" in cells
    assert f"收入决算表!A{r4}" in cells
    messages = "\n".join(map(str, problems))
    assert "公式" in messages and "计算结果" in messages
    assert "千分位" in messages and "整数" in messages and "3、5、7 位数字" in messages
    proc = cli("import", str(path), "--out", str(tmp_path / "bad.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.count("错误：") == len(problems) >= 4
    assert not (tmp_path / "bad.yaml").exists()


def test_more_than_two_decimals_is_refused_with_the_cell(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["三公经费" if "三公经费" in wb.sheetnames else "财政拨款“三公”经费支出决算表"]
    r, c = find_cell(ws, 17820) if any(c.value == 17820 for row in ws.iter_rows() for c in row) else (9, 1)
    ws.cell(r, c).value = 17820.005
    path = tmp_path / "decimals.xlsx"
    wb.save(path)
    problems = problems_of(path)
    assert any("两位小数" in p.message and p.source.cell == f"{ws.title}!{ws.cell(r, c).coordinate}" for p in problems)


def test_meta_row_money_unit_contradicting_unit_sheet(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    ws = wb["支出决算表"]
    r, c = find_cell(ws, "金额单位：元")
    ws.cell(r, c).value = "金额单位：万元"
    path = tmp_path / "meta.xlsx"
    wb.save(path)
    problems = problems_of(path)
    assert [p.source.cell for p in problems if "金额单位" in p.message] == [f"支出决算表!{ws.cell(r, c).coordinate}"]


# ---------------------------------------------------------------- published layouts (seeds)

def seed_tables(seed: str) -> list[tuple[str, list[list[str]]]]:
    """(label, rows of cells) for every 公开NN表 of a seed report, title row and notes included."""
    lines = (SEEDS / seed).read_text(encoding="utf-8").split("\n")
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"公开\d\d表", line.strip())]
    out = []
    for n, i in enumerate(starts):
        title = next(j for j in range(i - 1, 0, -1) if lines[j].strip())
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(lines)
        body = []
        for j in range(title, end):
            body.append(lines[j].split("\t"))
            if lines[j].startswith(("第三部分",)):
                body.pop()
                break
        out.append((lines[i].strip(), body))
    return out


def seed_workbook(name: str, seed: str, exported: Path, tmp_path: Path, sheet_names: str) -> Path:
    """The exported workbook with its table sheets replaced by the seed's published tables
    (cells as text, as pasted from the PDF), on sheets named by label or plain Sheet N."""
    wb = openpyxl.load_workbook(exported)
    profile = load_profile(read_yaml(EXAMPLES / f"{name}.yaml").data["模板"])
    seen = set()
    for n, (label, rows) in enumerate(seed_tables(seed), start=1):
        spec = next(t for t in profile.tables if t.label == label)
        seen.add(spec.title)
        del wb[spec.title]
        ws = wb.create_sheet(label if sheet_names == "label" else f"Sheet{n}")
        for r, cells in enumerate(rows, start=1):
            for c, v in enumerate(cells, start=1):
                if v.strip():
                    ws.cell(r, c).value = v
    path = tmp_path / f"{name}-seed.xlsx"
    wb.save(path)
    return path


def test_seed_layout_xiaohe(exported, tmp_path):
    path = seed_workbook("xiaohe-2022", "xiaohe-2022-final-accounts.txt", exported["xiaohe-2022"], tmp_path, "label")
    data = read_xlsx(path).data
    want = read_yaml(EXAMPLES / "xiaohe-2022.yaml").data
    for key in ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表", "政府性基金预算财政拨款收入支出决算表",
                "国有资本经营预算财政拨款支出决算表", "经济分类支出明细", "三公经费"):
        assert data[key] == want[key], key
    assert data["相关信息统计"]["政府采购"] == want["相关信息统计"]["政府采购"]
    # the published 01 and 04 state their totals
    assert data["收入支出决算总表"]["收入总计"] == Decimal("163522.43")
    assert data["财政拨款收入支出决算总表"]["本年收入"]["一般公共预算财政拨款"] == Decimal("163522.43")
    derived, findings, _ = load_and_check(path)
    assert not [f for f in findings if f.severity == "错误"], [(f.rule, f.message) for f in findings]


def test_seed_layout_xincailiao_finds_the_published_name_error(exported, tmp_path):
    path = seed_workbook("xincailiao-2023", "xincailiao-2023-final-accounts.txt", exported["xincailiao-2023"],
                         tmp_path, "plain")
    data = read_xlsx(path).data
    want = read_yaml(EXAMPLES / "xincailiao-2023.yaml").data

    def without_names(rows):
        return [{k: v for k, v in r.items() if k != "科目名称"} for r in rows]

    for key in ("收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表"):
        assert without_names(data[key]) == without_names(want[key]), key
    assert data["经济分类支出明细"] == want["经济分类支出明细"]
    assert data["三公经费"] == want["三公经费"]
    names = {r["科目编码"]: r.get("科目名称") for r in data["支出决算表"]}
    assert names["20604"] == "技术与研究开发" and names["2011302"] == "一般行政管理事务"
    _, findings, _ = load_and_check(path)
    bad_name = [f for f in findings if f.rule == "C-NAME"]
    assert bad_name and all(re.fullmatch(r"Sheet\d+![A-Z]+\d+", f.source.cell or "") for f in bad_name)


# ---------------------------------------------------------------- the template

def test_template_layout(tmp_path):
    out = tmp_path / "模板.xlsx"
    proc = cli("template", "--profile", "shanxi-2023", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out)
    profile = load_profile("shanxi-2023")
    assert wb.sheetnames == ["填写说明", "单位信息", *(t.title for t in profile.tables),
                             "上年数", "年初预算", "情况说明", "类说明", "名词解释补充", "附件", "全年预算", "单位构成",
                             "项目自评", "项目自评资金", "项目自评指标", "整体自评", "整体自评情况", "整体自评指标", "整体自评人员"]
    guide = "\n".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    for name in wb.sheetnames[1:]:
        assert name in guide
    ws = wb["收入决算表"]
    assert ws["A1"].value == "收入决算表" and ws.protection.sheet
    head_r, head_c = find_cell(ws, "本年收入合计")
    assert ws.cell(head_r, head_c).protection.locked and ws.cell(head_r, head_c).font.b
    assert "A4:B4" in {str(m) for m in ws.merged_cells.ranges}          # 项目 spans code and name
    total_r, _ = find_cell(ws, "合计")
    assert not ws.cell(total_r + 1, 1).protection.locked and ws.cell(total_r + 1, 1).number_format == "@"
    assert not ws.cell(total_r, 3).protection.locked and ws.cell(total_r, 3).number_format == "#,##0.00"
    assert ws.freeze_panes == f"C{total_r}"
    assert ws.column_dimensions["B"].width >= 30
    unit = wb["单位信息"]
    lists = {str(dv.sqref): dv.formula1 for dv in unit.data_validations.dataValidation}
    r_kind, _ = find_cell(unit, "单位性质")
    r_money, _ = find_cell(unit, "金额单位")
    r_report, _ = find_cell(unit, "报告类型")
    assert lists[f"B{r_kind}"] == '"行政单位,参公事业单位,事业单位"'
    assert lists[f"B{r_money}"] == '"元,万元"' and lists[f"B{r_report}"] == '"部门决算,单位决算"'
    # an empty template: the required fields are named, with their cells, all at once
    problems = problems_of(out)
    assert {p.source.cell for p in problems} >= {f"单位信息!B{r_kind}", f"单位信息!B{r_money}"}
    # grey cells of 01 are computed and locked
    t01 = wb["收入支出决算总表"]
    r, _ = find_cell(t01, "四、上级补助收入")
    assert t01.cell(r, 3).protection.locked and not t01.cell(r - 3, 3).protection.locked


def test_filled_template_imports(tmp_path):
    out = tmp_path / "t.xlsx"
    write_template("shanxi-2022", out)
    wb = openpyxl.load_workbook(out)
    unit = wb["单位信息"]
    for key, value in (("单位名称", "测试单位"), ("年度", 2022), ("报告类型", "单位决算"), ("单位性质", "行政单位"),
                       ("金额单位", "元")):
        r, _ = find_cell(unit, key)
        unit.cell(r, 2).value = value
    ws = wb["一般公共预算财政拨款支出决算表"]
    r, _ = find_cell(ws, "合计")
    ws.cell(r + 1, 1).value, ws.cell(r + 1, 2).value, ws.cell(r + 1, 4).value = "2010301", "行政运行", "1,000.00"
    wb.save(out)
    data = read_xlsx(out).data
    assert data["模板"] == "shanxi-2022" and data["报告类型"] == "单位决算"
    assert data["一般公共预算财政拨款支出决算表"] == [{"科目编码": "2010301", "科目名称": "行政运行",
                                                  "基本支出": Decimal("1000.00")}]
    assert data["收入决算表"] == [] and data["经济分类支出明细"] == []


# ---------------------------------------------------------------- bad input: one message, exit 2, nothing written

def refused(path: Path, tmp_path: Path) -> str:
    out = tmp_path / "out.yaml"
    proc = cli("import", str(path), "--out", str(out))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("错误：") == 1, proc.stderr
    assert not out.exists()
    return proc.stderr


def test_not_a_workbook(tmp_path):
    path = tmp_path / "单位.xlsx"
    path.write_text("单位名称,年度\n测试,2024\n", encoding="utf-8")
    assert "不是 Excel 工作簿" in refused(path, tmp_path)
    html = tmp_path / "导出.xlsx"
    html.write_text("<html><table><tr><td>1</td></tr></table></html>", encoding="utf-8")
    assert "网页" in refused(html, tmp_path)


def test_corrupt_zip(exported, tmp_path):
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(exported["xiaohe-2022"].read_bytes()[:4000])
    assert "损坏" in refused(path, tmp_path)


def test_password_protected_workbook(tmp_path):
    err = refused(FIXTURES / "password-protected.xlsx", tmp_path)
    assert "密码" in err and "清空密码" in err


def test_cfb_header_named_xlsx_without_encryption_streams_is_an_old_workbook(tmp_path):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(xlsx_guard.CFB_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 1000)
    err = refused(path, tmp_path)
    assert ".xls" in err and "另存为" in err


def test_old_xls_says_how_to_convert(tmp_path):
    path = tmp_path / "旧版.xls"
    path.write_bytes(xlsx_guard.CFB_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 1000)
    err = refused(path, tmp_path)
    assert "97-2003" in err and "Excel 工作簿（*.xlsx）" in err and "--convert-to xlsx" in err
    with pytest.raises(InputError):
        load_unit(path)


def test_xlsx_misnamed_xls_is_read(exported, tmp_path):
    path = tmp_path / "misnamed.xls"
    path.write_bytes(exported["xiaohe-2022"].read_bytes())
    assert load_unit(path).name.startswith("山西")


def test_missing_sheet(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    del wb["支出决算表"]
    path = tmp_path / "missing.xlsx"
    wb.save(path)
    err = refused(path, tmp_path)
    assert "缺少工作表" in err and "支出决算表" in err


def test_sheet_with_the_wrong_table_by_title(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    wb["收入决算表"].title = "临时"
    wb["支出决算表"].title = "收入决算表"
    wb["临时"].title = "支出决算表"
    path = tmp_path / "swapped.xlsx"
    wb.save(path)
    problems = problems_of(path)
    assert any("工作表“收入决算表”里是“支出决算表”" in p.message for p in problems)


def test_sheet_with_the_wrong_table_by_header(exported, tmp_path):
    wb = openpyxl.load_workbook(exported["xiaohe-2022"])
    income = wb["收入决算表"]
    expense = wb["支出决算表"]
    for row in income.iter_rows():
        for c in row:
            if type(c).__name__ == "Cell":
                c.value = None
    for row in expense.iter_rows(min_row=4):
        for c in row:
            if c.value is not None and type(c).__name__ == "Cell":
                income.cell(c.row, c.column).value = c.value
    path = tmp_path / "wrong.xlsx"
    wb.save(path)
    err = refused(path, tmp_path)
    assert "工作表“收入决算表”的表头不是收入决算表（应有：本年收入合计、财政拨款收入" in err
    assert "收入决算表!A1" in err


def test_fifty_megabyte_workbook(tmp_path):
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(50 * 1024 * 1024)
    err = refused(path, tmp_path)
    assert "文件过大" in err and "50.0 MB" in err


def test_zip_bomb(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(120):
                fh.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    err = refused(path, tmp_path)
    assert "压缩炸弹" in err


def test_xml_with_entities_is_refused_before_openpyxl(exported, tmp_path):
    src = zipfile.ZipFile(exported["xiaohe-2022"])
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                doctype = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                data = data.replace(b"?>", b"?>" + doctype, 1) if data.startswith(b"<?xml") else doctype + data
                assert doctype in data
            zout.writestr(info, data)
    err = refused(path, tmp_path)
    assert "DTD" in err


def test_render_and_check_refuse_a_bad_workbook_with_exit_2(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a zip at all")
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "docx", "--out", str(out))
    assert proc.returncode == 2 and "不是 Excel 工作簿" in proc.stderr
    assert not out.exists() or list(out.iterdir()) == []


# ---------------------------------------------------------------- the YAML writer

def test_yaml_writer_quotes_what_must_be_quoted(tmp_path):
    data = {"单位名称": "测试：单位 #1", "年度": 2024, "报告类型": "部门决算", "单位性质": "事业单位", "金额单位": "元",
            "模板": "shanxi-2023",
            "概况": {"职责": "第一段\n\n第二段", "机构设置": "true"},
            "收入决算表": [{"科目编码": "201", "科目名称": "一般公共服务支出", "财政拨款收入": Decimal("1E+2")}],
            "情况说明": {"其他事项": " 前面有空格", "收入支出变动原因": "a: b", "预算绩效": "行一\n行二\n",
                     "类说明": {"201": {"用途": "- 开头"}}},
            "附件": [{"名称": "123"}]}
    text = dump_unit(data)
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    assert read_yaml(path).data == data
    assert "财政拨款收入: 100.00" in text and '"201":' in text and "职责: |-" in text


def test_workbook_export_of_unstated_rows_stays_blank():
    # a 类 row without figures is written without figures: nothing computed is filled in
    data = read_yaml(ROOT / "tests" / "fixtures" / "admin-unit-with-funds-2023.yaml").data
    wb = build_workbook(load_profile("shanxi-2023"), data)
    ws = wb["收入决算表"]
    r, _ = find_cell(ws, "201")
    assert [ws.cell(r, c).value for c in range(3, 10)] == [None] * 7


def test_random_damage_never_crashes(exported, tmp_path):
    """Stray values anywhere: the reader answers with located problems (or reads), never a traceback."""
    import random
    rng = random.Random(4)
    junk = [None, "", "——", "abc", 0, -1, 1.005, "1,2", "２０１", "合计", "注：x", 3.7, "2011301 行政运行", True,
            "人员经费合计", "栏次", "科目编码", "项目", "收入决算表", "#REF!", 10 ** 20, "\n", "公开02表", "金额单位：万元"]
    outcomes = set()
    for n in range(12):
        wb = openpyxl.load_workbook(exported["xiaohe-2022"])
        for _ in range(rng.randint(1, 8)):
            ws = rng.choice(wb.worksheets)
            cell = ws.cell(rng.randint(1, 40), rng.randint(1, 12))
            if type(cell).__name__ == "Cell":
                cell.value = rng.choice(junk)
        path = tmp_path / f"damaged{n}.xlsx"
        wb.save(path)
        try:
            load_unit(path)
            outcomes.add("read")
        except InputError as exc:
            assert exc.problems and all(p.message for p in exc.problems)
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}


def test_shanghai_template_has_the_nine_tables_in_the_published_order(tmp_path):
    """shanghai-2024: nine table sheets laid out like the published tables (no 公开NN label, no
    行次, 三公 seventh with 预算数/决算数 under each item), and a 相关信息 sheet for the figures
    of 十一 that no Shanghai table holds."""
    out = tmp_path / "上海.xlsx"
    proc = cli("template", "--profile", "shanghai-2024", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(out)
    titles = [t.title for t in load_profile("shanghai-2024").tables]
    assert len(titles) == 9 and titles[6] == "财政拨款“三公”经费支出决算表"
    assert wb.sheetnames[2:11] == [t[:31] for t in titles]
    assert "相关信息" in wb.sheetnames
    ws = wb[titles[0]]
    header = [ws.cell(5, c).value for c in range(1, 5)]
    assert header == ["项目", "决算数", "项目", "决算数"]          # no 行次 column
    assert ws.cell(2, 4).value is None                           # no 公开NN label
    sg = wb[titles[6]]
    assert [sg.cell(7, c).value for c in range(1, 5)] == ["预算数", "决算数", "预算数", "决算数"]
    assert "公开" not in " ".join(str(c.value) for row in wb[titles[1]].iter_rows(max_row=3) for c in row if c.value)
