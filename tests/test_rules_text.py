"""Rules on the narrative inputs (generator/check/rules_text.py, ids N-…) and on 政府采购, 三公 接待
and the unit's own arithmetic (generator/check/rules_other.py, ids A-…).

Every rule has a failing fixture (a real example with a few text replacements) that produces
that rule's id and no other id the unedited example does not already produce, and a passing
fixture in which the rule stays silent.
"""
from __future__ import annotations

from decimal import Decimal

import pytest

import generator.check.rules_text as rules_text  # (importing registers the rules until __init__ imports them)
from generator.check.registry import ERROR, RULES
from generator.check.rules_other import evaluate_text, find_claims
from generator.check.rules_text import iter_texts
from generator.load.unit_loader import load_unit

from .checkfix import BASES, findings_of, new_ids, replace, set_key

# (N-TEXT-AMOUNT and N-TEXT-PERCENT, numbers in the unit's texts, have their own tests/test_text_numbers.py)
MINE = {r.id for r in RULES if r.id.startswith(("N-", "A-")) and not r.id.startswith("N-TEXT-")}


def findings_for(tmp_path, base: str, replacements: list):
    """(ids the edited example produces that the unedited one does not, all findings of the edited one).

    A replacement is (old, new) text (old must occur) or an edit function from tests/checkfix.py."""
    edits = [r if callable(r) else (lambda t, o=r[0], n=r[1]: replace(t, o, n)) for r in replacements]
    return new_ids(tmp_path, base, *edits)


def sangong_budget(value: str):
    """三公经费.预算数: 公务接待费 (the only item of xincailiao) and the stated 合计."""
    return [lambda t: set_key(t, ["三公经费", "预算数", "公务接待费"], value),
            lambda t: set_key(t, ["三公经费", "预算数", "合计"], value)]


def other(text: str) -> tuple[str, str]:
    """Put a sentence into 情况说明.其他事项 (both examples say 其他事项: 无)."""
    return ("  其他事项: 无", f"  其他事项: {text}")


XIAOHE_TOTAL_REASON = ("  收入支出变动原因: 2022年因疫情防控等原因，根据晋中开发区财政局工作要求和资金使用要求，"
                       "压减区内企业管理服务经费、党建及机关文化建设经费等项目支出费用\n")
XC_LAST_TOTALS = "  收入总计: 142.85                 # 5987.71 − 5844.86（增长4091.61%）\n  支出总计: 142.85\n"
XC_LAST_FISCAL = "  财政拨款收入总计: 142.85\n  财政拨款支出总计: 142.85\n"
XC_REASONS = ("  收入支出变动原因: 工作安排增加企业扶持资金项目\n  财政拨款收支变动原因: 工作安排增加企业扶持资金项目\n"
              "  一般公共预算支出变动原因: 工作安排增加企业扶持资金项目\n")
XC_CLASS_REASON = "      变动原因: 本年度委托业务费用、租赁费、印刷费减少"
SEED_SANGONG = ("本年度“三公经费”预算安排1.78万元，上年度“三公经费”预算安排1.98万元，"
                "“三公经费”变动率=(1.78-1.98)/1.98*100%=10%")
SEED_ADJUST = ("2022年度年初预算为35.66万元，调整后预算为22.02万元，"
               "预算调整率为19.10/32.75*100%=58.32%")

# (rule id, base, replacements): the edited file must produce exactly this new id
FAILING = [
    ("N-REASON-TOTAL", "xiaohe", [(XIAOHE_TOTAL_REASON, "")]),
    ("N-REASON-FISCAL", "xincailiao", [(XC_LAST_TOTALS, ""),
                                       (XC_REASONS, "  一般公共预算支出变动原因: 工作安排增加企业扶持资金项目\n")]),
    ("N-REASON-GP", "xincailiao", [(XC_LAST_TOTALS + XC_LAST_FISCAL, ""), (XC_REASONS, "")]),
    ("N-REASON-CLASS", "xincailiao", [(XC_CLASS_REASON + "\n", "")]),
    ("N-REASON-SANGONG", "xiaohe", [("    变动原因: 本单位公务用车为开发区管委会调配使用，严格执行“中央八项规定”精神，"
                                     "厉行节约，压缩三公经费支出，减少燃油费、汽油费等支出\n", "")]),
    ("N-REASON-SANGONG", "xincailiao", [("      变动原因: 因工作安排，招商引资力度加大加强，", "      用途: 因工作安排，")]),
    ("N-REASON-ADMIN", "admin", [("  机关运行经费变动原因: 办公费增加\n", "")]),
    ("N-BUDGET-ZERO", "xincailiao", [('    "201": 101.87', '    "201": 0'),
                                     # (no rate: with a 0 budget it is N-TEXT-PERCENT as well)
                                     (XC_CLASS_REASON, XC_CLASS_REASON + "，已完成年初预算")]),
    ("N-BUDGET-CODE", "xincailiao", [('    "206": 14000.00', '    "206": 14000.00\n    "20105": 1.00')]),
    ("N-PLACEHOLDER", "xincailiao", [other("本单位20XX年度无其他需要说明的事项")]),
    ("N-PLACEHOLDER", "xincailiao", [other("××单位无其他事项")]),
    ("N-PLACEHOLDER", "xincailiao", [other("支出增加（减少）5.00万元")]),
    ("N-PLACEHOLDER", "xincailiao", [(XC_CLASS_REASON, "      变动原因: 主要原因是：。")]),
    ("N-PLACEHOLDER", "xiaohe", [("      变动原因: 本单位无公务接待费支出", "      变动原因: 待填写")]),
    ("N-REPEAT-WORD", "xincailiao", [other("本年度支出增加增加，无其他事项")]),
    ("N-REPEAT-WORD", "xincailiao", [other("本年度支出减减少，无其他事项")]),
    ("N-REPEAT-WORD", "xincailiao", [other("本年度的的支出无其他事项")]),
    ("N-COMPOSED-REPEAT", "xincailiao", [other("本年度新增项目新增项目")]),
    ("N-COMPOSED-REPEAT", "xincailiao", [("      用途: 企业项目扶持", "      用途: 于企业项目扶持")]),
    ("N-PUNCT", "xincailiao", [other("无。。")]),
    ("N-PUNCT", "xincailiao", [other("本年度，。无其他事项")]),
    ("N-YEAR", "xincailiao", [other("2020年度无其他需要说明的事项")]),
    ("N-MONEY-UNIT", "xincailiao", [other("本年度退回多收款项3.58元")]),
    ("A-PURCHASE-SME", "xiaohe", [("中小企业合同金额: 9734.20", "中小企业合同金额: 9999.00")]),
    ("A-PURCHASE-SMALL", "xiaohe", [("小微企业合同金额: 6734.20", "小微企业合同金额: 9734.21")]),
    ("A-SANGONG-OVER", "xincailiao", sangong_budget("1.00")),
    ("A-RECEPTION-SUM", "xincailiao", [("      金额: 1.44", "      金额: 1.40")]),
    ("A-RECEPTION-FOREIGN", "xincailiao", [("    外事接待:\n      金额: 0.00\n      批次: 0",
                                            "    外事接待:\n      金额: 0.00\n      批次: 20"),
                                           ("      批次: 20\n      人次: 0", "      批次: 20\n      人次: 20")]),
    ("A-CALC-RESULT", "xincailiao", [other(SEED_SANGONG)]),
    # (xiaohe, whose 附件1 has these budgets: in another unit the amounts are N-TEXT-AMOUNT too)
    ("A-CALC-OPERAND", "xiaohe", [other(SEED_ADJUST)]),
]

# (rule id, base, replacements): the rule must stay silent
PASSING = [
    *[(rid, "xincailiao", []) for rid in sorted(MINE)],
    *[(rid, "xiaohe", []) for rid in sorted(MINE - {"N-YEAR", "N-MONEY-UNIT"})],
    *[(rid, "admin", []) for rid in sorted(MINE)],
    # the reason falls back: 财政拨款 → 收入支出, 一般公共预算 → 财政拨款 → 收入支出
    ("N-REASON-FISCAL", "xincailiao", [("  财政拨款收支变动原因: 工作安排增加企业扶持资金项目\n", "")]),
    ("N-REASON-GP", "xincailiao", [("  一般公共预算支出变动原因: 工作安排增加企业扶持资金项目\n", ""),
                                   ("  财政拨款收支变动原因: 工作安排增加企业扶持资金项目\n", "")]),
    # a comparison that is not printed (last year unknown) needs no reason
    ("N-REASON-TOTAL", "xincailiao", [(XC_LAST_TOTALS, ""), ("  收入支出变动原因: 工作安排增加企业扶持资金项目\n", "")]),
    # an unchanged 类 needs no reason
    ("N-REASON-CLASS", "xincailiao", [('    "201": 72.58', '    "201": 64.34'), (XC_CLASS_REASON + "\n", "")]),
    # a 0 年初预算 without a claim of 完成年初预算
    ("N-BUDGET-ZERO", "xincailiao", [('    "201": 101.87', '    "201": 0')]),
    # a 款 and a 项 of table 05 are valid 年初预算 codes
    ("N-BUDGET-CODE", "xincailiao", [('    "206": 14000.00', '    "206": 14000.00\n    "20113": 60.00\n    "2011301": 3.48')]),
    # legitimate reduplications and numbers
    ("N-REPEAT-WORD", "xincailiao", [other("人人参与，常常研究研究，看看11个项目，不了了之的事项无；为了了解税收收入、专项项目、立项项目，达到目的的项目，的的确确无其他事项")]),
    ("N-PUNCT", "xincailiao", [other("无……其他事项——无；“无”。")]),
    ("N-COMPOSED-REPEAT", "xincailiao", [other("人人参与，常常检查，不了了之的事项无；为了了解，的的确确无……其他——“无”。")]),
    # the year before, and years inside document numbers
    ("N-YEAR", "xincailiao", [other("根据晋财预〔2017〕20号、【2021】3号文件，2022年度与2023年度均无其他事项")]),
    ("N-MONEY-UNIT", "xincailiao", [other("本年度退回多收款项3.58万元，折合35800元")]),
    ("A-CALC-RESULT", "xincailiao", [other("本年度“三公经费”预算安排1.78万元，上年度“三公经费”预算安排1.98万元，"
                                           "“三公经费”变动率=(1.78-1.98)/1.98*100%=-10.10%")]),
    ("A-CALC-OPERAND", "xincailiao", [other("2022年度年初预算为35.66万元，调整后预算为22.02万元，"
                                            "预算调整率为13.64/35.66*100%=38.25%")]),
    ("A-SANGONG-OVER", "xincailiao", sangong_budget("2.00")),
]


def test_every_rule_has_fixtures():
    assert MINE == {
        "N-REASON-TOTAL", "N-REASON-FISCAL", "N-REASON-GP", "N-REASON-CLASS", "N-REASON-SANGONG",
        "N-REASON-ADMIN", "N-BUDGET-ZERO", "N-BUDGET-CODE", "N-PLACEHOLDER", "N-REPEAT-WORD", "N-PUNCT",
        "N-COMPOSED-REPEAT",
        "N-YEAR", "N-MONEY-UNIT", "A-PURCHASE-SME", "A-PURCHASE-SMALL", "A-SANGONG-OVER", "A-RECEPTION-SUM",
        "A-RECEPTION-FOREIGN", "A-CALC-RESULT", "A-CALC-OPERAND"}
    assert {f[0] for f in FAILING} == MINE
    for r in RULES:
        if r.id in MINE:
            assert r.description and not r.description.isascii()


@pytest.mark.parametrize("rule_id,base,replacements", FAILING,
                         ids=[f"{f[0]}-{f[1]}-{i}" for i, f in enumerate(FAILING)])
def test_failing_fixture(tmp_path, rule_id, base, replacements):
    new, found = findings_for(tmp_path, base, replacements)
    assert new == {rule_id}, [(f.rule, f.message) for f in found if f.rule in new]
    mine = [f for f in found if f.rule == rule_id]
    for f in mine:
        assert f.message and not f.message.isascii()
        assert f.source.line, f        # every finding points at a line of the edited file
        assert f.source.path


@pytest.mark.parametrize("rule_id,base,replacements", PASSING,
                         ids=[f"{p[0]}-{p[1]}-{i}" for i, p in enumerate(PASSING)])
def test_passing_fixture(tmp_path, rule_id, base, replacements):
    if replacements:
        _, found = findings_for(tmp_path, base, replacements)
    else:
        found = findings_of(BASES[base])
    assert rule_id not in {f.rule for f in found}, [f.message for f in found if f.rule == rule_id]


@pytest.mark.parametrize("base", ["xiaohe", "xincailiao", "admin"])
def test_examples_have_no_errors_from_these_rules(base):
    errors = [f for f in findings_of(BASES[base]) if f.rule in MINE and f.severity == ERROR]
    assert errors == []


def test_xiaohe_warnings_are_the_legitimate_ones():
    """The 元 report quotes project amounts in 万元 and plans for 2023: two warnings, one place each."""
    mine = [f for f in findings_of(BASES["xiaohe"]) if f.rule in MINE]
    assert sorted(f.rule for f in mine) == ["N-MONEY-UNIT", "N-YEAR"]
    year = next(f for f in mine if f.rule == "N-YEAR")
    assert "2023年" in year.message and year.source.path == "情况说明.预算绩效"
    text = BASES["xiaohe"].read_text(encoding="utf-8").split("\n")
    assert "潇河党委将在2023年" in text[year.source.line - 1]     # the line inside the block text


# ---------------------------------------------------------------- the seeds' own arithmetic

def test_seed_sangong_rate_is_caught(tmp_path):
    """xiaohe 附1: “三公经费变动率=(1.78-1.98)/1.98*100%=10%” where the rate is −10.10%."""
    _, found = findings_for(tmp_path, "xiaohe", [other(SEED_SANGONG)])
    calc = [f for f in found if f.rule == "A-CALC-RESULT"]
    assert len(calc) == 1
    f = calc[0]
    assert f.severity == ERROR and f.table == "情况说明"
    assert "(1.78-1.98)/1.98*100%" in f.message and "-10.10%" in f.message and "10%" in f.message
    assert f.expected == Decimal("-10") and f.actual == Decimal("10")
    assert f.source.path == "情况说明.其他事项"
    assert not [f for f in found if f.rule == "A-CALC-OPERAND"]     # 1.78 and 1.98 are stated


def test_seed_budget_adjustment_rate_is_caught(tmp_path):
    """xiaohe 附1: “年初预算为35.66万元 … 调整后预算为22.02万元 … 19.10/32.75*100%=58.32%”."""
    _, found = findings_for(tmp_path, "xiaohe", [other(SEED_ADJUST)])
    ops = [f for f in found if f.rule == "A-CALC-OPERAND"]
    assert len(ops) == 1
    assert "19.10" in ops[0].message and "32.75" in ops[0].message and ops[0].severity != ERROR
    assert not [f for f in found if f.rule == "A-CALC-RESULT"]     # 19.10/32.75 is 58.32%


def test_seed_text_as_extracted_from_pdf(tmp_path):
    """The PDF text has LaTeX residue ($…$, \\%): the claim is still read."""
    text = "预算调整率为 $19.10/32.75*100\\%=58.32\\%$ 。变动率= $(1.78-1.98)/1.98*100%=10%$"
    claims = list(find_claims(text))
    assert [c.expr for c in claims] == ["19.10/32.75*100%", "(1.78-1.98)/1.98*100%"]
    assert [c.holds for c in claims] == [True, False]


# ---------------------------------------------------------------- the calculator

@pytest.mark.parametrize("expr,value", [
    ("1+2*3", "7"), ("(1+2)*3", "9"), ("-(1.5-2)", "0.5"), ("10÷4", "2.5"), ("3×（2+1）", "9"),
    ("19.10/32.75*100%", "0.58320610687022900763"), ("(1.78-1.98)/1.98*100%", "-0.10101010101010101010"),
    ("1,234.5+0.5", "1235.0"), ("0.1+0.2", "0.3"), ("50%*2", "1.00"),
])
def test_evaluate_exactly(expr, value):
    """Exact for terminating decimals; a repeating quotient is carried to 50 digits."""
    want = Decimal(value)
    got = evaluate_text(expr)
    assert (got.quantize(want) == want) if len(value) > 15 else (got == want)


@pytest.mark.parametrize("text,holds", [
    ("执行率=3.68/8.5*100%=43.29%", True),
    ("执行率=3.68/8.5*100%=43.3%", True),         # compared at the claimed precision
    ("执行率=3.68/8.5*100%=43.2%", False),
    ("执行率=3.68/8.5=43.29%", True),             # no ×100: the % claim is a fraction ×100
    ("执行率=3.68/8.5×100=43.29%", True),         # the usual loose writing
    ("合计=1.25+2.25=3.5", True),
    ("合计=1.25+2.25=3.4", False),
    ("得分=0.125*10=1.25", True),
    ("0.005+0.0=0.01", True),                     # half up, not half even
])
def test_claims(text, holds):
    claims = list(find_claims(text))
    assert len(claims) == 1
    assert claims[0].holds is holds


@pytest.mark.parametrize("text", ["2022年1-12月", "5-6个党员先锋示范岗", "等级=优", "合计=100%", "x=1", "年份2023=2023",
                                  "(1+1=", "1/0=5"])
def test_not_claims(text):
    assert list(find_claims(text)) == []


def test_no_eval(monkeypatch):
    import builtins
    monkeypatch.setattr(builtins, "eval", lambda *a, **k: (_ for _ in ()).throw(AssertionError("eval")))
    assert evaluate_text("(1+2)*3") == 9


# ---------------------------------------------------------------- helpers

def test_iter_texts_walks_every_text():
    unit = load_unit(BASES["xincailiao"])
    paths = dict(iter_texts(unit))
    assert "概况.职责" in paths and "情况说明.类说明.201.变动原因" in paths
    assert "情况说明.三公经费.国内接待.说明" in paths and "附件[0].名称" in paths
    assert "情况说明.三公经费.国内接待.金额" not in paths            # amounts and counts are skipped
    assert all(isinstance(t, str) for t in paths.values())
    assert "概况.职责" not in dict(iter_texts(unit, overview=False))


def test_one_finding_per_place(tmp_path):
    """Several residues in one text give one finding; “主要原因是：。” is residue, not doubled punctuation."""
    _, found = findings_for(tmp_path, "xincailiao", [other("XX单位XX年度，主要原因是：。")])
    mine = [f for f in found if f.rule in MINE]
    assert [f.rule for f in mine] == ["N-PLACEHOLDER"]
    assert "“XX”" in mine[0].message and "主要原因是：。" in mine[0].message


def test_sangong_over_budget_says_whether_a_reason_exists(tmp_path):
    edit = sangong_budget("1.00")
    _, found = findings_for(tmp_path, "xincailiao", edit)
    over = {f.row: f for f in found if f.rule == "A-SANGONG-OVER"}
    assert set(over) == {"合计", "公务接待费"}
    assert "已填写" in over["公务接待费"].message
    assert over["公务接待费"].expected == Decimal("1.00") and over["公务接待费"].actual == Decimal("1.44")
    _, found = findings_for(tmp_path, "xincailiao", [*edit, ("      变动原因: 因工作安排，招商引资力度加大加强，", "      用途: 因工作安排，")])
    over = {f.row: f for f in found if f.rule == "A-SANGONG-OVER"}
    assert "未填写" in over["公务接待费"].message


@pytest.mark.parametrize("text", ["20XX年度", "XX单位", "xx项目", "ＸＸ单位", "××单位", "待填写", "增加（减少）", "增加(减少)",
                                  "主要原因是：。", "主要原因是。", "主要原因是："])
def test_placeholder_forms(text):
    assert rules_text.PLACEHOLDER.search(text)


@pytest.mark.parametrize("text", ["XXL型号", "X射线", "增加（主要是差旅费）", "主要原因是差旅费增加。"])
def test_not_placeholders(text):
    assert not rules_text.PLACEHOLDER.search(text)


@pytest.mark.parametrize("text", ["增加增加", "减少减少", "增增加", "减减少", "增增长", "下下降", "支出支出", "原因原因",
                                  "经费经费", "预算预算", "决算决算", "项目项目", "其中其中", "用于用于", "包括包括",
                                  "万元万元", "3.58万元元", "的的", "了了", "主要主要", "收入收入"])
def test_repeated_words(text):
    assert rules_text._REPEAT.search(text)
