"""第五部分 附件: the 项目支出绩效自评表 of xincailiao (2023 layout) from data — every computed
figure (执行率, 资金结（转）余, 资金得分, 总分, 等级) in the DOCX and the PDF, each P- rule with a failing
fixture, the rounding of the 2022 layout, and the workbook round trip of the forms.

Where the published forms are wrong, the data keeps the inputs and we print the right result:
部门运转经费 0.847 ÷ 2 = 42.35% (published 42.34), 资金得分 4.24 (4.23), 总分 94.24 (94.23);
企业扶持资金 总分 10 + 80 = 90 (published 95; its 分值 add up to 95, a P-WEIGHTS warning).
"""
from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from generator.check import RULES
from generator.derive.performance import evaluate, round_to
from generator.model import FundRow, Indicator, SelfEval

from .checkfix import new_ids, replace
from tests.conftest import open_docx

# (附件, figures the form prints) — our results, from the data
XINCAILIAO = {
    "招商业务费项目支出绩效自评表": ["92.635", "60.009", "32.626", "64.78", "6.48", "90.48", "优"],
    "企业扶持资金项目支出绩效自评表": ["5923.369", "100.00", "10", "90", "优"],
    "部门运转经费项目支出绩效自评表": ["0.847", "1.153", "42.35", "4.24", "94.24", "优"],
    "保密费项目支出绩效自评表": ["0.2", "0.00", "80", "良"],
    "党支部建设费用项目支出绩效自评表": ["1.1", "0.00", "85", "良"],
}


# xiaohe (2022 layout): 附件2–4; 附件1 (部门整体支出绩效自评表) is listed by name only
XIAOHE = {
    "区内企业管理服务经费项目支出绩效自评表": ["8.5", "3.88", "3.68", "94.85%", "9.5", "100", "95.5"],
    "项目推进协调考察工作经费项目支出绩效自评表": ["3.73", "0.93", "24.93%", "2.5", "90.5"],
    "党建工作及机关文化建设经费项目支出绩效自评表": ["3.927", "2.56", "1.68", "65.63%", "6.5", "90.5"],
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"—\s*\d+\s*—", "", text))


def forms_in_pdf(rendered, key: str, expected: dict[str, list[str]], first: int, year: int) -> str:
    """The PDF text from the first form on; each form (附件{first}…) carries its year line and figures."""
    text = squash(subprocess.run(["pdftotext", str(rendered[key]["pdf"]), "-"], capture_output=True,
                                 text=True, check=True).stdout)
    title = next(iter(expected))
    forms = text[text.index(f"附件{first}：{title}{title[:4]}"):]
    starts = [forms.index(f"附件{i}：{t}") for i, t in enumerate(expected, start=first)] + [len(forms)]
    for (t, figures), a, b in zip(expected.items(), starts, starts[1:]):
        part = forms[a:b]
        assert f"{t}（{year}年度）" in part
        for f in figures:
            assert f in part, (t, f)
    return text


def test_pdf_prints_every_form_with_its_computed_figures(rendered):
    text = forms_in_pdf(rendered, "xincailiao", XINCAILIAO, 1, 2023)
    forms = text[text.index("附件3：部门运转经费项目支出绩效自评表部门"):text.index("附件4：保密费项目支出绩效自评表保密")]
    assert "42.34" not in forms.split("项目实施和预算执行情况")[0]   # not the published rate
    # the 目录 lists 第五部分 附件 as one entry, as the seed's 目录 does (profile 目录列出附件: false)
    toc = text[:text.index("第一部分", text.index("第五部分附件"))]
    assert not any(f"附件{i}：{t}" in toc for i, t in enumerate(XINCAILIAO, start=1))


def test_xiaohe_2022_forms_in_pdf_and_docx(rendered):
    text = forms_in_pdf(rendered, "xiaohe", XIAOHE, 2, 2022)
    assert "65.62%" not in text                        # the published rate, rounded down
    d = open_docx(str(rendered["xiaohe"]["docx"]))
    cells = {c.text for t in d.tables for row in t.rows for c in row.cells}
    assert {"94.85%", "95.5", "24.93%", "65.63%", "6.5"} <= cells


def test_docx_carries_the_same_forms(rendered):
    d = open_docx(str(rendered["xincailiao"]["docx"]))
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 2" and p.text.startswith("附件")]
    assert headings == [f"附件{i}：{t}" for i, t in enumerate(XINCAILIAO, start=1)]
    cells = {c.text for t in d.tables for row in t.rows for c in row.cells}
    for figures in XINCAILIAO.values():
        for f in figures:
            assert f in cells, f


def _form(spent: str, budget: str, scores: list[str]) -> SelfEval:
    return SelfEval(title="测试项目支出绩效自评表", project="测试", year=2022,
                    funds=[FundRow("年度资金总额", budget=Decimal(budget), spent=Decimal(spent))], fund_weight=Decimal(10),
                    indicators=[Indicator("产出指标", weight=Decimal(90), score=Decimal(s)) for s in scores])


@pytest.mark.parametrize("spent,budget,score", [
    ("3.68", "3.88", "9.5"),      # xiaohe 附件2: 94.85% → 9.485 → 9.5
    ("0.93", "3.73", "2.5"),      # xiaohe 附件3: 24.93% → 2.493 → 2.5
    ("1.68", "2.56", "6.5"),      # xiaohe 附件4: 65.63% → 6.563 → 6.5 (the form prints 65.62%)
])
def test_the_2022_layout_rounds_the_fund_score_to_half_points(spent, budget, score):
    thresholds = [("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(0))]
    r = evaluate(_form(spent, budget, ["86"]), Decimal("0.5"), thresholds)
    assert r.fund_score == Decimal(score)
    assert r.total == Decimal(score) + 86
    assert round_to(Decimal("6.478"), Decimal("0.01")) == Decimal("6.48")


def test_fund_score_is_capped_at_its_weight_and_grade_follows_total():
    thresholds = [("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", Decimal(0))]
    r = evaluate(_form("5", "4", ["79"]), Decimal("0.01"), thresholds)      # 125% executed
    assert r.funds[0].rate == Decimal("125.00") and r.fund_score == Decimal(10)
    assert r.total == Decimal(89) and r.grade == "良"
    assert evaluate(_form("0", "4", ["59"]), Decimal("0.01"), thresholds).grade == "差"


PAY = "        - {名称: 资金总额, 目标申报数: 0, 预算编制数: 81, 全年预算数: 92.635, 全年执行数: 60.009}"
FAILING = {
    "P-SCORE-OVER": [("得分: 8}", "得分: 9}"), ("总分: 90.48,", "总分: 91.48,")],
    "P-WEIGHTS": [("分值: 8, 得分: 8}", "分值: 9, 得分: 8}")],    # 附件1: 101; 附件2 has 95 already
    "P-TYPED": [("填写: {执行率: 64.78,", "填写: {执行率: 64.77,")],
    # 招商业务费's budget below what it spent (the sum spent, and so P-SUMMARY and P-PROJECT-MONEY, unchanged)
    "P-OVERSPENT": [(PAY, PAY.replace("全年预算数: 92.635", "全年预算数: 60.000")),
                    ("填写: {执行率: 64.78, 资金得分: 6.48, 总分: 90.48, 等级: 优}", "填写: {等级: 优}")],
    "P-SUMMARY": [("    自评金额: 5984.23\n", "    自评金额: 5984.24\n")],
    # xincailiao's forms spend 5,984.23万元, exactly its 05 项目支出; 0.01 more in a form is more than the tables
    "P-PROJECT-MONEY": [(PAY, PAY.replace("全年执行数: 60.009", "全年执行数: 60.019")),
                        ("填写: {执行率: 64.78, 资金得分: 6.48, 总分: 90.48, 等级: 优}", "填写: {等级: 优}"),
                        ("    自评金额: 5984.23\n", "    自评金额: 5984.24\n")],
}
LAYOUT_RULE = "P-LAYOUT"        # its fixture is a profile without 自评表版式 (test below)


@pytest.mark.parametrize("rule_id", list(FAILING))
def test_failing_fixture_produces_exactly_that_rule(tmp_path, rule_id):
    edits = [lambda t, o=o, n=n: replace(t, o, n, 1) for o, n in FAILING[rule_id]]
    new, found = new_ids(tmp_path, "xincailiao", *edits)
    assert new <= {rule_id}, [(f.rule, f.message) for f in found]
    mine = [f for f in found if f.rule == rule_id]
    # P-WEIGHTS already warns of 附件2 in the unedited example: the edit must add one for 附件1
    assert mine and (rule_id != "P-WEIGHTS" or any(f.message.startswith("附件1") for f in mine)), \
        [(f.rule, f.message) for f in found]


def test_a_profile_without_a_form_layout_is_reported(tmp_path, monkeypatch):
    from generator import profile as profile_module
    profile_module.load_profile.cache_clear()
    real = profile_module._profile

    def without_form(name, seen=(), via=None):
        loc = real(name, seen, via)
        loc.data = {k: v for k, v in loc.data.items() if k != "自评表版式"}
        return loc
    monkeypatch.setattr(profile_module, "_profile", without_form)
    try:
        new, found = new_ids(tmp_path, "xincailiao")
        assert LAYOUT_RULE in {f.rule for f in found}
    finally:
        profile_module.load_profile.cache_clear()


def test_every_p_rule_has_a_failing_fixture():
    """The rules of the 项目支出绩效自评表; those of the 整体 form have theirs in test_overall.py."""
    from generator.check import rules_attachments
    assert {r.id for r in RULES if r.fn.__module__ == rules_attachments.__name__} == set(FAILING) | {LAYOUT_RULE}


def test_the_performance_sentence_takes_its_figures_from_the_forms(tmp_path):
    """xincailiao states 5 projects, 5,984.23万元, 优 3 and 良 2; the forms give the same (Σ 全年执行数
    5,984.225 → 5,984.23; our 总分 make 3 优 and 2 良). Without the stated figures the sentence is the same."""
    from generator.pipeline import prepare
    from .checkfix import BASES
    text = BASES["xincailiao"].read_text(encoding="utf-8")
    for line in ("    自评项目数: 5\n", "    自评金额: 5984.23\n", "    自评等级: {优: 3, 良: 2}\n"):
        assert line in text
        text = text.replace(line, "")
    path = tmp_path / "unit.yaml"
    path.write_text(text, encoding="utf-8")
    result = prepare(path)
    body = "".join(b.text for b in result.document.blocks if hasattr(b, "text") and hasattr(b, "style"))
    assert "涉及二级项目5个，资金5,984.23万元" in body
    assert "3个项目自评等级为“优”，2个项目自评等级为“良”。项目支出绩效自评表详见附件1、附件2、附件3、附件4、附件5。" in body


def test_the_forms_render_on_their_own(tmp_path):
    """juesuan render --attachments-only: a cover, the 目录 and the forms, nothing of 第一至第四部分;
    refused (exit 2, one message) for a unit without forms."""
    from .conftest import EXAMPLES, run_cli
    proc = run_cli("render", str(EXAMPLES / "xincailiao-2023.yaml"), "--attachments-only", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "山西转型综合改革示范区新材料产业招商服务中心2023年度部门决算公开附件.pdf"
    text = squash(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    assert "2023年度部门决算公开附件" in text[:80] and "第二部分" not in text and "收入支出决算总表" not in text
    for i, title in enumerate(XINCAILIAO, start=1):
        assert re.search(re.escape(f"附件{i}：{title}") + r"\.+\d+", text), title     # in the 目录, with its page
    assert all(f in text for figures in XINCAILIAO.values() for f in figures)
    d = open_docx(str(pdf.with_suffix(".docx")))
    assert len(d.tables) == 5
    proc = run_cli("render", str(EXAMPLES / "putuo-shehuigongzuo-2024.yaml"), "--attachments-only", "--out", str(tmp_path))
    assert proc.returncode == 2 and "没有可以单独生成的附件" in proc.stderr and "Traceback" not in proc.stderr
