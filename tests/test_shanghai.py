"""Shanghai 2024 (profile shanghai-2024), end to end on the two Putuo reports transcribed from
../shared/seeds: the nine tables in the published order without 公开NN labels, the eleven
sections of 第三部分, the eleven 名词解释, and the published figures in the text.

Where a published report is wrong we print the right figure and the test expects ours (each
case is noted in the example's YAML): “增长100.00%” against a zero base (not printed), “完成年初预算的95.89%” (it is
of the 全年预算); 规划和自然资源局 writes 95.45% (95.46%), 99.86% (99.87%) and 基本支出 5377.64
in 六 (5364.75, the 一般公共预算 figure).
"""
from __future__ import annotations

import re
import subprocess

import pytest

from generator.profile import load_profile

from .conftest import EXAMPLES, run_cli
from tests.conftest import open_docx

PROFILE = load_profile("shanghai-2024")
TABLES = ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表", "一般公共预算财政拨款支出决算表",
          "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
          "国有资本经营预算财政拨款收入支出决算表"]
SECTIONS = ["一、收入支出决算总体情况说明", "二、收入决算情况说明", "三、支出决算情况说明",
            "四、财政拨款收入支出决算总体情况说明", "五、一般公共预算财政拨款支出决算情况说明",
            "六、一般公共预算财政拨款基本支出决算情况说明", "七、财政拨款“三公”经费支出决算情况说明",
            "八、政府性基金预算财政拨款收入支出决算情况说明", "九、国有资本经营预算财政拨款收入支出决算情况说明",
            "十、预算绩效管理情况", "十一、其他重要事项的情况说明"]
GLOSSARY = ["财政拨款收入", "事业收入", "经营收入", "其他收入", "年初结转和结余", "年末结转和结余", "基本支出",
            "项目支出", "经营支出", "“三公”经费", "机关运行经费"]

# Figures as the seed reports publish them (whitespace removed), found in our text.
PUBLISHED = {
    "shehuigongzuo": [
        "2024年度收入支出总计307.82万元", "财政拨款收入307.82万元，占100.00%", "基本支出105.58万元，占34.30%",
        "项目支出202.24万元，占65.70%", "社会保障和就业支出（类）10.82万元，占3.52%", "卫生健康支出（类）2.71万元，占0.88%",
        "全年预算为321.02万元，支出决算为307.82万元", "全年预算为52.00万元，支出决算为51.32万元",
        "完成全年预算数的98.69%", "完成全年预算数的99.55%", "完成全年预算数的97.68%",
        "人员经费95.36万元", "公用经费10.23万元", "机关运行经费支出10.23万元",
        "政府采购金额（以合同签订为准）为21.07万元", "货物采购金额21.07万元",
        "面向中小企业预留政府采购项目预算金额21.07万元", "面向小微企业预留政府采购项目预算金额21.07万元",
        "编报绩效目标的2024年度项目1个，涉及预算金额175.52万元", "平均得分100.00分",
        "绩效评级为“优”的项目1个", "绩效评级为“不合格”的项目0个",
    ],
    "guihuaziyuan": [
        "2024年度收入支出总计9859.38万元", "收入支出总计增加1062.85万元，增长12.08%",
        "财政拨款收入支出总计9746.50万元", "财政拨款收入支出总计增加1193.20万元，增长13.95%",
        "基本支出5377.64万元，占55.10%", "项目支出4381.74万元，占44.90%",
        "社会保障和就业支出（类）754.75万元，占7.74%", "城乡社区支出（类）3832.36万元，占39.32%",
        "自然资源海洋气象等支出（类）4461.67万元，占45.78%", "住房保障支出（类）461.08万元，占4.73%",
        "年初预算为452.40万元，支出决算为446.11万元", "完成年初预算数的98.61%", "完成年初预算数的88.08%",
        "完成年初预算数的98.65%", "“三公”经费财政拨款支出年初预算为2.85万元，支出决算为0.39万元，完成预算的13.68%",
        "减少0.15万元，下降27.78%", "机关运行经费支出142.80万元，比2023年度减少13.52万元，下降8.65%",
        "为2319.21万元", "货物采购金额122.43万元", "工程采购金额1387.72万元", "服务采购金额809.07万元",
        "面向中小企业预留政府采购项目预算金额225.10万元", "面向小微企业预留政府采购项目预算金额164.87万元",
        "绩效自评的2024年度项目39个，涉及预算金额4415.48万元，平均得分99.33分", "公用经费480.66万元",
    ],
}
UNITS = {"shehuigongzuo": "putuo-shehuigongzuo-2024", "guihuaziyuan": "putuo-guihuaziyuan-2024"}


def squash(text: str) -> str:
    """The text without whitespace and without the page numbers (“— 17 —”) a paragraph runs over."""
    return re.sub(r"\s+", "", re.sub(r"—\s*\d+\s*—", "", text))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def in_order(text: str, items: list[str]) -> bool:
    pos = 0
    for item in items:
        pos = text.find(item, pos)
        if pos < 0:
            return False
        pos += len(item)
    return True


def test_the_profile_is_shanghais():
    assert [t.title for t in PROFILE.tables] == TABLES
    assert all(t.label == "" for t in PROFILE.tables)
    assert [s.title for s in PROFILE.outline] == SECTIONS
    assert [t for t, _ in PROFILE.glossary] == GLOSSARY
    assert "五" not in PROFILE.part_titles


@pytest.mark.parametrize("key", UNITS)
def test_check_finds_no_error(key):
    proc = run_cli("check", str(EXAMPLES / f"{UNITS[key]}.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 个错误" in proc.stdout


@pytest.mark.parametrize("key", UNITS)
def test_pdf_has_the_tables_sections_glossary_and_figures(rendered, key):
    text = squash(pdf_text(rendered[key]["pdf"]))
    body = text[text.index("第一部分"):]
    body = body[body.index("第一部分", 1):]                 # after the 目录
    assert in_order(body, TABLES), "九张表的标题、顺序与公开的不同"
    assert "公开01表" not in text
    assert in_order(body, SECTIONS)
    assert in_order(body, [f"{n}、{t}：" for n, t in zip("一二三四五六七八九十", GLOSSARY)] + ["十一、机关运行经费："])
    assert "2024年度部门决算" in text[:200]
    missing = [f for f in PUBLISHED[key] if f not in text]
    assert len(PUBLISHED[key]) >= 15
    assert not missing, f"说明中缺少公开的数：{missing}"


@pytest.mark.parametrize("key", UNITS)
def test_docx_has_the_tables_and_sections(rendered, key):
    d = open_docx(str(rendered[key]["docx"]))
    paragraphs = [p.text for p in d.paragraphs]
    captions = [p.text for p in d.paragraphs if p.style.name == "Table Caption"]
    assert captions == TABLES
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 2"]
    assert in_order("|".join(headings), SECTIONS)
    text = "".join(paragraphs)
    assert [f for f in PUBLISHED[key] if f not in text] == []
    # 单位构成: a small table of the text before the nine tables (序号, 单位名称, 备注)
    first = d.tables[0]
    assert [c.text for c in first.rows[0].cells] == ["序号", "单位名称", "备注"]
    assert len(d.tables) == 10


def test_empty_tables_say_so_with_the_units_name(rendered):
    text = squash(pdf_text(rendered["shehuigongzuo"]["pdf"]))
    assert "说明：中共上海市普陀区委社会工作部本年度没有财政拨款“三公”经费支出，故本表无数据。" in text
    assert "中共上海市普陀区委社会工作部2024年度无“三公”经费财政拨款支出。" in text
    assert "中共上海市普陀区委社会工作部2024年度无政府性基金预算财政拨款收入和支出。" in text
