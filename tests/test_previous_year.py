"""上年数据文件: last year's figures taken from last year's own data file."""
from __future__ import annotations

import re
from decimal import Decimal

from generator.compose.document import Paragraph
from generator.pipeline import prepare

from .checkfix import BASES, set_key
from .conftest import run_cli

BASE = BASES["admin"].read_text(encoding="utf-8")


def without_last_year(text: str) -> str:
    return set_key(text, ["上年"], None)


def write_pair(tmp_path, prev_year="2022", scale_prev=False):
    prev = without_last_year(BASE).replace("年度: 2023", f"年度: {prev_year}")
    if scale_prev:   # last year: every amount halved keeps every total consistent
        prev = re.sub(r"(?<![\d.])(\d+\.\d{2})(?!\d)",
                      lambda m: str((Decimal(m.group(1)) / 2).quantize(Decimal("0.01"))), prev)
    (tmp_path / "last.yaml").write_text(prev, encoding="utf-8")
    this = without_last_year(BASE).replace("年度: 2023", "年度: 2023\n上年数据文件: last.yaml")
    path = tmp_path / "this.yaml"
    path.write_text(this, encoding="utf-8")
    return path


def text_of(path) -> str:
    return "\n".join(b.text for b in prepare(path).document.blocks if isinstance(b, Paragraph))


def test_comparisons_come_from_last_years_file(tmp_path):
    text = text_of(write_pair(tmp_path, scale_prev=True))
    # last year's 收入总计 is half of 860,000.00: +430,000.00, +100.00%
    assert "收入总计增加430,000.00元，增长100.00%" in text
    assert "机关运行经费支出130,000.00元，比上年增加65,000.00元，增长100.00%" in text
    assert "公务接待费支出10,000.00元，完成全年预算的66.67%，比上年度增加5,000.00元，增长100.00%" in text


def test_same_figures_last_year_read_as_unchanged(tmp_path):
    text = text_of(write_pair(tmp_path))
    assert "与上年相比，收入总计持平，支出总计持平。" in text


def test_last_years_file_must_be_the_year_before(tmp_path):
    path = write_pair(tmp_path, prev_year="2021")
    proc = run_cli("check", str(path))
    assert proc.returncode == 2 and "上年数据文件的年度是2021，应为2022" in proc.stderr


def test_both_last_year_block_and_file_is_refused(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(BASE.replace("年度: 2023", "年度: 2023\n上年数据文件: last.yaml"), encoding="utf-8")
    (tmp_path / "last.yaml").write_text(BASE, encoding="utf-8")
    proc = run_cli("check", str(path))
    assert proc.returncode == 2 and "只能填写其中一个" in proc.stderr
