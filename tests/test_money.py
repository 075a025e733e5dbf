"""Money as the 决算软件 holds it (issue 8): exact 元 in and every printed 万元 figure rounded once;
万元 tables with their published totals, 尾差 and all; percentages from the printed figures.

The expected figures here are computed in the test, from the data file, with plain Decimal
arithmetic — not with the generator's derive step — and compared with what the DOCX prints.
"""
from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from generator.load.yaml_reader import read_yaml

from .conftest import EXAMPLES, ROOT, run_cli, seed_text
from tests.conftest import open_docx

TAILS = ROOT / "tests" / "fixtures" / "wanyuan-tails-2023.yaml"
WAN = Decimal(10000)


def q(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def cell_text(x: Decimal | None) -> str:
    """How xiaohe's profile prints an amount: two decimals, no grouping, blank for none."""
    return "" if x is None else f"{q(x / WAN):.2f}"


def unique_cells(row) -> list[str]:
    seen, out = set(), []
    for c in row.cells:
        if id(c._tc) not in seen:
            seen.add(id(c._tc))
            out.append(c.text.strip())
    return out


def docx_tables(path: Path) -> dict[str, list[list[str]]]:
    """The ten tables of a rendered report by docs/domain.md key, in xiaohe's profile order (the forms
    of 第五部分 follow them: a 部门整体支出绩效自评表's header and indicator tables, 项目支出绩效自评表)."""
    d = open_docx(str(path))
    keys = ["01", "02", "03", "04", "05", "06", "09", "07", "08", "10"]
    assert len(d.tables) >= len(keys)
    assert all(unique_cells(t.rows[0])[0] in ("项目名称", "单位负责人", "评价指标") for t in d.tables[len(keys):])
    return {k: [unique_cells(r) for r in t.rows] for k, t in zip(keys, d.tables)}


def paragraphs(path: Path) -> str:
    return "\n".join(p.text for p in open_docx(str(path)).paragraphs)


def total(values) -> Decimal | None:
    vals = [v for v in values if v is not None]
    return sum(vals, Decimal(0)) if vals else None


def subject_sums(rows: list[dict], columns: list[str]) -> dict[str, dict[str, Decimal | None]]:
    """合计, 类, 款 and 项 of a 功能分类 table from its 7-digit 项 rows alone."""
    leaves = [r for r in rows if len(str(r["科目编码"])) == 7]
    prefixes = {""} | {str(r["科目编码"])[:n] for r in leaves for n in (3, 5, 7)}
    out = {}
    for p in prefixes:
        under = [r for r in leaves if str(r["科目编码"]).startswith(p)]
        out[p or "合计"] = {c: total(r.get(c) for r in under) for c in columns}
    return out


# ---------------------------------------------------------------- 元 in, 万元 out

@pytest.fixture(scope="module")
def yuan_as_wanyuan(tmp_path_factory):
    """xiaohe's 元 data (as exported from the 决算软件) published in 万元, through the CLI."""
    tmp = tmp_path_factory.mktemp("wan")
    src = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    path = tmp / "xiaohe-2022-wan.yaml"
    path.write_text(src.replace("金额单位: 元\n", "金额单位: 元\n公开金额单位: 万元\n", 1), encoding="utf-8")
    proc = run_cli("render", str(path), "--format", "docx,pdf", "--out", str(tmp / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check = run_cli("check", str(path), "--format", "json")
    files = {p.suffix[1:]: p for p in (tmp / "out").iterdir()}
    return read_yaml(path).data, files, check


def test_every_printed_amount_is_its_exact_value_rounded_once(yuan_as_wanyuan):
    data, files, _ = yuan_as_wanyuan
    tables = docx_tables(files["docx"])
    income_cols = ["财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
    expense_cols = ["基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    checked = 0
    for key, table, cols in (("02", "收入决算表", income_cols), ("03", "支出决算表", expense_cols),
                             ("05", "一般公共预算财政拨款支出决算表", ["基本支出", "项目支出"])):
        sums = subject_sums(data[table], cols)
        for code, values in sums.items():
            row = next(r for r in tables[key] if r[0] == code)
            amounts = row[1:] if code == "合计" else row[2:]
            want = [cell_text(total(values.values()))] + [cell_text(values[c]) for c in cols]
            assert amounts == want, (key, code)
            checked += len(want)
    # 06 支出决算明细表 (金额, 其中：基本支出): 项 as given, 款 and the two 合计 from the 项
    econ = [r for r in data["经济分类支出明细"] if re.fullmatch(r"\d{5}", str(r["科目编码"]))]
    lines = {str(r["科目编码"]): (total([r.get("基本支出"), r.get("项目支出")]), r.get("基本支出")) for r in econ}
    for cls in {c[:3] for c in lines}:
        under = [r for r in econ if str(r["科目编码"]).startswith(cls)]
        lines[cls] = (total(total([r.get("基本支出"), r.get("项目支出")]) for r in under),
                      total(r.get("基本支出") for r in under))
    printed06 = {}
    for row in tables["06"][2:]:
        for i in range(0, len(row) - 3, 4):
            if row[i] in lines:
                printed06[row[i]] = (row[i + 2], row[i + 3])
    for code, (amount, basic) in lines.items():
        assert printed06[code] == (cell_text(amount), cell_text(basic)), code
        checked += 2
    personnel = [r for r in econ if str(r["科目编码"])[:3] in ("301", "303")]
    public = [r for r in econ if str(r["科目编码"])[:3] not in ("301", "303")]
    last = tables["06"][-1]
    assert last[0] == "人员经费合计" and last[1:3] == [
        cell_text(total(total([r.get("基本支出"), r.get("项目支出")]) for r in personnel)),
        cell_text(total(r.get("基本支出") for r in personnel))]
    assert last[3] == "公用经费合计" and last[4:6] == [
        cell_text(total(total([r.get("基本支出"), r.get("项目支出")]) for r in public)),
        cell_text(total(r.get("基本支出") for r in public))]
    # 09: 预算数 and 决算数 — 合计, 出国, 车辆小计, 购置, 运行维护, 接待
    body09 = tables["09"][-1]
    want09 = []
    for part in ("预算数", "决算数"):
        sg = data["三公经费"].get(part) or {}
        car = total([sg.get("公务用车购置费"), sg.get("公务用车运行维护费")])
        items = [sg.get("因公出国（境）费"), car, sg.get("公务用车购置费"), sg.get("公务用车运行维护费"), sg.get("公务接待费")]
        whole = total([sg.get("因公出国（境）费"), car, sg.get("公务接待费")])
        want09 += [cell_text(whole)] + [cell_text(v) for v in items]
    assert body09 == want09
    # 10: 政府采购
    purchase = data["相关信息统计"]["政府采购"]
    kinds = {k: purchase.get(k) for k in ("货物", "工程", "服务")}
    got10 = {r[0]: r[2] for r in tables["10"] if len(r) == 3 and r[0] in ("合计", "货物", "工程", "服务")}
    assert got10 == {"合计": cell_text(total(kinds.values())), **{k: cell_text(v) for k, v in kinds.items()}}
    # 01 and 04: the grand totals, each rounded from its own exact value
    income = subject_sums(data["收入决算表"], income_cols)["合计"]
    spent = subject_sums(data["支出决算表"], expense_cols)["合计"]
    rows01 = {r[0]: r for r in tables["01"]}
    assert rows01["本年收入合计"][2] == cell_text(total(income.values()))
    assert rows01["本年收入合计"][5] == cell_text(total(spent.values()))
    assert rows01["总计"][2] == rows01["总计"][5] == cell_text(total(income.values()))
    assert rows01["一、一般公共预算财政拨款收入"][2] == cell_text(income["财政拨款收入"])
    rows04 = {r[0]: r for r in tables["04"]}
    assert rows04["本年收入合计"][2] == cell_text(income["财政拨款收入"])
    gp = subject_sums(data["一般公共预算财政拨款支出决算表"], ["基本支出", "项目支出"])["合计"]
    assert rows04["本年收入合计"][5] == rows04["本年收入合计"][6] == cell_text(total(gp.values()))
    assert checked >= 40


def test_a_printed_total_is_not_the_sum_of_the_printed_rows(yuan_as_wanyuan):
    """100660.30 + 62862.13 = 163522.43 元 prints as 10.07 + 6.29 = 16.35 万元, not 16.36."""
    _, files, _ = yuan_as_wanyuan
    rows = {r[0]: r for r in docx_tables(files["docx"])["02"]}
    assert [rows[c][2] for c in ("2011301", "2011302")] == ["10.07", "6.29"]
    assert rows["合计"][1] == "16.35"
    assert "金额单位：万元" in paragraphs(files["docx"])


def test_narrative_rates_recompute_from_the_printed_amounts(yuan_as_wanyuan):
    """The seed's own 附件 prints what a reader computes from the 万元 tables: 基本支出 7.15万元,
    占比43.73% of 16.35万元 (the 元 figures give 43.75%)."""
    _, files, _ = yuan_as_wanyuan
    text = paragraphs(files["docx"])
    published = seed_text("xiaohe-2022-final-accounts.txt")
    assert "基本支出 7.15 万元,占比 43.73%" in published
    assert "基本支出7.15万元，占比43.73%" in text
    assert "项目支出9.20万元，占比56.27%" in text
    # every 占比 in 三、支出决算情况说明 is part ÷ printed 支出合计, and they add up to 100.00%
    section = text[text.rindex("三、支出决算情况说明"):text.rindex("四、财政拨款收支决算总体情况说明")]
    whole = Decimal(re.search(r"支出合计([\d,.]+)万元", section).group(1).replace(",", ""))
    pairs = [(Decimal(a.replace(",", "")), Decimal(b)) for a, b in re.findall(r"([\d,.]+)万元，占比([\d.]+)%", section)]
    assert sum(b for _, b in pairs) == Decimal("100.00")
    largest = max(a for a, _ in pairs)
    for amount, share in pairs:
        if amount != largest:
            assert share == q(amount * 100 / whole)
    # 完成年初预算 %: 决算 and 年初预算 as printed
    m = re.search(r"年初预算([\d,.]+)万元，支出决算([\d,.]+)万元，完成年初预算的([\d.]+)%", text)
    budget, actual, rate = (Decimal(g.replace(",", "")) for g in m.groups())
    assert rate == q(actual * 100 / budget)
    # 增减 against last year's figures as last year's 万元 report printed them
    m = re.search(r"收入总计([\d,.]+)万元、支出总计[\d,.]+万元。与上年相比，收入总计(增加|减少)([\d,.]+)万元，(?:增长|下降)([\d.]+)%", text)
    this, _, diff, rate = m.groups()
    this, diff, rate = Decimal(this), Decimal(diff), Decimal(rate)
    last = this + diff if m.group(2) == "减少" else this - diff
    assert rate == q(diff * 100 / last)


def test_check_of_yuan_data_for_a_wanyuan_report_has_no_error(yuan_as_wanyuan):
    _, files, check = yuan_as_wanyuan
    assert check.returncode == 0, check.stdout
    assert '"severity": "错误"' not in check.stdout
    pdf = files["pdf"]
    assert pdf.stat().st_size > 10_000


def test_report_unit_yuan_with_wanyuan_data_is_refused(tmp_path):
    src = TAILS.read_text(encoding="utf-8").replace("金额单位: 万元\n", "金额单位: 万元\n公开金额单位: 元\n", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(src, encoding="utf-8")
    proc = run_cli("check", str(path))
    assert proc.returncode == 2
    assert "公开金额单位" in proc.stderr and "第" in proc.stderr


# ---------------------------------------------------------------- 万元 in, with the published totals

TAIL_HINTS = {   # rule → (stated, sum of its rounded items) as the fixture's comment lists them
    "T02-ITEM": ("135.03", "135.01"), "T02-SUM": ("166.40", "166.39"), "T03-ROW": ("166.40", "166.39"),
    "T03-ITEM": ("126.79", "126.78"), "T06-ITEM": ("136.92", "136.91"), "T09-TOTAL": ("1.36", "1.35"),
    "T10-PURCHASE": ("4.45", "4.44"),
}


def _findings(proc) -> list[dict]:
    return json.loads(proc.stdout)


def test_tails_are_hints_naming_both_numbers():
    proc = run_cli("check", str(TAILS), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = _findings(proc)
    assert found and {f["severity"] for f in found} == {"提示"}
    for rule, (stated, items) in TAIL_HINTS.items():
        msgs = [f["message"] for f in found if f["rule"] == rule]
        assert any(stated in m and items in m and "尾差" in m for m in msgs), (rule, msgs)


@pytest.fixture(scope="module")
def tails_rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("tails")
    proc = run_cli("render", str(TAILS), "--format", "docx", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return next(out.glob("*.docx"))


def test_stated_totals_are_printed_as_stated(tails_rendered):
    d = open_docx(str(tails_rendered))
    tables = [[unique_cells(r) for r in t.rows] for t in d.tables]
    t02 = {r[0]: r for r in tables[1]}
    assert t02["合计"][1:3] == ["166.40", "166.40"]             # not the sum of the 类, 166.39
    assert t02["20103"][2:4] == ["135.03", "135.03"]          # not the sum of the 项, 135.01
    t03 = {r[0]: r for r in tables[2]}
    assert t03["合计"][1:4] == ["166.40", "158.15", "8.24"]
    t06 = tables[5]
    assert t06[-1][:2] == ["人员经费合计", "136.92"] and "21.23" in t06[-1]
    row301 = next(r for r in t06 if r[0] == "301")
    assert row301[2] == "136.92"
    t09 = tables[8]
    assert t09[-1][6] == "1.36"                                # 决算数 合计
    t10 = {r[0]: r for r in tables[9] if len(r) == 3}
    assert t10["合计"][2] == "4.45"


def test_narrative_uses_the_stated_totals(tails_rendered):
    text = paragraphs(tails_rendered)
    assert "2023年度收入合计166.40万元" in text
    assert "基本支出158.15万元，占比95.05%" in text and "项目支出8.24万元，占比4.95%" in text
    assert "人员经费136.92万元" in text
    assert "支出决算1.36万元，完成全年预算的53.33%，比上年度减少0.14万元，下降9.33%" in text
    assert "政府采购支出总额4.45万元" in text
    assert "收入总计增加16.40万元，增长10.93%" in text


def test_a_gap_too_large_for_a_tail_is_an_error_naming_both_numbers(tmp_path):
    src = TAILS.read_text(encoding="utf-8")
    bad = src.replace("{科目编码: 合计, 本年收入合计: 166.40, 财政拨款收入: 166.40}",
                      "{科目编码: 合计, 本年收入合计: 166.47, 财政拨款收入: 166.47}", 1)
    assert "166.47" in bad
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    proc = run_cli("check", str(path), "--format", "json")
    assert proc.returncode == 1
    found = _findings(proc)
    errors = [f for f in found if f["severity"] == "错误"]
    assert [f["rule"] for f in errors] == ["T02-SUM"]            # 166.47 against 135.03 + 21.95 + 9.41
    assert "166.47" in errors[0]["message"] and "166.39" in errors[0]["message"]
    item = next(f for f in found if f["rule"] == "T02-ITEM")      # 0.02 over five 项: still a 尾差
    assert item["severity"] == "提示" and "135.03" in item["message"] and "135.01" in item["message"]
    out = tmp_path / "out"
    render = run_cli("render", str(path), "--format", "docx", "--out", str(out))
    assert render.returncode == 1
    assert not out.exists() or not any(out.iterdir())


# ---------------------------------------------------------------- both paths from the workbook

def test_both_paths_work_from_the_workbook(tmp_path):
    """元 data published in 万元, and 万元 data with its 尾差: export to a workbook, import it back,
    render and check from the workbook."""
    src = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8")
    wan = tmp_path / "xiaohe-wan.yaml"
    wan.write_text(src.replace("金额单位: 元\n", "金额单位: 元\n公开金额单位: 万元\n", 1), encoding="utf-8")
    for path, key in ((wan, "xiaohe"), (TAILS, "tails")):
        book = tmp_path / f"{key}.xlsx"
        assert run_cli("export", str(path), "--out", str(book)).returncode == 0
        back = tmp_path / f"{key}-back.yaml"
        imp = run_cli("import", str(book), "--out", str(back))
        assert imp.returncode == 0, imp.stderr
        assert read_yaml(back).data.get("公开金额单位") == read_yaml(path).data.get("公开金额单位")
        out = tmp_path / f"out-{key}"
        proc = run_cli("render", str(book), "--format", "docx", "--out", str(out))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        rendered = next(out.glob("*.docx"))
        rows = {r[0]: r for r in [unique_cells(r) for r in open_docx(str(rendered)).tables[1].rows]}
        assert rows["合计"][1] == ("16.35" if key == "xiaohe" else "166.40")
        check = run_cli("check", str(book), "--format", "json")
        assert check.returncode == 0
        if key == "tails":
            rules = {f["rule"] for f in _findings(check) if f["severity"] == "提示"}
            assert set(TAIL_HINTS) <= rules


def test_last_year_copied_from_last_years_wanyuan_report(tmp_path):
    """元 data with 上年 figures typed from last year's 万元 report (上年.金额单位: 万元) compares the
    same as with last year's 元 figures: both are what last year's 万元 report printed."""
    src = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8").replace(
        "金额单位: 元\n", "金额单位: 元\n公开金额单位: 万元\n", 1)
    head, rest = src.split("\n上年:\n", 1)
    block, tail = rest.split("\n\n", 1)
    in_wan = re.sub(r"(: )(\d+\.\d{2})", lambda m: m.group(1) + f"{q(Decimal(m.group(2)) / WAN):.2f}", block)
    assert "34.45" in in_wan and "1.48" in in_wan
    texts = {}
    for name, text in (("yuan", src), ("wan", f"{head}\n上年:\n  金额单位: 万元\n{in_wan}\n\n{tail}")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out = tmp_path / name
        proc = run_cli("render", str(path), "--format", "docx", "--out", str(out))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        texts[name] = paragraphs(next(out.glob("*.docx")))
    assert texts["yuan"] == texts["wan"]
    assert "与上年相比，收入总计减少18.10万元，下降52.54%" in texts["wan"]    # 16.35 against 34.45


def test_the_rounding_is_chosen_in_one_place():
    """Every rounding goes through numbers.round_places / round_step (四舍五入, numbers.ROUNDING):
    no other module names a rounding mode or rounds with quantize, so changing it is one line."""
    import ast
    offenders = []
    for path in sorted((ROOT / "generator").rglob("*.py")):
        if path.name == "numbers.py" and path.parent.name == "generator":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Name, ast.alias)) and (getattr(node, "id", None) or node.name).startswith("ROUND_"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno if hasattr(node, 'lineno') else ''}")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "quantize" and \
                    (len(node.args) > 1 or node.keywords):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
