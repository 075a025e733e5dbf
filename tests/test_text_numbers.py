"""Numbers inside a unit's own 情况说明 texts (generator/check/rules_text_numbers.py, N-TEXT-AMOUNT and
N-TEXT-PERCENT, issue 23): an amount or a percentage a unit writes must be a figure of the section
its text goes into; numbers that are not amounts (years, counts, document numbers, 绩效 targets)
and amounts of things the report does not print are left alone.

Each case edits a real example (one text replacement) and runs every rule, like tests/test_rules_text.py.
``MUTATIONS`` lists the one-change mutations the mutation benchmark can reuse.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

from generator.check.registry import WARNING

from .checkfix import BASES, findings_of, new_ids, replace

IDS = {"N-TEXT-AMOUNT", "N-TEXT-PERCENT"}
XC_201_REASON = "      变动原因: 本年度委托业务费用、租赁费、印刷费减少"
XC_SG_REASON = "    变动原因: 根据工作安排，招商引资力度加大，公务接待企业项目较多"
XC_OTHER = "  其他事项: 无"


def edited(tmp_path, base: str, old: str, new: str):
    return new_ids(tmp_path, base, lambda t: replace(t, old, new, 1))


# (base, old text, new text, rule id, the figure the message must name)
MUTATIONS = [
    # the issue's example: a 类's 预决算差额 written with two digits swapped (101.87 − 64.34 = 37.53)
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，决算数小于预算数37.35万元", "N-TEXT-AMOUNT", "37.53万元"),
    # a 类's 增减率 written wrong: (72.58 − 64.34) / 72.58 = 11.35%
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，支出比上年下降11.53%", "N-TEXT-PERCENT", "11.35%"),
    # “三公经费比上年增长…%” where the report computes (1.44 − 0.30) / 0.30 = 380.00%
    ("xincailiao", XC_SG_REASON, XC_SG_REASON + "，三公经费比上年增长308.00%", "N-TEXT-PERCENT", "380.00%"),
    # its 增减额 (1.44 − 0.30 = 1.14)
    ("xincailiao", XC_SG_REASON, XC_SG_REASON + "，“三公”经费比上年增加1.41万元", "N-TEXT-AMOUNT", "1.14万元"),
    # the section's total: 一般公共预算财政拨款支出 5987.71
    ("xincailiao", "  一般公共预算支出变动原因: 工作安排增加企业扶持资金项目",
     "  一般公共预算支出变动原因: 工作安排增加企业扶持资金项目，本年一般公共预算财政拨款支出合计5978.71万元",
     "N-TEXT-AMOUNT", "5,987.71万元"),
    # a 经济分类 item of 公用经费说明 (06: 办公费 3.08) and a 类's 完成年初预算 (5923.37 / 14000 = 42.31%)
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 主要包括办公费3.80万元\n  人员经费说明:", "N-TEXT-AMOUNT", "3.08万元"),
    ("xincailiao", XC_201_REASON, XC_201_REASON + "；科学技术支出（206）年初预算14000万元，支出决算5923.37万元，"
                                                  "完成年初预算42.13%", "N-TEXT-PERCENT", "42.31%"),
    # an item of a list separated by 、
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 分别为办公费3.08万元、邮电费0.02万元\n  人员经费说明:",
     "N-TEXT-AMOUNT", "0.20万元"),
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 主要为办公费（3.80万元）\n  人员经费说明:", "N-TEXT-AMOUNT", "3.08万元"),
    # free-text 预算绩效 (xiaohe, a 元 report): a project's 执行数 in 万元 against its 自评表 (附件2: 3.68)
    ("xiaohe", "执行数为3.68万元", "执行数为3.86万元", "N-TEXT-AMOUNT", "区内企业管理服务经费）年度资金总额全年执行数3.68万元"),
    # the 整体 自评 执行数 against 附件1 (部门整体支出绩效自评表: 预算执行 16.35万元 = 本年支出合计 163,522.43元)
    ("xiaohe", "整体绩效自评得分为92分。部门（单位）全年预算数为356569元，执行数为163522.43元",
     "整体绩效自评得分为92分。部门（单位）全年预算数为356569元，执行数为165322.43元", "N-TEXT-AMOUNT",
     "附件1（整体自评）预算执行16.35万元"),
    # the amount the project self-evaluations cover (附件2–4 全年执行数 3.68 + 0.93 + 1.68 = 6.29万元)
    ("xiaohe", "二级项目3个，共涉及资金62862.13元", "二级项目3个，共涉及资金68262.13元", "N-TEXT-AMOUNT", "62,900元"),
]


@pytest.mark.parametrize("base,old,new,rule_id,figure", MUTATIONS,
                         ids=[f"{m[3]}-{m[0]}-{i}" for i, m in enumerate(MUTATIONS)])
def test_a_wrong_number_is_a_warning_naming_the_figure(tmp_path, base, old, new, rule_id, figure):
    new_found, found = edited(tmp_path, base, old, new)
    assert new_found == {rule_id}, [(f.rule, f.message) for f in found if f.rule in IDS]
    mine = [f for f in found if f.rule == rule_id]
    assert len(mine) == 1, [f.message for f in mine]
    f = mine[0]
    assert f.severity == WARNING and f.table == "情况说明"
    assert figure in f.message, f.message
    assert f.message.count("中没有这个数") == 1
    assert f"【{f.actual}" in f.message                                  # the sentence is quoted
    assert f.source.line and f.source.path.startswith("情况说明.")
    assert f.expected is not None


def test_the_issue_example_names_the_budget_difference(tmp_path):
    """“文字写13.02万元，本节预决算差额为13.20万元”: the message names the difference by its name."""
    _, found = edited(tmp_path, "xincailiao", XC_201_REASON, XC_201_REASON + "，决算数小于预算数37.35万元")
    f = next(f for f in found if f.rule == "N-TEXT-AMOUNT")
    assert "写37.35万元" in f.message and "预决算差额37.53万元" in f.message
    assert "一般公共服务支出" in f.message and f.source.path == "情况说明.类说明.201.变动原因"
    assert f.expected == Decimal("37.53") and f.actual == Decimal("37.35")


# the right figure, as printed or rounded, in 元, or a number that is not an amount of the report
PASSING = [
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，决算数小于预算数37.53万元"),
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，决算数小于预算数375300元"),        # 元 of 37.53万元
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，支出比上年下降11.35%，减少8.24万元"),
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，支出比上年下降11.4%"),             # rounded as written
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，完成年初预算的63.16%"),
    ("xincailiao", XC_SG_REASON, XC_SG_REASON + "，“三公”经费比上年增长380.00%，增加1.14万元"),
    # years, counts, dates, quarters, document numbers, 绩效 targets, estimates
    ("xincailiao", XC_OTHER, "  其他事项: 根据晋财预〔2023〕5号文件，2023年第1季度起3人参加培训，12月16日召开会议，"
                             "满意度≥90%，服务对象满意度95%以上，覆盖率达到95%，资金约120万元"),
    # amounts of things the report does not print (a 款's items, a sub-project, a subsidy)
    ("xincailiao", XC_201_REASON, XC_201_REASON + "，其中差旅费30.60万元，印刷费减少2.13万元"),
    ("xincailiao", XC_OTHER, "  其他事项: 本年度退回多收款项3.58万元"),
    ("xiaohe", XC_OTHER, "  其他事项: 园区工业产值比上年增加3000万元，招商引资到位资金5000万元，新增投资1200万元"),
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 分别为办公费3.08万元、邮电费0.20万元、会议费0.20万元\n  人员经费说明:"),
    # the published report's own sentences (seeds/xincailiao-2023-final-accounts.txt) as unit texts
    ("xincailiao", XC_201_REASON, "      变动原因: 较上年决算减少8.24万元，下降11.35%，主要原因是本年度委托业务费用、租赁费、"
                                  "印刷费减少；科学技术支出（206）年初预算14000万元，支出决算5923.37万元，完成年初预算42.31%"),
    ("xincailiao", XC_SG_REASON, XC_SG_REASON + "，较上年增加1.14万元，增长380%"),
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 主要包括办公费3.08万元，占比88.50%；邮电费0.2万元，占比5.75%；"
                                    "会议费0.2万元，占比5.75%\n  人员经费说明:"),
    # an amount in brackets is compared like any other
    ("xincailiao", "  人员经费说明:", "  公用经费说明: 主要为办公费（3.08万元）\n  人员经费说明:"),
    # the unit's own formula is A-CALC's business
    ("xiaohe", XC_OTHER, "  其他事项: 预算调整率为13.64/35.66*100%=38.25%"),
]


@pytest.mark.parametrize("base,old,new", PASSING, ids=[f"{p[0]}-{i}" for i, p in enumerate(PASSING)])
def test_a_number_that_is_right_or_not_an_amount_passes(tmp_path, base, old, new):
    new_found, found = edited(tmp_path, base, old, new)
    assert not new_found & IDS, [f.message for f in found if f.rule in IDS]


GUIHUA = BASES["xincailiao"].parent / "putuo-guihuaziyuan-2024.yaml"
GUIHUA_REASON = "  预决算差异原因: 城乡社区支出（类）未完成年初预期"


@pytest.mark.parametrize("written,caught", [("463.38万元", True), ("463.83万元", False), ("4638300元", False)])
def test_shanghai_budget_difference(tmp_path, written, caught):
    """上海 五: 一般公共预算财政拨款支出 9,746.50 against its 年初预算 10,210.33: 预决算差额 463.83万元."""
    text = replace(GUIHUA.read_text(encoding="utf-8"), GUIHUA_REASON,
                   f"  预决算差异原因: 决算数小于预算数{written}，完成年初预算的95.46%，城乡社区支出（类）未完成年初预期")
    path = tmp_path / "guihua.yaml"
    path.write_text(text, encoding="utf-8")
    mine = [f for f in findings_of(path) if f.rule in IDS]
    if not caught:
        assert mine == []
        return
    assert [f.rule for f in mine] == ["N-TEXT-AMOUNT"]
    assert "写463.38万元" in mine[0].message and "一般公共预算财政拨款支出预决算差额463.83万元" in mine[0].message
    assert mine[0].source.path == "情况说明.预决算差异原因"


def test_examples_raise_only_their_true_contradictions():
    """The six examples: no finding except xiaohe's 执行率, which its narrative computes against the
    年初预算 (“执行数为3.68万元，执行率为43.3%”, 3.68 / 8.5) while its 自评表 (附件2–4) print the
    执行率 against the 全年预算 (3.68 / 3.88 = 94.85%): the report prints two 执行率 for each project."""
    for name in ("xincailiao", "shehuigongzuo", "huitong", "xinnengyuan"):
        assert not [f for f in findings_of(BASES[name]) if f.rule in IDS], name
    # “项目支出增加，较上一度增加1133.95万元”: 项目支出 of last year is not in the report
    assert not [f for f in findings_of(GUIHUA) if f.rule in IDS]
    xiaohe = [f for f in findings_of(BASES["xiaohe"]) if f.rule in IDS]
    assert sorted((f.rule, str(f.actual), str(f.expected)) for f in xiaohe) == [
        ("N-TEXT-PERCENT", "42.8", "65.63"), ("N-TEXT-PERCENT", "43.3", "94.85"), ("N-TEXT-PERCENT", "43.9", "24.93")]
    assert all("执行率" in f.message and f.source.path == "情况说明.预算绩效" for f in xiaohe)


# ---------------------------------------------------------------- N-COMPOSED-REPEAT: names are not joins

XC_NAME = "单位名称: 山西转型综合改革示范区新材料产业招商服务中心"


@pytest.mark.parametrize("base,old,new", [
    ("xincailiao", XC_NAME, "单位名称: 山西转型综合改革示范区新材料新材料产业招商服务中心"),      # a unit name
    # a 项 name the unit typed, printed in 上海's 五（三）“…（款）行政运行运行保障（项）”
    ("shehuigongzuo", "科目名称: 行政运行,", "科目名称: 行政运行运行保障,"),
], ids=["unit-name", "item-name"])
def test_a_repeat_inside_one_name_is_not_a_composed_repeat(tmp_path, base, old, new):
    """A word repeated inside a name (of the unit, of a 类/款/项) is the name: N-COMPOSED-REPEAT looks for
    a repeat that straddles the join of the unit's words and the template's."""
    new_found, found = new_ids(tmp_path, base, lambda t: replace(t, old, new))
    assert "N-COMPOSED-REPEAT" not in new_found, [f.message for f in found if f.rule == "N-COMPOSED-REPEAT"]


def test_a_repeat_across_the_join_is_still_found(tmp_path):
    """The template writes “主要用于” before 类说明.206.用途: a 用途 that begins with the unit's name
    ending in the same words is still a doubled run across the join."""
    new_found, found = new_ids(tmp_path, "xincailiao",
                               lambda t: replace(t, "      用途: 企业项目扶持", "      用途: 于企业项目扶持"))
    assert new_found == {"N-COMPOSED-REPEAT"}
