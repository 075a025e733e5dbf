"""Every table, cross-table and code rule: one failing fixture that produces exactly that rule's
id (nothing else new), and the examples as passing fixtures. Plus the CLI of `juesuan check`."""
from __future__ import annotations

import json

import pytest

from generator.check import RULES

from .checkfix import BASES, findings_of, new_ids, replace, set_key, set_row
from .conftest import run_cli


def R(table, code, key, value):
    return lambda t: set_row(t, table, code, key, value)


def K(path, value):
    return lambda t: set_key(t, path, value)


def S(old, new):
    return lambda t: replace(t, old, new)


def rows(table, codes, **values):
    return [R(table, c, k, v) for c in codes for k, v in values.items()]


I02, E03, G05 = "收入决算表", "支出决算表", "一般公共预算财政拨款支出决算表"
F07, S08, E06 = "政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表", "经济分类支出明细"
T01, T04 = "收入支出决算总表", "财政拨款收入支出决算总表"
NEW_CLASS = [S('"201"', '"200"'), S('"20113"', '"20013"'), S('"2011301"', '"2001301"'), S('"2011302"', '"2001302"')]

FAILING = {
    "T02-SUM": ("xiaohe", rows(I02, ["合计"], 财政拨款收入="163522.44", 本年收入合计="163522.44")),
    "T02-CLASS": ("xiaohe", rows(I02, ["201", "合计"], 财政拨款收入="163522.44", 本年收入合计="163522.44")),
    "T02-ITEM": ("xiaohe", rows(I02, ["20113", "201", "合计"], 财政拨款收入="163522.44", 本年收入合计="163522.44")),
    "T02-ROW": ("xiaohe", [R(I02, "2011301", "本年收入合计", "100660.31")]),
    "T03-SUM": ("xiaohe", rows(E03, ["合计"], 基本支出="71540.31", 本年支出合计="163522.44")),
    "T03-CLASS": ("xiaohe", rows(E03, ["201", "合计"], 基本支出="71540.31", 本年支出合计="163522.44")),
    "T03-ITEM": ("xiaohe", rows(E03, ["20113", "201", "合计"], 基本支出="71540.31", 本年支出合计="163522.44")),
    "T03-ROW": ("xiaohe", [R(E03, "2011301", "本年支出合计", "100660.31")]),
    "T05-SUM": ("xiaohe", rows(G05, ["合计"], 基本支出="71540.31", 小计="163522.44")),
    "T05-CLASS": ("xiaohe", rows(G05, ["201", "合计"], 基本支出="71540.31", 小计="163522.44")),
    "T05-ITEM": ("xiaohe", rows(G05, ["20113", "201", "合计"], 基本支出="71540.31", 小计="163522.44")),
    "T05-ROW": ("xiaohe", [R(G05, "2011301", "小计", "100660.31")]),
    "T07-SUM": ("admin", rows(F07, ["合计"], 项目支出="80000.01", 小计="80000.01")),
    "T07-CLASS": ("admin", rows(F07, ["212", "合计"], 项目支出="80000.01", 小计="80000.01")),
    "T07-ITEM": ("admin", rows(F07, ["21208", "212", "合计"], 项目支出="80000.01", 小计="80000.01")),
    "T07-ROW": ("admin", [R(F07, "2120899", "小计", "80000.01")]),
    "T08-SUM": ("admin", rows(S08, ["合计"], 项目支出="20000.01", 合计="20000.01")),
    "T08-CLASS": ("admin", rows(S08, ["223", "合计"], 项目支出="20000.01", 合计="20000.01")),
    "T08-ITEM": ("admin", rows(S08, ["22301", "223", "合计"], 项目支出="20000.01", 合计="20000.01")),
    "T08-ROW": ("admin", [R(S08, "2230199", "合计", "20000.01")]),
    "T01-INCOME": ("admin", [K([T01, "本年收入合计"], "810000.01"), K([T01, "收入总计"], "860000.01")]),
    "T01-IN-TOTAL": ("admin", [K([T01, "收入总计"], "860000.01")]),
    "T01-OUT-TOTAL": ("admin", [K([T01, "支出总计"], "860000.01")]),
    "T01-BALANCE": ("admin", [K([T01, "年末结转和结余"], "30000.01"), K([T01, "支出总计"], "860000.01")]),
    "X-01-04": ("admin", [K([T01, "一般公共预算财政拨款收入"], "700000.01"), K([T01, "本年收入合计"], "810000.01"),
                          K([T01, "收入总计"], "860000.01")]),
    "X-01-03": ("admin", [K([T01, "本年支出合计"], "830000.01"), K([T01, "支出总计"], "860000.01")]),
    "T04-BALANCE": ("admin", [K([T04, "年末财政拨款结转和结余", "一般公共预算财政拨款"], "30000.01")]),
    "T04-TOTAL": ("admin", [S("  年末财政拨款结转和结余: {一般公共预算财政拨款: 30000.00}",
                              "  年末财政拨款结转和结余: {一般公共预算财政拨款: 30000.00}\n  合计: {本年支出合计: 820000.01}")]),
    "T04-NEGATIVE": ("admin", [K([T04, "年末财政拨款结转和结余", "一般公共预算财政拨款"], None),
                               K([T04, "年初财政拨款结转和结余", "一般公共预算财政拨款"], None)]),
    "X-04-02": ("admin", [K([T04, "本年收入", "一般公共预算财政拨款"], "700000.01"),
                          K([T04, "年初财政拨款结转和结余", "一般公共预算财政拨款"], "49999.99"),
                          K([T01, "一般公共预算财政拨款收入"], None), K([T01, "本年收入合计"], None)]),
    "X-04-07": ("admin", [K([T04, "年初财政拨款结转和结余", "政府性基金预算财政拨款"], "0.01")]),
    "T06-ITEM": ("xiaohe", [R(E06, "302", "基本支出", "71540.31")]),
    "T06-PERSONNEL": ("xiaohe", [R(E06, "人员经费合计", "项目支出", "29120.01")]),
    "T06-PUBLIC": ("xiaohe", [R(E06, "公用经费合计", "基本支出", "71540.31")]),
    "T06-AMOUNT": ("xiaohe", [R(E06, "30201", "金额", "48165.61")]),
    "T06-NOT-BASIC": ("xincailiao", [R(E06, "30201", "基本支出", "3.07"), R(E06, "302", "基本支出", "3.47"),
                                     S("  - 科目编码: 公用经费合计", '  - 科目编码: "30902"\n    基本支出: 0.01\n  - 科目编码: 公用经费合计')]),
    "T09-TOTAL": ("xiaohe", [K(["三公经费", "预算数", "合计"], "17820.01")]),
    "T09-CAR": ("xiaohe", [K(["三公经费", "预算数", "公务用车购置及运行维护费"], "17820.01"),
                           K(["三公经费", "预算数", "合计"], "17820.01")]),
    "T10-PURCHASE": ("xiaohe", [K(["相关信息统计", "政府采购", "合计"], "9734.21")]),
    "T10-VEHICLES": ("xiaohe", [K(["相关信息统计", "车辆", "车辆数合计"], "1")]),
    "T-NEGATIVE": ("xiaohe", [K(["相关信息统计", "政府采购", "工程"], "-1.00"),
                              K(["相关信息统计", "政府采购", "服务"], "8025.20")]),
    "X-03-05": ("xiaohe", [R(E03, "2011301", "基本支出", "29120.00"), R(E03, "2011301", "项目支出", "71540.30")]
                + rows(E03, ["20113", "201", "合计"], 基本支出="29120.00", 项目支出="134402.43")),
    "X-03-FISCAL": ("admin", [R(E03, "2120899", "项目支出", "79999.99"), R(E03, "2010302", "项目支出", "210000.01")]),
    "X-05-06": ("xiaohe", [R(E06, "30201", "基本支出", "27606.61"), R(E06, "302", "基本支出", "71540.31"),
                           R(E06, "公用经费合计", "基本支出", "71540.31")]),
    "X-05-06-PROJECT": ("xiaohe", [R(E06, "30299", "项目支出", "41503.14"), R(E06, "302", "项目支出", "62862.14"),
                                   R(E06, "公用经费合计", "项目支出", "62862.14")]),
    "X-02-03": ("xiaohe", rows(I02, ["2011301"], 财政拨款收入="62862.13", 本年收入合计="62862.13")
                + rows(I02, ["2011302"], 财政拨款收入="100660.30", 本年收入合计="100660.30")),
    "X-ADMIN-06": ("admin", [K(["相关信息统计", "机关运行经费"], "130000.01")]),
    "X-ADMIN-NA": ("xiaohe", [K(["相关信息统计", "机关运行经费"], "100.00")]),
    "X-09-06": ("xiaohe", [K(["三公经费", "决算数", k], "8024.19") for k in ("公务用车运行维护费", "合计", "公务用车购置及运行维护费")]),
    "C-NAME": ("xincailiao", [R(E03, "20604", "科目名称", "技术与研究开发")]),
    "C-CLASS": ("xiaohe", NEW_CLASS),
    "C-CLASS-NAME": ("xiaohe", [S("科目名称: 一般公共服务支出", "科目名称: 一般公共服务")]),
    "C-OLD-NAME": ("xiaohe", [S('"201"', '"210"'), S('"20113"', '"21013"'), S('"2011301"', '"2101301"'),
                              S('"2011302"', '"2101302"'), S("科目名称: 一般公共服务支出", "科目名称: 医疗卫生与计划生育支出")]),
    "C-SUBJECT-NAME": ("shehuigongzuo", [S("科目名称: 行政事业单位养老支出,", "科目名称: 行政事业单位养老,")]),
    # with the 2024 catalogue's 款 20805 marked complete (CATALOGUE_EDITS): 2080508 is no 项 of it
    "C-SUBJECT-CODE": ("shehuigongzuo", [S('"2080506"', '"2080508"')]),
    "C-ECON-CODE": ("xiaohe", [S("  - 科目编码: 人员经费合计", '  - 科目编码: "30298"\n    基本支出: 0.00\n  - 科目编码: 人员经费合计')]),
    "C-ECON-NAME": ("xiaohe", [R(E06, "30201", "科目名称", "办公用品费")]),
    "X-SME-RESERVE": ("shehuigongzuo", [S("小微企业预留金额: 21.07", "小微企业预留金额: 21.08")]),
    "X-SME-AWARD": ("shehuigongzuo", [S("预留小微企业合同金额: 21.07", "预留小微企业合同金额: 21.09"),
                                      S("小微企业预留金额: 21.07", "小微企业预留金额: 21.06")]),
    # the published report: 21.07 in the reserved projects and again 21.07 in the others
    "X-SME-TOTAL": ("shehuigongzuo", [S("其他项目中小企业合同金额: 0", "其他项目中小企业合同金额: 21.07")]),
    "X-PERF-GRADES": ("shehuigongzuo", [S("自评等级: {优: 1, 良: 0,", "自评等级: {优: 1, 良: 1,")]),
    "X-PERF-SCORE": ("shehuigongzuo", [S("平均得分: 100.00", "平均得分: 100.50")]),
    "X-PERF-ISSUES": ("shehuigongzuo", [S("发现问题数: 0", "发现问题数: 2\n    已整改问题数: 1")]),
    # issue 23: relations between printed facts (generator/check/rules_relations.py)
    "X-01-04-CARRY": ("admin", [K([T04, "年初财政拨款结转和结余", "一般公共预算财政拨款"], "60000.00"),
                                K([T04, "年末财政拨款结转和结余", "一般公共预算财政拨款"], "40000.00")]),
    "X-LY-BALANCE": ("admin", [K(["上年", "收入总计"], "2815300.20")]),
    "X-LY-PARTS": ("admin", [K(["上年", "三公经费", "公务接待费"], "800000.00")]),
    "X-LY-GP-CLASS": ("admin", [K(["上年", "一般公共预算财政拨款支出"], "700000.00")]),
    "X-09-04": ("shehuigongzuo", [K(["三公经费", "预算数", "公务接待费"], "400.00"),
                                  K(["三公经费", "决算数", "公务接待费"], "400.00"),
                                  K(["情况说明", "三公经费", "国内接待"], "{金额: 400.00, 批次: 1, 人次: 2}")]),
    "X-09-06-OVER": ("xiaohe", [K(["三公经费", "预算数", "公务接待费"], "100.00"), K(["三公经费", "预算数", "合计"], "17920.00"),
                                K(["三公经费", "决算数", "公务接待费"], "100.00"), K(["三公经费", "决算数", "合计"], "8124.20"),
                                K(["情况说明", "三公经费", "国内接待", "金额"], "100.00"),
                                K(["情况说明", "三公经费", "国内接待", "批次"], "1"),
                                K(["情况说明", "三公经费", "国内接待", "人次"], "2")]),
    "X-SG-ABROAD": ("xincailiao", [K(["情况说明", "三公经费", "出国团组数"], "3"),
                                   K(["情况说明", "三公经费", "出国人次"], "9")]),
    "X-SG-RECEPTION": ("admin", [S("国内接待: {金额: 10000.00, 批次: 5, 人次: 40", "国内接待: {金额: 10000.00, 批次: 0, 人次: 0")]),
    "X-SG-RECEPTION-FREE": ("xiaohe", [K(["情况说明", "三公经费", "国内接待", "批次"], "2"),
                                       K(["情况说明", "三公经费", "国内接待", "人次"], "5")]),
    "X-SG-CAR-BUY": ("admin", [K(["情况说明", "三公经费", "购置车辆数"], "1")]),
    "X-SG-CARS": ("admin", [K(["情况说明", "三公经费", "车辆保有量"], "5")]),
    "X-SG-CAR-HELD": ("shehuigongzuo", [K(["三公经费", "预算数", "公务用车购置费"], "20.00"),
                                        K(["三公经费", "决算数", "公务用车购置费"], "20.00"),
                                        K(["情况说明", "三公经费", "购置车辆数"], "2"),
                                        K(["情况说明", "三公经费", "车辆保有量"], "0")]),
}


# rules that fire only under a catalogue the shipped ones cannot honestly be (a 类 or 款 marked 完整):
# rule id -> (catalogue file, text, replacement), applied to a copy of templates/catalogs/
CATALOGUE_EDITS = {"C-SUBJECT-CODE": ("gongneng-kuan-2024.yaml", "完整: []", '完整: ["20805"]')}


@pytest.fixture
def catalogue_edit(tmp_path, monkeypatch):
    """Apply CATALOGUE_EDITS[rule_id] to a copy of the catalogues that the profiles read."""
    import shutil

    from generator import profile

    def apply(rule_id: str):
        if rule_id not in CATALOGUE_EDITS:
            return
        name, old, new = CATALOGUE_EDITS[rule_id]
        copy = tmp_path / "catalogs"
        shutil.copytree(profile.CATALOGS, copy)
        (copy / name).write_text(replace((copy / name).read_text(encoding="utf-8"), old, new), encoding="utf-8")
        monkeypatch.setattr(profile, "CATALOGS", copy)
        profile.load_profile.cache_clear()
    yield apply
    profile.load_profile.cache_clear()


@pytest.mark.parametrize("rule_id", sorted(FAILING))
def test_failing_fixture_produces_exactly_that_rule(tmp_path, rule_id, catalogue_edit):
    catalogue_edit(rule_id)
    base, edits = FAILING[rule_id]
    new, found = new_ids(tmp_path, base, *edits)
    assert new == {rule_id}, [(f.rule, f.message) for f in found]
    rule = next(r for r in RULES if r.id == rule_id)
    mine = [f for f in found if f.rule == rule_id]
    assert all(f.severity == rule.severity for f in mine)
    assert all(f.source.file.endswith("-edited.yaml") for f in mine)


@pytest.mark.parametrize("base", sorted(BASES))
def test_passing_fixtures_have_no_errors(base):
    assert [f for f in findings_of(BASES[base]) if f.severity == "错误"] == []


def test_every_table_cross_and_code_rule_has_a_failing_fixture():
    ours = {r.id for r in RULES if r.id[0] in "TXC"}
    assert ours - set(FAILING) == set()
    assert len(RULES) >= 45


def test_rule_ids_are_unique_and_described():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(r.description and r.severity in ("错误", "警告", "提示") for r in RULES)


def test_xincailiao_20604_name_mismatch_as_published(tmp_path):
    """The seed prints 20604 as 技术与开发 in 02/05 and 技术与研究开发 in 03."""
    edits = [R(I02, "20604", "科目名称", "技术与开发"), R(G05, "20604", "科目名称", "技术与开发"),
             R(E03, "20604", "科目名称", "技术与研究开发")]
    new, found = new_ids(tmp_path, "xincailiao", *edits)
    assert new == {"C-NAME"}
    msg = next(f.message for f in found if f.rule == "C-NAME")
    assert "技术与开发" in msg and "技术与研究开发" in msg


def test_names_are_compared_whatever_the_width_of_their_punctuation(tmp_path):
    """维修(护)费 and 维修（护）费 are one name; so are 政府办公厅(室) 及相关机构事务 and 政府办公厅（室）及相关机构事务."""
    edits = [S('  - {科目编码: "30231", 基本支出: 40000.00}',
               '  - {科目编码: "30231", 基本支出: 40000.00}\n  - {科目编码: "30213", 科目名称: 维修(护)费, 基本支出: 0.00}'),
             lambda t: replace(t, "科目名称: 政府办公厅（室）及相关机构事务}", "科目名称: 政府办公厅(室) 及相关机构事务}", 1)]
    new, found = new_ids(tmp_path, "admin", *edits)
    assert "维修(护)费" in (tmp_path / "admin-edited.yaml").read_text(encoding="utf-8")
    assert not new & {"C-ECON-NAME", "C-NAME"}, [(f.rule, f.message) for f in found]
    new, _ = new_ids(tmp_path, "admin", S('  - {科目编码: "30231", 基本支出: 40000.00}',
                                           '  - {科目编码: "30231", 基本支出: 40000.00}\n'
                                           '  - {科目编码: "30213", 科目名称: 维修费, 基本支出: 0.00}'))
    assert "C-ECON-NAME" in new                      # a different name is still an error


def test_finding_names_both_numbers_the_difference_and_the_line(tmp_path):
    new, found = new_ids(tmp_path, "xiaohe", R(I02, "2011301", "财政拨款收入", "100660.31"),
                         R(I02, "2011301", "本年收入合计", "100660.31"))
    f = next(f for f in found if f.rule == "T02-ITEM")
    assert f.table == "02" and f.row == "20113 商贸事务" and f.column == "财政拨款收入"
    assert "163,522.43元" in f.message and "163,522.44元" in f.message and "少 0.01元" in f.message
    text = (tmp_path / "xiaohe-edited.yaml").read_text(encoding="utf-8").split("\n")
    assert f.source.line and text[f.source.line - 1].strip().startswith("财政拨款收入: 163522.43")


def test_a_tail_in_a_wanyuan_file_is_a_hint_and_in_a_yuan_file_an_error(tmp_path):
    edits = [R(I02, "合计", "财政拨款收入", "5987.72"), R(I02, "合计", "本年收入合计", "5987.72")]
    _, found = new_ids(tmp_path, "xincailiao", *edits)                  # 万元: the figures are rounded
    tail = [f for f in found if f.rule == "T02-SUM"]
    assert tail and all(f.severity == "提示" and "尾差" in f.message for f in tail)
    assert not [f for f in found if f.severity == "错误"], [(f.rule, f.message) for f in found]
    _, found = new_ids(tmp_path, "xincailiao", *edits, S("金额单位: 万元", "金额单位: 元"))   # 元: exact
    assert [f.severity for f in found if f.rule == "T02-SUM"] == ["错误"]


# ---------------------------------------------------------------- the command

def test_check_examples_without_errors_exit_0():
    proc = run_cli("check", str(BASES["xiaohe"]), str(BASES["xincailiao"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("：0 个错误") == 2        # xiaohe: warnings only (years, 万元 in its text)
    xin = proc.stdout[proc.stdout.index("xincailiao"):]
    # xincailiao: one warning only, the published 企业扶持资金 form whose 分值 add up to 95
    assert "0 个错误，1 个警告，0 个提示" in xin and "P-WEIGHTS" in xin


def test_check_errors_exit_1_grouped_by_table(tmp_path):
    text = set_row(BASES["xiaohe"].read_text(encoding="utf-8"), I02, "2011301", "本年收入合计", "100660.31")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    proc = run_cli("check", str(path))
    assert proc.returncode == 1
    assert "【公开02表 收入决算表】" in proc.stdout and "错误 T02-ROW" in proc.stdout
    assert "\033[" not in proc.stdout          # no colour when piped
    proc = run_cli("check", str(path), "--format", "json")
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert rows[0]["rule"] == "T02-ROW" and rows[0]["severity"] == "错误" and rows[0]["table"] == "02"
    assert rows[0]["expected"] == "100660.30" and rows[0]["actual"] == "100660.31" and rows[0]["difference"] == "0.01"
    assert rows[0]["line"] and rows[0]["path"].startswith("收入决算表[")


def test_check_unusable_input_exit_2(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("单位名称: [", encoding="utf-8")
    assert run_cli("check", str(path)).returncode == 2


def test_check_rules_lists_every_rule():
    proc = run_cli("check", "--rules")
    assert proc.returncode == 0
    for r in RULES:
        assert r.id in proc.stdout


def test_render_refuses_on_errors_and_force_renders_loudly(tmp_path):
    text = set_row(BASES["xiaohe"].read_text(encoding="utf-8"), I02, "2011301", "本年收入合计", "100660.31")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("render", str(path), "--format", "html", "--out", str(out))
    assert proc.returncode == 1 and "--force" in proc.stderr
    assert not out.exists() or not any(out.iterdir())
    proc = run_cli("render", str(path), "--format", "html", "--out", str(out), "--force")
    assert proc.returncode == 0
    assert "强制生成" in proc.stderr and "T02-ROW" in proc.stderr
    assert len(list(out.glob("*.html"))) == 1


def test_docs_list_every_rule():
    from .checkfix import ROOT
    doc = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    for r in RULES:
        assert f"`{r.id}`" in doc and r.description in doc, r.id


def test_soe_row_total_adds_spending_only(tmp_path):
    """国有资本经营 (like 政府性基金): a row's 合计 = 基本支出 + 项目支出; its 本年收入 is not part of it.
    The rule and derive read that from one place (model.row_sum_columns); the rule once added every
    column of this table."""
    edits = rows(S08, ["合计", "223", "22301", "2230199"], 本年收入="20000.00")
    new, found = new_ids(tmp_path, "admin", *edits)
    assert "本年收入: 20000.00" in (tmp_path / "admin-edited.yaml").read_text(encoding="utf-8")
    assert "T08-ROW" not in new, [(f.rule, f.message) for f in found if f.rule == "T08-ROW"]
    new, _ = new_ids(tmp_path, "admin", *edits, R(S08, "2230199", "合计", "20000.01"))
    assert "T08-ROW" in new                                      # a wrong 合计 is still found
