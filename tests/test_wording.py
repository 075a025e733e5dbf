"""Wording that real reports need (issue 8): a unit's reason or use that already opens with the
words our sentence puts before it is not doubled, and no composed sentence of the report has a
doubled word or doubled punctuation — for the examples and for generated units."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from generator.compose.document import Heading, Paragraph
from generator.compose.report import compose
from generator.derive.printed import publish
from generator.derive.totals import derive
from generator.load.unit_loader import Builder, read_located
from generator.pipeline import prepare
from generator.profile import load_profile

from .checkfix import BASES, new_ids, replace
from .conftest import EXAMPLES, ROOT

FIXTURES = ROOT / "tests" / "fixtures"

# Independent of the rule's own patterns: any run of two or more characters starting with a CJK
# character written twice in a row, a doubled 的/了/于/元, or two sentence marks in a row.
DOUBLED = re.compile(r"([\u4e00-\u9fff].{1,29}?)\1|([的了于元])\2|[，。、；：,;:]{2,}")
LEGIT = ("的的确确", "不了了之", "为了了解", "目的的")


def doubles(text: str) -> list[str]:
    return [m.group() for m in DOUBLED.finditer(text) if not any(ok in text for ok in LEGIT if m.group() in ok)]


def composed_text(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, (Heading, Paragraph))]


def narrative_of(path) -> str:
    return "\n".join(composed_text(prepare(path).document))


# ---------------------------------------------------------------- the unit's words after our lead words

CASES = [   # (YAML line in the admin fixture, replacement, phrase that must appear, phrase that must not)
    ("收入支出变动原因: 本年度新增政府性基金项目", "收入支出变动原因: 主要原因是本年度新增政府性基金项目",
     "主要原因是本年度新增政府性基金项目", "主要原因是主要原因"),
    ("收入支出变动原因: 本年度新增政府性基金项目", "收入支出变动原因: 主要是本年度新增政府性基金项目。",
     "主要原因是本年度新增政府性基金项目。", "主要原因是主要是"),
    ("一般公共预算支出变动原因: 人员增加", "一般公共预算支出变动原因: 主要原因：人员增加",
     "主要原因是人员增加", "主要原因是主要原因"),
    ('"201": {用途: 机关运行和一般行政管理事务, 变动原因: 人员增加}',
     '"201": {用途: 用于机关运行和一般行政管理事务, 变动原因: 主要是人员增加}',
     "用于机关运行和一般行政管理事务。较上年决算增加", "用于用于"),
    ('"201": {用途: 机关运行和一般行政管理事务, 变动原因: 人员增加}',
     '"201": {用途: 主要用于机关运行和一般行政管理事务, 变动原因: 人员增加}',
     "，用于机关运行和一般行政管理事务。", "用于主要用于"),
    ("公务用车运行维护费: {变动原因: 减少车辆使用, 用途: 公务用车燃料费和维修费}",
     "公务用车运行维护费: {变动原因: 主要原因是减少车辆使用, 用途: 主要用于公务用车燃料费和维修费}",
     "主要用于：公务用车燃料费和维修费。", "主要用于：主要用于"),
    ("国内接待: {金额: 10000.00, 批次: 5, 人次: 40, 说明: 上级部门检查调研}",
     "国内接待: {金额: 10000.00, 批次: 5, 人次: 40, 说明: 主要是上级部门检查调研}",
     "主要是上级部门检查调研", "主要是主要是"),
]


@pytest.mark.parametrize("old, new, want, never", CASES, ids=[c[3] for c in CASES])
def test_a_units_words_are_not_doubled_by_ours(tmp_path, old, new, want, never):
    text = replace((BASES["admin"]).read_text(encoding="utf-8"), old, new, 1)
    path = tmp_path / "unit.yaml"
    path.write_text(text, encoding="utf-8")
    composed = narrative_of(path)
    assert want in composed and never not in composed
    assert doubles(composed) == []


# ---------------------------------------------------------------- the rule on the composed text

def test_rule_reports_a_doubled_phrase_of_the_units_text(tmp_path):
    new, found = new_ids(tmp_path, "admin", lambda t: replace(t, "收入支出变动原因: 本年度新增政府性基金项目",
                                                             "收入支出变动原因: 新增项目新增项目", 1))
    assert new == {"N-COMPOSED-REPEAT"}
    f = next(f for f in found if f.rule == "N-COMPOSED-REPEAT")
    assert f.severity == "错误" and "新增项目新增项目" in f.message and "收入支出变动原因" in f.message
    assert f.source.line and f.source.path == "情况说明.收入支出变动原因"


def test_rule_reports_a_doubling_made_by_composing(tmp_path):
    """用于 + “于机关运行”: neither our template nor the unit's text doubles anything on its own."""
    new, found = new_ids(tmp_path, "admin", lambda t: replace(t, "{用途: 机关运行和一般行政管理事务,",
                                                             "{用途: 于机关运行和一般行政管理事务,", 1))
    assert new == {"N-COMPOSED-REPEAT"}
    f = next(f for f in found if f.rule == "N-COMPOSED-REPEAT")
    assert "“于于”" in f.message and "五、一般公共预算财政拨款支出决算情况说明" in f.message


@pytest.mark.parametrize("path", [EXAMPLES / "xiaohe-2022.yaml", EXAMPLES / "xincailiao-2023.yaml",
                                  FIXTURES / "admin-unit-with-funds-2023.yaml", FIXTURES / "wanyuan-tails-2023.yaml"],
                         ids=lambda p: p.stem)
def test_no_composed_paragraph_of_the_examples_has_a_double(path):
    result = prepare(path)
    assert not [f for f in result.findings if f.rule == "N-COMPOSED-REPEAT"]
    assert [t for t in composed_text(result.document) if doubles(t)] == []


# ---------------------------------------------------------------- generated units

LEADS = ["", "主要原因是", "主要原因：", "主要是", "原因是", "用于", "主要用于", "主要用于：", "主要包括", "主要为"]
PHRASES = ["人员增加", "本年度新增项目", "压减一般性支出", "办公楼维修", "公务用车燃料费和维修费",
           "上级部门检查调研", "疫情防控支出增加", "机关运行", "厉行节约"]
ENDS = ["", "。", "；", "，"]
WORD_KEYS = [("收入支出变动原因",), ("财政拨款收支变动原因",), ("一般公共预算支出变动原因",), ("公用经费说明",),
             ("机关运行经费变动原因",), ("类说明", "201", "用途"), ("类说明", "201", "变动原因"),
             ("三公经费", "变动原因"), ("三公经费", "公务用车运行维护费", "用途"),
             ("三公经费", "公务用车运行维护费", "变动原因"), ("三公经费", "公务接待费", "变动原因"),
             ("三公经费", "国内接待", "说明"), ("国有资产", "其他用车说明")]

phrase = st.builds(lambda lead, body, end: lead + body + end,
                   st.sampled_from(LEADS), st.sampled_from(PHRASES), st.sampled_from(ENDS))


@settings(max_examples=60, deadline=None)
@given(words=st.lists(phrase, min_size=len(WORD_KEYS), max_size=len(WORD_KEYS)),
       scale=st.sampled_from(["0.37", "1", "13.13", "0"]), other_income=st.booleans())
def test_generated_units_compose_without_doubles(words, scale, other_income):
    """The admin fixture with its unit's words drawn from phrases that open with our lead words
    or not, end with a mark or not; last year's figures scaled (up, down, same, zero)."""
    located = read_located(FIXTURES / "admin-unit-with-funds-2023.yaml")
    data = located.data
    for keys, text in zip(WORD_KEYS, words):
        d = data["情况说明"]
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = text
    if not other_income:                       # a unit with one income kind less
        for row in data["收入决算表"]:
            row.pop("其他收入", None)
            row.pop("本年收入合计", None)
    factor = Decimal(scale)
    for key in ("上年",):
        for k, v in list((data.get(key) or {}).items()):
            if isinstance(v, Decimal):
                data[key][k] = (v * factor).quantize(Decimal("0.01"))
    unit = Builder(located).build()
    d = publish(derive(unit, load_profile(unit.profile)))
    texts = composed_text(compose(d))
    assert [t for t in texts if doubles(t)] == []
